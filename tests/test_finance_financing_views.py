"""Admin pages for a hub's financing model: the year's model, the cost share, CSV, what-if."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
import time_machine
from flask import url_for

from hub.accounts import service as accounts
from hub.accounts.models import Role
from hub.extensions import db
from hub.finance import cost_share, financing
from hub.finance import service as finance
from hub.finance.models import FinancingModel

NBSP = "\u00a0"


def text(response) -> str:
    """The page as a person reads it: entities decoded, no-break spaces as spaces."""
    return html.unescape(response.get_data(as_text=True)).replace(NBSP, " ")


def models(hub) -> dict[int, FinancingModel]:
    db.session.expire_all()
    rows = db.session.scalars(sa.select(FinancingModel).where(FinancingModel.hub_id == hub.id))
    return {m.year: m for m in rows}


def build(make_hub, make_org, *, host: bool = True, slug: str = "regionlab-lister"):
    """A hub for 2026: rent 600 000, a grant of 40 000, two partners with yearly
    amounts (120 000 and 60 000), one partner that carries the residual with a
    cap of 300 000, and the municipality as host, which takes the 80 000 over the cap."""
    hub = make_hub(name="RegionLab Lister", slug=slug)
    orgs = SimpleNamespace(
        kommune=make_org(name="Lyngdal kommune", kind="municipality"),
        nav=make_org(name="NAV Lister"),
        skatt=make_org(name="Skatteetaten"),
        fylke=make_org(name="Agder fylkeskommune", kind="county"),
    )
    start = date(2025, 1, 1)
    terms = [
        (orgs.nav, "partner", {"yearly_amount_ore": 12_000_000}),
        (orgs.skatt, "partner", {"yearly_amount_ore": 6_000_000}),
        (orgs.fylke, "partner", {"carries_residual": True, "cap_ore": 30_000_000}),
    ]
    if host:
        terms.append((orgs.kommune, "host", {}))
    for org, kind, extra in terms:
        accounts.create_membership(
            hub, {"organization_id": org.id, "kind": kind, "starts_on": start, **extra}
        )
    finance.create_cost_item(
        hub,
        {
            "category": "rent",
            "description": "Husleie 2026",
            "amount_ore": 60_000_000,
            "starts_on": date(2026, 1, 1),
            "ends_on": date(2026, 12, 31),
        },
    )
    finance.create_funding(
        hub,
        {
            "kind": "grant",
            "source": "Agder fylkeskommune",
            "amount_ore": 4_000_000,
            "starts_on": date(2026, 1, 1),
            "ends_on": date(2026, 12, 31),
        },
    )
    db.session.commit()
    return SimpleNamespace(hub=hub, **vars(orgs))


@pytest.fixture
def lister(make_hub, make_org):
    return build(make_hub, make_org)


@pytest.fixture
def as_admin(lister, make_user, login):
    login(make_user(hub=lister.hub, role=Role.ADMIN))
    return lister


def overview_url(hub, **args) -> str:
    return url_for("financing.overview", slug=hub.slug, **args)


def model_form(**changes: str) -> dict[str, str]:
    data = {
        "key": "blend",
        "blend_equal_pct": "50",
        "blend_weights_pct": "0",
        "blend_use_pct": "50",
        "blend_area_pct": "",
        "desk_day_weight": "1",
        "cell_day_weight": "1,5",
        "room_hour_weight": "0,25",
        "surplus_policy": "refund",
        "cadence": "quarterly",
        "issue_day": "5",
        "auto_issue": "y",
        "statement_prefix": "lister",
    }
    return data | changes


# --- access ---------------------------------------------------------------------------

ENDPOINTS = [
    ("financing.overview", "get"),
    ("financing.overview", "post"),
    ("financing.cost_share_csv", "get"),
    ("financing.whatif", "get"),
    ("financing.whatif_save", "post"),
]


@pytest.mark.parametrize(("endpoint", "method"), ENDPOINTS)
@pytest.mark.parametrize("who", ["employee", "partner_contact", "other_admin"])
def test_financing_pages_need_an_admin_of_the_hub(
    client, lister, make_user, make_hub, login, endpoint, method, who
):
    users = {
        "employee": lambda: make_user(hub=lister.hub, role=Role.MEMBER),
        "partner_contact": lambda: make_user(
            hub=lister.hub, role=Role.PARTNER_CONTACT, organization=lister.nav
        ),
        "other_admin": lambda: make_user(hub=make_hub(), role=Role.ADMIN),
    }
    login(users[who]())
    url = url_for(endpoint, slug=lister.hub.slug, year=2026)

    response = client.get(url) if method == "get" else client.post(url, data=model_form())

    assert response.status_code == 403
    assert models(lister.hub) == {}


@pytest.mark.parametrize(("endpoint", "method"), ENDPOINTS)
def test_unknown_hub_is_404(client, login, system_admin, endpoint, method):
    login(system_admin)
    url = url_for(endpoint, slug="finnes-ikke")
    response = client.get(url) if method == "get" else client.post(url, data=model_form())
    assert response.status_code == 404


def test_anonymous_is_sent_to_log_in(client, lister):
    response = client.get(overview_url(lister.hub))
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_hub_overview_links_to_financing_and_statements(client, as_admin):
    hub = as_admin.hub
    page = text(client.get(url_for("spaces_admin.hub_overview", slug=hub.slug)))
    assert f'href="/admin/hubs/{hub.slug}/financing"' in page
    assert f'href="/admin/hubs/{hub.slug}/financing/what-if"' in page
    assert url_for("statements.admin_list", slug=hub.slug, _external=False) in page


# --- the overview: model and cost share -------------------------------------------------


def test_overview_shows_every_share_with_its_explanation(client, as_admin):
    hub = as_admin.hub

    response = client.get(overview_url(hub, year=2026))

    assert response.status_code == 200
    page = text(response)
    assert page.count("<h1") == 1
    assert "Financing of RegionLab Lister in 2026" in page
    assert "No model is saved for 2026, so the defaults apply." in page
    # net cost: the cost pool and the funding
    assert "Husleie 2026" in page and "Funding: Agder fylkeskommune" in page
    assert "kr 600 000,00, the whole range" in page
    assert re.search(r"Net cost</th>\s*<td class=\"numeric\">kr 560 000,00</td>", page)
    # one row per organization, with each part's label and explanation under it
    assert "Yearly contribution (kr 120 000,00): kr 120 000,00 a year, the whole year" in page
    assert "Yearly contribution (kr 60 000,00): kr 60 000,00 a year, the whole year" in page
    assert "Share of the residual (kr 300 000,00):" in page
    assert (
        "= 100 % of kr 380 000,00 residual; capped: the agreed cap is kr 300 000,00 for the "
        "period, which leaves kr 300 000,00 after the fixed amounts"
    ) in page
    assert "Host: what no one else carries (kr 80 000,00):" in page
    assert "kr 80 000,00 of the residual kr 380 000,00 that no partner carries" in page
    for name in ("Agder fylkeskommune", "Lyngdal kommune", "NAV Lister", "Skatteetaten"):
        assert f'<th scope="row">{name}</th>' in page
    # the shares add up to the net cost
    assert re.search(r"Total</th>\s*<td class=\"numeric\">kr 560 000,00</td>", page)
    assert "Equals the net cost." in page
    assert "<caption>" in page and 'scope="col"' in page
    assert "not covered" not in page


def test_shares_add_up_to_the_net_cost(app, lister):
    result = cost_share.compute(lister.hub, date(2026, 1, 1), date(2026, 12, 31))
    lines = cost_share.lines(result)
    assert sum(line.amount_ore for line in lines) == result.net_cost_ore == 56_000_000
    assert {line.name: line.amount_ore for line in lines} == {
        "Agder fylkeskommune": 30_000_000,
        "Lyngdal kommune": 8_000_000,
        "NAV Lister": 12_000_000,
        "Skatteetaten": 6_000_000,
    }


def test_a_shorter_period_is_prorated(client, as_admin):
    page = text(
        client.get(
            overview_url(as_admin.hub, year=2026, **{"from": "2026-01-01", "to": "2026-03-31"})
        )
    )
    assert "90 of 365 days of kr 600 000,00" in page
    assert "kr 120 000,00 a year × 90/365 days" in page
    assert 'value="2026-01-01"' in page and 'value="2026-03-31"' in page


def test_without_a_host_what_nobody_carries_is_a_warning(
    client, make_hub, make_org, make_user, login
):
    lister = build(make_hub, make_org, host=False)
    login(make_user(hub=lister.hub, role=Role.ADMIN))

    page = text(client.get(overview_url(lister.hub, year=2026)))

    assert "kr 80 000,00 is not covered" in page
    assert "The hub has no host membership in the period" in page
    assert re.search(r"Not covered</th>\s*<td class=\"numeric\">kr 80 000,00</td>", page)
    assert re.search(r"Total</th>\s*<td class=\"numeric\">kr 560 000,00</td>", page)


def test_default_year_is_this_year_in_oslo(client, lister, make_user, login):
    # 23:30 UTC on New Year's Eve is already 2027 in Norway.
    with time_machine.travel(datetime(2026, 12, 31, 23, 30, tzinfo=UTC), tick=False):
        login(make_user(hub=lister.hub, role=Role.ADMIN))
        page = text(client.get(overview_url(lister.hub)))
    assert "Financing of RegionLab Lister in 2027" in page
    assert 'value="2027-01-01"' in page and 'value="2027-12-31"' in page


def test_admin_saves_the_model_for_a_year(client, as_admin):
    hub = as_admin.hub

    response = client.post(overview_url(hub, year=2026), data=model_form())

    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/admin/hubs/{hub.slug}/financing?year=2026")
    saved = models(hub)
    assert set(saved) == {2026}
    m = saved[2026]
    assert (m.key, m.blend_equal_pct, m.blend_use_pct, m.blend_area_pct) == (
        "blend",
        Decimal(50),
        Decimal(50),
        Decimal(0),
    )
    assert (m.cell_day_weight, m.room_hour_weight) == (Decimal("1.5"), Decimal("0.25"))
    assert (m.surplus_policy, m.cadence, m.issue_day, m.auto_issue) == (
        "refund",
        "quarterly",
        5,
        True,
    )
    assert m.statement_prefix == "LISTER"
    page = text(client.get(response.headers["Location"]))
    assert "The financing model for 2026 has been saved." in page
    assert "No model is saved" not in page
    assert "split by Blend: 50 % equal shares, 50 % measured use" in page


def test_a_year_without_a_model_shows_the_one_before(client, as_admin):
    hub = as_admin.hub
    client.post(overview_url(hub, year=2025), data=model_form(key="use"))

    page = text(client.get(overview_url(hub, year=2026)))

    assert "No model is saved for 2026, so the model for 2025 applies." in page
    assert re.search(r'<input [^>]*checked[^>]*value="use"', page)
    assert set(models(hub)) == {2025}


def test_a_blend_that_is_not_100_is_422_and_keeps_what_was_typed(client, as_admin):
    hub = as_admin.hub

    response = client.post(
        overview_url(hub, year=2026),
        data=model_form(blend_equal_pct="40", statement_prefix="Lister"),
    )

    assert response.status_code == 422
    page = text(response)
    assert "The blend's percentages must add up to 100 (now 90)." in page
    assert 'id="blend_equal_pct-error"' in page
    assert re.search(r'id="blend_equal_pct"[^>]*value="40"', page)
    assert re.search(r'id="statement_prefix"[^>]*value="Lister"', page)
    assert re.search(r'<input [^>]*checked[^>]*value="blend"', page)
    assert models(hub) == {}


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"issue_day": "29"}, "issue_day", "Give a day of the month from 1 to 28."),
        ({"statement_prefix": "L"}, "statement_prefix", "Use 2 to 20 capital letters"),
        (
            {"key": "use", "desk_day_weight": "0", "cell_day_weight": "0", "room_hour_weight": ""},
            "desk_day_weight",
            "At least one kind of use must count.",
        ),
        ({"cell_day_weight": "tre"}, "cell_day_weight", "Write a number"),
        ({"key": "lottery"}, "key", "Choose one of the listed values."),
    ],
)
def test_invalid_model_is_422_and_saves_nothing(client, as_admin, changes, field, message):
    response = client.post(overview_url(as_admin.hub, year=2026), data=model_form(**changes))
    assert response.status_code == 422
    page = text(response)
    assert f'id="{field}-error"' in page
    assert message in page
    assert models(as_admin.hub) == {}


@pytest.mark.parametrize(
    ("args", "field", "message"),
    [
        ({"year": "2026", "from": "2026-13-01"}, "from", "Give the first day as YYYY-MM-DD."),
        ({"year": "2026", "to": "tomorrow"}, "to", "Give the last day as YYYY-MM-DD."),
        ({"from": "2026-06-01", "to": "2026-05-31"}, "to", "cannot be before the first day"),
        ({"from": "2026-06-01", "to": "2027-01-31"}, "to", "within one calendar year"),
        ({"year": "2026", "from": "2025-01-01", "to": "2025-12-31"}, "from", "Choose days in 2026"),
        ({"year": "19x6"}, "year", "Give a year from 2000 to 2100."),
    ],
)
@pytest.mark.parametrize("endpoint", ["financing.overview", "financing.cost_share_csv"])
def test_a_bad_period_is_422_and_keeps_what_was_typed(
    client, as_admin, endpoint, args, field, message
):
    response = client.get(url_for(endpoint, slug=as_admin.hub.slug, **args))

    assert response.status_code == 422
    assert response.mimetype == "text/html"
    page = text(response)
    assert message in page
    assert "Who pays what" not in page
    if field != "year":
        assert f'id="period-{field}-error"' in page
        assert f'value="{args[field]}"' in page


# --- CSV --------------------------------------------------------------------------------


def csv_rows(response) -> list[dict[str, str]]:
    body = response.get_data(as_text=True)
    assert body.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(body.removeprefix("\ufeff"))))


def test_cost_share_csv_has_a_row_per_part(client, as_admin):
    hub = as_admin.hub

    response = client.get(
        url_for(
            "financing.cost_share_csv", slug=hub.slug, **{"from": "2026-01-01", "to": "2026-12-31"}
        )
    )

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert (
        'filename="cost-share-regionlab-lister-2026-01-01-2026-12-31.csv"'
        in (response.headers["Content-Disposition"])
    )
    rows = csv_rows(response)
    assert list(rows[0]) == [
        "organization_id",
        "organization",
        "component",
        "amount_nok",
        "explanation",
    ]
    assert [
        (r["organization_id"], r["organization"], r["component"], r["amount_nok"]) for r in rows
    ] == [
        (str(as_admin.fylke.id), "Agder fylkeskommune", "residual", "300000.00"),
        (str(as_admin.kommune.id), "Lyngdal kommune", "host", "80000.00"),
        (str(as_admin.nav.id), "NAV Lister", "contribution", "120000.00"),
        (str(as_admin.skatt.id), "Skatteetaten", "contribution", "60000.00"),
    ]
    assert sum(Decimal(r["amount_nok"]) for r in rows) == Decimal("560000.00")
    nav = rows[2]["explanation"].replace(NBSP, " ")
    assert nav == "kr 120 000,00 a year, the whole year"


def test_cost_share_csv_has_the_hub_lines(client, make_hub, make_org, make_user, login):
    lister = build(make_hub, make_org, host=False)
    login(make_user(hub=lister.hub, role=Role.ADMIN))

    rows = csv_rows(
        client.get(url_for("financing.cost_share_csv", slug=lister.hub.slug, year=2026))
    )

    last = rows[-1]
    assert (last["organization_id"], last["organization"], last["component"]) == (
        "",
        "Not covered",
        "uncovered",
    )
    assert last["amount_nok"] == "80000.00"
    assert last["explanation"] == "No host membership carries what the partners do not."
    assert sum(Decimal(r["amount_nok"]) for r in rows) == Decimal("560000.00")


def test_cost_share_csv_keeps_a_surplus_line(client, as_admin):
    hub = as_admin.hub
    # Partners pay 180 000 a year; a cost of 100 000 leaves 80 000 paid beyond it.
    finance.delete_funding(hub.funding[0])
    item = hub.cost_items[0]
    finance.update_cost_item(item, {"amount_ore": 10_000_000})
    db.session.commit()

    rows = csv_rows(client.get(url_for("financing.cost_share_csv", slug=hub.slug, year=2026)))

    assert rows[-1]["component"] == "surplus_kept"
    assert rows[-1]["amount_nok"] == "-80000.00"
    assert sum(Decimal(r["amount_nok"]) for r in rows) == Decimal("100000.00")


# --- what-if ----------------------------------------------------------------------------


def whatif_url(hub, **args) -> str:
    return url_for("financing.whatif", slug=hub.slug, **args)


def header_cells(page: str) -> list[str]:
    thead = re.search(r"<thead>(.*?)</thead>", page.split('id="result-heading"')[1], re.S)
    assert thead
    return [
        re.sub(r"<.*?>", "", c).strip() for c in re.findall(r"<th[^>]*>.*?</th>", thead[1], re.S)
    ]


def body_row(page: str, name: str) -> list[str]:
    table = page.split('id="result-heading"')[1]
    row = re.search(rf'<th scope="row">{re.escape(name)}</th>(.*?)</tr>', table, re.S)
    assert row, name
    return [c.strip() for c in re.findall(r'<td class="numeric">(.*?)</td>', row[1], re.S)]


def test_whatif_compares_the_model_with_use_and_a_blend_by_default(client, as_admin):
    response = client.get(whatif_url(as_admin.hub, year=2026))

    assert response.status_code == 200
    page = text(response)
    assert page.count("<h1") == 1
    assert header_cells(page) == [
        "Organization",
        "Candidate 1",
        "Candidate 2",
        "Difference from candidate 1",
        "Candidate 3",
        "Difference from candidate 1",
    ]
    assert "Candidate 1: Equal shares" in page
    assert "Candidate 2: Measured use" in page
    assert "Candidate 3: Blend: 50 % equal shares, 50 % measured use" in page
    # Nobody has booked anything, so measured use leaves the residual to the host.
    assert body_row(page, "Agder fylkeskommune") == [
        "kr 300 000,00",
        "kr 0,00",
        "−kr 300 000,00",
        "kr 190 000,00",
        "−kr 110 000,00",
    ]
    assert body_row(page, "Lyngdal kommune") == [
        "kr 80 000,00",
        "kr 380 000,00",
        "+kr 300 000,00",
        "kr 190 000,00",
        "+kr 110 000,00",
    ]
    assert body_row(page, "NAV Lister")[2] == "kr 0,00"
    assert body_row(page, "Total for the organizations") == [
        "kr 560 000,00",
        "kr 560 000,00",
        "kr 0,00",
        "kr 560 000,00",
        "kr 0,00",
    ]
    assert body_row(page, "Surplus kept by the hub")[0] == "kr 0,00"
    assert body_row(page, "Not covered")[0] == "kr 0,00"
    # the chart: one bar per organization and candidate, in whole kroner
    assert page.count('class="chart__bar') == 4 * 3
    assert "<title>Lyngdal kommune: 380000</title>" in page
    assert page.count('action="/admin/hubs/regionlab-lister/financing/what-if/save"') == 3


def test_whatif_with_two_candidates(client, as_admin):
    response = client.get(
        whatif_url(
            as_admin.hub,
            **{"from": "2026-01-01", "to": "2026-12-31"},
            c1_key="equal",
            c1_surplus_policy="carry_forward",
            c2_key="use",
            c2_desk_day_weight="1",
            c2_surplus_policy="carry_forward",
            c3_key="",
            c4_key="",
        )
    )

    assert response.status_code == 200
    page = text(response)
    assert header_cells(page) == [
        "Organization",
        "Candidate 1",
        "Candidate 2",
        "Difference from candidate 1",
    ]
    assert body_row(page, "Agder fylkeskommune") == ["kr 300 000,00", "kr 0,00", "−kr 300 000,00"]
    assert page.count('class="chart__bar') == 4 * 2
    assert models(as_admin.hub) == {}


def test_whatif_without_a_host_shows_what_is_not_covered(
    client, make_hub, make_org, make_user, login
):
    lister = build(make_hub, make_org, host=False)
    login(make_user(hub=lister.hub, role=Role.ADMIN))

    page = text(client.get(whatif_url(lister.hub, year=2026)))

    assert body_row(page, "Not covered") == [
        "kr 80 000,00",
        "kr 380 000,00",
        "+kr 300 000,00",
        "kr 190 000,00",
        "+kr 110 000,00",
    ]
    assert "Under some candidates part of the net cost is not covered" in page


@pytest.mark.parametrize(
    ("args", "field", "message"),
    [
        (
            {"c2_key": "blend", "c2_blend_equal_pct": "40", "c2_blend_use_pct": "50"},
            "c2_blend_equal_pct",
            "must add up to 100 (now 90)",
        ),
        (
            {"c3_key": "use", "c3_desk_day_weight": "mye"},
            "c3_desk_day_weight",
            "Write a number",
        ),
        (
            {
                "c4_key": "use",
                "c4_desk_day_weight": "0",
                "c4_cell_day_weight": "0",
                "c4_room_hour_weight": "0",
            },
            "c4_desk_day_weight",
            "At least one kind of use must count.",
        ),
        ({"c1_key": "lottery"}, "c1_key", "Choose one of the listed values."),
        ({"from": "2026-02-30"}, "whatif-from", "Give the first day as YYYY-MM-DD."),
    ],
)
def test_a_bad_candidate_is_422_with_the_error_next_to_it(client, as_admin, args, field, message):
    base = {"c1_key": "equal", "c2_key": "use", "c3_key": "", "c4_key": ""}

    response = client.get(whatif_url(as_admin.hub, **(base | args)))

    assert response.status_code == 422
    page = text(response)
    assert f'id="{field}-error"' in page
    assert message in page
    assert f'href="#{field}"' in page  # the error summary points at the field
    assert 'id="result-heading"' not in page
    typed = args.get(field.removeprefix("whatif-"))
    if typed and field != "c1_key":
        assert f'value="{typed}"' in page


def test_saving_a_candidate_keeps_the_years_statement_settings(client, as_admin):
    hub = as_admin.hub
    client.post(overview_url(hub, year=2026), data=model_form(key="equal"))

    response = client.post(
        url_for("financing.whatif_save", slug=hub.slug),
        data={
            "year": "2026",
            "key": "blend",
            "blend_equal_pct": "30",
            "blend_weights_pct": "0",
            "blend_use_pct": "70",
            "blend_area_pct": "0",
            "desk_day_weight": "1",
            "cell_day_weight": "2",
            "room_hour_weight": "0,5",
            "surplus_policy": "reserve",
        },
    )

    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/admin/hubs/{hub.slug}/financing?year=2026")
    m = models(hub)[2026]
    assert (m.key, m.blend_equal_pct, m.blend_use_pct) == ("blend", Decimal(30), Decimal(70))
    assert (m.cell_day_weight, m.room_hour_weight, m.surplus_policy) == (
        Decimal(2),
        Decimal("0.5"),
        "reserve",
    )
    assert (m.cadence, m.issue_day, m.auto_issue, m.statement_prefix) == (
        "quarterly",
        5,
        True,
        "LISTER",
    )
    page = text(client.get(response.headers["Location"]))
    assert "The model for 2026 has been saved: Blend: 30 % equal shares, 70 % measured use." in page


def test_the_save_buttons_post_what_was_compared(client, as_admin):
    hub = as_admin.hub
    page = client.get(whatif_url(hub, year=2026)).get_data(as_text=True)
    forms = re.findall(r'<form method="post" action="[^"]*/what-if/save">(.*?)</form>', page, re.S)
    third = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', forms[2]))
    del third["csrf_token"]

    response = client.post(url_for("financing.whatif_save", slug=hub.slug), data=third)

    assert response.status_code == 303
    m = models(hub)[2026]
    assert (m.key, m.blend_equal_pct, m.blend_use_pct, m.blend_weights_pct) == (
        "blend",
        Decimal(50),
        Decimal(50),
        Decimal(0),
    )
    # nothing saved before: the 2026 row has the defaults' statement settings
    assert (m.cadence, m.issue_day, m.statement_prefix) == ("yearly", 10, "LISTER")


def test_saving_a_bad_candidate_is_422_and_saves_nothing(client, as_admin):
    hub = as_admin.hub
    url = url_for("financing.whatif_save", slug=hub.slug)

    bad_blend = client.post(
        url, data={"year": "2026", "key": "blend", "blend_equal_pct": "40", "blend_use_pct": "50"}
    )
    bad_year = client.post(url, data={"year": "1999", "key": "use", "desk_day_weight": "1"})

    assert bad_blend.status_code == 422
    page = text(bad_blend)
    assert 'id="blend_equal_pct-error"' in page and "must add up to 100" in page
    assert re.search(r'id="blend_equal_pct"[^>]*value="40"', page)
    assert bad_year.status_code == 422
    assert "Give a year from 2000 to 2100." in text(bad_year)
    assert models(hub) == {}


def test_candidate_service_and_page_agree(app, lister):
    """The page's candidate 3 is the same model as the service builds from its fields."""
    model = financing.candidate({"key": "blend", "blend_equal_pct": "50", "blend_use_pct": "50"})
    result = cost_share.compute(lister.hub, date(2026, 1, 1), date(2026, 12, 31), model)
    assert result.share_of(lister.fylke.id).amount_ore == 19_000_000
