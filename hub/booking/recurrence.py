"""Weekly recurring bookings: expand an RRULE, show which dates are free, book those.

The rule is stored as an RFC 5545 RRULE (FREQ=WEEKLY;BYDAY=...;UNTIL=...) on the
series, so the calendar feeds can describe it the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

import sqlalchemy as sa
from dateutil.rrule import WEEKLY, rrule, weekday
from flask_babel import gettext as _

from hub.accounts.models import User
from hub.booking import service
from hub.booking.models import ACTIVE_STATUSES, Booking, BookingSeries, BookingStatus
from hub.database import begin_write, utcnow
from hub.errors import FieldErrors
from hub.extensions import db
from hub.spaces.models import Space

DAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
MAX_OCCURRENCES = 60

OccurrenceState = Literal["free", "busy", "closed"]


@dataclass(frozen=True)
class Occurrence:
    day: date
    interval: tuple[datetime, datetime] | None
    state: OccurrenceState


def rrule_text(weekdays: Iterable[int], until: date) -> str:
    days = ",".join(DAY_CODES[d] for d in sorted(set(weekdays)))
    return f"FREQ=WEEKLY;BYDAY={days};UNTIL={until:%Y%m%d}"


def dates(first: date, until: date, weekdays: Iterable[int]) -> list[date]:
    rule = rrule(
        WEEKLY,
        dtstart=datetime.combine(first, datetime.min.time()),
        until=datetime.combine(until, datetime.min.time()),
        byweekday=[weekday(d) for d in sorted(set(weekdays))],
    )
    return [d.date() for d in rule]


def check_request(first: date, until: date, weekdays: Iterable[int]) -> None:
    errors = FieldErrors()
    if not set(weekdays):
        errors.add("weekdays", _("Choose at least one weekday."))
    elif until < first:
        errors.add("until", _("The last date cannot be before the first."))
    elif len(dates(first, until, weekdays)) > MAX_OCCURRENCES:
        errors.add("until", _("A series can have at most %(n)d dates.", n=MAX_OCCURRENCES))
    errors.raise_if_any()


def plan(
    space: Space,
    first: date,
    until: date,
    weekdays: Iterable[int],
    interval_for: Callable[[date], tuple[datetime, datetime] | None],
) -> list[Occurrence]:
    """Each date of the rule, with its interval and whether it is free."""
    result = []
    for day in dates(first, until, weekdays):
        interval = interval_for(day)
        if interval is None:
            result.append(Occurrence(day, None, "closed"))
        elif service.active_conflicts(space.id, *interval) or service.external_busy(
            space.id, *interval
        ):
            result.append(Occurrence(day, interval, "busy"))
        else:
            result.append(Occurrence(day, interval, "free"))
    return result


def book_free(
    user: User,
    space: Space,
    first: date,
    until: date,
    weekdays: Iterable[int],
    interval_for: Callable[[date], tuple[datetime, datetime] | None],
    **options: object,
) -> tuple[BookingSeries, list[Booking]]:
    """Book the dates that are free now; all of them or, on any rule broken, none."""
    begin_write(db.session())
    occurrences = [
        o for o in plan(space, first, until, weekdays, interval_for) if o.state == "free"
    ]
    series = BookingSeries(
        user_id=user.id,
        space_id=space.id,
        rrule=rrule_text(weekdays, until),
        first_date=first,
        until=until,
    )
    db.session.add(series)
    db.session.flush()
    bookings = service.create_bookings(
        user,
        space,
        [o.interval for o in occurrences if o.interval],
        **options,  # type: ignore[arg-type]
    )
    for booking in bookings:
        booking.series_id = series.id
    db.session.flush()
    return series, bookings


def cancel_rest_of_series(
    booking: Booking, actor: User, now: datetime | None = None
) -> list[Booking]:
    """Cancel this occurrence and every later active one of its series."""
    now = now or utcnow()
    if booking.series_id is None:
        return [service.cancel_booking(booking, actor, now)]
    later = db.session.scalars(
        sa.select(Booking)
        .where(
            Booking.series_id == booking.series_id,
            Booking.starts_at >= booking.starts_at,
            Booking.status.in_(ACTIVE_STATUSES),
        )
        .order_by(Booking.starts_at)
    ).all()
    return [
        service.cancel_booking(b, actor, now) for b in later if b.status != BookingStatus.CANCELLED
    ]
