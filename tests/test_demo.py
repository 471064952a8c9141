"""The demo data (`flask hub demo`): three real hubs, valid numbers, idempotent."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest
import sqlalchemy as sa
import yaml
from test_hubfile import row_counts

from hub.accounts import orgnr
from hub.accounts import service as accounts
from hub.accounts.models import Membership, MembershipKind, Organization, Role
from hub.extensions import db
from hub.finance import cost_share
from hub.finance.allocation import Key, SurplusPolicy
from hub.finance.models import Cadence, CostItem, FinancingModel, Funding
from hub.hubfile import DEMO_FILE, dump_text
from hub.spaces.models import Hub, SpaceKind


@pytest.fixture
def demo(app):
    result = app.test_cli_runner().invoke(args=["hub", "demo"])
    assert result.exit_code == 0, result.output
    return result


def hub(slug: str) -> Hub:
    return db.session.scalar(sa.select(Hub).where(Hub.slug == slug))


def kinds(slug: str) -> Counter[SpaceKind]:
    return Counter(space.kind for space in hub(slug).spaces)


def test_demo_has_the_three_hubs(demo):
    slugs = set(db.session.scalars(sa.select(Hub.slug)))

    assert slugs == {"regionlab-lister", "sentrumsgarden", "distriktshub-vestland"}
    assert hub("regionlab-lister").municipality == "Lyngdal"
    assert hub("sentrumsgarden").municipality == "Narvik"
    assert "Nordfjordeid" in hub("distriktshub-vestland").address


def test_regionlab_lister_has_the_spaces_of_the_evaluation_report(demo):
    counts = kinds("regionlab-lister")

    assert counts[SpaceKind.CELL] == 7
    assert counts[SpaceKind.DESK] == 4
    assert counts[SpaceKind.MEETING_ROOM] == 2
    assert counts[SpaceKind.COMMON_AREA] >= 1
    for space in hub("regionlab-lister").spaces:
        assert space.area_m2 is not None and space.area_m2 > 0
        if space.kind == SpaceKind.MEETING_ROOM:
            assert space.capacity > 1
        if space.kind == SpaceKind.COMMON_AREA:
            assert space.bookable is False


def test_sentrumsgarden_has_cells_meeting_rooms_and_common_areas(demo):
    counts = kinds("sentrumsgarden")

    assert counts[SpaceKind.CELL] == 7
    assert counts[SpaceKind.MEETING_ROOM] == 3
    assert counts[SpaceKind.COMMON_AREA] >= 1


def test_every_organisation_number_in_the_demo_is_valid(demo):
    numbers = list(db.session.scalars(sa.select(Organization.org_number)))
    in_file = [
        o["org_number"]
        for o in yaml.safe_load(DEMO_FILE.read_text(encoding="utf-8"))["organizations"]
        if o.get("org_number")
    ]

    assert len(in_file) >= 15
    assert sorted(n for n in numbers if n) == sorted(in_file)
    assert all(orgnr.is_valid(n) for n in in_file), [n for n in in_file if not orgnr.is_valid(n)]


def test_lister_partners_contribute_through_2027_and_projects_through_2026(demo):
    lister = hub("regionlab-lister")
    by_kind: dict[MembershipKind, list[Membership]] = {}
    for m in lister.memberships:
        by_kind.setdefault(m.kind, []).append(m)

    assert [m.organization.name for m in by_kind[MembershipKind.HOST]] == ["Lyngdal kommune"]
    assert len(by_kind[MembershipKind.PARTNER]) == 5
    assert all(m.ends_on == date(2027, 12, 31) for m in by_kind[MembershipKind.PARTNER])
    assert all(m.yearly_amount_ore for m in by_kind[MembershipKind.PARTNER])
    assert len(by_kind[MembershipKind.PROJECT]) == 2
    assert all(m.ends_on == date(2026, 12, 31) for m in by_kind[MembershipKind.PROJECT])
    assert all(m.monthly_overhead_ore for m in by_kind[MembershipKind.PROJECT])
    guest = by_kind[MembershipKind.GUEST][0]
    assert guest.desk_day_rate_ore and guest.cell_day_rate_ore and guest.room_hour_rate_ore


def _prorated(amount: int, starts: date, ends: date, first: date, last: date) -> float:
    overlap = (min(ends, last) - max(starts, first)).days + 1
    return amount * max(overlap, 0) / ((ends - starts).days + 1)


def _year_cost_ore(slug: str, year: int) -> float:
    first, last = date(year, 1, 1), date(year, 12, 31)
    h = hub(slug)
    costs = db.session.scalars(sa.select(CostItem).where(CostItem.hub_id == h.id))
    funding = db.session.scalars(sa.select(Funding).where(Funding.hub_id == h.id))
    return sum(_prorated(c.amount_ore, c.starts_on, c.ends_on, first, last) for c in costs) - sum(
        _prorated(f.amount_ore, f.starts_on, f.ends_on, first, last) for f in funding
    )


def test_sentrumsgarden_first_year_costs_about_one_million(demo):
    first_year = _year_cost_ore("sentrumsgarden", 2024)

    assert 80_000_000 <= first_year <= 120_000_000  # NOK 0.8-1.2 million


def test_sentrumsgarden_rent_is_symbolic_until_summer_2025(demo):
    h = hub("sentrumsgarden")
    rents = sorted((c for c in h.cost_items if c.category == "rent"), key=lambda c: c.starts_on)

    symbolic, normal = rents[0], rents[1]
    assert symbolic.ends_on == date(2025, 6, 30)
    assert normal.starts_on == date(2025, 7, 1)
    daily = [c.amount_ore / ((c.ends_on - c.starts_on).days + 1) for c in (symbolic, normal)]
    assert daily[0] * 10 < daily[1]


def test_lister_contributions_roughly_cover_the_costs_in_2026(demo):
    lister = hub("regionlab-lister")
    paid = sum(
        (m.yearly_amount_ore or 0) + 12 * (m.monthly_overhead_ore or 0)
        for m in lister.memberships
        if m.is_active_on(date(2026, 6, 1))
    )

    assert 0.9 <= paid / _year_cost_ore("regionlab-lister", 2026) <= 1.1


@pytest.mark.parametrize(
    ("slug", "years", "key", "blend", "surplus", "cadence", "issue_day", "prefix"),
    [
        (
            "regionlab-lister",
            [2025, 2026, 2027],
            Key.WEIGHTS,
            [0, 0, 0, 0],
            SurplusPolicy.CARRY_FORWARD,
            Cadence.QUARTERLY,
            10,
            "LISTER",
        ),
        (
            "sentrumsgarden",
            [2025, 2026],
            Key.BLEND,
            [50, 0, 50, 0],
            SurplusPolicy.REFUND,
            Cadence.QUARTERLY,
            10,
            "NARVIK",
        ),
        (
            "distriktshub-vestland",
            [2025, 2026],
            Key.EQUAL,
            [0, 0, 0, 0],
            SurplusPolicy.CARRY_FORWARD,
            Cadence.YEARLY,
            15,
            "VESTLAND",
        ),
    ],
)
def test_demo_hubs_have_their_financing_models(
    demo, slug, years, key, blend, surplus, cadence, issue_day, prefix
):
    h = hub(slug)
    saved = list(
        db.session.scalars(
            sa.select(FinancingModel)
            .where(FinancingModel.hub_id == h.id)
            .order_by(FinancingModel.year)
        )
    )

    assert [m.year for m in saved] == years
    for m in saved:
        assert (m.key, [p for _k, p in m.blend()], m.surplus_policy) == (key, blend, surplus)
        assert (m.cadence, m.issue_day, m.auto_issue) == (cadence, issue_day, False)
        assert m.statement_prefix == prefix
        assert cost_share.model_for(h, m.year) is m


def test_the_demo_residual_falls_where_the_comments_say(demo):
    """Lister and Vestland: no partner carries the residual, the host does; Narvik: all nine."""
    for slug, carriers in [
        ("regionlab-lister", 0),
        ("sentrumsgarden", 9),
        ("distriktshub-vestland", 0),
    ]:
        partners = [m for m in hub(slug).memberships if m.kind == MembershipKind.PARTNER]
        assert sum(m.carries_residual for m in partners) == carriers, slug
        assert [m.kind for m in hub(slug).memberships].count(MembershipKind.HOST) == 1


def test_running_the_demo_twice_changes_nothing(app, demo):
    before_dump, before_counts = dump_text(), row_counts()

    again = app.test_cli_runner().invoke(args=["hub", "demo"])

    assert again.exit_code == 0, again.output
    assert "nothing to change" in again.stdout
    assert dump_text() == before_dump
    assert row_counts() == before_counts


def test_demo_users_can_log_in_with_their_roles(demo):
    admin = accounts.authenticate("admin@demo.example", "demo-admin-2026")
    contact = accounts.authenticate("kontakt@demo.example", "demo-kontakt-2026")
    employee = accounts.authenticate("ansatt@demo.example", "demo-ansatt-2026")

    assert admin is not None and admin.is_system_admin
    assert admin.home_organization.name == "Lyngdal kommune"
    assert accounts.authenticate("vert@demo.example", "demo-vert-2026") is not None
    assert accounts.authenticate("vert.narvik@demo.example", "demo-vert-2026") is not None
    assert [(r.hub.slug, r.role, r.organization.name) for r in contact.roles] == [
        ("regionlab-lister", Role.PARTNER_CONTACT, "Skatteetaten")
    ]
    assert employee.share_name is True
    assert employee.home_organization.short_name == "NAV"
    assert {r.hub.slug for r in employee.roles} == {"regionlab-lister", "sentrumsgarden"}
