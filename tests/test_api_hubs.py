"""API: hubs, opening hours, closed days and spaces."""

from __future__ import annotations

from datetime import date, time
from typing import Any

import pytest
import sqlalchemy as sa
from db_support import count

from hub.accounts.models import Role
from hub.extensions import db
from hub.spaces.models import Hub, HubClosure, OpeningHours, Space


@pytest.fixture
def sysadmin(person: Any) -> Any:
    return person(is_system_admin=True, name="Systemadministrator")


@pytest.fixture
def lister(make_hub: Any) -> Hub:
    return make_hub(slug="regionlab-lister", name="RegionLab Lister")


@pytest.fixture
def people(person: Any, make_hub: Any, lister: Hub, sysadmin: Any) -> dict[str, Any]:
    """Everyone who matters for rights: by role relative to the hub ``lister``."""
    other_hub = make_hub(slug="sentrumsgarden", name="Sentrumsgården")
    return {
        "system_admin": sysadmin,
        "hub_admin": person(hub=lister, role=Role.ADMIN),
        "other_hub_admin": person(hub=other_hub, role=Role.ADMIN),
        "employee": person(hub=lister, role=Role.MEMBER),
    }


# --- reading ------------------------------------------------------------------------


def test_hub_list_has_slug_and_name(api, person, lister, make_hub):
    make_hub(slug="distriktshub-vestland", name="Distriktshub Vestland")

    response = api("GET", "/hubs", person())

    assert response.status_code == 200
    hubs = response.get_json()
    assert isinstance(hubs, list)
    assert [(h["slug"], h["name"]) for h in hubs] == [
        ("distriktshub-vestland", "Distriktshub Vestland"),
        ("regionlab-lister", "RegionLab Lister"),
    ]
    assert hubs[1]["opening_hours"]["monday"] == {"opens_at": "08:00", "closes_at": "16:00"}
    assert hubs[1]["opening_hours"]["sunday"] is None


def test_space_list_has_id_name_kind_capacity(api, person, lister, make_space):
    room = make_space(lister, name="Møterom Lista", kind="meeting_room", capacity=12)
    desk = make_space(lister, name="Arbeidsplass 1", kind="desk", area_m2="6.5")

    response = api("GET", "/hubs/regionlab-lister/spaces", person())

    assert response.status_code == 200
    spaces = response.get_json()
    assert [(s["id"], s["name"], s["kind"], s["capacity"]) for s in spaces] == [
        (desk.id, "Arbeidsplass 1", "desk", 1),
        (room.id, "Møterom Lista", "meeting_room", 12),
    ]
    assert spaces[0]["area_m2"] == "6.50"


@pytest.mark.parametrize(
    "path",
    [
        "/hubs/regionlab-lister",
        "/hubs/regionlab-lister/spaces",
        "/hubs/regionlab-lister/opening-hours",
        "/hubs/regionlab-lister/closures",
        "/spaces/{space_id}",
    ],
)
def test_any_authenticated_user_may_read_hubs_and_spaces(api, person, lister, make_space, path):
    space = make_space(lister)

    response = api("GET", path.format(space_id=space.id), person())

    assert response.status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/hubs/finnes-ikke",
        "/hubs/finnes-ikke/spaces",
        "/hubs/finnes-ikke/opening-hours",
        "/hubs/finnes-ikke/closures",
        "/spaces/999999",
        "/spaces/99999999999999999999",
    ],
)
def test_unknown_hub_or_space_is_404(api, person, path):
    response = api("GET", path, person())

    assert response.status_code == 404
    assert response.get_json()["error"]["status"] == 404


# --- hubs -------------------------------------------------------------------------------


def test_system_admin_creates_a_hub(api, sysadmin):
    body = {
        "slug": "statens-hus-nordfjordeid",
        "name": "Distriktshub Vestland",
        "municipality": "Stad",
        "checkin_grace_minutes": 30,
        "opening_hours": {"monday": {"opens_at": "09:00", "closes_at": "15:00"}},
    }

    response = api("POST", "/hubs", sysadmin, json=body)

    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert created["slug"] == "statens-hus-nordfjordeid" and created["timezone"] == "Europe/Oslo"
    hub = db.session.scalar(sa.select(Hub).where(Hub.slug == "statens-hus-nordfjordeid"))
    assert hub.checkin_grace_minutes == 30
    assert [(r.weekday, r.opens_at) for r in hub.opening_hours] == [(0, time(9, 0))]


@pytest.mark.parametrize("who", ["hub_admin", "employee"])
def test_only_system_admin_creates_hubs(api, people, who):
    before = count(Hub)

    response = api(
        "POST", "/hubs", people[who], json={"slug": "ny", "name": "Ny", "municipality": "X"}
    )

    assert response.status_code == 403
    assert count(Hub) == before


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        (
            {
                "slug": "ny-hub",
                "name": "Ny",
                "municipality": "Lyngdal",
                "timezone": "Europe/Lyngdal",
            },
            {"timezone"},
        ),
        ({"slug": "Ny Hub", "name": "Ny", "municipality": "Lyngdal"}, {"slug"}),
        ({"slug": "regionlab-lister", "name": "Ny", "municipality": "Lyngdal"}, {"slug"}),
        ({"slug": "ny-hub", "name": "Ny"}, {"municipality"}),
        ({"slug": "ny-hub", "name": "Ny", "municipality": "X", "colour": "red"}, {"colour"}),
        (
            {"slug": "ny-hub", "name": "Ny", "municipality": "X", "booking_horizon_days": "90"},
            {"booking_horizon_days"},
        ),
        (
            {"slug": "ny-hub", "name": "Ny", "municipality": "X", "min_notice_minutes": -5},
            {"min_notice_minutes"},
        ),
        (
            {
                "slug": "ny-hub",
                "name": "Ny",
                "municipality": "X",
                "opening_hours": {"friday": {"opens_at": "16:00", "closes_at": "08:00"}},
            },
            {"opening_hours.friday"},
        ),
    ],
    ids=[
        "unknown-timezone",
        "bad-slug",
        "taken-slug",
        "missing",
        "extra-key",
        "wrong-type",
        "negative",
        "hours-reversed",
    ],
)
def test_invalid_hub_is_422_naming_fields_and_creates_nothing(api, sysadmin, lister, body, fields):
    before = (count(Hub), count(OpeningHours))

    response = api("POST", "/hubs", sysadmin, json=body)

    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["status"] == 422 and set(error["fields"]) == fields
    assert (count(Hub), count(OpeningHours)) == before


def test_hub_admin_patches_only_the_given_keys(api, people, lister):
    response = api(
        "PATCH",
        "/hubs/regionlab-lister",
        people["hub_admin"],
        json={"address": "Alleen 1, 4580 Lyngdal", "release_no_shows": False},
    )

    assert response.status_code == 200
    db.session.refresh(lister)
    assert lister.address == "Alleen 1, 4580 Lyngdal" and lister.release_no_shows is False
    assert lister.name == "RegionLab Lister" and lister.municipality == "Lyngdal"


def test_patching_the_slug_moves_the_hub(api, people, lister):
    response = api(
        "PATCH", "/hubs/regionlab-lister", people["system_admin"], json={"slug": "lister"}
    )

    assert response.status_code == 200 and response.get_json()["slug"] == "lister"
    assert api("GET", "/hubs/lister", people["employee"]).status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"name": None}, "name"),
        ({"name": ""}, "name"),
        ({"booking_horizon_days": 0}, "booking_horizon_days"),
        ({"release_no_shows": "yes"}, "release_no_shows"),
    ],
)
def test_invalid_hub_patch_is_422_and_changes_nothing(api, people, lister, body, field):
    response = api("PATCH", "/hubs/regionlab-lister", people["hub_admin"], json=body)

    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]
    db.session.refresh(lister)
    assert (lister.name, lister.timezone, lister.booking_horizon_days) == (
        "RegionLab Lister",
        "Europe/Oslo",
        90,
    )


def test_opening_hours_are_replaced_as_a_week(api, people, lister):
    week = {
        "monday": {"opens_at": "07:30", "closes_at": "15:30"},
        "wednesday": {"opens_at": "08:00", "closes_at": "20:00"},
        "friday": None,
    }

    response = api("PUT", "/hubs/regionlab-lister/opening-hours", people["hub_admin"], json=week)

    assert response.status_code == 200
    assert response.get_json()["monday"] == {"opens_at": "07:30", "closes_at": "15:30"}
    assert response.get_json()["tuesday"] is None
    rows = db.session.scalars(
        sa.select(OpeningHours)
        .where(OpeningHours.hub_id == lister.id)
        .order_by(OpeningHours.weekday)
    ).all()
    assert [(r.weekday, r.opens_at, r.closes_at) for r in rows] == [
        (0, time(7, 30), time(15, 30)),
        (2, time(8, 0), time(20, 0)),
    ]
    assert api("GET", "/hubs/regionlab-lister/opening-hours", people["employee"]).get_json() == (
        response.get_json()
    )


@pytest.mark.parametrize(
    ("week", "field"),
    [
        ({"monday": {"opens_at": "16:00", "closes_at": "08:00"}}, "monday"),
        ({"monday": {"opens_at": "8 am", "closes_at": "16:00"}}, "monday.opens_at"),
        ({"monday": {"opens_at": "08:00"}}, "monday.closes_at"),
        ({"mandag": {"opens_at": "08:00", "closes_at": "16:00"}}, "mandag"),
    ],
)
def test_invalid_opening_hours_are_422_and_change_nothing(api, people, lister, week, field):
    response = api("PUT", "/hubs/regionlab-lister/opening-hours", people["hub_admin"], json=week)

    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]
    rows = db.session.scalars(sa.select(OpeningHours).where(OpeningHours.hub_id == lister.id))
    assert sorted(r.weekday for r in rows) == [0, 1, 2, 3, 4]


def test_closures_are_added_listed_and_removed(api, people, lister):
    admin = people["hub_admin"]

    created = api(
        "POST",
        "/hubs/regionlab-lister/closures",
        admin,
        json={"on_date": "2026-12-28", "reason": "Jul"},
    )
    again = api(
        "POST",
        "/hubs/regionlab-lister/closures",
        admin,
        json={"on_date": "2026-12-28", "reason": "Romjul"},
    )

    assert created.status_code == 201 and again.status_code == 200
    assert api("GET", "/hubs/regionlab-lister/closures", people["employee"]).get_json() == [
        {"on_date": "2026-12-28", "reason": "Romjul"}
    ]

    deleted = api("DELETE", "/hubs/regionlab-lister/closures/2026-12-28", admin)

    assert deleted.status_code == 204
    assert count(HubClosure) == 0


@pytest.mark.parametrize("day", ["2026-12-29", "2026-13-01", "tomorrow"])
def test_removing_a_day_that_is_not_closed_here_is_404(api, people, lister, make_hub, day):
    other = db.session.scalar(sa.select(Hub).where(Hub.slug == "sentrumsgarden"))
    other.closures.append(HubClosure(on_date=date(2026, 12, 29), reason="Other hub"))
    db.session.commit()

    response = api("DELETE", f"/hubs/regionlab-lister/closures/{day}", people["hub_admin"])

    assert response.status_code == 404
    assert count(HubClosure) == 1


@pytest.mark.parametrize("who", ["employee", "other_hub_admin"])
@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PATCH", "/hubs/regionlab-lister", {"name": "Kapret"}),
        ("PUT", "/hubs/regionlab-lister/opening-hours", {}),
        ("POST", "/hubs/regionlab-lister/closures", {"on_date": "2026-05-18"}),
        ("DELETE", "/hubs/regionlab-lister/closures/2026-05-17", None),
        ("POST", "/hubs/regionlab-lister/spaces", {"name": "Ny", "kind": "desk"}),
        ("PATCH", "/spaces/{space_id}", {"name": "Kapret"}),
        ("DELETE", "/spaces/{space_id}", None),
    ],
)
def test_writes_need_an_admin_of_this_hub(api, people, lister, make_space, who, method, path, body):
    space = make_space(lister, name="Cellekontor 1", kind="cell")
    lister.closures.append(HubClosure(on_date=date(2026, 5, 17), reason="Grunnlovsdag"))
    db.session.commit()
    kwargs = {} if body is None else {"json": body}

    response = api(method, path.format(space_id=space.id), people[who], **kwargs)

    assert response.status_code == 403
    db.session.refresh(lister)
    assert lister.name == "RegionLab Lister"
    assert [c.on_date for c in lister.closures] == [date(2026, 5, 17)]
    assert len(lister.opening_hours) == 5
    assert [s.name for s in lister.spaces] == ["Cellekontor 1"]


# --- spaces -------------------------------------------------------------------------------


def test_hub_admin_creates_patches_and_deletes_a_space(api, people, lister):
    admin = people["hub_admin"]

    created = api(
        "POST",
        "/hubs/regionlab-lister/spaces",
        admin,
        json={"name": "Møterom Lista", "kind": "meeting_room", "capacity": 8, "area_m2": 24.5},
    )

    assert created.status_code == 201, created.get_json()
    space_id = created.get_json()["id"]
    assert created.get_json()["area_m2"] == "24.50"
    space = db.session.get(Space, space_id)
    assert (space.hub_id, space.capacity, space.bookable) == (lister.id, 8, True)

    patched = api("PATCH", f"/spaces/{space_id}", admin, json={"capacity": 10, "area_m2": "30"})

    assert patched.status_code == 200
    db.session.refresh(space)
    assert (space.name, space.capacity, str(space.area_m2)) == ("Møterom Lista", 10, "30.00")

    deleted = api("DELETE", f"/spaces/{space_id}", admin)

    assert deleted.status_code == 204
    assert db.session.get(Space, space_id) is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "Rom", "kind": "desk", "capacity": -1}, "capacity"),
        ({"name": "Rom", "kind": "meeting_room", "capacity": 0}, "capacity"),
        ({"name": "Rom", "kind": "desk", "capacity": "4"}, "capacity"),
        ({"name": "Rom", "kind": "desk", "capacity": 2.5}, "capacity"),
        ({"name": "Rom", "kind": "desk", "capacity": 2**40}, "capacity"),
        ({"name": "Rom", "kind": "sofa"}, "kind"),
        ({"name": "Rom", "kind": "desk", "seats": 4}, "seats"),
        ({"name": "Rom", "kind": "desk", "area_m2": "-3"}, "area_m2"),
        ({"name": "Rom", "kind": "desk", "area_m2": "mye"}, "area_m2"),
        ({"name": "Rom", "kind": "common_area", "bookable": True}, "bookable"),
        ({"name": "cellekontor 1", "kind": "cell"}, "name"),
        ({"kind": "desk"}, "name"),
        ({"name": "x" * 121, "kind": "desk"}, "name"),
    ],
)
def test_invalid_space_is_422_and_creates_nothing(api, people, lister, make_space, body, field):
    make_space(lister, name="Cellekontor 1", kind="cell")

    response = api("POST", "/hubs/regionlab-lister/spaces", people["hub_admin"], json=body)

    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]
    assert count(Space) == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [({"capacity": -2}, "capacity"), ({"kind": None}, "kind"), ({"hub_id": 2}, "hub_id")],
)
def test_invalid_space_patch_is_422_and_changes_nothing(
    api, people, lister, make_space, body, field
):
    space = make_space(lister, name="Arbeidsplass 1", capacity=1)

    response = api("PATCH", f"/spaces/{space.id}", people["system_admin"], json=body)

    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]
    db.session.refresh(space)
    assert (space.capacity, space.kind, space.hub_id) == (1, "desk", lister.id)


@pytest.mark.parametrize("method", ["PATCH", "DELETE"])
def test_unknown_space_write_is_404(api, people, method):
    response = api(method, "/spaces/424242", people["system_admin"], json={})

    assert response.status_code == 404
