"""Bookings, availability, the no-overlap guard, recurrence, check-in and no-show release."""
