"""Anonymize personal details in usage older than each hub's retention period.

What goes: the person on bookings, booking series, imported usage lines and
presence days, a booking's free-text title, and the text of uploaded imports.
What stays: the organization, the space, the interval, the status and the
check-in times, so per-agency reports and the cost split give the same figures
before and after.

Set-based UPDATE statements only, no rows loaded into Python. They bypass the
ORM flush, so the roll-up hook (``hub.usage.rollup``) does not see them, which
is the point: the roll-up keeps its counts, and presence rows keep theirs with
``user_id`` NULL (NULLs never collide in the unique key, on either database).
Running it twice changes nothing the second time.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta

from hub.booking.models import Booking, BookingSeries
from hub.database import utcnow
from hub.extensions import db
from hub.spaces import opening
from hub.spaces.models import Hub
from hub.usage.models import PresenceDay, UsageImport, UsageRecord


def cutoff_day(now: datetime, timezone: str, retention_months: int) -> date:
    """The first local day that is kept: today in the hub, minus the retention period."""
    today = opening.local_day(now, timezone)
    return today - relativedelta(months=retention_months)


def anonymize_hub(hub_id: int, timezone: str, retention_months: int, now: datetime) -> int:
    """Anonymize one hub's usage before its cutoff; returns the bookings anonymized."""
    first_kept = cutoff_day(now, timezone, retention_months)
    cutoff = datetime.combine(first_kept, datetime.min.time(), tzinfo=ZoneInfo(timezone))
    cutoff = cutoff.astimezone(UTC)
    # By start, like the roll-up, which files a booking under the local day it
    # starts: a booking and its presence row are anonymized together.
    old = sa.and_(Booking.hub_id == hub_id, Booking.starts_at < cutoff)
    db.session.execute(
        sa.update(BookingSeries)
        .where(
            BookingSeries.user_id.is_not(None),
            BookingSeries.id.in_(
                sa.select(Booking.series_id).where(old, Booking.series_id.is_not(None))
            ),
        )
        .values(user_id=None)
        .execution_options(synchronize_session="fetch")
    )
    bookings = db.session.execute(
        sa.update(Booking)
        .where(old, sa.or_(Booking.user_id.is_not(None), Booking.title.is_not(None)))
        .values(user_id=None, title=None)
        .execution_options(synchronize_session="fetch")
    )
    for model in (UsageRecord, PresenceDay):
        db.session.execute(
            sa.update(model)
            .where(model.hub_id == hub_id, model.day < first_kept, model.user_id.is_not(None))
            .values(user_id=None)
            .execution_options(synchronize_session="fetch")
        )
    # The uploaded files themselves name people (emails, card ids).
    db.session.execute(
        sa.update(UsageImport)
        .where(
            UsageImport.hub_id == hub_id, UsageImport.created_at < cutoff, UsageImport.content != ""
        )
        .values(content="")
        .execution_options(synchronize_session=False)
    )
    return bookings.rowcount


def anonymize_expired(now: datetime | None = None) -> int:
    """Anonymize every hub's usage older than its retention period; flushes, never commits.

    Returns the number of bookings anonymized (0 when there was nothing left to do).
    """
    now = now or utcnow()
    hubs = db.session.execute(sa.select(Hub.id, Hub.timezone, Hub.retention_months)).all()
    total = 0
    for hub_id, timezone, months in hubs:
        total += anonymize_hub(hub_id, timezone, months, now)
    db.session.flush()
    return total
