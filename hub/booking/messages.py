"""What each broken booking rule says to a person, in their language."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import gettext as _

from hub.booking.rules import Violation


def _local(instant: datetime, timezone: str) -> str:
    return instant.astimezone(ZoneInfo(timezone)).strftime("%H:%M")


def violation_message(violation: Violation, timezone: str) -> str:
    p = violation.params
    match violation.rule:
        case "space_not_bookable":
            return _("This space cannot be booked.")
        case "end_before_start":
            return _("The end must be after the start.")
        case "closed_day":
            return _("The hub is closed that day (weekend, public holiday or closed day).")
        case "outside_opening_hours":
            return _(
                "Outside opening hours: the hub is open %(opens)s–%(closes)s that day.",
                opens=_local(p["opens"], timezone),
                closes=_local(p["closes"], timezone),
            )
        case "grid":
            return _(
                "Meeting rooms are booked in steps of %(minutes)d minutes.", minutes=p["minutes"]
            )
        case "max_room_booking":
            return _(
                "A meeting room can be booked for at most %(minutes)d minutes.",
                minutes=p["minutes"],
            )
        case "capacity":
            return _("The room has room for %(capacity)d people.", capacity=p["capacity"])
        case "in_past":
            return _("The start has already passed.")
        case "min_notice":
            return _("Book at least %(minutes)d minutes ahead.", minutes=p["minutes"])
        case "horizon":
            return _("You can book at most %(days)d days ahead.", days=p["days"])
        case "max_future_bookings":
            return _(
                "You already have %(limit)d upcoming bookings, the most allowed.", limit=p["limit"]
            )
        case "guest_quota":
            return _(
                "Guests may book at most %(limit)d desk or cell days a week per organization.",
                limit=p["limit"],
            )
    return violation.rule
