"""A closed period of a hub's books: memberships, costs and funding that count in it stay put."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from flask import Flask

from hub.accounts import service as accounts
from hub.errors import Conflict
from hub.extensions import db
from hub.finance import service as finance
from hub.finance import statements


@pytest.fixture
def closed_hub(app: Flask, make_hub: Callable[..., Any], make_org: Callable[..., Any]):
    hub = make_hub()
    org = make_org()
    membership = accounts.create_membership(
        hub,
        {
            "organization_id": org.id,
            "kind": "partner",
            "starts_on": date(2025, 1, 1),
            "yearly_amount_ore": 7_500_000,
        },
    )
    cost = finance.create_cost_item(
        hub,
        {
            "category": "rent",
            "description": "Husleie 2025",
            "amount_ore": 40_000_000,
            "starts_on": date(2025, 1, 1),
            "ends_on": date(2025, 12, 31),
        },
    )
    statements.close_period(hub, date(2025, 1, 1), date(2025, 6, 30))
    db.session.commit()
    return hub, org, membership, cost


def test_terms_of_a_membership_in_a_closed_period_cannot_change(closed_hub: Any) -> None:
    _hub, _org, membership, _cost = closed_hub
    with pytest.raises(Conflict):
        accounts.update_membership(membership, {"yearly_amount_ore": 8_000_000})
    with pytest.raises(Conflict):
        accounts.delete_membership(membership)
    db.session.rollback()
    assert db.session.get(type(membership), membership.id).yearly_amount_ore == 7_500_000


def test_dates_may_move_outside_the_closed_period(closed_hub: Any) -> None:
    _hub, _org, membership, _cost = closed_hub
    accounts.update_membership(membership, {"ends_on": date(2027, 12, 31)})
    assert membership.ends_on == date(2027, 12, 31)
    with pytest.raises(Conflict):
        accounts.update_membership(membership, {"starts_on": date(2025, 3, 1)})


def test_a_new_membership_cannot_start_inside_a_closed_period(
    closed_hub: Any, make_org: Callable[..., Any]
) -> None:
    hub, _org, _membership, _cost = closed_hub
    other = make_org()
    values = {"organization_id": other.id, "kind": "partner", "starts_on": date(2025, 5, 1)}
    with pytest.raises(Conflict):
        accounts.create_membership(hub, values)
    accounts.create_membership(hub, values | {"starts_on": date(2025, 7, 1)})


def test_costs_and_funding_over_a_closed_period_cannot_change(closed_hub: Any) -> None:
    hub, _org, _membership, cost = closed_hub
    with pytest.raises(Conflict) as caught:
        finance.update_cost_item(cost, {"amount_ore": 41_000_000})
    assert caught.value.detail == {"closed_from": "2025-01-01", "closed_to": "2025-06-30"}
    with pytest.raises(Conflict):
        finance.delete_cost_item(cost)
    with pytest.raises(Conflict):
        finance.create_funding(
            hub,
            {
                "kind": "grant",
                "source": "Fylket",
                "amount_ore": 100_000,
                "starts_on": date(2025, 6, 1),
                "ends_on": date(2025, 7, 31),
            },
        )
    funding = finance.create_funding(
        hub,
        {
            "kind": "grant",
            "source": "Fylket",
            "amount_ore": 100_000,
            "starts_on": date(2025, 7, 1),
            "ends_on": date(2025, 7, 31),
        },
    )
    assert funding.id is not None


def test_closed_period_conflict_reaches_the_api_as_409(
    closed_hub: Any, hub_admin: Callable[..., Any], api: Callable[..., Any]
) -> None:
    hub, _org, _membership, cost = closed_hub
    admin = hub_admin(hub)
    response = api("PATCH", f"/cost-items/{cost.id}", admin, json={"amount_ore": 1})
    assert response.status_code == 409
    assert response.get_json()["error"]["closed_to"] == "2025-06-30"
