"""Usage settings: a hub's retention period and minimum group size, a person's card id."""

from __future__ import annotations

import html
from textwrap import dedent

import pytest
from flask import url_for
from test_hubfile import problems_of

from hub.accounts.models import Role, User
from hub.extensions import db
from hub.hubfile import dump_data, load_text
from hub.spaces.models import Hub


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def lister(make_hub) -> Hub:
    return make_hub(slug="regionlab-lister", name="RegionLab Lister", municipality="Lyngdal")


def hub_form(hub: Hub, **changes: str) -> dict[str, str]:
    data = {
        "name": hub.name,
        "slug": hub.slug,
        "municipality": hub.municipality,
        "timezone": hub.timezone,
        "booking_horizon_days": "90",
        "max_room_booking_minutes": "480",
        "max_future_bookings": "30",
        "min_notice_minutes": "0",
        "cancellation_deadline_minutes": "0",
        "checkin_grace_minutes": "60",
        "release_no_shows": "y",
        "retention_months": "13",
        "min_group_size": "5",
    }
    return data | changes


def settings(hub: Hub) -> tuple[int, int]:
    db.session.expire_all()
    hub = db.session.get(Hub, hub.id)
    return hub.retention_months, hub.min_group_size


# --- the hub's edit page -----------------------------------------------------------


def test_new_hubs_keep_13_months_and_groups_of_5(lister):
    assert settings(lister) == (13, 5)


def test_admin_sets_retention_and_group_size(client, lister, make_user, login):
    login(make_user(hub=lister, role=Role.ADMIN))
    page = text(client.get(url_for("spaces_admin.hub_edit", slug=lister.slug)))
    assert 'name="retention_months"' in page and 'value="13"' in page
    assert 'name="min_group_size"' in page and 'max="100"' in page

    response = client.post(
        url_for("spaces_admin.hub_edit", slug=lister.slug),
        data=hub_form(lister, retention_months="24", min_group_size="3"),
    )

    assert response.status_code == 302
    assert settings(lister) == (24, 3)


def test_a_post_without_the_new_fields_keeps_them(client, lister, make_user, login):
    lister.retention_months = 36
    db.session.commit()
    login(make_user(hub=lister, role=Role.ADMIN))
    data = hub_form(lister, name="Lister")
    del data["retention_months"], data["min_group_size"]

    response = client.post(url_for("spaces_admin.hub_edit", slug=lister.slug), data=data)

    assert response.status_code == 302
    assert settings(lister) == (36, 5)


@pytest.mark.parametrize(
    ("changes", "message", "typed"),
    [
        ({"retention_months": "0"}, "Give a whole number from 1 to 120.", 'value="0"'),
        ({"retention_months": "121"}, "Give a whole number from 1 to 120.", 'value="121"'),
        ({"min_group_size": "101"}, "Give a whole number from 1 to 100.", 'value="101"'),
        ({"min_group_size": "0", "name": "Nytt navn"}, "from 1 to 100", 'value="Nytt navn"'),
        ({"retention_months": "ett år"}, "Give a whole number, like 30.", 'value="ett år"'),
        ({"min_group_size": ""}, "Give a whole number, like 30.", 'name="min_group_size"'),
    ],
)
def test_out_of_range_settings_are_422_and_keep_what_was_typed(
    client, lister, make_user, login, changes, message, typed
):
    login(make_user(hub=lister, role=Role.ADMIN))

    response = client.post(
        url_for("spaces_admin.hub_edit", slug=lister.slug), data=hub_form(lister, **changes)
    )

    assert response.status_code == 422
    page = text(response)
    assert message in page and typed in page
    assert settings(lister) == (13, 5)
    assert db.session.get(Hub, lister.id).name == "RegionLab Lister"


# --- the API -------------------------------------------------------------------------


def test_api_shows_and_patches_the_settings(api, person, lister):
    admin = person(hub=lister, role=Role.ADMIN)

    read = api("GET", "/hubs/regionlab-lister", admin).get_json()
    patched = api(
        "PATCH",
        "/hubs/regionlab-lister",
        admin,
        json={"retention_months": 120, "min_group_size": 1},
    )

    assert (read["retention_months"], read["min_group_size"]) == (13, 5)
    assert patched.status_code == 200, patched.get_json()
    assert (patched.get_json()["retention_months"], patched.get_json()["min_group_size"]) == (
        120,
        1,
    )
    assert settings(lister) == (120, 1)


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"retention_months": 0}, {"retention_months"}),
        ({"retention_months": 121, "min_group_size": 101}, {"retention_months", "min_group_size"}),
        ({"min_group_size": -1}, {"min_group_size"}),
        ({"min_group_size": None}, {"min_group_size"}),
        ({"retention_months": "13"}, {"retention_months"}),
    ],
)
def test_api_422_names_the_fields_and_changes_nothing(api, person, lister, body, fields):
    admin = person(hub=lister, role=Role.ADMIN)

    response = api("PATCH", "/hubs/regionlab-lister", admin, json=body)

    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == fields
    assert settings(lister) == (13, 5)


def test_api_creates_a_hub_with_settings(api, person):
    sysadmin = person(is_system_admin=True)
    body = {"slug": "narvik", "name": "Sentrumsgården", "municipality": "Narvik"}

    bad = api("POST", "/hubs", sysadmin, json=body | {"retention_months": 200})
    good = api("POST", "/hubs", sysadmin, json=body | {"retention_months": 6})

    assert bad.status_code == 422 and set(bad.get_json()["error"]["fields"]) == {"retention_months"}
    assert good.status_code == 201 and good.get_json()["retention_months"] == 6
    assert good.get_json()["min_group_size"] == 5


# --- the hub file --------------------------------------------------------------------

HUBFILE = dedent(
    """\
    hubs:
      - slug: testhub
        name: Testhub
        municipality: Lyngdal
        retention_months: 24
        min_group_size: 3
    """
)


def test_hubfile_round_trips_the_settings(app):
    load_text(HUBFILE)
    db.session.commit()
    [hub] = dump_data()["hubs"]
    assert (hub["retention_months"], hub["min_group_size"]) == (24, 3)

    changed = HUBFILE.replace("retention_months: 24", "retention_months: 6")
    report = load_text(changed)
    db.session.commit()
    assert report.changed
    [hub] = dump_data()["hubs"]
    assert (hub["retention_months"], hub["min_group_size"]) == (6, 3)
    # A file without the keys leaves them as they are.
    load_text(changed.replace("    retention_months: 6\n    min_group_size: 3\n", ""))
    db.session.commit()
    assert dump_data()["hubs"][0]["retention_months"] == 6


def test_hubfile_with_settings_out_of_range_is_refused(app):
    problems = problems_of(HUBFILE.replace("min_group_size: 3", "min_group_size: 0"))
    assert any("min_group_size" in p and "from 1 to 100" in p for p in problems), problems


# --- card ids ------------------------------------------------------------------------


def test_admin_gives_a_card_id_and_a_duplicate_is_422(client, lister, make_user, login):
    admin = make_user(hub=lister, role=Role.ADMIN)
    kari = make_user(hub=lister, role=Role.MEMBER, name="Kari")
    ola = make_user(hub=lister, role=Role.MEMBER, name="Ola")
    login(admin)
    form = {"name": "Kari", "email": kari.email, "language": "en", "active": "y"}

    page = text(client.get(url_for("accounts_admin.user_edit", user_id=kari.id)))
    saved = client.post(
        url_for("accounts_admin.user_edit", user_id=kari.id),
        data=form | {"home_organization_id": kari.home_organization_id, "card_id": " K-1001 "},
    )
    taken = client.post(
        url_for("accounts_admin.user_edit", user_id=ola.id),
        data=form
        | {"name": "Ola", "home_organization_id": ola.home_organization_id, "card_id": "K-1001"},
    )

    assert 'name="card_id"' in page
    assert saved.status_code == 302
    assert taken.status_code == 422
    assert "This card id is already used by another person." in text(taken)
    assert 'value="K-1001"' in text(taken)
    db.session.expire_all()
    assert (db.session.get(User, kari.id).card_id, db.session.get(User, ola.id).card_id) == (
        "K-1001",
        None,
    )

    cleared = client.post(
        url_for("accounts_admin.user_edit", user_id=kari.id),
        data=form | {"home_organization_id": kari.home_organization_id, "card_id": ""},
    )
    assert cleared.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, kari.id).card_id is None


def test_card_id_in_the_api_for_admins_who_manage_the_person(api, person, lister, make_hub):
    admin = person(hub=lister, role=Role.ADMIN)
    other_admin = person(hub=make_hub(), role=Role.ADMIN)
    kari = person(hub=lister, role=Role.MEMBER)
    ola = person(hub=lister, role=Role.MEMBER, card_id="K-2002")

    patched = api("PATCH", f"/users/{kari.id}", admin, json={"card_id": "K-1001"})
    duplicate = api("PATCH", f"/users/{ola.id}", admin, json={"card_id": "K-1001"})
    too_long = api("PATCH", f"/users/{ola.id}", admin, json={"card_id": "K" * 65})

    assert patched.status_code == 200 and patched.get_json()["card_id"] == "K-1001"
    assert duplicate.status_code == 422
    assert duplicate.get_json()["error"]["fields"] == {
        "card_id": ["This card id is already used by another person."]
    }
    assert too_long.status_code == 422 and "card_id" in too_long.get_json()["error"]["fields"]
    db.session.expire_all()
    assert db.session.get(User, ola.id).card_id == "K-2002"
    # Only administrators who manage the person see it; not the person, not other hubs.
    assert api("GET", f"/users/{kari.id}", admin).get_json()["card_id"] == "K-1001"
    assert api("GET", "/me", kari).get_json()["card_id"] is None
    assert api("GET", f"/users/{kari.id}", other_admin).status_code == 403
    assert api("PATCH", f"/users/{kari.id}", other_admin, json={"card_id": "X"}).status_code == 403
    # null removes it
    assert api("PATCH", f"/users/{kari.id}", admin, json={"card_id": None}).status_code == 200
    db.session.expire_all()
    assert db.session.get(User, kari.id).card_id is None
