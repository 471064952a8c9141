"""Booking through the pages: availability, book, my bookings, cancel, check in, drop in."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
import time_machine

from hub.booking.models import Booking, BookingStatus
from hub.extensions import db

# Friday 4 January 2030 at 09:00 in Oslo (08:00 UTC); Monday 7 January is a normal workday.
NOW = datetime(2030, 1, 4, 8, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def lister(make_hub, make_space):
    hub = make_hub(slug="regionlab-lister", name="RegionLab Lister")
    spaces = {
        "desk": make_space(hub, name="Pult 1", kind="desk"),
        "cell": make_space(hub, name="Cellekontor 1", kind="cell"),
        "room": make_space(hub, name="Møterom Lista", kind="meeting_room", capacity=6),
    }
    return hub, spaces


def bookings() -> list[Booking]:
    db.session.commit()
    return list(db.session.scalars(sa.select(Booking).order_by(Booking.starts_at)))


def test_book_a_desk_for_a_full_day(client, login, make_user, lister):
    hub, spaces = lister
    user = make_user()
    login(user)
    url = f"/hubs/{hub.slug}/book/{spaces['desk'].id}"
    assert client.get(url + "?date=2030-01-07").status_code == 200
    response = client.post(
        url,
        data={
            "part": "day",
            "first_day": "2030-01-07",
            "organization_id": user.home_organization_id,
        },
    )
    assert response.status_code == 302
    [booking] = bookings()
    # 08:00-16:00 in Oslo in winter is 07:00-15:00 UTC.
    assert (booking.starts_at, booking.ends_at) == (
        datetime(2030, 1, 7, 7, tzinfo=UTC),
        datetime(2030, 1, 7, 15, tzinfo=UTC),
    )


def test_several_days_in_one_action_skip_nothing_and_book_each_day(
    client, login, make_user, lister
):
    hub, spaces = lister
    user = make_user()
    login(user)
    response = client.post(
        f"/hubs/{hub.slug}/book/{spaces['cell'].id}",
        data={
            "part": "morning",
            "first_day": "2030-01-07",
            "last_day": "2030-01-09",
            "organization_id": user.home_organization_id,
        },
    )
    assert response.status_code == 302
    rows = bookings()
    assert [b.starts_at.day for b in rows] == [7, 8, 9]
    assert all(b.ends_at.hour == 11 for b in rows)  # morning ends 12:00 Oslo


def test_half_days_by_two_people_then_the_full_day_is_a_conflict(client, login, make_user, lister):
    hub, spaces = lister
    url = f"/hubs/{hub.slug}/book/{spaces['desk'].id}"
    first, second, third = make_user(), make_user(), make_user()
    for user, part in ((first, "morning"), (second, "afternoon")):
        login(user)
        data = {
            "part": part,
            "first_day": "2030-01-07",
            "organization_id": user.home_organization_id,
        }
        assert client.post(url, data=data).status_code == 302
        client.post("/logout")
    login(third)
    response = client.post(
        url,
        data={
            "part": "day",
            "first_day": "2030-01-07",
            "organization_id": third.home_organization_id,
        },
    )
    assert response.status_code == 409
    assert "already booked" in response.get_data(as_text=True)
    assert len(bookings()) == 2


def test_closed_day_is_refused_and_keeps_input(client, login, make_user, lister):
    hub, spaces = lister
    user = make_user()
    login(user)
    response = client.post(
        f"/hubs/{hub.slug}/book/{spaces['desk'].id}",
        data={
            "part": "day",
            "first_day": "2030-01-05",
            "organization_id": user.home_organization_id,
        },
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "closed" in html and 'value="2030-01-05"' in html
    assert bookings() == []


def test_room_needs_capacity_for_participants(client, login, make_user, lister):
    hub, spaces = lister
    user = make_user()
    login(user)
    response = client.post(
        f"/hubs/{hub.slug}/book/{spaces['room'].id}",
        data={
            "day": "2030-01-07",
            "start": "09:00",
            "end": "10:30",
            "participants": "9",
            "organization_id": user.home_organization_id,
        },
    )
    assert response.status_code == 422
    assert "room for 6 people" in response.get_data(as_text=True)
    assert bookings() == []


def test_availability_shows_agency_and_names_only_when_allowed(
    client, login, make_user, make_org, lister
):
    from hub.accounts.models import Role
    from hub.booking import service

    hub, spaces = lister
    nav = make_org(name="Arbeids- og velferdsetaten", short_name="NAV")
    shy = make_user(name="Kari Nordmann", home_organization=nav, hub=hub, role=Role.MEMBER)
    open_person = make_user(
        name="Ola Nordmann", home_organization=nav, hub=hub, role=Role.MEMBER, share_name=True
    )
    service.create_booking(
        shy,
        spaces["desk"],
        datetime(2030, 1, 7, 7, tzinfo=UTC),
        datetime(2030, 1, 7, 15, tzinfo=UTC),
    )
    service.create_booking(
        open_person,
        spaces["cell"],
        datetime(2030, 1, 7, 7, tzinfo=UTC),
        datetime(2030, 1, 7, 11, tzinfo=UTC),
    )
    db.session.commit()

    anonymous = client.get(f"/hubs/{hub.slug}/availability?date=2030-01-07").get_data(as_text=True)
    assert (
        "NAV" in anonymous and "Ola Nordmann" not in anonymous and "Kari Nordmann" not in anonymous
    )

    login(make_user(hub=hub, role=Role.MEMBER))
    member = client.get(f"/hubs/{hub.slug}/availability?date=2030-01-07").get_data(as_text=True)
    assert "Ola Nordmann" in member and "Kari Nordmann" not in member
    week = client.get(f"/hubs/{hub.slug}/availability?date=2030-01-09&view=week&kind=desk")
    assert week.status_code == 200 and "Pult 1" in week.get_data(as_text=True)
    assert "Møterom Lista" not in week.get_data(as_text=True)


def test_my_bookings_cancel_and_check_in(client, login, make_user, lister):
    from hub.booking import service

    _hub, spaces = lister
    user = make_user()
    earlier = datetime(2030, 1, 3, 12, tzinfo=UTC)
    today = service.create_booking(
        user,
        spaces["desk"],
        datetime(2030, 1, 4, 7, tzinfo=UTC),
        datetime(2030, 1, 4, 15, tzinfo=UTC),
        now=earlier,
    )
    later = service.create_booking(
        user,
        spaces["cell"],
        datetime(2030, 1, 7, 7, tzinfo=UTC),
        datetime(2030, 1, 7, 15, tzinfo=UTC),
    )
    db.session.commit()
    login(user)
    page = client.get("/bookings").get_data(as_text=True)
    assert "Pult 1" in page and "Cellekontor 1" in page
    assert client.post(f"/bookings/{today.id}/check-in").status_code == 302
    assert client.post(f"/bookings/{later.id}/cancel").status_code == 302
    db.session.expire_all()
    assert today.checked_in_at is not None
    assert later.status == BookingStatus.CANCELLED
    # Someone else's booking is not found.
    client.post("/logout")
    login(make_user())
    assert client.post(f"/bookings/{today.id}/cancel").status_code == 404


def test_drop_in_from_the_sign_books_the_rest_of_the_day(client, login, make_user, lister):
    _hub, spaces = lister
    user = make_user()
    login(user)
    code = spaces["desk"].checkin_code
    assert client.get(f"/s/{code}").status_code == 200
    assert client.post(f"/s/{code}").status_code == 302
    [booking] = bookings()
    assert booking.checked_in_at is not None and booking.source == "drop_in"
    assert booking.ends_at == datetime(2030, 1, 4, 15, tzinfo=UTC)
    assert client.get("/s/NOSUCHCODE").status_code == 404


def test_booking_billed_to_a_project_the_person_works_for(
    client, login, make_user, make_org, lister
):
    from hub.accounts import service as accounts

    hub, spaces = lister
    project = make_org(name="Stimulab", kind="project")
    other_project = make_org(name="Annet prosjekt", kind="project")
    user = make_user()
    accounts.update_user(user, {"project_organization_ids": [project.id]})
    db.session.commit()
    login(user)
    url = f"/hubs/{hub.slug}/book/{spaces['desk'].id}"
    assert "Stimulab" in client.get(url + "?date=2030-01-07").get_data(as_text=True)
    refused = client.post(
        url, data={"part": "day", "first_day": "2030-01-07", "organization_id": other_project.id}
    )
    assert refused.status_code == 422 and bookings() == []
    response = client.post(
        url, data={"part": "day", "first_day": "2030-01-07", "organization_id": project.id}
    )
    assert response.status_code == 302
    [booking] = bookings()
    assert booking.organization_id == project.id


def test_admin_sets_the_projects_a_person_works_for(
    client, login, make_user, make_org, system_admin
):
    project = make_org(name="Bærekraftig landbruk i Lister", kind="project")
    person = make_user()
    login(system_admin)
    page = client.get(f"/admin/users/{person.id}").get_data(as_text=True)
    assert "Bærekraftig landbruk i Lister" in page
    response = client.post(
        f"/admin/users/{person.id}",
        data={
            "name": person.name,
            "email": person.email,
            "home_organization_id": person.home_organization_id,
            "language": "nb",
            "active": "y",
            "project_organization_ids": [str(project.id)],
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert [o.name for o in person.project_organizations] == ["Bærekraftig landbruk i Lister"]
