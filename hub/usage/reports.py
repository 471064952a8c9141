"""Usage and occupancy figures, read as SQL aggregates over the daily roll-up.

No report loads bookings: each query groups ``usage_days``, ``usage_hours`` or
``presence_days`` rows in the database, and at most one row per day (or per day
and hour) comes back to Python to be folded into weeks, months or weekdays.
Units follow hub.usage.units: desk- and cell-days (half a day is 0.5),
room-hours, and space-hours for utilization.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from itertools import combinations
from typing import Any, Literal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from hub.accounts.models import Organization
from hub.extensions import db
from hub.spaces import opening
from hub.spaces import service as spaces
from hub.spaces.models import Hub, Space, SpaceKind
from hub.usage import units
from hub.usage.models import Event, EventAttendance, PresenceDay, UsageDay, UsageHour

GroupBy = Literal["organization", "space", "kind", "day"]
GROUPS: tuple[GroupBy, ...] = ("organization", "space", "kind", "day")
BOOKABLE_KINDS = (SpaceKind.DESK, SpaceKind.CELL, SpaceKind.MEETING_ROOM)

_SUMS = (
    sa.func.sum(UsageDay.bookings).label("bookings"),
    sa.func.sum(UsageDay.booked_half_days).label("booked_half_days"),
    sa.func.sum(UsageDay.booked_minutes).label("booked_minutes"),
    sa.func.sum(UsageDay.used_half_days).label("used_half_days"),
    sa.func.sum(UsageDay.used_minutes).label("used_minutes"),
    sa.func.sum(UsageDay.no_shows).label("no_shows"),
)


@dataclass(slots=True)
class Figures:
    """Booked and used units of one group, with exact arithmetic."""

    bookings: int = 0
    no_shows: int = 0
    booked_half_days: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    used_half_days: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    booked_minutes: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    used_minutes: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    person_days: int = 0
    people: int = 0

    def add_row(self, kind: str, row: Any) -> None:
        self.bookings += int(row.bookings or 0)
        self.no_shows += int(row.no_shows or 0)
        self.booked_half_days[kind] += int(row.booked_half_days or 0)
        self.used_half_days[kind] += int(row.used_half_days or 0)
        self.booked_minutes[kind] += int(row.booked_minutes or 0)
        self.used_minutes[kind] += int(row.used_minutes or 0)

    def days(self, kind: str, *, used: bool = False) -> Decimal:
        source = self.used_half_days if used else self.booked_half_days
        return Decimal(source.get(kind, 0)) / 2

    def hours(self, kind: str | None = None, *, used: bool = False) -> Decimal:
        source = self.used_minutes if used else self.booked_minutes
        total = source.get(kind, 0) if kind else sum(source.values())
        return (Decimal(total) / 60).quantize(Decimal("0.01"))

    @property
    def no_show_rate(self) -> Decimal | None:
        if not self.bookings:
            return None
        return _percent(Decimal(self.no_shows), Decimal(self.bookings))

    def as_dict(self) -> dict[str, Any]:
        """The figures under the names the API and the exports use."""
        return {
            "bookings": self.bookings,
            "booked_desk_days": self.days("desk"),
            "used_desk_days": self.days("desk", used=True),
            "booked_cell_days": self.days("cell"),
            "used_cell_days": self.days("cell", used=True),
            "booked_room_hours": self.hours("meeting_room"),
            "used_room_hours": self.hours("meeting_room", used=True),
            "booked_hours": self.hours(),
            "used_hours": self.hours(used=True),
            "no_shows": self.no_shows,
            "person_days": self.person_days,
        }


def _in_range(model: Any, hub: Hub, first: date, last: date) -> list[Any]:
    return [model.hub_id == hub.id, model.day >= first, model.day <= last]


def _presence(hub: Hub, first: date, last: date, *group: Any) -> list[Any]:
    return list(
        db.session.execute(
            sa.select(
                *group,
                sa.func.count().label("person_days"),
                sa.func.count(sa.distinct(PresenceDay.user_id)).label("people"),
            )
            .where(*_in_range(PresenceDay, hub, first, last), PresenceDay.sources > 0)
            .group_by(*group)
        )
    )


def figures_by(hub: Hub, first: date, last: date, group_by: GroupBy) -> dict[Any, Figures]:
    """Figures per organization id, space id, kind or day, in one aggregate each."""
    key_column = {
        "organization": UsageDay.organization_id,
        "space": UsageDay.space_id,
        "kind": Space.kind,
        "day": UsageDay.day,
    }[group_by]
    rows = db.session.execute(
        sa.select(key_column.label("key"), Space.kind.label("kind"), *_SUMS)
        .join(Space, UsageDay.space_id == Space.id)
        .where(*_in_range(UsageDay, hub, first, last))
        .group_by(key_column, Space.kind)
    )
    result: dict[Any, Figures] = defaultdict(Figures)
    for row in rows:
        key = str(row.key) if group_by == "kind" else row.key
        result[key].add_row(str(row.kind), row)
    presence_key = {"organization": PresenceDay.organization_id, "day": PresenceDay.day}
    if group_by in presence_key:
        for row in _presence(hub, first, last, presence_key[group_by].label("key")):
            result[row.key].person_days = row.person_days
            result[row.key].people = row.people
    return dict(result)


def totals(hub: Hub, first: date, last: date, by_day: dict[Any, Figures] | None = None) -> Figures:
    """The whole hub; from ``figures_by(..., "day")`` when the caller has it already."""
    figures = Figures()
    if by_day is not None:
        for day_figures in by_day.values():
            _merge(figures, day_figures)
    else:
        rows = db.session.execute(
            sa.select(Space.kind.label("kind"), *_SUMS)
            .join(Space, UsageDay.space_id == Space.id)
            .where(*_in_range(UsageDay, hub, first, last))
            .group_by(Space.kind)
        )
        for row in rows:
            figures.add_row(str(row.kind), row)
    for row in _presence(hub, first, last):
        figures.person_days, figures.people = row.person_days, row.people
    return figures


def usage_by(hub: Hub, first: date, last: date, group_by: GroupBy) -> list[dict[str, Any]]:
    """Rows for the API and the exports: the group's identity, then its figures."""
    figures = figures_by(hub, first, last, group_by)
    if group_by == "organization":
        names = _names(Organization, figures)
        rows = [
            {"organization_id": key, "organization": names.get(key, "")}
            | f.as_dict()
            | {"people": f.people}
            for key, f in figures.items()
        ]
        return sorted(rows, key=lambda r: r["organization"].casefold())
    if group_by == "space":
        found = {s.id: s for s in db.session.scalars(sa.select(Space).where(Space.id.in_(figures)))}
        rows = [
            {"space_id": key, "space": found[key].name, "kind": str(found[key].kind)} | f.as_dict()
            for key, f in figures.items()
        ]
        return sorted(rows, key=lambda r: (r["kind"], r["space"].casefold()))
    if group_by == "kind":
        return [{"kind": key} | figures[key].as_dict() for key in sorted(figures)]
    return [{"day": key} | figures[key].as_dict() for key in sorted(figures)]


def usage_by_columns(group_by: GroupBy) -> list[str]:
    """The keys of ``usage_by`` rows, also when there are none."""
    identity = {
        "organization": ["organization_id", "organization"],
        "space": ["space_id", "space", "kind"],
        "kind": ["kind"],
        "day": ["day"],
    }[group_by]
    extra = ["people"] if group_by == "organization" else []
    return identity + list(Figures().as_dict()) + extra


def _names(model: Any, ids: Iterable[int]) -> dict[int, str]:
    rows = db.session.execute(sa.select(model.id, model.name).where(model.id.in_(list(ids))))
    return {row.id: row.name for row in rows}


# --- occupancy ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class KindOccupancy:
    kind: str
    spaces: int
    open_hours: Decimal  # space-hours the kind could have been used
    booked_hours: Decimal
    used_hours: Decimal

    @property
    def booked_percent(self) -> Decimal | None:
        return _percent(self.booked_hours, self.open_hours)

    @property
    def used_percent(self) -> Decimal | None:
        return _percent(self.used_hours, self.open_hours)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "spaces": self.spaces,
            "open_hours": self.open_hours,
            "booked_hours": self.booked_hours,
            "used_hours": self.used_hours,
            "booked_percent": self.booked_percent,
            "used_percent": self.used_percent,
        }


def _percent(part: Decimal, whole: Decimal) -> Decimal | None:
    if not whole:
        return None
    return (part * 100 / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _hours(minutes: int) -> Decimal:
    return (Decimal(minutes) / 60).quantize(Decimal("0.01"))


def space_counts(hub: Hub) -> dict[str, int]:
    """Active bookable spaces per kind (today's inventory is the denominator)."""
    rows = db.session.execute(
        sa.select(Space.kind, sa.func.count())
        .where(Space.hub_id == hub.id, Space.active.is_(True), Space.bookable.is_(True))
        .group_by(Space.kind)
    )
    return {str(kind): count for kind, count in rows}


def open_days(hub: Hub, first: date, last: date) -> list[tuple[date, datetime, datetime]]:
    """Each open day with its opening interval (UTC): weekends, holidays, closures excluded."""
    weekly, closed = spaces.weekly_hours(hub), spaces.closed_days(hub)
    result = []
    cursor = first
    while cursor <= last:
        span = opening.opening_interval(cursor, weekly, hub.timezone, closed)
        if span is not None:
            result.append((cursor, *span))
        cursor += timedelta(days=1)
    return result


def occupancy(hub: Hub, first: date, last: date) -> list[KindOccupancy]:
    """Utilization per space kind: booked and used space-hours over open space-hours."""
    open_minutes = sum(units.minutes(start, end) for _d, start, end in open_days(hub, first, last))
    counts = space_counts(hub)
    rows = db.session.execute(
        sa.select(
            UsageHour.kind,
            sa.func.sum(UsageHour.booked_minutes),
            sa.func.sum(UsageHour.used_minutes),
        )
        .where(*_in_range(UsageHour, hub, first, last))
        .group_by(UsageHour.kind)
    )
    booked = {kind: (int(b or 0), int(u or 0)) for kind, b, u in rows}
    result = []
    for kind in BOOKABLE_KINDS:
        spaces_of_kind = counts.get(str(kind), 0)
        b, u = booked.get(str(kind), (0, 0))
        if not spaces_of_kind and not b:
            continue
        result.append(
            KindOccupancy(
                kind=str(kind),
                spaces=spaces_of_kind,
                open_hours=_hours(open_minutes * spaces_of_kind),
                booked_hours=_hours(b),
                used_hours=_hours(u),
            )
        )
    return result


@dataclass(frozen=True, slots=True)
class Heatmap:
    """Booked share of open space-hours per weekday (0 = Monday) and local hour."""

    hours: list[int]
    weekdays: list[int]
    percent: dict[tuple[int, int], Decimal | None]
    booked_hours: dict[tuple[int, int], Decimal]

    @property
    def peak(self) -> tuple[int, int] | None:
        filled = {k: v for k, v in self.percent.items() if v is not None}
        return max(filled, key=lambda k: (filled[k], -k[0], -k[1])) if filled else None


def heatmap(hub: Hub, first: date, last: date) -> Heatmap:
    zone = ZoneInfo(hub.timezone)
    spaces_total = sum(space_counts(hub).values())
    capacity: dict[tuple[int, int], int] = defaultdict(int)  # open space-minutes
    for day, start, end in open_days(hub, first, last):
        local_open = start.astimezone(zone)
        local_close = end.astimezone(zone)
        for hour in range(local_open.hour, local_close.hour + 1):
            hour_start = datetime.combine(day, time(hour), tzinfo=zone)
            slot_start = max(local_open, hour_start)
            slot_end = min(local_close, hour_start + timedelta(hours=1))
            if slot_end > slot_start:
                open_minutes = units.minutes(slot_start, slot_end)
                capacity[(day.weekday(), hour)] += open_minutes * spaces_total
    rows = db.session.execute(
        sa.select(UsageHour.day, UsageHour.hour, sa.func.sum(UsageHour.booked_minutes))
        .where(*_in_range(UsageHour, hub, first, last))
        .group_by(UsageHour.day, UsageHour.hour)
    )
    booked: dict[tuple[int, int], int] = defaultdict(int)
    for day, hour, booked_minutes in rows:
        booked[(day.weekday(), hour)] += int(booked_minutes or 0)
    cells = set(capacity) | set(booked)
    weekdays = sorted({w for w, _h in cells} | set(range(5)))
    hours = sorted({h for _w, h in cells}) or list(range(8, 16))
    hours = list(range(min(hours), max(hours) + 1))
    return Heatmap(
        hours=hours,
        weekdays=weekdays,
        percent={
            (w, h): _percent(Decimal(booked.get((w, h), 0)), Decimal(capacity.get((w, h), 0)))
            for w in weekdays
            for h in hours
        },
        booked_hours={(w, h): _hours(booked.get((w, h), 0)) for w in weekdays for h in hours},
    )


# --- trend, co-presence, away from home, events ----------------------------------------


@dataclass(frozen=True, slots=True)
class TrendPoint:
    first: date
    last: date
    figures: Figures
    occupancy_percent: Decimal | None


def trend(
    hub: Hub,
    first: date,
    last: date,
    buckets: list[tuple[date, date]],
    by_day: dict[Any, Figures] | None = None,
) -> list[TrendPoint]:
    """Figures per bucket (months of a year, days of a month...) from one query per table."""
    if by_day is None:
        by_day = figures_by(hub, first, last, "day")
    open_by_day = {d: units.minutes(s, e) for d, s, e in open_days(hub, first, last)}
    spaces_total = sum(space_counts(hub).values())
    points = []
    for bucket_first, bucket_last in buckets:
        figures = Figures()
        open_minutes = 0
        for day, day_figures in by_day.items():
            if bucket_first <= day <= bucket_last:
                _merge(figures, day_figures)
        for day, day_minutes in open_by_day.items():
            if bucket_first <= day <= bucket_last:
                open_minutes += day_minutes
        points.append(
            TrendPoint(
                bucket_first,
                bucket_last,
                figures,
                _percent(figures.hours(), _hours(open_minutes * spaces_total)),
            )
        )
    return points


def _merge(target: Figures, other: Figures) -> None:
    target.bookings += other.bookings
    target.no_shows += other.no_shows
    target.person_days += other.person_days
    for name in ("booked_half_days", "used_half_days", "booked_minutes", "used_minutes"):
        mine, theirs = getattr(target, name), getattr(other, name)
        for kind, value in theirs.items():
            mine[kind] += value


@dataclass(frozen=True, slots=True)
class CoPresence:
    organizations: list[tuple[int, str]]
    days_present: dict[int, int]
    shared_days: dict[tuple[int, int], int]  # (smaller id, larger id) -> days both were in


def co_presence(hub: Hub, first: date, last: date) -> CoPresence:
    """Which organizations were in the hub on the same days (distinct day-organization pairs)."""
    rows = db.session.execute(
        sa.select(PresenceDay.day, PresenceDay.organization_id)
        .where(*_in_range(PresenceDay, hub, first, last), PresenceDay.sources > 0)
        .group_by(PresenceDay.day, PresenceDay.organization_id)
    )
    by_day: dict[date, set[int]] = defaultdict(set)
    for day, org_id in rows:
        by_day[day].add(org_id)
    present: dict[int, int] = defaultdict(int)
    shared: dict[tuple[int, int], int] = defaultdict(int)
    for orgs in by_day.values():
        for org_id in orgs:
            present[org_id] += 1
        for a, b in combinations(sorted(orgs), 2):
            shared[(a, b)] += 1
    names = _names(Organization, present)
    ordered = sorted(present, key=lambda o: (-present[o], names.get(o, "").casefold()))
    return CoPresence([(o, names.get(o, "")) for o in ordered], dict(present), dict(shared))


@dataclass(frozen=True, slots=True)
class AwayRow:
    organization_id: int
    organization: str
    home_office: str
    person_days: int
    people: int


def away_from_home(hub: Hub, first: date, last: date) -> list[AwayRow]:
    """Person-days of organizations whose home office is in another municipality."""
    rows = db.session.execute(
        sa.select(
            Organization.id,
            Organization.name,
            Organization.home_office,
            sa.func.count().label("person_days"),
            sa.func.count(sa.distinct(PresenceDay.user_id)).label("people"),
        )
        .join(Organization, PresenceDay.organization_id == Organization.id)
        .where(
            *_in_range(PresenceDay, hub, first, last),
            PresenceDay.sources > 0,
            Organization.home_office.is_not(None),
            Organization.home_office != "",
            sa.func.lower(Organization.home_office) != hub.municipality.lower(),
        )
        .group_by(Organization.id, Organization.name, Organization.home_office)
        .order_by(sa.func.count().desc(), Organization.name)
    )
    return [AwayRow(*row) for row in rows]


def events_in(hub: Hub, first: date, last: date) -> list[Event]:
    return list(
        db.session.scalars(
            sa.select(Event)
            .options(selectinload(Event.attendance).joinedload(EventAttendance.organization))
            .where(Event.hub_id == hub.id, Event.on_date >= first, Event.on_date <= last)
            .order_by(Event.on_date, Event.id)
        )
    )


def attendance_by_organization(events: list[Event]) -> list[tuple[str, int, int]]:
    """(organization, attendees, events attended), most attendees first."""
    attendees: dict[str, int] = defaultdict(int)
    attended: dict[str, int] = defaultdict(int)
    for event in events:
        for row in event.attendance:
            attendees[row.organization.name] += row.attendees
            attended[row.organization.name] += 1
    return sorted(
        ((name, attendees[name], attended[name]) for name in attendees),
        key=lambda r: (-r[1], r[0].casefold()),
    )
