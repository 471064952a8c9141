"""Keeps the usage roll-up current with every booking write, and rebuilds it.

A session hook sees each booking the unit of work inserts or changes (the
booking service, the release job, the CLI, the hub file loader: every writer)
and adds "facts after minus facts before" to the roll-up with upserts of the
form ``SET n = n + excluded.n``. Those commute, so two transactions touching
the same day on PostgreSQL cannot lose each other's counts, and a rollback
takes the roll-up change with it.

Writers that bypass the ORM (bulk generators, the benchmark) call
``rebuild`` afterwards; ``flask hub usage rebuild`` does the same by hand.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any
from weakref import WeakKeyDictionary

import sqlalchemy as sa
from sqlalchemy import event, inspect
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from hub.booking.models import Booking
from hub.spaces import opening
from hub.spaces.models import Hub, Space
from hub.usage import units
from hub.usage.models import PresenceDay, UsageDay, UsageHour, UsageRecord

TRACKED = (
    "hub_id",
    "space_id",
    "organization_id",
    "user_id",
    "status",
    "starts_at",
    "ends_at",
    "checked_in_at",
)


class _OpeningCache:
    """Opening spans per hub and local day, looked up once per flush or rebuild."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.hubs: dict[int, tuple[str, dict[int, Any], set[date]]] = {}
        self.kinds: dict[int, str] = {}

    def hub(self, hub_id: int) -> tuple[str, dict[int, Any], set[date]]:
        if hub_id not in self.hubs:
            hub = self.session.get(Hub, hub_id)
            assert hub is not None
            weekly = {row.weekday: (row.opens_at, row.closes_at) for row in hub.opening_hours}
            self.hubs[hub_id] = (hub.timezone, weekly, {c.on_date for c in hub.closures})
        return self.hubs[hub_id]

    def kind(self, space_id: int) -> str:
        if space_id not in self.kinds:
            space = self.session.get(Space, space_id)
            assert space is not None
            self.kinds[space_id] = str(space.kind)
        return self.kinds[space_id]

    def state(self, values: dict[str, Any]) -> units.BookingState:
        timezone, weekly, closed = self.hub(values["hub_id"])
        starts_at: datetime = values["starts_at"]
        span = opening.opening_interval(
            opening.local_day(starts_at, timezone), weekly, timezone, closed
        )
        return units.BookingState(
            hub_id=values["hub_id"],
            space_id=values["space_id"],
            organization_id=values["organization_id"],
            user_id=values["user_id"],
            kind=self.kind(values["space_id"]),
            status=str(values["status"]),
            starts_at=starts_at,
            ends_at=values["ends_at"],
            checked_in=values["checked_in_at"] is not None,
            timezone=timezone,
            open_span=None if span is None else span[1] - span[0],
        )


def _values(booking: Booking, *, before: bool) -> dict[str, Any]:
    state = inspect(booking)
    values = {}
    for name in TRACKED:
        history = state.attrs[name].history
        if before and history.deleted:
            values[name] = history.deleted[0]
        else:
            values[name] = getattr(booking, name)
    return values


def _keep_old_value(_target: Any, value: Any, _old: Any, _initiator: Any) -> Any:
    return value


# Load the value a tracked attribute had before it is set, even on an expired
# booking, so that "facts before" is always known.
for _name in TRACKED:
    event.listen(getattr(Booking, _name), "set", _keep_old_value, active_history=True, retval=True)


def _changed(booking: Booking) -> bool:
    state = inspect(booking)
    return any(state.attrs[name].history.has_changes() for name in TRACKED)


def _seen(session: Session) -> WeakKeyDictionary[Booking, dict[str, Any]]:
    """Values this transaction last flushed per booking: "before" for its next change.

    Attribute history alone cannot tell: a column left out of the INSERT (no
    check-in yet) is unloaded afterwards, and setting it records no old value.
    Within the transaction the row is ours (locked or written), so what we
    flushed is what is there; the memory is dropped at commit and rollback.
    """
    return session.info.setdefault("usage_seen", WeakKeyDictionary())


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: Any) -> None:
    bookings_new = [o for o in session.new if isinstance(o, Booking)]
    bookings_dirty = [o for o in session.dirty if isinstance(o, Booking) and _changed(o)]
    if not bookings_new and not bookings_dirty:
        return
    cache = _OpeningCache(session)
    seen = _seen(session)
    delta = units.Facts()
    for booking in bookings_new:
        after = _values(booking, before=False)
        delta.add(units.booking_facts(cache.state(after)))
        seen[booking] = after
    for booking in bookings_dirty:
        before = seen.get(booking) or _values(booking, before=True)
        after = _values(booking, before=False)
        delta.add(units.change(cache.state(before), cache.state(after)))
        seen[booking] = after
    apply(session, delta.nonzero())


@event.listens_for(Session, "after_transaction_end")
def _forget_at_the_end(session: Session, transaction: Any) -> None:
    if transaction.parent is None:  # the outermost one; savepoints end inside it
        session.info.pop("usage_seen", None)


@event.listens_for(Session, "after_soft_rollback")
def _forget_on_rollback(session: Session, _transaction: Any) -> None:
    session.info.pop("usage_seen", None)


def _insert(session: Session, table: sa.Table) -> Any:
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def _upsert_add(
    session: Session, table: sa.Table, keys: tuple[str, ...], rows: list[dict[str, Any]]
) -> None:
    if not rows:
        return
    counters = [name for name in rows[0] if name not in keys]
    stmt = _insert(session, table)
    stmt = stmt.on_conflict_do_update(
        index_elements=list(keys),
        set_={name: table.c[name] + stmt.excluded[name] for name in counters},
    )
    session.connection().execute(stmt, rows)


# table, its key columns, its counter columns
_TABLES: tuple[tuple[sa.Table, tuple[str, ...], tuple[str, ...]], ...] = (
    (UsageDay.__table__, ("hub_id", "day", "space_id", "organization_id"), units.DAY_COLUMNS),
    (UsageHour.__table__, ("hub_id", "day", "hour", "kind"), units.HOUR_COLUMNS),
    (PresenceDay.__table__, ("hub_id", "day", "organization_id", "user_id"), ("sources",)),
)


def apply(session: Session, facts: units.Facts) -> None:
    """Add the facts to the roll-up tables (negative counts subtract)."""
    presence = {key: [count] for key, count in facts.presence.items()}
    for (table, keys, counters), rows in zip(
        _TABLES, (facts.days, facts.hours, presence), strict=True
    ):
        _upsert_add(
            session,
            table,
            keys,
            [
                dict(zip(keys, key, strict=True)) | dict(zip(counters, values, strict=True))
                for key, values in rows.items()
            ],
        )


def record_state(record: UsageRecord, kind: str | None) -> units.RecordState:
    return units.RecordState(
        hub_id=record.hub_id,
        organization_id=record.organization_id,
        user_id=record.user_id,
        day=record.day,
        space_id=record.space_id,
        kind=kind,
    )


def _local_bounds(timezone: str, first: date, last: date) -> tuple[datetime, datetime]:
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(timezone)
    start = datetime.combine(first, datetime.min.time(), tzinfo=zone)
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=zone)
    return start, end


def rebuild(session: Session, hub_id: int, first: date, last: date, batch: int = 20_000) -> int:
    """Recompute the hub's roll-up for local days first..last from bookings and imports.

    Anonymized presence rows (no person any more) are kept as they are: they
    can no longer be derived, and they are final. Returns the bookings read.
    """
    cache = _OpeningCache(session)
    timezone = cache.hub(hub_id)[0]
    start, end = _local_bounds(timezone, first, last)
    for model in (UsageDay, UsageHour):
        session.execute(
            sa.delete(model).where(model.hub_id == hub_id, model.day.between(first, last))
        )
    session.execute(
        sa.delete(PresenceDay).where(
            PresenceDay.hub_id == hub_id,
            PresenceDay.day.between(first, last),
            PresenceDay.user_id.is_not(None),
        )
    )
    columns = [getattr(Booking, name) for name in TRACKED]
    rows = session.execute(
        sa.select(*columns)
        .where(Booking.hub_id == hub_id, Booking.starts_at >= start, Booking.starts_at < end)
        .execution_options(yield_per=batch)
    )
    facts = units.Facts()
    read = 0
    for row in rows:
        facts.add(units.booking_facts(cache.state(dict(zip(TRACKED, row, strict=True)))))
        read += 1
    records = session.execute(
        sa.select(UsageRecord, Space.kind)
        .outerjoin(Space, UsageRecord.space_id == Space.id)
        .where(UsageRecord.hub_id == hub_id, UsageRecord.day.between(first, last))
    )
    for record, kind in records:
        facts.add(units.record_facts(record_state(record, None if kind is None else str(kind))))
    apply(session, facts.nonzero())
    return read


def apply_records(session: Session, records: Iterable[tuple[UsageRecord, str | None]]) -> None:
    """Count freshly imported lines (the import service calls this after its flush)."""
    facts = units.Facts()
    for record, kind in records:
        facts.add(units.record_facts(record_state(record, kind)))
    apply(session, facts.nonzero())
