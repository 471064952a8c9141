"""A small busy hub for usage tests: two agencies, three spaces, one week of use."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from hub.accounts.models import Role
from hub.booking import service
from hub.extensions import db
from hub.spaces import service as spaces
from hub.usage.models import Event, EventAttendance

# Week 2 of 2030: Monday 7 January to Friday 11 January, 08:00-16:00 in Oslo (UTC+1).
MONDAY = date(2030, 1, 7)
BEFORE = datetime(2030, 1, 6, 12, tzinfo=UTC)


def at(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour - 1, tzinfo=UTC)


@pytest.fixture
def busy_hub(make_hub, make_space, make_org, make_user):
    """Two agencies, a desk, a cell and a room; Tuesday the hub was closed."""
    hub = make_hub(municipality="Lyngdal")
    spaces.add_closure(hub, MONDAY + timedelta(days=1), "Stengt")
    desk, cell = make_space(hub, kind="desk"), make_space(hub, kind="cell")
    room = make_space(hub, kind="meeting_room", capacity=8)
    nav = make_org(name="NAV Lister", home_office="Lyngdal")
    tax = make_org(name="Skatteetaten", home_office="Kristiansand")
    kari = make_user(home_organization=nav, hub=hub, role=Role.MEMBER)
    ola = make_user(home_organization=tax, hub=hub, role=Role.MEMBER)
    per = make_user(home_organization=tax, hub=hub, role=Role.MEMBER)
    wednesday, thursday = MONDAY + timedelta(days=2), MONDAY + timedelta(days=3)
    for day in (MONDAY, wednesday):
        booking = service.create_booking(kari, desk, at(day, 8), at(day, 16), now=BEFORE)
        service.check_in(booking, kari, now=at(day, 8))
    service.create_booking(ola, cell, at(MONDAY, 8), at(MONDAY, 12), now=BEFORE)  # half, unused
    meeting = service.create_booking(per, room, at(wednesday, 9), at(wednesday, 11), now=BEFORE)
    service.check_in(meeting, per, now=at(wednesday, 9))
    service.create_booking(ola, desk, at(thursday, 8), at(thursday, 16), now=BEFORE)
    event = Event(
        hub_id=hub.id, space_id=room.id, kind="faglunsj", title="Faglunsj", on_date=wednesday
    )
    event.attendance = [
        EventAttendance(organization_id=nav.id, attendees=4),
        EventAttendance(organization_id=tax.id, attendees=6),
    ]
    db.session.add(event)
    db.session.commit()
    return {"hub": hub, "nav": nav, "tax": tax, "kari": kari, "ola": ola, "per": per}
