"""Calendar sync: iCal feeds out (subscriptions), external busy calendars in."""
