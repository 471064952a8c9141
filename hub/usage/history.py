"""Plausible, generated usage history for the demo hubs (`flask hub demo --history`).

People of the member organizations book desks and cells for full or half days,
more on Tuesday to Thursday than on Mondays and Fridays, much less in July and
around Christmas; meeting rooms are booked for one to three hours with
participants; most bookings were checked in, some were no-shows released after
the grace period, a few were cancelled. Monthly lunch talks (faglunsj) and
quarterly gatherings (fagsamling) have attendance from several organizations.

Deterministic: the same hub, range and seed give the same history. Bookings go
in with one bulk INSERT (no overlaps: each space's day is planned without
clashes, around the bookings already there), then the roll-up of the range is
rebuilt, since a bulk insert passes by the roll-up's flush hook.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from hub.accounts import service as accounts
from hub.accounts.models import HubRole, Membership, Organization, Role, User
from hub.booking.models import ACTIVE_STATUSES, Booking, BookingSource, BookingStatus
from hub.database import utcnow
from hub.extensions import db
from hub.spaces import opening
from hub.spaces import service as spaces
from hub.spaces.models import Hub, Space, SpaceKind
from hub.usage import events, rollup
from hub.usage.models import EventKind

MIN_PEOPLE = 15
DEMO_DAYS = 365
INSERT_BATCH = 5_000
GRID = timedelta(minutes=15)

# How busy a weekday is (0 = Monday); the office week peaks Tuesday to Thursday.
WEEKDAY_FACTOR = {0: 0.65, 1: 1.0, 2: 1.0, 3: 0.95, 4: 0.45, 5: 0.2, 6: 0.1}
CANCELLED_SHARE = 0.03
NO_SHOW_SHARE = 0.08
DROP_IN_SHARE = 0.05

# fmt: off
FIRST_NAMES = (
    "Anne", "Bjørn", "Camilla", "Dag", "Eli", "Frode", "Guro", "Håkon", "Ingrid", "Jon",
    "Kristin", "Lars", "Marit", "Nils", "Oda", "Per", "Ragnhild", "Sindre", "Tone", "Vidar",
)
LAST_NAMES = (
    "Aas", "Berg", "Dahl", "Eide", "Fjeld", "Haugen", "Lie", "Moen", "Nilsen", "Olsen",
    "Strand", "Tveit", "Vik", "Øye",
)
MONTHS = (
    "januar", "februar", "mars", "april", "mai", "juni",
    "juli", "august", "september", "oktober", "november", "desember",
)
# fmt: on
MEETING_TITLES = (
    "Prosjektmøte",
    "Planmøte",
    "Samarbeidsmøte",
    "Videomøte med departementet",
    "Arbeidsgruppe",
    "Kundemøte",
    "Workshop",
    "Styringsgruppe",
)
LUNCH_TOPICS = (
    "Kunstig intelligens i forvaltningen",
    "Klimatilpasning i Lister",
    "Deling av data mellom etater",
    "Rekruttering i distriktene",
    "Arealplanlegging",
    "Klart språk",
    "Digital sikkerhet",
    "Innovative anskaffelser",
    "Folkehelse",
    "Beredskap",
    "Bosetting og integrering",
)


@dataclass(frozen=True, slots=True)
class Person:
    user_id: int
    organization_id: int
    rate: float  # chance of coming in on a busy day
    prefers: SpaceKind


class _Calendar:
    """Who already holds which interval of each space on one local day."""

    def __init__(self) -> None:
        self.taken: dict[int, list[tuple[datetime, datetime]]] = {}

    def free(self, space_id: int, starts_at: datetime, ends_at: datetime) -> bool:
        return all(
            ends_at <= start or end <= starts_at for start, end in self.taken.get(space_id, [])
        )

    def take(self, space_id: int, starts_at: datetime, ends_at: datetime) -> None:
        self.taken.setdefault(space_id, []).append((starts_at, ends_at))


def season_factor(day: date) -> float:
    """Summer holidays, Christmas and the weeks around them are quiet."""
    if day.month == 7:
        return 0.25
    if (day.month == 12 and day.day >= 22) or (day.month == 1 and day.day <= 2):
        return 0.2
    if (day.month == 6 and day.day >= 22) or (day.month == 8 and day.day <= 9):
        return 0.6
    return 1.0


def _days(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def _slug(text: str) -> str:
    text = text.lower().replace("æ", "ae").replace("ø", "o").replace("å", "a")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:30] or "org"


def member_organizations(hub: Hub, first: date, last: date) -> list[Organization]:
    """Organizations with a membership of the hub at some time between first and last."""
    return list(
        db.session.scalars(
            sa.select(Organization)
            .join(Membership, Membership.organization_id == Organization.id)
            .where(
                Membership.hub_id == hub.id,
                Membership.starts_on <= last,
                sa.or_(Membership.ends_on.is_(None), Membership.ends_on >= first),
            )
            .order_by(Organization.name)
            .distinct()
        )
    )


def demo_people(
    hub: Hub, organizations: list[Organization], rng: random.Random, minimum: int = MIN_PEOPLE
) -> list[User]:
    """The people with a role in the hub, topped up with demo people of the organizations.

    Demo people have no password; they get a member role in the hub, so a
    second run finds them rather than making more.
    """
    users = list(
        db.session.scalars(
            sa.select(User)
            .join(HubRole, HubRole.user_id == User.id)
            .where(HubRole.hub_id == hub.id, User.active.is_(True))
            .order_by(User.id)
            .distinct()
        )
    )
    if len(users) >= minimum or not organizations:
        return users
    per_org: dict[int, int] = {}
    while len(users) < minimum:
        org = organizations[sum(per_org.values()) % len(organizations)]
        n = per_org[org.id] = per_org.get(org.id, 0) + 1
        email = f"demo.person{n}@{_slug(org.short_name or org.name)}.demo.example"
        user = accounts.find_user_by_email(email)
        if user is None:
            name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
            user = accounts.create_user(
                {"email": email, "name": name, "home_organization_id": org.id, "language": "nb"}
            )
        accounts.grant_role(user, hub, Role.MEMBER)
        if user not in users:
            users.append(user)
    return users


def generate_history(hub: Hub, first: date, last: date, seed: int = 2026) -> int:
    """Create plausible bookings and events for the hub's open days first..last.

    Returns the number of bookings made. Flushes, never commits.
    """
    rng = random.Random(f"{seed}:{hub.slug}:{first.isoformat()}:{last.isoformat()}")
    weekly = spaces.weekly_hours(hub)
    closed = spaces.closed_days(hub)
    usable = [s for s in hub.spaces if s.active and s.bookable]
    places = [s for s in usable if s.kind in (SpaceKind.DESK, SpaceKind.CELL)]
    rooms = sorted(
        (s for s in usable if s.kind == SpaceKind.MEETING_ROOM),
        key=lambda s: (-s.capacity, s.name),
    )
    organizations = member_organizations(hub, first, last)
    users = demo_people(hub, organizations, rng)
    if not users or not (places or rooms):
        return 0
    people = [
        Person(
            user_id=user.id,
            organization_id=user.home_organization_id,
            rate=rng.uniform(0.2, 0.6),
            prefers=rng.choice((SpaceKind.DESK, SpaceKind.CELL)),
        )
        for user in users
    ]
    if not organizations:
        org_ids = sorted({p.organization_id for p in people})
        organizations = list(
            db.session.scalars(sa.select(Organization).where(Organization.id.in_(org_ids)))
        )
    maker = _Maker(hub, rng, utcnow())
    busy = _existing(hub, first, last)
    lunches = _event_days(first, last, weekly, hub.timezone, closed)
    for day in _days(first, last):
        span = opening.opening_interval(day, weekly, hub.timezone, closed)
        if span is None:
            continue
        calendar = busy.get(day, _Calendar())
        factor = WEEKDAY_FACTOR[day.weekday()] * season_factor(day)
        if day in lunches and rooms:
            _event(maker, lunches[day], day, span, rooms[0], people, organizations, calendar)
        _places_of_the_day(maker, span, places, people, factor, calendar)
        _rooms_of_the_day(maker, span, rooms, people, factor, calendar)
    for start in range(0, len(maker.rows), INSERT_BATCH):
        db.session.execute(sa.insert(Booking), maker.rows[start : start + INSERT_BATCH])
    db.session.flush()
    rollup.rebuild(db.session, hub.id, first, last)
    return len(maker.rows)


class _Maker:
    """Turns planned intervals into booking rows with a plausible outcome."""

    def __init__(self, hub: Hub, rng: random.Random, now: datetime) -> None:
        self.hub, self.rng, self.now = hub, rng, now
        self.grace = timedelta(minutes=hub.checkin_grace_minutes)
        self.rows: list[dict[str, Any]] = []

    def add(
        self,
        person: Person,
        space: Space,
        starts_at: datetime,
        ends_at: datetime,
        *,
        participants: int | None = None,
        title: str | None = None,
        certain: bool = False,
    ) -> None:
        rng = self.rng
        created_at = starts_at - timedelta(days=rng.randint(0, 14), hours=rng.randint(1, 16))
        row: dict[str, Any] = {
            "hub_id": self.hub.id,
            "space_id": space.id,
            "user_id": person.user_id,
            "organization_id": person.organization_id,
            "starts_at": starts_at,
            "ends_at": ends_at,
            "status": BookingStatus.CONFIRMED,
            "source": BookingSource.WEB,
            "participants": participants,
            "title": title,
            "series_id": None,
            "checked_in_at": None,
            "checked_out_at": None,
            "cancelled_at": None,
            "released_at": None,
            "sequence": 0,
            "created_at": created_at,
            "updated_at": created_at,
        }
        draw = 1.0 if certain else rng.random()
        if ends_at > self.now:
            pass  # still ahead: confirmed, nobody has checked in yet
        elif draw < CANCELLED_SHARE:
            cancelled_at = starts_at - timedelta(hours=rng.randint(1, 48))
            row |= {"status": BookingStatus.CANCELLED, "cancelled_at": cancelled_at}
            row |= {"sequence": 1, "updated_at": cancelled_at}
            row["created_at"] = min(created_at, cancelled_at - timedelta(hours=1))
        elif draw < CANCELLED_SHARE + NO_SHOW_SHARE:
            if self.hub.release_no_shows:
                released_at = min(starts_at + self.grace, ends_at)
                row |= {"status": BookingStatus.RELEASED, "released_at": released_at}
                row |= {"sequence": 1, "updated_at": released_at}
        elif (
            draw < CANCELLED_SHARE + NO_SHOW_SHARE + DROP_IN_SHARE and space.kind == SpaceKind.DESK
        ):
            row |= {"source": BookingSource.DROP_IN, "checked_in_at": starts_at}
            row |= {"created_at": starts_at, "updated_at": starts_at}
        else:
            late = timedelta(minutes=rng.randint(-10, 25))
            checked_in_at = min(starts_at + late, ends_at - timedelta(minutes=1))
            row |= {"checked_in_at": checked_in_at, "updated_at": max(created_at, checked_in_at)}
        self.rows.append(row)


def _existing(hub: Hub, first: date, last: date) -> dict[date, _Calendar]:
    """The active bookings already in the range, so generated ones go around them."""
    zone = ZoneInfo(hub.timezone)
    start = datetime.combine(first, time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    calendars: dict[date, _Calendar] = {}
    rows = db.session.execute(
        sa.select(Booking.space_id, Booking.starts_at, Booking.ends_at).where(
            Booking.hub_id == hub.id,
            Booking.status.in_([str(s) for s in ACTIVE_STATUSES]),
            Booking.ends_at > start,
            Booking.starts_at < end,
        )
    )
    for space_id, starts_at, ends_at in rows:
        day = starts_at.astimezone(zone).date()
        while day <= ends_at.astimezone(zone).date():
            calendars.setdefault(day, _Calendar()).take(space_id, starts_at, ends_at)
            day += timedelta(days=1)
    return calendars


def _middle(span: tuple[datetime, datetime]) -> datetime:
    """Where morning ends and afternoon begins: the middle, down to the 15-minute grid."""
    middle = span[0] + (span[1] - span[0]) / 2
    return span[0] + ((middle - span[0]) // GRID) * GRID


def _places_of_the_day(
    maker: _Maker,
    span: tuple[datetime, datetime],
    places: list[Space],
    people: list[Person],
    factor: float,
    calendar: _Calendar,
) -> None:
    rng = maker.rng
    visitors = [p for p in people if rng.random() < p.rate * factor]
    rng.shuffle(visitors)
    middle = _middle(span)
    for person in visitors:
        shape = rng.random()
        if shape < 0.72:
            starts_at, ends_at = span
        elif shape < 0.88:
            starts_at, ends_at = span[0], middle
        else:
            starts_at, ends_at = middle, span[1]
        order = sorted(places, key=lambda s: (s.kind != person.prefers, rng.random()))
        for space in order:
            if calendar.free(space.id, starts_at, ends_at):
                calendar.take(space.id, starts_at, ends_at)
                maker.add(person, space, starts_at, ends_at)
                break


def _rooms_of_the_day(
    maker: _Maker,
    span: tuple[datetime, datetime],
    rooms: list[Space],
    people: list[Person],
    factor: float,
    calendar: _Calendar,
) -> None:
    rng = maker.rng
    half_hours = int((span[1] - span[0]) / timedelta(minutes=30))
    for index, room in enumerate(rooms):
        wanted = 3.0 if index == 0 else 1.8
        for _attempt in range(round(wanted * factor * rng.uniform(0.4, 1.6))):
            length = rng.choice((2, 2, 3, 4, 4, 6))  # half hours: 1 to 3 hours
            if length > half_hours:
                continue
            starts_at = span[0] + timedelta(minutes=30 * rng.randint(0, half_hours - length))
            ends_at = starts_at + timedelta(minutes=30 * length)
            if not calendar.free(room.id, starts_at, ends_at):
                continue
            calendar.take(room.id, starts_at, ends_at)
            participants = rng.randint(min(2, room.capacity), max(1, room.capacity))
            title = rng.choice(MEETING_TITLES)
            person = rng.choice(people)
            maker.add(person, room, starts_at, ends_at, participants=participants, title=title)


def _event_days(
    first: date, last: date, weekly: Any, timezone: str, closed: set[date]
) -> dict[date, EventKind]:
    """A lunch talk in the second week of each month but July; a gathering each quarter."""
    result: dict[date, EventKind] = {}
    month = date(first.year, first.month, 1)
    while month <= last:
        if month.month != 7:
            # the first open Wednesday, Tuesday or Thursday from the 8th
            lunch = _first_open(month.replace(day=8), {2, 1, 3}, weekly, timezone, closed)
            if lunch is not None and first <= lunch <= last:
                result[lunch] = EventKind.FAGLUNSJ
        if month.month in (2, 5, 9, 11):
            gathering = _first_open(month.replace(day=15), {3}, weekly, timezone, closed)
            if gathering is not None and first <= gathering <= last:
                result[gathering] = EventKind.FAGSAMLING
        month = (month + timedelta(days=32)).replace(day=1)
    return result


def _first_open(
    start: date, weekdays: set[int], weekly: Any, timezone: str, closed: set[date]
) -> date | None:
    for offset in range(14):
        day = start + timedelta(days=offset)
        if day.weekday() in weekdays and opening.is_open_day(day, weekly, closed):
            return day
    return None


def _event(
    maker: _Maker,
    kind: EventKind,
    day: date,
    span: tuple[datetime, datetime],
    room: Space,
    people: list[Person],
    organizations: list[Organization],
    calendar: _Calendar,
) -> None:
    """The event with its attendance, and its booking of the largest meeting room."""
    rng = maker.rng
    zone = ZoneInfo(maker.hub.timezone)
    if kind == EventKind.FAGLUNSJ:
        title = f"Faglunsj: {rng.choice(LUNCH_TOPICS)}"
        starts_at = datetime.combine(day, time(11, 0), tzinfo=zone).astimezone(UTC)
        ends_at = datetime.combine(day, time(12, 30), tzinfo=zone).astimezone(UTC)
        starts_at, ends_at = max(starts_at, span[0]), min(ends_at, span[1])
        sizes = (2, 6, 1, 4)
    else:
        title = f"Fagsamling {MONTHS[day.month - 1]} {day.year}"
        starts_at, ends_at = span
        sizes = (4, 9, 2, 8)
    lowest, highest, fewest, most = sizes
    count = min(len(organizations), rng.randint(lowest, highest))
    chosen = rng.sample(organizations, count) if count else []
    attendance = [
        {"organization_id": org.id, "attendees": rng.randint(fewest, most)} for org in chosen
    ]
    use_room = starts_at < ends_at and calendar.free(room.id, starts_at, ends_at)
    events.create_event(
        maker.hub,
        {
            "kind": kind,
            "title": title,
            "on_date": day,
            "space_id": room.id if use_room else None,
            "attendance": attendance,
        },
        None,
    )
    if use_room:
        calendar.take(room.id, starts_at, ends_at)
        host = rng.choice(people)
        participants = min(room.capacity, sum(row["attendees"] for row in attendance)) or None
        maker.add(
            host, room, starts_at, ends_at, participants=participants, title=title, certain=True
        )


@dataclass(frozen=True, slots=True)
class HubHistory:
    slug: str
    first: date
    last: date
    bookings: int | None  # None: skipped, the hub already had bookings then


def demo_history(slugs: list[str], days: int | None = None, seed: int = 2026) -> list[HubHistory]:
    """A year of history up to yesterday for each hub; a hub with bookings then is skipped.

    Safe to repeat: the second time every hub has bookings in the range. The
    range starts no earlier than the hub's first membership.
    """
    days = days or DEMO_DAYS
    results = []
    for slug in slugs:
        hub = spaces.get_hub(slug)
        yesterday = hub.today() - timedelta(days=1)
        first = yesterday - timedelta(days=days - 1)
        started = db.session.scalar(
            sa.select(sa.func.min(Membership.starts_on)).where(Membership.hub_id == hub.id)
        )
        if started is not None:
            first = max(first, started)
        if first > yesterday:
            results.append(HubHistory(slug, first, yesterday, 0))
            continue
        zone = ZoneInfo(hub.timezone)
        start = datetime.combine(first, time(0), tzinfo=zone).astimezone(UTC)
        end = datetime.combine(yesterday + timedelta(days=1), time(0), tzinfo=zone)
        has_bookings = db.session.scalar(
            sa.select(Booking.id)
            .where(
                Booking.hub_id == hub.id,
                Booking.starts_at >= start,
                Booking.starts_at < end.astimezone(UTC),
            )
            .limit(1)
        )
        made = None if has_bookings else generate_history(hub, first, yesterday, seed)
        results.append(HubHistory(slug, first, yesterday, made))
    return results
