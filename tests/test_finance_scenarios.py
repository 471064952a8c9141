"""The financing model on the three pilot hubs, with figures checked by hand.

DESIGN.md section 6 and docs/hubfile.md ("Demo data"): each hub is built here
with its financing as in hub/hubfile/demo.yaml, and every expected amount is
written out with the arithmetic behind it in the comments. Amounts are øre
(NOK x 100): 7_500_000 øre = NOK 75 000.

Proration by day rounds the running total half up (hub.finance.allocation):
the part of an amount A over a range of T days that falls in days d1..d2 is
round(A * d2 / T) - round(A * (d1 - 1) / T).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from hub.accounts import service as accounts
from hub.accounts.models import Organization
from hub.booking import service as booking
from hub.extensions import db
from hub.finance import cost_share, financing, statements
from hub.finance import service as finance
from hub.finance.allocation import Allocation, Component
from hub.finance.periods import cadence_periods
from hub.spaces.models import Hub

OSLO = ZoneInfo("Europe/Oslo")


# --- building a hub ----------------------------------------------------------------


def local(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=OSLO).astimezone(UTC)


def book(user, space, day: date, start: int = 8, end: int = 16):
    """A booking on ``day`` from ``start`` to ``end`` o'clock, made the day before.

    The hub opens 08-16: 08-16 is one desk- or cell-day, 08-12 half a day.
    """
    return booking.create_booking(
        user, space, local(day, start), local(day, end), now=local(day, start) - timedelta(days=1)
    )


def member(hub: Hub, org: Organization, kind: str, starts_on: date, **terms) -> None:
    accounts.create_membership(
        hub, {"organization_id": org.id, "kind": kind, "starts_on": starts_on, **terms}
    )


def cost(hub: Hub, category: str, description: str, amount_ore: int, first, last=None, **more):
    values = {"category": category, "description": description, "amount_ore": amount_ore}
    values |= {"starts_on": first, **({"ends_on": last} if last else {}), **more}
    return finance.create_cost_item(hub, values)


def amounts(result: Allocation) -> dict[str, int]:
    return {share.name: share.amount_ore for share in result.shares}


def assert_lines_add_up(result: Allocation) -> None:
    """The lines of the page, API and CSV add up to the net cost, to the øre."""
    assert sum(line.amount_ore for line in cost_share.lines(result)) == result.net_cost_ore


def flat(text: str) -> str:
    """No-break spaces (thousands, 'kr 75 000') as plain spaces."""
    return text.replace("\u00a0", " ").replace("\u202f", " ")


def numbers(text: str) -> list[str]:
    """The figures in an explanation, in order: the words may be translated, these not.

    'kr 75 000,00 a year × 90/365 days' -> ['75 000,00', '90', '365']
    """
    return re.findall(r"\d+(?:[ ,.]\d+)*", flat(text))


# --- RegionLab Lister 2026 ------------------------------------------------------------

LISTER_PARTNERS = {
    "Agder fylkeskommune": 10_000_000,  # NOK 100 000 a year
    "Statsforvalteren i Agder": 7_500_000,  # NOK 75 000 a year, and the three below
    "Arbeids- og velferdsetaten": 7_500_000,
    "Skatteetaten": 7_500_000,
    "Lister interkommunale politiske råd": 7_500_000,
}
LISTER_PROJECTS = {
    "Stimulab – arealforvaltning i Lister": 500_000,  # NOK 5 000 a month
    "Bærekraftig landbruk i Lister": 400_000,  # NOK 4 000 a month
}
UIA = "Universitetet i Agder"
LYNGDAL = "Lyngdal kommune"


@pytest.fixture
def lister(make_hub, make_org, make_space, make_user):
    hub = make_hub(slug="regionlab-lister", name="RegionLab Lister", municipality="Lyngdal")
    desk, cell = make_space(hub, kind="desk"), make_space(hub, kind="cell")
    room = make_space(hub, kind="meeting_room", capacity=8)
    orgs = {LYNGDAL: make_org(name=LYNGDAL, kind="municipality")}
    member(hub, orgs[LYNGDAL], "host", date(2023, 1, 1))
    for name, yearly in LISTER_PARTNERS.items():
        orgs[name] = make_org(name=name)
        member(
            hub,
            orgs[name],
            "partner",
            date(2025, 7, 1),
            ends_on=date(2027, 12, 31),
            yearly_amount_ore=yearly,
        )
    for name, monthly in LISTER_PROJECTS.items():
        orgs[name] = make_org(name=name, kind="project")
        member(
            hub,
            orgs[name],
            "project",
            date(2025, 7, 1),
            ends_on=date(2026, 12, 31),
            monthly_overhead_ore=monthly,
        )
    orgs[UIA] = make_org(name=UIA, kind="university")
    member(
        hub,
        orgs[UIA],
        "guest",
        date(2025, 7, 1),
        desk_day_rate_ore=15_000,  # NOK 150 a desk-day
        cell_day_rate_ore=25_000,  # NOK 250 a cell-day
        room_hour_rate_ore=20_000,  # NOK 200 a room-hour
    )
    cost(hub, "rent", "Husleie 2026", 41_000_000, date(2026, 1, 1), date(2026, 12, 31))
    cost(hub, "operations", "Drift 2026", 11_000_000, date(2026, 1, 1), date(2026, 12, 31))
    # The guest's use, quarter by quarter (no public holidays among these days):
    ola = make_user(home_organization=orgs[UIA], password=None)
    book(ola, desk, date(2026, 1, 13))  # Q1: 1 desk-day            = NOK 150
    book(ola, room, date(2026, 2, 11), 9, 11)  # Q1: 2 room-hours   = NOK 400  -> Q1 NOK 550
    book(ola, cell, date(2026, 4, 14))  # Q2: 1 cell-day            = NOK 250
    book(ola, desk, date(2026, 5, 13), 8, 12)  # Q2: 0.5 desk-day   = NOK  75  -> Q2 NOK 325
    book(ola, room, date(2026, 9, 10), 9, 12)  # Q3: 3 room-hours   = NOK 600  -> Q3 NOK 600
    book(ola, cell, date(2026, 11, 9))  # Q4: 1 cell-day            = NOK 250
    book(ola, cell, date(2026, 11, 10))  # Q4: 1 cell-day           = NOK 250
    book(ola, desk, date(2026, 11, 11))  # Q4: 1 desk-day           = NOK 150  -> Q4 NOK 650
    db.session.commit()
    return hub, orgs


def test_regionlab_lister_2026_year(lister):
    hub, _orgs = lister

    result = cost_share.compute(hub, date(2026, 1, 1), date(2026, 12, 31))

    # Cost pool: rent NOK 410 000 + operations NOK 110 000 = NOK 520 000, no funding.
    assert (result.cost_ore, result.funding_ore, result.net_cost_ore) == (52_000_000, 0, 52_000_000)
    # Partners: 100 000 + 4 x 75 000 = NOK 400 000 (members all year: the full amount).
    # Projects: (5 000 + 4 000) x 12 months = NOK 108 000.
    # Guest UiA: 2.5 desk-days x 150 + 3 cell-days x 250 + 5 room-hours x 200
    #          = 375 + 750 + 1 000 = NOK 2 125.
    # Host Lyngdal: 520 000 - 400 000 - 108 000 - 2 125 = NOK 9 875.
    assert amounts(result) == {
        **LISTER_PARTNERS,
        "Stimulab – arealforvaltning i Lister": 6_000_000,
        "Bærekraftig landbruk i Lister": 4_800_000,
        UIA: 212_500,
        LYNGDAL: 987_500,
    }
    assert result.residual_ore == 987_500  # the partners carry none of it: all to the host
    [host_part] = result.share_of(_orgs[LYNGDAL].id).parts
    assert host_part.component is Component.HOST
    assert_lines_add_up(result)


def test_regionlab_lister_2026_quarters_add_up_to_the_year(lister):
    hub, _orgs = lister
    year = amounts(cost_share.compute(hub, date(2026, 1, 1), date(2026, 12, 31)))

    quarters = [amounts(cost_share.compute(hub, *q)) for q in cadence_periods("quarterly", 2026)]

    for name, total in year.items():
        assert sum(q.get(name, 0) for q in quarters) == total, name
    # Q1 is 31 + 28 + 31 = 90 of 365 days:
    #   rent       41 000 000 x 90/365 = 10 109 589.04 -> 10 109 589
    #   operations 11 000 000 x 90/365 =  2 712 328.77 ->  2 712 329   pool 12 821 918
    #   Agder      10 000 000 x 90/365 =  2 465 753.42 ->  2 465 753
    #   the others  7 500 000 x 90/365 =  1 849 315.07 ->  1 849 315 each
    #   projects   3 months x 500 000 and 3 x 400 000
    #   UiA        1 desk-day x 15 000 + 2 room-hours x 20 000 = 55 000
    #   Lyngdal    12 821 918 - 2 465 753 - 4 x 1 849 315 - 2 700 000 - 55 000 = 203 905
    assert quarters[0] == {
        "Agder fylkeskommune": 2_465_753,
        "Statsforvalteren i Agder": 1_849_315,
        "Arbeids- og velferdsetaten": 1_849_315,
        "Skatteetaten": 1_849_315,
        "Lister interkommunale politiske råd": 1_849_315,
        "Stimulab – arealforvaltning i Lister": 1_500_000,
        "Bærekraftig landbruk i Lister": 1_200_000,
        UIA: 55_000,
        LYNGDAL: 203_905,
    }
    # The guest, quarter by quarter: NOK 550 + 325 + 600 + 650 = NOK 2 125.
    assert [q[UIA] for q in quarters] == [55_000, 32_500, 60_000, 65_000]


def test_regionlab_lister_q1_statement_explains_the_contribution(lister):
    hub, orgs = lister
    org = orgs["Statsforvalteren i Agder"]

    with time_machine.travel(datetime(2026, 4, 10, 8, tzinfo=UTC), tick=False):
        draft = statements.create_draft(hub, org, date(2026, 1, 1), date(2026, 3, 31))
        issued = statements.issue(draft)
        db.session.commit()

    document = issued.document
    assert issued.number == "LISTER-2026-0001"
    assert issued.total_ore == 1_849_315  # 7 500 000 x 90/365, as in the quarter test
    [line] = document["lines"]
    assert line["amount_ore"] == 1_849_315
    # "kr 75 000,00 a year x 90/365 days", in the document's language
    # (Norwegian: decimal comma): 75 000 x 90/365 = 18 493,15.
    explanation = flat(line["explanation"])
    assert "75 000" in explanation and "90" in explanation
    assert numbers(explanation) == ["75 000,00", "90", "365"]
    assert flat(document["total"]) == "kr 18 493,15"
    assert issued.content_hash == statements.content_hash(document)


def test_regionlab_lister_guest_line_shows_units_and_rates(lister):
    hub, orgs = lister

    result = cost_share.compute(hub, date(2026, 1, 1), date(2026, 3, 31))

    [line] = [x for x in cost_share.lines(result) if x.organization_id == orgs[UIA].id]
    assert line.amount_ore == 55_000
    # 1 desk-day x kr 150,00 + 2 room-hours x kr 200,00
    assert numbers(line.explanation) == ["1", "150,00", "2", "200,00"]


# --- Sentrumsgården 2025 -------------------------------------------------------------

NARVIK = "Narvik kommune"
NARVIK_PARTNERS = [
    "Arbeids- og velferdsetaten",
    "Skatteetaten",
    "Politiet",
    "Norges vassdrags- og energidirektorat",
    "Utlendingsdirektoratet",
    "UiT Norges arktiske universitet",
    "Brønnøysundregistrene",
    "Statsforvalteren i Nordland",
    "Nordland fylkeskommune",
]
NAV, SKATT, POLITIET, NVE = NARVIK_PARTNERS[:4]
H1 = (date(2025, 1, 1), date(2025, 6, 30))  # 181 days
H2 = (date(2025, 7, 1), date(2025, 12, 31))  # 184 days


@pytest.fixture
def narvik(make_hub, make_org, make_space, make_user):
    hub = make_hub(slug="sentrumsgarden", name="Sentrumsgården", municipality="Narvik")
    desk = make_space(hub, kind="desk")
    cells = [make_space(hub, kind="cell"), make_space(hub, kind="cell")]
    room = make_space(hub, kind="meeting_room", capacity=12)
    orgs = {NARVIK: make_org(name=NARVIK, kind="municipality")}
    member(hub, orgs[NARVIK], "host", date(2024, 1, 1))
    for name in NARVIK_PARTNERS:
        orgs[name] = make_org(name=name)
        member(hub, orgs[name], "partner", date(2024, 1, 1), carries_residual=True)
    cost(hub, "rent", "Symbolsk husleie", 1_800_000, date(2024, 1, 1), date(2025, 6, 30))
    cost(hub, "rent", "Husleie", 24_000_000, date(2025, 7, 1), date(2025, 12, 31))
    fit_out = cost(hub, "fit_out", "Innredning", 60_000_000, date(2025, 1, 1), amortize_months=24)
    cost(hub, "operations", "Drift 2025", 37_000_000, date(2025, 1, 1), date(2025, 12, 31))
    financing.save_model(hub, 2025, {"key": "use"})
    # The same use in each half year, in units of the default weights
    # (desk-day 1, cell-day 1.5, room-hour 0.25):
    #   NAV         2 desk-days                        = 2
    #   Skatteetaten 1 cell-day                        = 1.5
    #   Politiet    2 room-hours                       = 0.5
    #   NVE         half a cell-day + 1 room-hour      = 0.75 + 0.25 = 1
    #   per half year 5 units, so 10 units in the year: 40 %, 30 %, 10 %, 20 %.
    users = {
        name: make_user(home_organization=orgs[name], password=None) for name in NARVIK_PARTNERS[:4]
    }
    for tuesday in (date(2025, 2, 4), date(2025, 9, 9)):
        wednesday = tuesday + timedelta(days=1)
        book(users[NAV], desk, tuesday)
        book(users[NAV], desk, wednesday)
        book(users[SKATT], cells[0], tuesday)
        book(users[POLITIET], room, tuesday, 9, 11)
        book(users[NVE], cells[1], tuesday, 8, 12)
        book(users[NVE], room, tuesday, 12, 13)
    db.session.commit()
    return hub, orgs, fit_out


def test_fit_out_is_amortized_over_its_months(narvik):
    _hub, _orgs, fit_out = narvik

    # 24 months from 1 January 2025: the last day is 31 December 2026 (730 days),
    # so 2025 carries 365/730 = half of NOK 600 000.
    assert (fit_out.starts_on, fit_out.ends_on) == (date(2025, 1, 1), date(2026, 12, 31))


def test_sentrumsgarden_2025_shared_by_use(narvik):
    hub, orgs, _fit_out = narvik

    result = cost_share.compute(hub, date(2025, 1, 1), date(2025, 12, 31))

    # Symbolic rent 1 800 000 over 2024-01-01..2025-06-30 (366 + 181 = 547 days):
    #   2025 is days 367..547: 1 800 000 - round(1 800 000 x 366/547 = 1 204 387.57) = 595 612
    # Full rent 24 000 000 (1 July - 31 December, all in 2025)
    # Fit-out 60 000 000 x 365/730 = 30 000 000
    # Operations 37 000 000
    # Net cost 595 612 + 24 000 000 + 30 000 000 + 37 000 000 = 91 595 612 (NOK 915 956.12)
    pool = {line.label: line.amount_ore for line in result.costs}
    assert pool == {
        "Symbolsk husleie": 595_612,
        "Husleie": 24_000_000,
        "Innredning": 30_000_000,
        "Drift 2025": 37_000_000,
    }
    assert result.net_cost_ore == result.residual_ore == 91_595_612
    # By use, 40 / 30 / 10 / 20 % of 91 595 612:
    #   NAV 36 638 244.8, Skatteetaten 27 478 683.6, Politiet 9 159 561.2, NVE 18 319 122.4
    #   floors add up to 91 595 610; the 2 øre left go to the largest remainders
    #   (.8 NAV, .6 Skatteetaten).
    assert amounts(result) == {
        NAV: 36_638_245,
        SKATT: 27_478_684,
        POLITIET: 9_159_561,
        NVE: 18_319_122,
    }
    # Partners without use pay nothing of it, and the host pays nothing at all.
    for name in [*NARVIK_PARTNERS[4:], NARVIK]:
        assert result.share_of(orgs[name].id) is None, name
    assert result.uncovered_ore == 0
    [nav_part] = result.share_of(orgs[NAV].id).parts
    assert nav_part.component is Component.RESIDUAL
    # "4 of 10 units of use = 40 % of kr 915 956,12 residual"
    [nav_line] = [x for x in cost_share.lines(result) if x.organization_id == orgs[NAV].id]
    assert numbers(nav_line.explanation) == ["4", "10", "40", "915 956,12"]
    assert_lines_add_up(result)


def test_sentrumsgarden_half_years_differ_because_the_rent_changes(narvik):
    hub, _orgs, _fit_out = narvik

    first = cost_share.compute(hub, *H1)
    second = cost_share.compute(hub, *H2)

    # H1 (181 days): symbolic rent 595 612 (all of 2025's part)
    #   + fit-out round(60 000 000 x 181/730 = 14 876 712.33) = 14 876 712
    #   + operations round(37 000 000 x 181/365 = 18 347 945.21) = 18 347 945
    #   = 33 820 269
    # H2 (184 days): full rent 24 000 000
    #   + fit-out 30 000 000 - 14 876 712 = 15 123 288
    #   + operations 37 000 000 - 18 347 945 = 18 652 055
    #   = 57 775 343
    assert {line.label: line.amount_ore for line in first.costs} == {
        "Symbolsk husleie": 595_612,
        "Innredning": 14_876_712,
        "Drift 2025": 18_347_945,
    }
    assert {line.label: line.amount_ore for line in second.costs} == {
        "Husleie": 24_000_000,
        "Innredning": 15_123_288,
        "Drift 2025": 18_652_055,
    }
    assert (first.net_cost_ore, second.net_cost_ore) == (33_820_269, 57_775_343)
    assert first.net_cost_ore + second.net_cost_ore == 91_595_612  # the year
    # H1 by use (40/30/10/20 %): 13 528 107.6, 10 146 080.7, 3 382 026.9, 6 764 053.8;
    #   floors 33 820 266, 3 øre to the largest remainders .9, .8, .7.
    assert amounts(first) == {
        NAV: 13_528_107,
        SKATT: 10_146_081,
        POLITIET: 3_382_027,
        NVE: 6_764_054,
    }
    # H2: 23 110 137.2, 17 332 602.9, 5 777 534.3, 11 555 068.6;
    #   floors 57 775 341, 2 øre to .9 and .6.
    assert amounts(second) == {
        NAV: 23_110_137,
        SKATT: 17_332_603,
        POLITIET: 5_777_534,
        NVE: 11_555_069,
    }
    # Residual shares of separate periods are each exact, but need not add up to
    # the year's to the øre: NAV 13 528 107 + 23 110 137 = 36 638 244 vs 36 638 245.
    assert_lines_add_up(first)
    assert_lines_add_up(second)


# --- Distriktshub Vestland 2026 --------------------------------------------------------

STAD = "Stad kommune"
VESTLAND_PARTNERS = [
    "Arbeids- og velferdsetaten",
    "Skatteetaten",
    "Politiet",
    "Statsforvaltaren i Vestland",
    "Vestland fylkeskommune",
]


def test_distriktshub_vestland_2026_the_host_pays_everything(make_hub, make_org, make_space):
    hub = make_hub(slug="distriktshub-vestland", name="Distriktshub Vestland", municipality="Stad")
    make_space(hub, kind="cell")
    stad = make_org(name=STAD, kind="municipality")
    member(hub, stad, "host", date(2025, 4, 1))
    partners = [make_org(name=name) for name in VESTLAND_PARTNERS]
    for org in partners:
        member(hub, org, "partner", date(2025, 4, 1))  # no terms: they carry nothing
    cost(hub, "rent", "Husleie distriktshub", 30_000_000, date(2026, 1, 1), date(2026, 12, 31))
    cost(hub, "operations", "Drift og vertskap", 8_000_000, date(2026, 1, 1), date(2026, 12, 31))
    db.session.commit()

    result = cost_share.compute(hub, date(2026, 1, 1), date(2026, 12, 31))

    # Rent NOK 300 000 + operations NOK 80 000 = NOK 380 000, all to Stad kommune.
    assert result.net_cost_ore == 38_000_000
    assert amounts(result) == {STAD: 38_000_000}
    assert all(result.share_of(org.id) is None for org in partners)
    [line] = cost_share.lines(result)
    assert (line.organization_id, line.amount_ore) == (stad.id, 38_000_000)
    # "kr 380 000,00 of the residual kr 380 000,00 that no partner carries"
    assert numbers(line.explanation) == ["380 000,00", "380 000,00"]
    assert_lines_add_up(result)
