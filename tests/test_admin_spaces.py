"""Admin pages for hubs, opening hours, closed days and spaces (hub.spaces.admin_views)."""

from __future__ import annotations

import html
from datetime import date, time
from decimal import Decimal

import pytest
import sqlalchemy as sa
import time_machine
from flask import url_for

from hub.accounts.models import Role
from hub.extensions import db
from hub.spaces import service
from hub.spaces.models import Hub, HubClosure, Space, SpaceKind

WHO = ["anonymous", "employee", "other_admin", "admin", "system_admin"]
EXPECTED = {"employee": 403, "other_admin": 403, "admin": 200, "system_admin": 200}


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def become(make_user, make_hub, login, system_admin):
    """Log in as one of the people in the access matrix (anonymous: nobody)."""

    def do(who: str, hub: Hub) -> None:
        if who == "anonymous":
            return
        users = {
            "employee": lambda: make_user(),
            "other_admin": lambda: make_user(hub=make_hub(), role=Role.ADMIN),
            "admin": lambda: make_user(hub=hub, role=Role.ADMIN),
            "system_admin": lambda: system_admin,
        }
        login(users[who]())

    return do


@pytest.fixture
def hub(make_hub):
    return make_hub(name="RegionLab Lister", slug="regionlab-lister", municipality="Lyngdal")


@pytest.fixture
def as_admin(hub, make_user, login):
    login(make_user(hub=hub, role=Role.ADMIN))
    return hub


def hub_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Hub))


# --- access ------------------------------------------------------------------

HUB_PAGES = [
    ("spaces_admin.hub_overview", {}),
    ("spaces_admin.hub_edit", {}),
    ("spaces_admin.opening_hours", {}),
    ("spaces_admin.closures", {}),
    ("spaces_admin.space_list", {}),
    ("spaces_admin.space_new", {}),
    ("spaces_admin.space_edit", {"space_id": "space"}),
]


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize(("endpoint", "args"), HUB_PAGES)
def test_hub_pages_need_hub_admin(client, hub, make_space, become, who, endpoint, args):
    space = make_space(hub, name="Cellekontor 1", kind="cell")
    values = {k: space.id if v == "space" else v for k, v in args.items()}
    url = url_for(endpoint, slug=hub.slug, **values)
    become(who, hub)

    response = client.get(url)

    if who == "anonymous":
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]
    else:
        assert response.status_code == EXPECTED[who]
        if response.status_code == 200:
            assert text(response).count("<h1") == 1


@pytest.mark.parametrize(
    ("who", "status"),
    [("anonymous", 302), ("employee", 403), ("admin", 403), ("system_admin", 200)],
)
def test_only_system_admins_create_hubs(client, hub, become, who, status):
    become(who, hub)
    response = client.get(url_for("spaces_admin.hub_new"))
    assert response.status_code == status
    if status == 200:
        assert 'value="Europe/Oslo"' in text(response)


@pytest.mark.parametrize(
    "endpoint",
    ["spaces_admin.hub_overview", "spaces_admin.opening_hours", "spaces_admin.space_list"],
)
def test_unknown_hub_is_404(client, system_admin, login, endpoint, app):
    login(system_admin)
    assert client.get(url_for(endpoint, slug="finnes-ikke")).status_code == 404


def test_overview_summarizes_and_links(client, as_admin, make_space):
    hub = as_admin
    make_space(hub, name="Cellekontor 1", kind="cell")
    make_space(hub, name="Cellekontor 2", kind="cell", active=False)
    make_space(hub, name="Møterom Lista", kind="meeting_room", capacity=8)

    page = text(client.get(url_for("spaces_admin.hub_overview", slug=hub.slug)))

    assert "Office cells: 1 (1 inactive)" in page
    assert "Meeting rooms: 1" in page
    for endpoint in (
        "spaces_admin.hub_edit",
        "spaces_admin.opening_hours",
        "spaces_admin.space_list",
        "accounts_admin.membership_list",
        "accounts_admin.hub_roles",
        "finance.cost_list",
        "spaces.hub_detail",
    ):
        assert f'href="{url_for(endpoint, slug=hub.slug, _external=False)}"' in page


# --- creating and editing hubs -----------------------------------------------

NEW_HUB = {
    "name": "Sentrumsgården",
    "slug": "sentrumsgarden",
    "municipality": "Narvik",
    "address": "Kongens gate 30",
    "timezone": "Europe/Oslo",
    "description": "",
    "contact_email": "vert@narvik.kommune.no",
}


def test_system_admin_creates_hub_with_default_hours(client, login, system_admin):
    login(system_admin)

    response = client.post(url_for("spaces_admin.hub_new"), data=NEW_HUB)

    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/hubs/sentrumsgarden")
    hub = service.get_hub("sentrumsgarden")
    assert (hub.name, hub.municipality, hub.timezone) == ("Sentrumsgården", "Narvik", "Europe/Oslo")
    assert hub.description is None
    assert service.weekly_hours(hub)[0] == (time(8, 0), time(16, 0))


@pytest.mark.parametrize(
    ("changes", "message", "typed"),
    [
        (
            {"timezone": "Europe/Lyngdal"},
            "Europe/Lyngdal is not a known timezone",
            'value="Europe/Lyngdal"',
        ),
        ({"slug": "regionlab-lister"}, "Another hub already uses this address.", "Kongens gate"),
        ({"slug": "Narvik Hub"}, "Use lower-case letters", 'value="Narvik Hub"'),
        ({"slug": "new"}, "This address is reserved", 'value="new"'),
        ({"name": ""}, "Name is required.", 'value="Kongens gate 30"'),
        ({"contact_email": "vert@"}, "Check the email address.", 'value="vert@"'),
    ],
)
def test_invalid_new_hub_is_422_and_changes_nothing(
    client, login, system_admin, hub, changes, message, typed
):
    login(system_admin)
    before = hub_count()

    response = client.post(url_for("spaces_admin.hub_new"), data=NEW_HUB | changes)

    assert response.status_code == 422
    page = text(response)
    assert message in page and typed in page
    assert 'id="error-summary"' in page
    assert hub_count() == before


def rules_form(hub: Hub, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": hub.name,
        "slug": hub.slug,
        "municipality": hub.municipality,
        "address": hub.address,
        "timezone": hub.timezone,
        "description": "",
        "contact_email": "",
        "booking_horizon_days": 60,
        "max_room_booking_minutes": 240,
        "max_future_bookings": 10,
        "min_notice_minutes": 15,
        "cancellation_deadline_minutes": 120,
        "checkin_grace_minutes": 30,
        "allow_non_member_bookings": "y",
        # release_no_shows left out: an unticked checkbox
    }
    return data | changes


def test_admin_edits_details_and_rules(client, as_admin):
    hub = as_admin

    response = client.post(
        url_for("spaces_admin.hub_edit", slug=hub.slug),
        data=rules_form(hub, name="RegionLab Lister i Lyngdal", slug="lister"),
    )

    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/hubs/lister")
    db.session.expire_all()
    hub = db.session.get(Hub, hub.id)
    assert (hub.slug, hub.name) == ("lister", "RegionLab Lister i Lyngdal")
    assert hub.booking_horizon_days == 60
    assert hub.max_room_booking_minutes == 240
    assert hub.checkin_grace_minutes == 30
    assert hub.release_no_shows is False
    assert hub.allow_non_member_bookings is True


def test_edit_form_explains_the_rules(client, as_admin):
    page = text(client.get(url_for("spaces_admin.hub_edit", slug=as_admin.slug)))
    assert "How long after the start a person has to check in" in page
    assert 'name="booking_horizon_days"' in page and 'value="90"' in page


@pytest.mark.parametrize(
    ("changes", "message", "typed"),
    [
        ({"checkin_grace_minutes": "-5"}, "Give a whole number, zero or more.", 'value="-5"'),
        ({"booking_horizon_days": "mange"}, "Give a whole number, like 30.", 'value="mange"'),
        ({"booking_horizon_days": "0"}, "at least one day ahead", 'value="0"'),
        (
            {"timezone": "Europe/Lyngdal", "name": "Nytt navn"},
            "Europe/Lyngdal is not a known timezone",
            'value="Nytt navn"',
        ),
    ],
)
def test_invalid_hub_edit_is_422_and_changes_nothing(client, as_admin, changes, message, typed):
    hub = as_admin

    response = client.post(
        url_for("spaces_admin.hub_edit", slug=hub.slug), data=rules_form(hub, **changes)
    )

    assert response.status_code == 422
    page = text(response)
    assert message in page and typed in page
    db.session.expire_all()
    hub = db.session.get(Hub, hub.id)
    assert (hub.name, hub.timezone, hub.checkin_grace_minutes) == (
        "RegionLab Lister",
        "Europe/Oslo",
        60,
    )
    assert hub.booking_horizon_days == 90


# --- opening hours -----------------------------------------------------------


def week(**days: tuple[str, str] | None) -> dict[str, str]:
    """Form data: Monday..Friday 08:00-16:00 unless a day (mon, tue, ...) is given."""
    names = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    data: dict[str, str] = {}
    for weekday, name in enumerate(names):
        span = days.get(name, ("08:00", "16:00") if weekday < 5 else None)
        data[f"opens_at_{weekday}"] = span[0] if span else ""
        data[f"closes_at_{weekday}"] = span[1] if span else ""
        if span:
            data[f"open_{weekday}"] = "y"
    return data


def test_opening_hours_form_shows_current_hours(client, as_admin):
    page = text(client.get(url_for("spaces_admin.opening_hours", slug=as_admin.slug)))
    assert 'id="opens_at_0"' in page and 'value="08:00"' in page
    assert "Monday" in page and "Sunday" in page


def test_admin_sets_opening_hours(client, as_admin):
    hub = as_admin

    response = client.post(
        url_for("spaces_admin.opening_hours", slug=hub.slug),
        data=week(fri=("08:00", "14:00"), sat=("10:00", "14:00"), mon=None),
    )

    assert response.status_code == 302
    db.session.expire_all()
    weekly = service.weekly_hours(db.session.get(Hub, hub.id))
    assert set(weekly) == {1, 2, 3, 4, 5}
    assert weekly[4] == (time(8, 0), time(14, 0))
    assert weekly[5] == (time(10, 0), time(14, 0))


@pytest.mark.parametrize(
    ("data", "message", "typed"),
    [
        (week(tue=("16:00", "07:00")), "Closing time must be after opening time.", "07:00"),
        (week(wed=("08:00", "")), "Give a time like 08:00, or untick Open.", 'id="closes_at_2"'),
        (week(thu=("8 am", "16:00")), "Give a time like 08:00.", 'value="8 am"'),
    ],
)
def test_invalid_opening_hours_are_422_and_change_nothing(client, as_admin, data, message, typed):
    hub = as_admin

    response = client.post(url_for("spaces_admin.opening_hours", slug=hub.slug), data=data)

    assert response.status_code == 422
    page = text(response)
    assert message in page and typed in page
    db.session.expire_all()
    assert service.weekly_hours(db.session.get(Hub, hub.id)) == {
        d: (time(8, 0), time(16, 0)) for d in range(5)
    }


def test_error_is_shown_in_the_weekdays_row(client, as_admin):
    response = client.post(
        url_for("spaces_admin.opening_hours", slug=as_admin.slug),
        data=week(tue=("16:00", "07:00")),
    )
    page = text(response)
    row = page[page.index('id="weekday-1"') : page.index('id="weekday-2"')]
    assert "Closing time must be after opening time." in row
    assert 'href="#closes_at_1"' in page


# --- closed days and public holidays ---------------------------------------------


def test_admin_adds_and_removes_a_closed_day(client, as_admin):
    hub = as_admin

    response = client.post(
        url_for("spaces_admin.closures", slug=hub.slug),
        data={"on_date": "2025-12-29", "reason": "Romjul"},
    )

    assert response.status_code == 302
    closure = db.session.scalar(sa.select(HubClosure).where(HubClosure.hub_id == hub.id))
    assert (closure.on_date, closure.reason) == (date(2025, 12, 29), "Romjul")
    assert "Romjul" in text(client.get(url_for("spaces_admin.closures", slug=hub.slug)))

    response = client.post(
        url_for("spaces_admin.closure_delete", slug=hub.slug, closure_id=closure.id)
    )

    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(HubClosure, closure.id) is None


def test_closed_day_needs_a_date(client, as_admin):
    response = client.post(
        url_for("spaces_admin.closures", slug=as_admin.slug),
        data={"on_date": "", "reason": "Personalseminar"},
    )
    assert response.status_code == 422
    page = text(response)
    assert "Give a date like 2025-01-31." in page and 'value="Personalseminar"' in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(HubClosure)) == 0


def test_closed_day_of_another_hub_is_404(client, as_admin, make_hub):
    other = make_hub()
    closure = service.add_closure(other, date(2025, 12, 29), "Romjul")
    db.session.commit()

    response = client.post(
        url_for("spaces_admin.closure_delete", slug=as_admin.slug, closure_id=closure.id)
    )

    assert response.status_code == 404
    assert db.session.get(HubClosure, closure.id) is not None


@pytest.mark.parametrize(
    ("language", "holiday"), [("nb", "Grunnlovsdag"), ("en", "Constitution Day")]
)
def test_public_holidays_of_this_and_next_year_in_the_page_language(
    client, hub, make_user, login, language, holiday
):
    # Log in inside the travelled time: a signed session cookie is refused out of its time.
    with time_machine.travel(date(2025, 6, 1), tick=False):
        login(make_user(hub=hub, role=Role.ADMIN))
        client.post("/language", data={"language": language})
        page = text(client.get(url_for("spaces_admin.closures", slug=hub.slug)))
    assert holiday in page
    assert 'datetime="2025-05-17"' in page and 'datetime="2026-05-17"' in page
    assert 'datetime="2027-05-17"' not in page


# --- spaces --------------------------------------------------------------------


def space_form(**changes: str) -> dict[str, str]:
    data = {
        "name": "Cellekontor 1",
        "kind": "cell",
        "capacity": "1",
        "area_m2": "10,5",
        "bookable": "y",
        "active": "y",
        "description": "Ved vinduet",
    }
    return data | changes


def test_space_list_groups_by_kind_and_marks_inactive(client, as_admin, make_space):
    hub = as_admin
    make_space(hub, name="Møterom Lista", kind="meeting_room", capacity=12)
    make_space(hub, name="Cellekontor 9", kind="cell", active=False)

    page = text(client.get(url_for("spaces_admin.space_list", slug=hub.slug)))

    assert page.index("Office cells") < page.index("Cellekontor 9") < page.index("Meeting rooms")
    assert "Inactive" in page


def test_admin_creates_a_space_with_comma_area(client, as_admin):
    hub = as_admin

    response = client.post(url_for("spaces_admin.space_new", slug=hub.slug), data=space_form())

    assert response.status_code == 302
    space = db.session.scalar(sa.select(Space).where(Space.hub_id == hub.id))
    assert (space.name, space.kind, space.capacity) == ("Cellekontor 1", SpaceKind.CELL, 1)
    assert space.area_m2 == Decimal("10.50")
    assert space.bookable and space.active


@pytest.mark.parametrize(
    ("changes", "message", "typed"),
    [
        ({"capacity": "-2"}, "Capacity must be a whole number, zero or more.", 'value="-2"'),
        ({"area_m2": "10,5,5"}, "Write a number, like 10 or 10,5.", 'value="10,5,5"'),
        ({"area_m2": "-3"}, "Area must be a number of square metres", 'value="-3"'),
        ({"kind": "common_area"}, "Common areas cannot be booked.", "Ved vinduet"),
        ({"kind": "meeting_room", "capacity": "0"}, "at least one person", 'value="0"'),
        ({"name": "møterom lista"}, "already has a space with this name", "møterom lista"),
    ],
)
def test_invalid_space_is_422_and_changes_nothing(
    client, as_admin, make_space, changes, message, typed
):
    hub = as_admin
    make_space(hub, name="Møterom Lista", kind="meeting_room", capacity=12)

    response = client.post(
        url_for("spaces_admin.space_new", slug=hub.slug), data=space_form(**changes)
    )

    assert response.status_code == 422
    page = text(response)
    assert message in page and typed in page
    names = db.session.scalars(sa.select(Space.name).where(Space.hub_id == hub.id)).all()
    assert names == ["Møterom Lista"]


def test_admin_edits_a_space(client, as_admin, make_space):
    hub = as_admin
    space = make_space(hub, name="Lounge", kind="common_area", bookable=False, area_m2="30")

    page = text(client.get(url_for("spaces_admin.space_edit", slug=hub.slug, space_id=space.id)))
    assert 'value="30"' in page and 'value="Lounge"' in page

    response = client.post(
        url_for("spaces_admin.space_edit", slug=hub.slug, space_id=space.id),
        data=space_form(name="Kantine", kind="common_area", bookable="", area_m2="42,25"),
    )

    assert response.status_code == 302
    db.session.expire_all()
    space = db.session.get(Space, space.id)
    assert (space.name, space.area_m2, space.bookable) == ("Kantine", Decimal("42.25"), False)


def test_invalid_space_edit_keeps_the_space(client, as_admin, make_space):
    hub = as_admin
    space = make_space(hub, name="Cellekontor 1", kind="cell", capacity=1)

    response = client.post(
        url_for("spaces_admin.space_edit", slug=hub.slug, space_id=space.id),
        data=space_form(name="Cellekontor 2", capacity="-1"),
    )

    assert response.status_code == 422
    assert 'value="Cellekontor 2"' in text(response)
    db.session.expire_all()
    assert (db.session.get(Space, space.id).name, db.session.get(Space, space.id).capacity) == (
        "Cellekontor 1",
        1,
    )


def test_admin_deletes_a_space(client, as_admin, make_space):
    space = make_space(as_admin, name="Cellekontor 1", kind="cell")

    response = client.post(
        url_for("spaces_admin.space_delete", slug=as_admin.slug, space_id=space.id)
    )

    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Space, space.id) is None


@pytest.mark.parametrize("method", ["get_edit", "post_edit", "post_delete"])
def test_space_of_another_hub_is_404(client, as_admin, make_hub, make_space, method):
    other_space = make_space(make_hub(), name="Fremmed", kind="desk")
    args = {"slug": as_admin.slug, "space_id": other_space.id}

    if method == "get_edit":
        response = client.get(url_for("spaces_admin.space_edit", **args))
    elif method == "post_edit":
        response = client.post(url_for("spaces_admin.space_edit", **args), data=space_form())
    else:
        response = client.post(url_for("spaces_admin.space_delete", **args))

    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(Space, other_space.id).name == "Fremmed"


def test_unknown_space_is_404(client, as_admin):
    response = client.get(url_for("spaces_admin.space_edit", slug=as_admin.slug, space_id=9999))
    assert response.status_code == 404
