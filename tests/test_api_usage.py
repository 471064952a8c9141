"""GET /hubs/{slug}/usage and /occupancy: the dashboard's figures as JSON, with the same rights."""

from __future__ import annotations

import pytest

from hub.accounts.models import Role
from hub.extensions import db

WEEK = "from=2030-01-07&to=2030-01-13"


def test_usage_per_organization_for_the_host(api, busy_hub, hub_admin):
    hub = busy_hub["hub"]
    response = api("GET", f"/hubs/{hub.slug}/usage?{WEEK}", hub_admin(hub))
    assert response.status_code == 200
    body = response.get_json()
    assert (body["first_day"], body["last_day"], body["group_by"]) == (
        "2030-01-07",
        "2030-01-13",
        "organization",
    )
    rows = {r["organization"]: r for r in body["rows"]}
    assert rows["NAV Lister"]["used_desk_days"] == 2
    assert rows["Skatteetaten"]["booked_cell_days"] == 0.5
    assert rows["Skatteetaten"]["people"] == 2
    assert body["totals"]["bookings"] == 5 and body["totals"]["person_days"] == 5


@pytest.mark.parametrize("group_by", ["space", "kind", "day"])
def test_other_groupings_add_up_to_the_totals(api, busy_hub, hub_admin, group_by):
    hub = busy_hub["hub"]
    path = f"/hubs/{hub.slug}/usage?{WEEK}&group_by={group_by}"
    body = api("GET", path, hub_admin(hub)).get_json()
    assert sum(r["booked_hours"] for r in body["rows"]) == body["totals"]["booked_hours"] == 30


def test_occupancy(api, busy_hub, hub_admin):
    hub = busy_hub["hub"]
    body = api("GET", f"/hubs/{hub.slug}/occupancy?{WEEK}", hub_admin(hub)).get_json()
    assert body["open_days"] == 4
    desk = next(k for k in body["kinds"] if k["kind"] == "desk")
    assert (desk["open_hours"], desk["booked_percent"], desk["used_percent"]) == (32, 75, 50)


def test_partner_contact_sees_own_rows_and_merged_groups_only(api, busy_hub, make_user):
    hub = busy_hub["hub"]
    contact = make_user(hub=hub, role=Role.PARTNER_CONTACT, organization=busy_hub["tax"])
    body = api("GET", f"/hubs/{hub.slug}/usage?{WEEK}", contact).get_json()
    assert [r["organization"] for r in body["rows"]] == ["Skatteetaten"]
    assert body["totals"] is None  # NAV Lister alone is one person
    hub.min_group_size = 1
    db.session.commit()
    body = api("GET", f"/hubs/{hub.slug}/usage?{WEEK}", contact).get_json()
    assert {r["organization"] for r in body["rows"]} == {"Skatteetaten", "NAV Lister"}
    assert api("GET", f"/hubs/{hub.slug}/usage?group_by=space", contact).status_code == 403
    assert api("GET", f"/hubs/{hub.slug}/occupancy", contact).status_code == 403


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=2030-02-30", "from"),
        ("from=2030-02-01&to=2030-01-01", "to"),
        ("group_by=person", "group_by"),
        ("colour=blue", "colour"),
    ],
)
def test_bad_queries_are_422_naming_the_parameter(api, busy_hub, hub_admin, query, field):
    hub = busy_hub["hub"]
    response = api("GET", f"/hubs/{hub.slug}/usage?{query}", hub_admin(hub))
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]


def test_rights_and_unknown_hubs(api, busy_hub, make_user):
    hub = busy_hub["hub"]
    member = make_user(hub=hub, role=Role.MEMBER)
    assert api("GET", f"/hubs/{hub.slug}/usage").status_code == 401
    assert api("GET", f"/hubs/{hub.slug}/usage", member).status_code == 403
    assert api("GET", "/hubs/nowhere/usage", member).status_code == 404
    assert api("GET", "/hubs/nowhere/occupancy", member).status_code == 404
