"""Feeds over HTTP, a booking as .ics, and the profile's subscription links."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("calendar", __name__)
