"""Events (arrangementer) with attendance per organization: service, admin pages and API."""

from __future__ import annotations

import html
from datetime import date, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from db_support import count
from flask import url_for

from hub.accounts.models import Organization, Role
from hub.errors import NotFound, ValidationFailed
from hub.extensions import db
from hub.spaces.models import Hub, Space
from hub.usage import events as service
from hub.usage.models import Event, EventAttendance, EventKind


def text(response: Any) -> str:
    return html.unescape(response.get_data(as_text=True))


def attendance_of(event_id: int) -> dict[int, int]:
    """What the database holds for the event: organization id -> attendees."""
    rows = db.session.execute(
        sa.select(EventAttendance.organization_id, EventAttendance.attendees).where(
            EventAttendance.event_id == event_id
        )
    )
    return dict(rows.tuples().all())


@pytest.fixture
def hub(make_hub: Any) -> Hub:
    return make_hub(slug="regionlab-lister", name="RegionLab Lister")


@pytest.fixture
def other_hub(make_hub: Any) -> Hub:
    return make_hub(slug="sentrumsgarden", name="Sentrumsgården")


@pytest.fixture
def room(hub: Hub, make_space: Any) -> Space:
    return make_space(hub, name="Møterom Lista", kind="meeting_room", capacity=12)


@pytest.fixture
def nav(make_org: Any) -> Organization:
    return make_org(name="NAV Lister", short_name="NAV")


@pytest.fixture
def skatt(make_org: Any) -> Organization:
    return make_org(name="Skatteetaten")


@pytest.fixture
def make_event(app: Any) -> Any:
    def make(hub: Hub, **values: Any) -> Event:
        data = {
            "kind": "faglunsj",
            "title": "Faglunsj om KI",
            "on_date": date(2026, 3, 12),
            "attendance": [],
        } | values
        event = service.create_event(hub, data, None)
        db.session.commit()
        return event

    return make


# --- service -------------------------------------------------------------------------


def test_create_event_stores_attendance_per_organization(hub, room, nav, skatt, make_user):
    admin = make_user(hub=hub, role=Role.ADMIN)

    event = service.create_event(
        hub,
        {
            "kind": "fagsamling",
            "title": "  Fagsamling digitalisering  ",
            "on_date": date(2026, 4, 2),
            "space_id": room.id,
            "attendance": [
                {"organization_id": nav.id, "attendees": 5},
                {"organization_id": skatt.id, "attendees": 3},
            ],
        },
        admin,
    )
    db.session.commit()

    db.session.expire_all()
    stored = db.session.get(Event, event.id)
    assert (stored.hub_id, stored.kind, stored.title, stored.on_date) == (
        hub.id,
        EventKind.FAGSAMLING,
        "Fagsamling digitalisering",
        date(2026, 4, 2),
    )
    assert (stored.space_id, stored.created_by_id) == (room.id, admin.id)
    assert attendance_of(event.id) == {nav.id: 5, skatt.id: 3}
    assert stored.total_attendees == 8


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"title": ""}, {"title"}),
        ({"title": "   "}, {"title"}),
        ({"title": "x" * 201}, {"title"}),
        ({"title": None}, {"title"}),
        ({"on_date": None}, {"on_date"}),
        ({"on_date": "2026-03-12"}, {"on_date"}),
        ({"on_date": datetime(2026, 3, 12, 12)}, {"on_date"}),
        ({"kind": "party"}, {"kind"}),
        ({"space_id": 0}, {"space_id"}),
        ({"space_id": "1"}, {"space_id"}),
        ({"attendance": "NAV"}, {"attendance"}),
        (
            {"attendance": [{"organization_id": 999_999, "attendees": 2}]},
            {"attendance.0.organization_id"},
        ),
        (
            {"attendance": [{"organization_id": None, "attendees": 2}]},
            {"attendance.0.organization_id"},
        ),
        (
            {"attendance": [{"organization_id": 2**70, "attendees": 2}]},
            {"attendance.0.organization_id"},
        ),
        (
            {"attendance": [{"attendees": 0}]},
            {"attendance.0.organization_id", "attendance.0.attendees"},
        ),
        ({"attendance": ["NAV"]}, {"attendance.0"}),
    ],
)
def test_invalid_event_is_refused_and_changes_nothing(hub, nav, changes, fields):
    values = {"kind": "workshop", "title": "Workshop", "on_date": date(2026, 3, 12)} | changes

    with pytest.raises(ValidationFailed) as caught:
        service.create_event(hub, values, None)

    assert set(caught.value.errors) == fields
    db.session.rollback()
    assert count(Event) == 0


@pytest.mark.parametrize("attendees", [0, -3, None, "4", 2.0, True, 100_001])
def test_attendees_must_be_a_whole_number_of_one_or_more(hub, nav, attendees):
    values = {
        "kind": "meeting",
        "title": "Møte",
        "on_date": date(2026, 3, 12),
        "attendance": [{"organization_id": nav.id, "attendees": attendees}],
    }

    with pytest.raises(ValidationFailed) as caught:
        service.create_event(hub, values, None)

    assert set(caught.value.errors) == {"attendance.0.attendees"}


def test_every_problem_is_reported_at_once(hub, other_hub, make_space, nav, skatt):
    elsewhere = make_space(other_hub, kind="meeting_room", capacity=4)

    with pytest.raises(ValidationFailed) as caught:
        service.create_event(
            hub,
            {
                "kind": "faglunsj",
                "title": "",
                "on_date": None,
                "space_id": elsewhere.id,
                "attendance": [
                    {"organization_id": nav.id, "attendees": 4},
                    {"organization_id": skatt.id, "attendees": 0},
                    {"organization_id": nav.id, "attendees": 2},
                ],
            },
            None,
        )

    assert set(caught.value.errors) == {
        "title",
        "on_date",
        "space_id",
        "attendance.1.attendees",
        "attendance.2.organization_id",
    }
    assert "already listed" in caught.value.errors["attendance.2.organization_id"][0]
    db.session.rollback()
    assert (count(Event), count(EventAttendance)) == (0, 0)


def test_any_space_of_the_hub_is_accepted_and_can_be_cleared(hub, make_space, make_event):
    lounge = make_space(hub, name="Kantina", kind="common_area", capacity=30)
    event = make_event(hub, space_id=lounge.id)
    assert event.space_id == lounge.id

    service.update_event(event, {"space_id": None})
    db.session.commit()

    db.session.expire_all()
    assert db.session.get(Event, event.id).space_id is None


def test_update_replaces_attendance_and_keeps_what_is_not_given(
    hub, nav, skatt, make_org, make_event
):
    kommune = make_org(name="Lyngdal kommune", kind="municipality")
    event = make_event(
        hub,
        attendance=[
            {"organization_id": nav.id, "attendees": 4},
            {"organization_id": skatt.id, "attendees": 2},
        ],
    )

    service.update_event(
        event,
        {
            "attendance": [
                {"organization_id": kommune.id, "attendees": 7},
                {"organization_id": nav.id, "attendees": 6},
            ]
        },
    )
    db.session.commit()
    assert attendance_of(event.id) == {nav.id: 6, kommune.id: 7}

    service.update_event(event, {"title": "Faglunsj om KI i forvaltningen"})
    db.session.commit()

    db.session.expire_all()
    stored = db.session.get(Event, event.id)
    assert (stored.title, stored.kind, stored.on_date) == (
        "Faglunsj om KI i forvaltningen",
        EventKind.FAGLUNSJ,
        date(2026, 3, 12),
    )
    assert attendance_of(event.id) == {nav.id: 6, kommune.id: 7}


def test_invalid_update_changes_nothing(hub, nav, make_event):
    event = make_event(hub, attendance=[{"organization_id": nav.id, "attendees": 4}])

    with pytest.raises(ValidationFailed):
        service.update_event(
            event,
            {"title": "Nytt navn", "attendance": [{"organization_id": nav.id, "attendees": 0}]},
        )
    db.session.rollback()

    db.session.expire_all()
    assert db.session.get(Event, event.id).title == "Faglunsj om KI"
    assert attendance_of(event.id) == {nav.id: 4}


def test_list_events_newest_first_within_dates_of_one_hub(hub, other_hub, make_event):
    old = make_event(hub, title="Gammel", on_date=date(2025, 11, 5))
    new = make_event(hub, title="Ny", on_date=date(2026, 2, 1))
    newest = make_event(hub, title="Nyest", on_date=date(2026, 5, 20))
    make_event(other_hub, title="Annen hub", on_date=date(2026, 3, 1))

    assert [e.id for e in service.list_events(hub)] == [newest.id, new.id, old.id]
    assert [e.id for e in service.list_events(hub, date(2026, 1, 1), date(2026, 2, 1))] == [new.id]
    assert service.event_years(hub) == [2026, 2025]


def test_get_event_of_another_hub_is_not_found(hub, other_hub, make_event):
    event = make_event(other_hub)

    with pytest.raises(NotFound):
        service.get_event(hub, event.id)
    assert service.get_event(other_hub, event.id) is event


def test_deleting_an_event_deletes_its_attendance(hub, nav, make_event):
    event = make_event(hub, attendance=[{"organization_id": nav.id, "attendees": 4}])

    service.delete_event(event)
    db.session.commit()

    assert (count(Event), count(EventAttendance)) == (0, 0)
    assert db.session.get(Organization, nav.id) is not None


# --- admin pages ---------------------------------------------------------------------

WHO = ["anonymous", "employee", "other_admin", "admin", "system_admin"]
EXPECTED = {"employee": 403, "other_admin": 403, "admin": 200, "system_admin": 200}


@pytest.fixture
def as_admin(hub: Hub, make_user: Any, login: Any) -> Hub:
    login(make_user(hub=hub, role=Role.ADMIN))
    return hub


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("endpoint", ["event_list", "event_new", "event_edit"])
def test_event_pages_need_hub_admin(
    client, hub, make_user, make_hub, login, system_admin, make_event, who, endpoint
):
    event = make_event(hub)
    ids = {"event_id": event.id} if endpoint == "event_edit" else {}
    users = {
        "employee": lambda: make_user(hub=hub, role=Role.MEMBER),
        "other_admin": lambda: make_user(hub=make_hub(), role=Role.ADMIN),
        "admin": lambda: make_user(hub=hub, role=Role.ADMIN),
        "system_admin": lambda: system_admin,
    }
    if who != "anonymous":
        login(users[who]())

    response = client.get(url_for(f"usage_events.{endpoint}", slug=hub.slug, **ids))

    if who == "anonymous":
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]
    else:
        assert response.status_code == EXPECTED[who]
        if response.status_code == 200:
            assert text(response).count("<h1") == 1


@pytest.mark.parametrize("who", ["employee", "other_admin"])
def test_non_admins_cannot_change_events(
    client, hub, make_user, make_hub, login, nav, make_event, who
):
    event = make_event(hub, attendance=[{"organization_id": nav.id, "attendees": 4}])
    user = (
        make_user(hub=hub, role=Role.MEMBER)
        if who == "employee"
        else make_user(hub=make_hub(), role=Role.ADMIN)
    )
    login(user)

    created = client.post(url_for("usage_events.event_new", slug=hub.slug), data=event_form())
    edited = client.post(
        url_for("usage_events.event_edit", slug=hub.slug, event_id=event.id),
        data=event_form(title="Endret"),
    )
    deleted = client.post(url_for("usage_events.event_delete", slug=hub.slug, event_id=event.id))

    assert (created.status_code, edited.status_code, deleted.status_code) == (403, 403, 403)
    db.session.expire_all()
    assert count(Event) == 1
    assert db.session.get(Event, event.id).title == "Faglunsj om KI"


def test_unknown_hub_is_404(client, login, system_admin):
    login(system_admin)
    assert client.get(url_for("usage_events.event_list", slug="finnes-ikke")).status_code == 404


@pytest.mark.parametrize(
    ("endpoint", "method"),
    [("event_edit", "get"), ("event_edit", "post"), ("event_delete", "post")],
)
def test_events_of_another_hub_are_404(client, as_admin, other_hub, make_event, endpoint, method):
    event = make_event(other_hub)
    url = url_for(f"usage_events.{endpoint}", slug=as_admin.slug, event_id=event.id)

    response = client.get(url) if method == "get" else client.post(url, data=event_form())

    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(Event, event.id).title == "Faglunsj om KI"


def test_unknown_event_is_404(client, as_admin):
    url = url_for("usage_events.event_edit", slug=as_admin.slug, event_id=9999)
    assert client.get(url).status_code == 404


def test_list_shows_events_newest_first_with_attendance(
    client, as_admin, room, nav, skatt, make_event
):
    hub = as_admin
    make_event(
        hub,
        kind="fagsamling",
        title="Fagsamling digitalisering",
        on_date=date(2026, 4, 2),
        space_id=room.id,
        attendance=[
            {"organization_id": nav.id, "attendees": 5},
            {"organization_id": skatt.id, "attendees": 3},
        ],
    )
    make_event(hub, title="Faglunsj i fjor", on_date=date(2025, 10, 1))

    page = text(client.get(url_for("usage_events.event_list", slug=hub.slug)))

    assert page.index("Fagsamling digitalisering") < page.index("Faglunsj i fjor")
    assert "Professional gathering" in page and "Lunch talk" in page
    assert "Møterom Lista" in page
    assert "NAV: 5" in page and "Skatteetaten: 3" in page
    assert '<option value="2026"' in page and '<option value="2025"' in page

    only_2025 = text(client.get(url_for("usage_events.event_list", slug=hub.slug, year=2025)))

    assert "Faglunsj i fjor" in only_2025 and "Fagsamling digitalisering" not in only_2025


def test_list_without_events(client, as_admin):
    page = text(client.get(url_for("usage_events.event_list", slug=as_admin.slug)))
    assert "No events yet." in page


def event_form(**changes: Any) -> dict[str, Any]:
    data = {
        "kind": "faglunsj",
        "title": "Faglunsj om KI",
        "on_date": "2026-03-12",
        "space_id": "",
    }
    for n in range(6):
        data[f"attendance_{n}_organization_id"] = ""
        data[f"attendance_{n}_attendees"] = ""
    return data | changes


def test_form_offers_rooms_kinds_and_empty_attendance_rows(client, as_admin, room, nav):
    page = text(client.get(url_for("usage_events.event_new", slug=as_admin.slug)))

    assert "Møterom Lista (Meeting room)" in page
    assert "Lunch talk" in page and "Professional gathering" in page
    assert 'name="attendance_5_organization_id"' in page
    assert 'name="attendance_6_organization_id"' not in page
    assert "NAV Lister" in page
    assert "<script" not in page and "style=" not in page


def test_admin_adds_an_event_with_two_organizations(client, as_admin, room, nav, skatt):
    hub = as_admin

    response = client.post(
        url_for("usage_events.event_new", slug=hub.slug),
        data=event_form(
            kind="workshop",
            title="Workshop tjenestedesign",
            space_id=str(room.id),
            attendance_0_organization_id=str(nav.id),
            attendance_0_attendees="6",
            attendance_2_organization_id=str(skatt.id),
            attendance_2_attendees="2",
        ),
    )

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/admin/hubs/{hub.slug}/events")
    event = db.session.scalar(sa.select(Event).where(Event.hub_id == hub.id))
    assert (event.kind, event.title, event.on_date, event.space_id) == (
        EventKind.WORKSHOP,
        "Workshop tjenestedesign",
        date(2026, 3, 12),
        room.id,
    )
    assert event.created_by_id is not None
    assert attendance_of(event.id) == {nav.id: 6, skatt.id: 2}


@pytest.mark.parametrize(
    ("changes", "field_id", "message"),
    [
        ({"title": ""}, "title", "Give the event a title"),
        ({"on_date": "12. mars"}, "on_date", "Give a date like 2025-01-31."),
        ({"kind": "fest"}, "kind", "Choose one of the listed values."),
        ({"space_id": "999999"}, "space_id", "Choose one of the listed values."),
        ({"attendance_1_attendees": "mange"}, "attendance_1_attendees", "Give a whole number"),
        ({"attendance_1_attendees": "0"}, "attendance_1_attendees", "one or more"),
        ({"attendance_1_attendees": ""}, "attendance_1_attendees", "one or more"),
        (
            {"attendance_3_organization_id": "", "attendance_3_attendees": "4"},
            "attendance_3_organization_id",
            "Choose an organization.",
        ),
    ],
)
def test_invalid_event_form_is_422_keeps_values_and_changes_nothing(
    client, as_admin, nav, skatt, changes, field_id, message
):
    data = event_form(
        title="Faglunsj om KI",
        attendance_1_organization_id=str(nav.id),
        attendance_1_attendees="5",
    )
    data |= changes

    response = client.post(url_for("usage_events.event_new", slug=as_admin.slug), data=data)

    assert response.status_code == 422
    page = text(response)
    assert 'id="error-summary"' in page
    assert f'id="{field_id}-error"' in page
    assert message in page
    assert f'<option selected value="{nav.id}">' in page or f'value="{nav.id}" selected' in page
    assert count(Event) == 0 and count(EventAttendance) == 0


def test_duplicate_organization_error_is_on_its_own_row(client, as_admin, nav):
    response = client.post(
        url_for("usage_events.event_new", slug=as_admin.slug),
        data=event_form(
            title="Møte med etatene",
            attendance_1_organization_id=str(nav.id),
            attendance_1_attendees="3",
            attendance_4_organization_id=str(nav.id),
            attendance_4_attendees="2",
        ),
    )

    assert response.status_code == 422
    page = text(response)
    assert 'id="attendance_4_organization_id-error"' in page
    assert 'id="attendance_1_organization_id-error"' not in page
    assert 'value="Møte med etatene"' in page and 'value="2"' in page
    assert count(Event) == 0


def test_admin_edits_an_event_and_its_attendance(client, as_admin, room, nav, skatt, make_event):
    hub = as_admin
    event = make_event(hub, attendance=[{"organization_id": nav.id, "attendees": 4}])
    url = url_for("usage_events.event_edit", slug=hub.slug, event_id=event.id)

    page = text(client.get(url))
    assert 'value="Faglunsj om KI"' in page and 'value="2026-03-12"' in page
    assert 'id="attendance_0_attendees"' in page and 'value="4"' in page
    assert 'name="attendance_5_organization_id"' in page  # at least six rows
    assert 'name="attendance_6_organization_id"' not in page

    response = client.post(
        url,
        data={
            "kind": "fagsamling",
            "title": "Fagsamling om KI",
            "on_date": "2026-03-13",
            "space_id": str(room.id),
            "attendance_0_organization_id": str(skatt.id),
            "attendance_0_attendees": "9",
            "attendance_1_organization_id": "",
            "attendance_1_attendees": "",
            "attendance_2_organization_id": "",
            "attendance_2_attendees": "",
            "attendance_3_organization_id": "",
            "attendance_3_attendees": "",
        },
    )

    assert response.status_code == 302
    db.session.expire_all()
    stored = db.session.get(Event, event.id)
    assert (stored.kind, stored.title, stored.on_date, stored.space_id) == (
        EventKind.FAGSAMLING,
        "Fagsamling om KI",
        date(2026, 3, 13),
        room.id,
    )
    assert attendance_of(event.id) == {skatt.id: 9}


def test_edit_page_has_empty_rows_after_many_saved_ones(client, as_admin, make_org, make_event):
    orgs = [make_org() for _ in range(7)]
    event = make_event(
        as_admin, attendance=[{"organization_id": o.id, "attendees": 1} for o in orgs]
    )
    url = url_for("usage_events.event_edit", slug=as_admin.slug, event_id=event.id)

    page = text(client.get(url))

    assert 'name="attendance_9_attendees"' in page
    assert 'name="attendance_10_attendees"' not in page

    extra = make_org(name="Statsforvalteren")
    data = event_form()
    for n, org in enumerate([*orgs, extra]):
        data[f"attendance_{n}_organization_id"] = str(org.id)
        data[f"attendance_{n}_attendees"] = "2"
    data["attendance_9_attendees"] = "x"

    invalid = client.post(url, data=data)

    assert invalid.status_code == 422
    assert 'id="attendance_9_attendees-error"' in text(invalid)
    del data["attendance_9_attendees"]

    assert client.post(url, data=data).status_code == 302
    assert attendance_of(event.id) == {org.id: 2 for org in [*orgs, extra]}


def test_invalid_edit_keeps_the_event(client, as_admin, nav, make_event):
    event = make_event(as_admin, attendance=[{"organization_id": nav.id, "attendees": 4}])

    response = client.post(
        url_for("usage_events.event_edit", slug=as_admin.slug, event_id=event.id),
        data=event_form(
            title="Endret",
            attendance_0_organization_id=str(nav.id),
            attendance_0_attendees="-1",
        ),
    )

    assert response.status_code == 422
    assert 'value="Endret"' in text(response)
    db.session.expire_all()
    assert db.session.get(Event, event.id).title == "Faglunsj om KI"
    assert attendance_of(event.id) == {nav.id: 4}


def test_admin_deletes_an_event(client, as_admin, nav, make_event):
    event = make_event(as_admin, attendance=[{"organization_id": nav.id, "attendees": 4}])

    response = client.post(
        url_for("usage_events.event_delete", slug=as_admin.slug, event_id=event.id)
    )

    assert response.status_code == 302
    assert (count(Event), count(EventAttendance)) == (0, 0)


# --- API -----------------------------------------------------------------------------


@pytest.fixture
def people(person: Any, hub: Hub, other_hub: Hub) -> dict[str, Any]:
    return {
        "system_admin": person(is_system_admin=True),
        "hub_admin": person(hub=hub, role=Role.ADMIN),
        "other_hub_admin": person(hub=other_hub, role=Role.ADMIN),
        "employee": person(hub=hub, role=Role.MEMBER),
    }


@pytest.mark.parametrize("who", ["hub_admin", "system_admin"])
def test_api_creates_lists_reads_patches_and_deletes_events(
    api, people, hub, room, nav, skatt, who
):
    admin = people[who]

    created = api(
        "POST",
        "/hubs/regionlab-lister/events",
        admin,
        json={
            "kind": "faglunsj",
            "title": "Faglunsj om KI",
            "on_date": "2026-03-12",
            "space_id": room.id,
            "attendance": [
                {"organization_id": nav.id, "attendees": 5},
                {"organization_id": skatt.id, "attendees": 3},
            ],
        },
    )

    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert (body["kind"], body["on_date"], body["space_id"], body["total_attendees"]) == (
        "faglunsj",
        "2026-03-12",
        room.id,
        8,
    )
    assert body["attendance"] == [
        {"organization_id": nav.id, "organization_name": "NAV Lister", "attendees": 5},
        {"organization_id": skatt.id, "organization_name": "Skatteetaten", "attendees": 3},
    ]
    event_id = body["id"]
    assert db.session.get(Event, event_id).created_by_id == admin.id
    assert attendance_of(event_id) == {nav.id: 5, skatt.id: 3}

    listed = api("GET", "/hubs/regionlab-lister/events", admin)
    assert [e["id"] for e in listed.get_json()] == [event_id]
    read = api("GET", f"/hubs/regionlab-lister/events/{event_id}", admin)
    assert read.get_json()["title"] == "Faglunsj om KI"

    patched = api(
        "PATCH",
        f"/hubs/regionlab-lister/events/{event_id}",
        admin,
        json={
            "title": "Faglunsj om KI (del 1)",
            "attendance": [{"organization_id": skatt.id, "attendees": 4}],
        },
    )

    assert patched.status_code == 200, patched.get_json()
    assert patched.get_json()["total_attendees"] == 4
    db.session.expire_all()
    stored = db.session.get(Event, event_id)
    assert (stored.title, stored.space_id, stored.kind) == (
        "Faglunsj om KI (del 1)",
        room.id,
        EventKind.FAGLUNSJ,
    )
    assert attendance_of(event_id) == {skatt.id: 4}

    cleared = api(
        "PATCH", f"/hubs/regionlab-lister/events/{event_id}", admin, json={"space_id": None}
    )
    assert cleared.status_code == 200
    db.session.expire_all()
    assert db.session.get(Event, event_id).space_id is None
    assert attendance_of(event_id) == {skatt.id: 4}

    deleted = api("DELETE", f"/hubs/regionlab-lister/events/{event_id}", admin)

    assert deleted.status_code == 204
    assert (count(Event), count(EventAttendance)) == (0, 0)


def test_api_lists_events_between_dates(api, people, hub, make_event):
    make_event(hub, title="Januar", on_date=date(2026, 1, 15))
    make_event(hub, title="Februar", on_date=date(2026, 2, 28))
    make_event(hub, title="Mars", on_date=date(2026, 3, 1))
    admin = people["hub_admin"]

    response = api("GET", "/hubs/regionlab-lister/events?from=2026-02-01&to=2026-03-01", admin)

    assert response.status_code == 200
    assert [e["title"] for e in response.get_json()] == ["Mars", "Februar"]
    bad = api("GET", "/hubs/regionlab-lister/events?from=februar&colour=red", admin)
    assert bad.status_code == 422
    assert set(bad.get_json()["error"]["fields"]) == {"from", "colour"}


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"title": ""}, {"title"}),
        ({"title": "x" * 201}, {"title"}),
        ({"kind": "party"}, {"kind"}),
        ({"on_date": "2026-02-30"}, {"on_date"}),
        ({"space_id": "1"}, {"space_id"}),
        ({"colour": "red"}, {"colour"}),
        (
            {"attendance": [{"organization_id": 999_999, "attendees": 2}]},
            {"attendance.0.organization_id"},
        ),
        (
            {"attendance": [{"organization_id": "NAV", "attendees": 2}]},
            {"attendance.0.organization_id"},
        ),
        ({"attendance": [{"organization_id": 1, "attendees": "2"}]}, {"attendance.0.attendees"}),
        ({"attendance": [{"attendees": 2}]}, {"attendance.0.organization_id"}),
    ],
)
def test_api_invalid_event_is_422_naming_the_fields(api, people, nav, changes, fields):
    valid = {"kind": "workshop", "title": "Workshop", "on_date": "2026-03-12"}

    response = api(
        "POST", "/hubs/regionlab-lister/events", people["hub_admin"], json=valid | changes
    )

    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == fields
    assert count(Event) == 0


def test_api_rule_errors_name_the_row(api, people, other_hub, make_space, nav, skatt):
    elsewhere = make_space(other_hub, kind="meeting_room", capacity=4)

    response = api(
        "POST",
        "/hubs/regionlab-lister/events",
        people["hub_admin"],
        json={
            "kind": "meeting",
            "title": "Møte",
            "on_date": "2026-03-12",
            "space_id": elsewhere.id,
            "attendance": [
                {"organization_id": nav.id, "attendees": 0},
                {"organization_id": skatt.id, "attendees": 2},
                {"organization_id": skatt.id, "attendees": 1},
            ],
        },
    )

    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {
        "space_id",
        "attendance.0.attendees",
        "attendance.2.organization_id",
    }
    assert (count(Event), count(EventAttendance)) == (0, 0)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": None}, "title"),
        ({"attendance": None}, "attendance"),
        ({"attendance": [{"organization_id": 1, "attendees": -1}]}, "attendance.0.attendees"),
        ({"hub_id": 2}, "hub_id"),
    ],
)
def test_api_invalid_patch_changes_nothing(api, people, hub, nav, make_event, body, field):
    event = make_event(hub, attendance=[{"organization_id": nav.id, "attendees": 4}])

    response = api(
        "PATCH", f"/hubs/regionlab-lister/events/{event.id}", people["hub_admin"], json=body
    )

    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]
    db.session.expire_all()
    assert db.session.get(Event, event.id).title == "Faglunsj om KI"
    assert attendance_of(event.id) == {nav.id: 4}


@pytest.mark.parametrize("who", ["employee", "other_hub_admin"])
@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/hubs/regionlab-lister/events", None),
        (
            "POST",
            "/hubs/regionlab-lister/events",
            {"kind": "meeting", "title": "x", "on_date": "2026-01-05"},
        ),
        ("GET", "/hubs/regionlab-lister/events/{id}", None),
        ("PATCH", "/hubs/regionlab-lister/events/{id}", {"title": "Endret"}),
        ("DELETE", "/hubs/regionlab-lister/events/{id}", None),
    ],
)
def test_api_events_are_for_hub_admins_only(api, people, hub, make_event, who, method, path, body):
    event = make_event(hub)

    response = api(method, path.format(id=event.id), people[who], json=body)

    assert response.status_code == 403
    db.session.expire_all()
    assert count(Event) == 1
    assert db.session.get(Event, event.id).title == "Faglunsj om KI"


@pytest.mark.parametrize(
    ("method", "body"), [("GET", None), ("PATCH", {"title": "Endret"}), ("DELETE", None)]
)
def test_api_event_of_another_hub_or_unknown_is_404(
    api, people, other_hub, make_event, method, body
):
    event = make_event(other_hub)
    admin = people["hub_admin"]

    other = api(method, f"/hubs/regionlab-lister/events/{event.id}", admin, json=body)
    unknown = api(method, "/hubs/regionlab-lister/events/999999", admin, json=body)
    no_hub = api(method, f"/hubs/finnes-ikke/events/{event.id}", admin, json=body)

    assert (other.status_code, unknown.status_code, no_hub.status_code) == (404, 404, 404)
    db.session.expire_all()
    assert db.session.get(Event, event.id).title == "Faglunsj om KI"


def test_event_operations_are_in_the_openapi_document(client, app):
    document = client.get("/api/v1/openapi.json").get_json()
    paths = document["paths"]

    assert set(paths["/hubs/{slug}/events"]) == {"get", "post"}
    assert set(paths["/hubs/{slug}/events/{event_id}"]) == {"get", "patch", "delete"}
    schemas = document["components"]["schemas"]
    assert {"Event", "EventCreate", "EventUpdate", "EventAttendance"} <= set(schemas)
