"""Hubs, spaces, opening hours, holidays and booking rules."""
