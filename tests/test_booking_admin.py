"""The host's booking tools: today's list with check-in, the QR sign, the new rule fields."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from hub.accounts.models import Role
from hub.booking import service
from hub.extensions import db

NOW = datetime(2030, 1, 7, 7, 10, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def test_admin_checks_a_person_in_from_the_day_list(client, login, make_hub, make_space, make_user):
    hub = make_hub()
    desk = make_space(hub, name="Pult 9")
    person = make_user(name="Kari Nordmann")
    booking = service.create_booking(
        person,
        desk,
        datetime(2030, 1, 7, 7, tzinfo=UTC),
        datetime(2030, 1, 7, 15, tzinfo=UTC),
        now=datetime(2030, 1, 6, tzinfo=UTC),
    )
    db.session.commit()
    login(make_user(hub=hub, role=Role.ADMIN))
    page = client.get(f"/admin/hubs/{hub.slug}/bookings?date=2030-01-07")
    assert page.status_code == 200 and "Kari Nordmann" in page.get_data(as_text=True)
    back = f"/admin/hubs/{hub.slug}/bookings?date=2030-01-07"
    response = client.post(f"/bookings/{booking.id}/check-in", data={"next": back})
    assert response.status_code == 302 and response.headers["Location"].endswith(back)
    db.session.expire_all()
    assert booking.checked_in_at is not None


def test_check_in_never_redirects_off_site(client, login, make_hub, make_space, make_user):
    hub = make_hub()
    person = make_user()
    booking = service.create_booking(
        person,
        make_space(hub),
        datetime(2030, 1, 7, 7, tzinfo=UTC),
        datetime(2030, 1, 7, 15, tzinfo=UTC),
        now=datetime(2030, 1, 6, tzinfo=UTC),
    )
    db.session.commit()
    login(person)
    response = client.post(
        f"/bookings/{booking.id}/check-in", data={"next": "https://evil.example/"}
    )
    assert response.headers["Location"].endswith("/bookings")


def test_printable_sign_has_the_short_link_and_a_qr_code(
    client, login, make_hub, make_space, make_user
):
    hub = make_hub()
    desk = make_space(hub, name="Pult 4")
    login(make_user(hub=hub, role=Role.ADMIN))
    html = client.get(f"/admin/hubs/{hub.slug}/spaces/{desk.id}/sign").get_data(as_text=True)
    assert f"/s/{desk.checkin_code}" in html and "<svg" in html and "Pult 4" in html
    client.post("/logout")
    login(make_user(hub=hub, role=Role.MEMBER))
    assert client.get(f"/admin/hubs/{hub.slug}/spaces/{desk.id}/sign").status_code == 403


def test_hub_form_sets_the_guest_quota_and_space_form_approval(
    client, login, make_hub, make_space, make_user
):
    hub = make_hub()
    room = make_space(hub, name="Rom", kind="meeting_room", capacity=4)
    login(make_user(hub=hub, role=Role.ADMIN))
    edit = client.get(f"/admin/hubs/{hub.slug}/edit").get_data(as_text=True)
    assert 'name="guest_days_per_week"' in edit
    space_page = client.get(f"/admin/hubs/{hub.slug}/spaces/{room.id}").get_data(as_text=True)
    assert 'name="requires_approval"' in space_page
    response = client.post(
        f"/admin/hubs/{hub.slug}/spaces/{room.id}",
        data={
            "name": "Rom",
            "kind": "meeting_room",
            "capacity": "4",
            "bookable": "y",
            "active": "y",
            "requires_approval": "y",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert room.requires_approval is True
