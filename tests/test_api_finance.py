"""API: a hub's cost items and funding."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from db_support import count

from hub.accounts.models import Role
from hub.extensions import db
from hub.finance import service as finance
from hub.finance.models import CostItem, Funding
from hub.spaces.models import Hub


@pytest.fixture
def lister(make_hub: Any) -> Hub:
    return make_hub(slug="regionlab-lister", name="RegionLab Lister")


@pytest.fixture
def people(person: Any, make_hub: Any, lister: Hub) -> dict[str, Any]:
    other_hub = make_hub(slug="sentrumsgarden", name="Sentrumsgården")
    return {
        "system_admin": person(is_system_admin=True),
        "hub_admin": person(hub=lister, role=Role.ADMIN),
        "other_hub_admin": person(hub=other_hub, role=Role.ADMIN),
        "employee": person(hub=lister, role=Role.MEMBER),
    }


@pytest.fixture
def rent(lister: Hub) -> CostItem:
    item = finance.create_cost_item(
        lister,
        {
            "category": "rent",
            "description": "Husleie 2026",
            "amount_ore": 120_000_000,
            "starts_on": date(2026, 1, 1),
            "ends_on": date(2026, 12, 31),
        },
    )
    db.session.commit()
    return item


@pytest.fixture
def grant(lister: Hub) -> Funding:
    funding = finance.create_funding(
        lister,
        {
            "kind": "grant",
            "source": "Agder fylkeskommune",
            "amount_ore": 50_000_000,
            "starts_on": date(2026, 1, 1),
            "ends_on": date(2026, 12, 31),
        },
    )
    db.session.commit()
    return funding


# --- cost items -----------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["hub_admin", "system_admin"])
def test_admin_creates_patches_lists_and_deletes_cost_items(api, people, lister, who):
    admin = people[who]

    created = api(
        "POST",
        "/hubs/regionlab-lister/cost-items",
        admin,
        json={
            "category": "fit_out",
            "description": "Innredning",
            "amount_ore": 36_000_000,
            "starts_on": "2026-01-01",
            "amortize_months": 36,
        },
    )

    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert (body["amount_ore"], body["ends_on"]) == (36_000_000, "2028-12-31")
    item = db.session.get(CostItem, body["id"])
    assert (item.hub_id, item.amortize_months) == (lister.id, 36)

    patched = api("PATCH", f"/cost-items/{item.id}", admin, json={"amount_ore": 30_000_000})

    assert patched.status_code == 200
    db.session.refresh(item)
    assert (item.amount_ore, item.description) == (30_000_000, "Innredning")
    assert [c["id"] for c in api("GET", "/hubs/regionlab-lister/cost-items", admin).get_json()] == [
        item.id
    ]
    assert api("GET", f"/cost-items/{item.id}", admin).get_json()["category"] == "fit_out"

    deleted = api("DELETE", f"/cost-items/{item.id}", admin)

    assert deleted.status_code == 204
    assert count(CostItem) == 0


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"amount_ore": -1}, {"amount_ore"}),
        ({"amount_ore": 100.5}, {"amount_ore"}),
        ({"amount_ore": "1000"}, {"amount_ore"}),
        ({"ends_on": "2025-01-01"}, {"ends_on"}),
        ({"category": "coffee"}, {"category"}),
        ({"description": ""}, {"description"}),
        ({"amount_nok": 10}, {"amount_nok"}),
        ({"starts_on": "2026-02-30"}, {"starts_on"}),
    ],
)
def test_invalid_cost_item_is_422_and_creates_nothing(api, people, rent, body, fields):
    valid = {
        "category": "rent",
        "description": "Husleie",
        "amount_ore": 1000,
        "starts_on": "2026-01-01",
        "ends_on": "2026-12-31",
    }

    response = api(
        "POST", "/hubs/regionlab-lister/cost-items", people["hub_admin"], json=valid | body
    )

    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == fields
    assert count(CostItem) == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [({"amount_ore": -5}, "amount_ore"), ({"amount_ore": None}, "amount_ore"), ({"id": 7}, "id")],
)
def test_invalid_cost_item_patch_changes_nothing(api, people, rent, body, field):
    response = api("PATCH", f"/cost-items/{rent.id}", people["hub_admin"], json=body)

    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]
    db.session.refresh(rent)
    assert rent.amount_ore == 120_000_000


# --- funding -------------------------------------------------------------------------------


def test_hub_admin_creates_patches_lists_and_deletes_funding(api, people, lister):
    admin = people["hub_admin"]

    created = api(
        "POST",
        "/hubs/regionlab-lister/funding",
        admin,
        json={
            "kind": "landlord_discount",
            "source": "Lyngdal kommune",
            "amount_ore": 2_400_000,
            "starts_on": "2026-01-01",
            "ends_on": "2026-06-30",
        },
    )

    assert created.status_code == 201, created.get_json()
    funding = db.session.get(Funding, created.get_json()["id"])
    assert (funding.hub_id, funding.description) == (lister.id, "")

    patched = api("PATCH", f"/funding/{funding.id}", admin, json={"description": "Symbolsk leie"})

    assert patched.status_code == 200
    db.session.refresh(funding)
    assert (funding.description, funding.amount_ore) == ("Symbolsk leie", 2_400_000)
    listed = api("GET", "/hubs/regionlab-lister/funding", admin).get_json()
    assert [(f["id"], f["kind"]) for f in listed] == [(funding.id, "landlord_discount")]

    deleted = api("DELETE", f"/funding/{funding.id}", admin)

    assert deleted.status_code == 204
    assert count(Funding) == 0


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"source": ""}, {"source"}),
        ({"amount_ore": -100}, {"amount_ore"}),
        ({"ends_on": None}, {"ends_on"}),
        ({"kind": "loan"}, {"kind"}),
        ({"starts_on": "2027-01-01"}, {"ends_on"}),
        ({"amount": 5}, {"amount"}),
    ],
)
def test_invalid_funding_is_422_and_creates_nothing(api, people, grant, body, fields):
    valid = {
        "kind": "grant",
        "source": "Distriktssenteret",
        "amount_ore": 1000,
        "starts_on": "2026-01-01",
        "ends_on": "2026-12-31",
    }

    response = api("POST", "/hubs/regionlab-lister/funding", people["hub_admin"], json=valid | body)

    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == fields
    assert count(Funding) == 1


# --- rights and unknown ids --------------------------------------------------------------------


@pytest.mark.parametrize("who", ["employee", "other_hub_admin"])
@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/hubs/regionlab-lister/cost-items", None),
        ("POST", "/hubs/regionlab-lister/cost-items", {"category": "rent"}),
        ("GET", "/cost-items/{cost}", None),
        ("PATCH", "/cost-items/{cost}", {"amount_ore": 1}),
        ("DELETE", "/cost-items/{cost}", None),
        ("GET", "/hubs/regionlab-lister/funding", None),
        ("POST", "/hubs/regionlab-lister/funding", {"kind": "grant"}),
        ("GET", "/funding/{funding}", None),
        ("PATCH", "/funding/{funding}", {"amount_ore": 1}),
        ("DELETE", "/funding/{funding}", None),
    ],
)
def test_finance_needs_an_admin_of_this_hub(api, people, rent, grant, who, method, path, body):
    kwargs = {} if body is None else {"json": body}

    response = api(method, path.format(cost=rent.id, funding=grant.id), people[who], **kwargs)

    assert response.status_code == 403
    assert (count(CostItem), count(Funding)) == (1, 1)
    db.session.refresh(rent)
    db.session.refresh(grant)
    assert (rent.amount_ore, grant.amount_ore) == (120_000_000, 50_000_000)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/cost-items/999999"),
        ("PATCH", "/cost-items/999999"),
        ("DELETE", "/cost-items/999999"),
        ("GET", "/funding/999999"),
        ("PATCH", "/funding/999999"),
        ("DELETE", "/funding/999999"),
        ("GET", "/hubs/finnes-ikke/cost-items"),
        ("POST", "/hubs/finnes-ikke/funding"),
    ],
)
def test_unknown_finance_ids_are_404(api, people, method, path):
    kwargs = {"json": {}} if method in {"PATCH", "POST"} else {}

    response = api(method, path, people["system_admin"], **kwargs)

    assert response.status_code == 404
