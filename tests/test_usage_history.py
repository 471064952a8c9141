"""Generated demo history: plausible, deterministic, within the rules, counted in the roll-up."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from test_usage_rollup import snapshot

from hub.accounts import service as accounts
from hub.accounts.models import HubRole, Role, User
from hub.booking.models import Booking, BookingSource, BookingStatus
from hub.extensions import db
from hub.spaces import opening
from hub.spaces import service as spaces
from hub.spaces.models import Hub
from hub.usage import history, rollup
from hub.usage.models import Event, EventKind, UsageDay

FIRST, LAST = date(2025, 1, 6), date(2025, 2, 4)  # a Monday; 30 days, all in the past
CLOSED = date(2025, 1, 17)  # a Friday the hub is closed
OSLO = ZoneInfo("Europe/Oslo")


@pytest.fixture
def small(make_hub, make_space, make_org, make_user) -> Hub:
    hub = make_hub(slug="lillehub", name="Lillehub")
    for name, kind, capacity in (
        ("Pult 1", "desk", 1),
        ("Pult 2", "desk", 1),
        ("Celle 1", "cell", 1),
        ("Møterom", "meeting_room", 6),
    ):
        make_space(hub, name=name, kind=kind, capacity=capacity)
    make_space(hub, name="Gammel pult", kind="desk", active=False)
    make_space(hub, name="Kjøkken", kind="common_area", capacity=0)
    kommune = make_org(name="Lillevik kommune", kind="municipality")
    nav = make_org(name="Arbeids- og velferdsetaten", short_name="NAV")
    skatt = make_org(name="Skatteetaten")
    for org, kind in ((kommune, "host"), (nav, "partner"), (skatt, "partner")):
        accounts.create_membership(
            hub, {"organization_id": org.id, "kind": kind, "starts_on": date(2024, 1, 1)}
        )
    spaces.add_closure(hub, CLOSED, "Personalseminar")
    db.session.commit()
    make_user(hub=hub, role=Role.ADMIN, home_organization=kommune, password=None)
    return hub


def bookings(hub: Hub) -> list[Booking]:
    return list(
        db.session.scalars(
            sa.select(Booking).where(Booking.hub_id == hub.id).order_by(Booking.starts_at)
        )
    )


def signature(hub: Hub) -> list[tuple]:
    return [
        (b.space.name, b.starts_at, b.ends_at, str(b.status), b.user.email, b.title)
        for b in bookings(hub)
    ]


def test_same_seed_gives_the_same_history(small):
    made = history.generate_history(small, FIRST, LAST, seed=7)
    first_run = signature(small)
    db.session.rollback()
    again = history.generate_history(small, FIRST, LAST, seed=7)

    assert made == again == len(first_run) > 50
    assert signature(small) == first_run
    db.session.rollback()
    assert signature(small) == []
    history.generate_history(small, FIRST, LAST, seed=8)
    assert signature(small) != first_run


def test_history_keeps_the_rules(small):
    made = history.generate_history(small, FIRST, LAST)
    db.session.commit()
    rows = bookings(small)
    assert len(rows) == made

    weekly = spaces.weekly_hours(small)
    for b in rows:
        day = b.starts_at.astimezone(OSLO).date()
        assert FIRST <= day <= LAST
        assert opening.is_open_day(day, weekly, {CLOSED}), b
        start, end = opening.opening_interval(day, weekly, "Europe/Oslo", {CLOSED})
        assert start <= b.starts_at < b.ends_at <= end
        assert b.space.active and b.space.bookable
        assert b.organization_id == b.user.home_organization_id
        if b.status == BookingStatus.RELEASED:
            assert b.released_at and b.checked_in_at is None
        elif b.status == BookingStatus.CANCELLED:
            assert b.cancelled_at and b.cancelled_at < b.starts_at
        if b.space.kind == "meeting_room":
            assert 1 <= b.participants <= b.space.capacity and b.title
    # No two bookings of one space overlap, whatever their status.
    by_space: dict[int, list[Booking]] = {}
    for b in rows:
        by_space.setdefault(b.space_id, []).append(b)
    for space_rows in by_space.values():
        for before, after in pairwise(space_rows):
            assert before.ends_at <= after.starts_at, (before, after)

    statuses = Counter(b.status for b in rows)
    confirmed = [b for b in rows if b.status == BookingStatus.CONFIRMED]
    assert statuses[BookingStatus.RELEASED] >= 1
    assert sum(b.checked_in_at is not None for b in confirmed) / len(confirmed) > 0.9
    assert {b.space.kind for b in rows} == {"desk", "cell", "meeting_room"}
    weekdays = Counter(b.starts_at.astimezone(OSLO).weekday() for b in rows)
    assert weekdays[2] > weekdays[4]  # Wednesdays are busier than Fridays
    assert Counter(b.source for b in rows)[BookingSource.WEB] > len(rows) / 2

    # The monthly lunch talk, with several organizations.
    [lunch] = db.session.scalars(sa.select(Event).where(Event.hub_id == small.id))
    assert lunch.kind == EventKind.FAGLUNSJ and lunch.on_date == date(2025, 1, 8)
    assert len(lunch.attendance) >= 2 and lunch.space_id is not None


def test_people_are_topped_up_with_demo_people(small):
    history.generate_history(small, FIRST, LAST)
    db.session.commit()

    people = list(
        db.session.scalars(
            sa.select(User).join(HubRole).where(HubRole.hub_id == small.id).distinct()
        )
    )
    demo = [u for u in people if u.email.startswith("demo.person")]
    assert len(people) == history.MIN_PEOPLE and len(demo) == history.MIN_PEOPLE - 1
    assert "demo.person1@nav.demo.example" in {u.email for u in demo}
    assert all(u.password_hash is None for u in demo)
    assert len({u.home_organization_id for u in demo}) == 3
    # A second range finds them instead of making more.
    history.generate_history(small, LAST + timedelta(days=1), LAST + timedelta(days=7))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == len(people)


def test_roll_up_matches_the_bookings_and_a_rebuild(small):
    history.generate_history(small, FIRST, LAST)
    db.session.commit()
    generated = snapshot()

    counted = db.session.scalar(
        sa.select(sa.func.sum(UsageDay.bookings)).where(UsageDay.hub_id == small.id)
    )
    booked = [
        b for b in bookings(small) if b.status in (BookingStatus.CONFIRMED, BookingStatus.RELEASED)
    ]
    assert counted == len(booked)
    rollup.rebuild(db.session, small.id, FIRST - timedelta(days=1), LAST + timedelta(days=1))
    db.session.commit()
    assert snapshot() == generated and generated["presence"]


def test_demo_history_twice_does_not_double(app, monkeypatch):
    monkeypatch.setattr(history, "DEMO_DAYS", 10)
    runner = app.test_cli_runner()

    first = runner.invoke(args=["hub", "demo", "--history"])
    assert first.exit_code == 0, first.output
    made = db.session.scalar(sa.select(sa.func.count()).select_from(Booking))
    second = runner.invoke(args=["hub", "demo", "--history"])

    assert second.exit_code == 0, second.output
    assert "regionlab-lister: made" in first.output and "bookings from" in first.output
    assert "already has bookings" in second.output and ": made" not in second.output
    assert made > 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Booking)) == made
