"""Admin pages for a hub's cost items and funding (hub.finance.views)."""

from __future__ import annotations

import html
from datetime import date

import pytest
import sqlalchemy as sa
from flask import url_for

from hub.accounts.models import Role
from hub.extensions import db
from hub.finance import service
from hub.finance.models import CostCategory, CostItem, Funding, FundingKind
from hub.spaces.models import Hub

WHO = ["anonymous", "employee", "other_admin", "admin", "system_admin"]
EXPECTED = {"employee": 403, "other_admin": 403, "admin": 200, "system_admin": 200}


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.fixture
def hub(make_hub):
    return make_hub(name="RegionLab Lister", slug="regionlab-lister")


@pytest.fixture
def as_admin(hub, make_user, login):
    login(make_user(hub=hub, role=Role.ADMIN))
    return hub


@pytest.fixture
def make_cost(app):
    def make(hub: Hub, **values: object) -> CostItem:
        data = {
            "category": "rent",
            "description": "Husleie 2025",
            "amount_ore": 36_000_000,
            "starts_on": date(2025, 1, 1),
            "ends_on": date(2025, 12, 31),
        } | values
        item = service.create_cost_item(hub, data)
        db.session.commit()
        return item

    return make


@pytest.fixture
def make_funding(app):
    def make(hub: Hub, **values: object) -> Funding:
        data = {
            "kind": "grant",
            "source": "Agder fylkeskommune",
            "amount_ore": 10_000_000,
            "starts_on": date(2025, 1, 1),
            "ends_on": date(2025, 12, 31),
        } | values
        funding = service.create_funding(hub, data)
        db.session.commit()
        return funding

    return make


# --- access ------------------------------------------------------------------

PAGES = [
    ("finance.cost_list", None),
    ("finance.cost_new", None),
    ("finance.cost_edit", "item_id"),
    ("finance.funding_new", None),
    ("finance.funding_edit", "funding_id"),
]


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize(("endpoint", "id_arg"), PAGES)
def test_finance_pages_need_hub_admin(
    client,
    hub,
    make_user,
    make_hub,
    login,
    system_admin,
    make_cost,
    make_funding,
    who,
    endpoint,
    id_arg,
):
    ids = {"item_id": make_cost(hub).id, "funding_id": make_funding(hub).id}
    url = url_for(endpoint, slug=hub.slug, **({id_arg: ids[id_arg]} if id_arg else {}))
    users = {
        "employee": lambda: make_user(),
        "other_admin": lambda: make_user(hub=make_hub(), role=Role.ADMIN),
        "admin": lambda: make_user(hub=hub, role=Role.ADMIN),
        "system_admin": lambda: system_admin,
    }
    if who != "anonymous":
        login(users[who]())

    response = client.get(url)

    if who == "anonymous":
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]
    else:
        assert response.status_code == EXPECTED[who]
        if response.status_code == 200:
            assert text(response).count("<h1") == 1


def test_unknown_hub_is_404(client, login, system_admin):
    login(system_admin)
    assert client.get(url_for("finance.cost_list", slug="finnes-ikke")).status_code == 404


@pytest.mark.parametrize(
    ("endpoint", "method", "id_arg"),
    [
        ("finance.cost_edit", "get", "item_id"),
        ("finance.cost_edit", "post", "item_id"),
        ("finance.cost_delete", "post", "item_id"),
        ("finance.funding_edit", "get", "funding_id"),
        ("finance.funding_edit", "post", "funding_id"),
        ("finance.funding_delete", "post", "funding_id"),
    ],
)
def test_ids_of_another_hub_are_404(
    client, as_admin, make_hub, make_cost, make_funding, endpoint, method, id_arg
):
    other = make_hub()
    item, funding = make_cost(other), make_funding(other)
    ident = item.id if id_arg == "item_id" else funding.id
    url = url_for(endpoint, slug=as_admin.slug, **{id_arg: ident})

    response = client.get(url) if method == "get" else client.post(url, data={})

    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(CostItem, item.id).amount_ore == 36_000_000
    assert db.session.get(Funding, funding.id).amount_ore == 10_000_000


def test_unknown_cost_item_is_404(client, as_admin):
    response = client.get(url_for("finance.cost_edit", slug=as_admin.slug, item_id=9999))
    assert response.status_code == 404


# --- list --------------------------------------------------------------------


def test_list_shows_both_tables_with_totals(client, as_admin, make_cost, make_funding):
    hub = as_admin
    make_cost(hub, description="Husleie 2025", amount_ore=36_000_000)
    make_cost(hub, category="operations", description="Renhold", amount_ore=1_250_050)
    make_funding(hub, kind="landlord_discount", source="Utleier AS", amount_ore=500_000)

    page = text(client.get(url_for("finance.cost_list", slug=hub.slug)))

    assert "Husleie 2025" in page and "Renhold" in page and "Utleier AS" in page
    assert "Operations" in page and "Landlord discount" in page
    assert "kr\u00a0372\u00a0500,50" in page  # cost total
    assert "kr\u00a05\u00a0000,00" in page  # funding total


# --- cost items --------------------------------------------------------------


def cost_form(**changes: str) -> dict[str, str]:
    data = {
        "category": "rent",
        "description": "Husleie 2026",
        "amount_ore": "12 500,50",
        "starts_on": "2026-01-01",
        "ends_on": "2026-12-31",
        "amortize_months": "",
    }
    return data | changes


def test_admin_adds_a_cost_item(client, as_admin):
    hub = as_admin

    response = client.post(url_for("finance.cost_new", slug=hub.slug), data=cost_form())

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/admin/hubs/{hub.slug}/costs")
    item = db.session.scalar(sa.select(CostItem).where(CostItem.hub_id == hub.id))
    assert (item.category, item.description, item.amount_ore) == (
        CostCategory.RENT,
        "Husleie 2026",
        1_250_050,
    )
    assert (item.starts_on, item.ends_on, item.amortize_months) == (
        date(2026, 1, 1),
        date(2026, 12, 31),
        None,
    )


def test_amortized_fit_out_computes_the_last_day(client, as_admin):
    hub = as_admin

    response = client.post(
        url_for("finance.cost_new", slug=hub.slug),
        data=cost_form(
            category="fit_out",
            description="Innredning",
            amount_ore="360000",
            starts_on="2025-01-01",
            ends_on="",
            amortize_months="36",
        ),
    )

    assert response.status_code == 302
    item = db.session.scalar(sa.select(CostItem).where(CostItem.hub_id == hub.id))
    assert (item.category, item.amortize_months) == (CostCategory.FIT_OUT, 36)
    assert (item.starts_on, item.ends_on) == (date(2025, 1, 1), date(2027, 12, 31))


def test_amortize_help_is_on_the_form(client, as_admin):
    page = text(client.get(url_for("finance.cost_new", slug=as_admin.slug)))
    assert "spread the amount straight-line over this many months" in page
    assert "Amount (NOK)" in page


@pytest.mark.parametrize(
    ("changes", "message", "typed"),
    [
        (
            {"amount_ore": "12,345,67"},
            "Write an amount in kroner, like 12500 or 12 500,50.",
            'value="12,345,67"',
        ),
        ({"amount_ore": ""}, "Give the amount in kroner.", 'value="Husleie 2026"'),
        (
            {"starts_on": "2026-06-01", "ends_on": "2026-05-31"},
            "The last day cannot be before the first day.",
            'value="2026-05-31"',
        ),
        ({"ends_on": ""}, "Give the last day.", 'value="12 500,50"'),
        ({"starts_on": "1. januar"}, "Give a date like 2025-01-31.", 'value="1. januar"'),
        (
            {
                "category": "fit_out",
                "starts_on": "2025-01-01",
                "ends_on": "2026-12-31",
                "amortize_months": "36",
            },
            "An amortized cost ends after its months (2027-12-31)",
            'value="2026-12-31"',
        ),
        ({"amortize_months": "-2"}, "Give a whole number of months, one or more.", 'value="-2"'),
        ({"description": ""}, "Describe the cost", 'value="12 500,50"'),
        ({"category": "lunch"}, "Choose one of the listed values.", 'value="Husleie 2026"'),
    ],
)
def test_invalid_cost_item_is_422_and_changes_nothing(client, as_admin, changes, message, typed):
    response = client.post(
        url_for("finance.cost_new", slug=as_admin.slug), data=cost_form(**changes)
    )

    assert response.status_code == 422
    page = text(response)
    assert message in page and typed in page
    assert 'id="error-summary"' in page
    assert count(CostItem) == 0


def test_admin_edits_a_cost_item(client, as_admin, make_cost):
    hub = as_admin
    item = make_cost(hub)

    page = text(client.get(url_for("finance.cost_edit", slug=hub.slug, item_id=item.id)))
    assert 'value="360000"' in page and 'value="2025-12-31"' in page

    response = client.post(
        url_for("finance.cost_edit", slug=hub.slug, item_id=item.id),
        data=cost_form(
            description="Husleie 2025 (ny avtale)",
            amount_ore="380 000",
            starts_on="2025-01-01",
            ends_on="2025-12-31",
        ),
    )

    assert response.status_code == 302
    db.session.expire_all()
    item = db.session.get(CostItem, item.id)
    assert (item.description, item.amount_ore) == ("Husleie 2025 (ny avtale)", 38_000_000)


def test_invalid_cost_edit_keeps_the_item(client, as_admin, make_cost):
    hub = as_admin
    item = make_cost(hub)

    response = client.post(
        url_for("finance.cost_edit", slug=hub.slug, item_id=item.id),
        data=cost_form(amount_ore="12,345,67", description="Endret"),
    )

    assert response.status_code == 422
    assert 'value="Endret"' in text(response)
    db.session.expire_all()
    item = db.session.get(CostItem, item.id)
    assert (item.description, item.amount_ore) == ("Husleie 2025", 36_000_000)


def test_admin_deletes_a_cost_item(client, as_admin, make_cost):
    item = make_cost(as_admin)

    response = client.post(url_for("finance.cost_delete", slug=as_admin.slug, item_id=item.id))

    assert response.status_code == 302
    assert count(CostItem) == 0


# --- funding -----------------------------------------------------------------


def funding_form(**changes: str) -> dict[str, str]:
    data = {
        "kind": "grant",
        "source": "Agder fylkeskommune",
        "description": "Pilotmidler",
        "amount_ore": "250 000",
        "starts_on": "2025-01-01",
        "ends_on": "2025-12-31",
    }
    return data | changes


def test_admin_adds_funding(client, as_admin):
    hub = as_admin

    response = client.post(url_for("finance.funding_new", slug=hub.slug), data=funding_form())

    assert response.status_code == 302
    funding = db.session.scalar(sa.select(Funding).where(Funding.hub_id == hub.id))
    assert (funding.kind, funding.source, funding.description, funding.amount_ore) == (
        FundingKind.GRANT,
        "Agder fylkeskommune",
        "Pilotmidler",
        25_000_000,
    )
    assert (funding.starts_on, funding.ends_on) == (date(2025, 1, 1), date(2025, 12, 31))


@pytest.mark.parametrize(
    ("changes", "message", "typed"),
    [
        ({"amount_ore": "12,345,67"}, "Write an amount in kroner", 'value="12,345,67"'),
        (
            {"starts_on": "2025-06-01", "ends_on": "2025-01-01"},
            "The last day cannot be before the first day.",
            'value="2025-01-01"',
        ),
        ({"source": ""}, "Say who gives the funding.", 'value="Pilotmidler"'),
        ({"kind": "gift"}, "Choose one of the listed values.", 'value="Agder fylkeskommune"'),
    ],
)
def test_invalid_funding_is_422_and_changes_nothing(client, as_admin, changes, message, typed):
    response = client.post(
        url_for("finance.funding_new", slug=as_admin.slug), data=funding_form(**changes)
    )

    assert response.status_code == 422
    page = text(response)
    assert message in page and typed in page
    assert count(Funding) == 0


def test_admin_edits_funding(client, as_admin, make_funding):
    hub = as_admin
    funding = make_funding(hub)

    response = client.post(
        url_for("finance.funding_edit", slug=hub.slug, funding_id=funding.id),
        data=funding_form(kind="landlord_discount", source="Utleier AS", description=""),
    )

    assert response.status_code == 302
    db.session.expire_all()
    funding = db.session.get(Funding, funding.id)
    assert (funding.kind, funding.source, funding.description) == (
        FundingKind.LANDLORD_DISCOUNT,
        "Utleier AS",
        "",
    )


def test_admin_deletes_funding(client, as_admin, make_funding):
    funding = make_funding(as_admin)

    response = client.post(
        url_for("finance.funding_delete", slug=as_admin.slug, funding_id=funding.id)
    )

    assert response.status_code == 302
    assert count(Funding) == 0
