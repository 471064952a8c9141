"""Hub files: load (idempotent upsert, every problem listed, nothing written) and dump."""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal
from textwrap import dedent

import pytest
import sqlalchemy as sa

from hub.accounts import service as accounts
from hub.accounts.models import Membership, Organization, Role, User
from hub.extensions import db
from hub.finance import cost_share
from hub.finance.allocation import Key, SurplusPolicy
from hub.finance.models import Cadence, CostItem, FinancingModel
from hub.hubfile import HubfileInvalid, dump_data, dump_text, load_text
from hub.hubfile.schema import parse_span
from hub.spaces import service as spaces
from hub.spaces.models import Hub, Space

SMALL = dedent(
    """\
    organizations:
      - name: Lyngdal kommune
        kind: municipality
        org_number: 922421498
      - name: Skatteetaten
        kind: state_agency
        org_number: "974 761 076"
        contact_email: Post@Skatteetaten.example
    hubs:
      - slug: testhub
        name: Testhub
        municipality: Lyngdal
        booking_horizon_days: 60
        opening_hours: {monday: "08:00-16:00", friday: "09:00-15:00", sunday: closed}
        closures:
          - {on_date: 2025-12-24, reason: Julaften}
        spaces:
          - {name: Åpen kontorplass 1, kind: desk, area_m2: 6.5}
          - {name: Cellekontor 1, kind: cell, area_m2: 10.25}
          - {name: Møterom Lista, kind: meeting_room, capacity: 8}
          - {name: Kjøkken, kind: common_area, capacity: 0, bookable: false}
        memberships:
          - {organization: Lyngdal kommune, kind: host, starts_on: 2025-01-01}
          - organization: Skatteetaten
            kind: partner
            starts_on: 2025-01-01
            ends_on: 2027-12-31
            yearly_amount_ore: 7500000
            weight: 1.5
            carries_residual: true
        cost_items:
          - {category: rent, description: Husleie 2025, amount_ore: 40000000,
             starts_on: 2025-01-01, ends_on: 2025-12-31}
          - {category: fit_out, description: Innredning, amount_ore: 12000000,
             starts_on: 2025-01-01, amortize_months: 36}
        funding:
          - {kind: grant, source: Pilotmidler, amount_ore: 1000000,
             starts_on: 2025-01-01, ends_on: 2025-06-30}
        financing_models:
          - {year: 2025, key: weights, cadence: quarterly, statement_prefix: test}
          - year: 2026
            key: blend
            blend_equal_pct: 50
            blend_use_pct: 50
            cell_day_weight: 2
            surplus_policy: refund
            issue_day: 15
            auto_issue: true
    users:
      - email: Ola.Nordmann@Example.no
        name: Ola Nordmann
        home_organization: Skatteetaten
        share_name: true
        password: long-enough-pass
        roles:
          - {hub: testhub, role: admin}
          - {hub: testhub, role: partner_contact, organization: Skatteetaten}
    """
)


def row_counts() -> dict[str, int]:
    return {
        table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table)) or 0
        for table in db.metadata.sorted_tables
    }


def problems_of(text: str) -> list[str]:
    with pytest.raises(HubfileInvalid) as caught:
        load_text(text)
    db.session.rollback()
    return [str(p) for p in caught.value.problems]


def test_load_creates_everything_through_the_services(app):
    report = load_text(SMALL)
    db.session.commit()

    assert report.changed > 0
    skatt = db.session.scalar(sa.select(Organization).where(Organization.name == "Skatteetaten"))
    assert skatt.org_number == "974761076"
    assert skatt.contact_email == "post@skatteetaten.example"
    hub = spaces.get_hub("testhub")
    assert hub.booking_horizon_days == 60
    assert hub.max_room_booking_minutes == 480  # left out: the default
    assert spaces.weekly_hours(hub) == {
        0: (time(8), time(16)),
        4: (time(9), time(15)),
    }
    assert [c.on_date for c in hub.closures] == [date(2025, 12, 24)]
    by_name = {s.name: s for s in hub.spaces}
    assert by_name["Cellekontor 1"].area_m2 == Decimal("10.25")
    assert by_name["Møterom Lista"].capacity == 8
    assert by_name["Kjøkken"].bookable is False
    partner = db.session.scalar(sa.select(Membership).where(Membership.organization_id == skatt.id))
    assert partner.yearly_amount_ore == 7_500_000
    assert partner.weight == Decimal("1.5")
    assert partner.carries_residual is True
    fit_out = db.session.scalar(sa.select(CostItem).where(CostItem.category == "fit_out"))
    assert fit_out.ends_on == date(2027, 12, 31)  # computed from amortize_months
    user = accounts.authenticate("ola.nordmann@example.no", "long-enough-pass")
    assert user is not None and user.share_name is True
    assert sorted((r.role, r.organization_id) for r in user.roles) == [
        (Role.ADMIN, None),
        (Role.PARTNER_CONTACT, skatt.id),
    ]


def test_loading_the_same_file_twice_changes_nothing(app):
    load_text(SMALL)
    db.session.commit()
    before_dump, before_counts = dump_text(), row_counts()
    stamps = {u.email: u.updated_at for u in db.session.scalars(sa.select(User))}
    hash_before = db.session.scalar(sa.select(User.password_hash))

    report = load_text(SMALL)
    db.session.commit()

    assert report.changed == 0
    assert dump_text() == before_dump
    assert row_counts() == before_counts
    assert {u.email: u.updated_at for u in db.session.scalars(sa.select(User))} == stamps
    assert db.session.scalar(sa.select(User.password_hash)) == hash_before  # not rehashed


def test_dump_then_load_is_a_no_op(app):
    load_text(SMALL)
    db.session.commit()
    dumped = dump_text()

    report = load_text(dumped)
    db.session.commit()

    assert report.changed == 0
    assert dump_text() == dumped


def test_dump_loads_into_an_empty_database_as_the_same_configuration(app):
    load_text(SMALL)
    db.session.commit()
    dumped, counts = dump_text(), row_counts()
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    db.session.commit()

    load_text(dumped)
    db.session.commit()

    assert dump_text() == dumped
    counts.pop("api_tokens")
    assert {k: v for k, v in row_counts().items() if k != "api_tokens"} == counts


def test_dump_is_sorted_and_has_no_passwords(app):
    load_text(SMALL)
    db.session.commit()

    text = dump_text()
    data = dump_data()

    assert "password" not in text and "long-enough-pass" not in text
    assert [o["name"] for o in data["organizations"]] == ["Lyngdal kommune", "Skatteetaten"]
    assert data["hubs"][0]["opening_hours"] == {"monday": "08:00-16:00", "friday": "09:00-15:00"}
    assert "'974761076'" in text  # quoted, so it stays text
    assert dump_text() == text


def test_dump_of_one_hub_has_only_what_it_refers_to(app, make_hub, make_org, make_user):
    load_text(SMALL)
    db.session.commit()
    other = make_hub(slug="annen-hub")
    make_user(hub=other, role=Role.MEMBER, email="annen@example.no")
    make_org(name="Uvedkommende etat")

    data = dump_data("testhub")

    assert [h["slug"] for h in data["hubs"]] == ["testhub"]
    assert {o["name"] for o in data["organizations"]} == {"Lyngdal kommune", "Skatteetaten"}
    assert [u["email"] for u in data["users"]] == ["ola.nordmann@example.no"]


def test_rows_missing_from_the_file_are_left_alone(app):
    load_text(SMALL)
    hub = spaces.get_hub("testhub")
    spaces.create_space(hub, {"name": "Ekstra", "kind": "desk"})
    db.session.commit()

    load_text(SMALL)
    db.session.commit()

    names = db.session.scalars(sa.select(Space.name).where(Space.hub_id == hub.id))
    assert "Ekstra" in set(names)


def test_changed_values_are_updated_and_left_out_keys_kept(app):
    load_text(SMALL)
    db.session.commit()
    space = db.session.scalar(sa.select(Space).where(Space.name == "Møterom Lista"))
    spaces.update_space(space, {"description": "Skjerm"})
    db.session.commit()

    report = load_text(SMALL.replace("capacity: 8", "capacity: 10"))
    db.session.commit()

    assert report.counts[("spaces", "updated")] == 1
    assert space.capacity == 10
    assert space.description == "Skjerm"


def test_names_match_without_regard_to_case_also_for_norwegian_letters(app):
    load_text(SMALL)
    db.session.commit()

    report = load_text(SMALL.replace("Åpen kontorplass 1", "åPEN KONTORPLASS 1"))

    assert report.counts[("spaces", "created")] == 0


BAD = dedent(
    """\
    organizations:
      - name: God kommune
        kind: municipality
      - name: Feil etat
        kind: state_agency
      - name: Ugyldig etat
        kind: state_agency
        org_number: 123456789
    hubs:
      - slug: feilhub
        name: Feilhub
        municipality: Lyngdal
        timezone: Europe/Lyngdal
        spaces:
          - {name: A, kind: cell}
          - {name: B, kind: cell, capcity: 3}
          - {name: C, kind: desk}
          - {name: D, kind: desk, capacity: -1}
        memberships:
          - {organization: God kommune, kind: partner, starts_on: 2025-01-01,
             ends_on: 2025-12-31}
          - {organization: God kommune, kind: partner, starts_on: 2025-06-01}
          - {organization: Finnes ikke, kind: partner, starts_on: 2025-01-01}
    users:
      - email: x@example.no
        name: X
        home_organization: God kommune
        roles: [{hub: ingen-hub, role: member}]
    """
)


def test_a_bad_file_lists_every_problem_with_its_path_and_writes_nothing(app):
    problems = problems_of(BAD)

    paths = {p.split(": ", 1)[0] for p in problems}
    assert {
        "organizations[2].org_number",
        "hubs[0].timezone",
        "hubs[0].spaces[1].capcity",
        "hubs[0].spaces[3].capacity",
        "hubs[0].memberships[1].starts_on",
        "hubs[0].memberships[2].organization",
        "users[0].roles[0].hub",
    } <= paths
    assert "organizations[2].org_number: 123456789 is not a valid organisation number" in (
        "\n".join(problems)
    )
    assert "hubs[0].spaces[1].capcity: unknown key; did you mean 'capacity'?" in problems
    assert sum(row_counts().values()) == 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hubs:\n  - slug: x\n    name: [open\n", "line 4, column 1: YAML syntax error"),
        ("hubs:\n  - slug: x\n    slug: y\n", "line 3, column 5: YAML syntax error"),
        ("- just\n- a list\n", "the file must be a mapping"),
        ("organisations: []\n", "organisations: unknown key; did you mean 'organizations'?"),
        ("hubs: {slug: x}\n", "hubs: must be a list"),
        ("hubs:\n  - slug: x\n", "hubs[0].name: is required"),
        (
            "hubs:\n  - {slug: x, name: X, municipality: Y, opening_hours: {monday: '9-8'}}\n",
            "hubs[0].opening_hours: monday: '9-8' is not a time range like 08:00-16:00",
        ),
        (
            "organizations:\n  - {name: A, kind: county}\n  - {name: a, kind: county}\n",
            "organizations[1].name: the organization 'a' appears twice",
        ),
        (
            "organizations: [{name: A, kind: nation}]\n",
            "organizations[0].kind: Input should be 'municipality'",
        ),
    ],
)
def test_shape_problems_are_reported_with_their_place(app, text, expected):
    problems = problems_of(text)

    assert any(p.startswith(expected) for p in problems), problems
    assert sum(row_counts().values()) == 0


def test_a_space_twice_in_one_hub_is_a_problem(app):
    text = SMALL.replace(
        "- {name: Cellekontor 1, kind: cell, area_m2: 10.25}",
        "- {name: Cellekontor 1, kind: cell}\n      - {name: cellekontor 1, kind: cell}",
    )

    problems = problems_of(text)

    assert any(p.startswith("hubs[0].spaces[2]: this space appears twice") for p in problems)


def test_a_service_rule_on_an_existing_row_is_reported_and_rolled_back(app):
    load_text(SMALL)
    db.session.commit()

    problems = problems_of(SMALL.replace("capacity: 8", "capacity: 0"))

    assert any(p.startswith("hubs[0].spaces[2].capacity: ") for p in problems)
    assert db.session.scalar(sa.select(Space.capacity).where(Space.name == "Møterom Lista")) == 8


def test_references_by_organisation_number_work(app):
    load_text(SMALL)
    db.session.commit()
    extra = dedent(
        """\
        hubs:
          - slug: testhub
            name: Testhub
            municipality: Lyngdal
            memberships:
              - {organization: "974761076", kind: partner, starts_on: 2028-01-01}
        """
    )

    load_text(extra)

    hub = db.session.scalar(sa.select(Hub).where(Hub.slug == "testhub"))
    assert len(hub.memberships) == 3


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("08:00-16:00", (time(8), time(16))),
        (" 7:30 - 15:45 ", (time(7, 30), time(15, 45))),
    ],
)
def test_parse_span(text, expected):
    assert parse_span(text) == expected


@pytest.mark.parametrize("text", ["8-16", "16:00-08:00", "25:00-26:00", "08:00"])
def test_parse_span_refuses(text):
    with pytest.raises(ValueError):
        parse_span(text)


def test_opening_hours_of_an_existing_hub_are_replaced(app):
    load_text(SMALL)
    db.session.commit()

    report = load_text(SMALL.replace('friday: "09:00-15:00", ', ""))
    db.session.commit()

    assert report.counts[("opening_hours", "updated")] == 1
    assert spaces.weekly_hours(spaces.get_hub("testhub")) == {0: (time(8), time(16))}


def test_a_refused_existing_hub_still_has_its_children_checked(app):
    load_text(SMALL)
    db.session.commit()
    text = SMALL.replace("booking_horizon_days: 60", "booking_horizon_days: 0").replace(
        "capacity: 8", "capacity: -8"
    )

    problems = problems_of(text)

    assert any(p.startswith("hubs[0].booking_horizon_days: ") for p in problems)
    assert any(p.startswith("hubs[0].spaces[2].capacity: ") for p in problems)
    assert spaces.get_hub("testhub").booking_horizon_days == 60


# --- financing models -------------------------------------------------------------------


def test_financing_models_are_saved_per_year_through_the_service(app):
    report = load_text(SMALL)
    db.session.commit()

    hub = spaces.get_hub("testhub")
    first, second = cost_share.saved_model(hub, 2025), cost_share.saved_model(hub, 2026)
    assert report.counts[("financing_models", "created")] == 2
    assert (first.key, first.cadence, first.issue_day) == (Key.WEIGHTS, Cadence.QUARTERLY, 10)
    assert first.statement_prefix == "TEST"  # upper-cased by the service
    assert first.surplus_policy is SurplusPolicy.CARRY_FORWARD
    # A new year gets the defaults for what it leaves out, not a copy of 2025:
    assert (second.key, second.cadence, second.auto_issue) == (Key.BLEND, Cadence.YEARLY, True)
    assert second.statement_prefix == "TESTHUB"  # from the slug
    assert [p for _key, p in second.blend()] == [50, 0, 50, 0]
    assert (second.desk_day_weight, second.cell_day_weight) == (Decimal(1), Decimal(2))
    assert (second.surplus_policy, second.issue_day) == (SurplusPolicy.REFUND, 15)


def test_financing_models_loaded_again_are_unchanged(app):
    load_text(SMALL)
    db.session.commit()
    stamps = list(db.session.scalars(sa.select(FinancingModel.updated_at)))

    report = load_text(SMALL)
    db.session.commit()

    assert report.counts[("financing_models", "unchanged")] == 2
    assert report.changed == 0
    assert list(db.session.scalars(sa.select(FinancingModel.updated_at))) == stamps


def test_financing_models_are_dumped_by_year_without_unused_terms(app):
    load_text(SMALL)
    db.session.commit()

    models = dump_data()["hubs"][0]["financing_models"]

    assert models == [
        {
            "year": 2025,
            "key": "weights",
            "surplus_policy": "carry_forward",
            "cadence": "quarterly",
            "issue_day": 10,
            "auto_issue": False,
            "statement_prefix": "TEST",
        },
        {
            "year": 2026,
            "key": "blend",
            "blend_equal_pct": 50,
            "blend_use_pct": 50,
            "cell_day_weight": 2,
            "surplus_policy": "refund",
            "cadence": "yearly",
            "issue_day": 15,
            "auto_issue": True,
            "statement_prefix": "TESTHUB",
        },
    ]


def test_a_changed_financing_model_is_updated_and_left_out_keys_kept(app):
    load_text(SMALL)
    db.session.commit()
    model = cost_share.saved_model(spaces.get_hub("testhub"), 2025)
    model.room_hour_weight = Decimal("0.5")  # as if changed in the admin pages
    db.session.commit()

    report = load_text(SMALL.replace("cadence: quarterly", "cadence: monthly"))
    db.session.commit()

    assert report.counts[("financing_models", "updated")] == 1
    assert report.counts[("financing_models", "unchanged")] == 1
    assert model.cadence is Cadence.MONTHLY
    assert model.room_hour_weight == Decimal("0.5")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(FinancingModel)) == 2


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "key: weights",
            "key: shares",
            "hubs[0].financing_models[0].key: Input should be 'equal', 'weights'",
        ),
        (
            "blend_use_pct: 50",
            "blend_use_pct: 40",
            "hubs[0].financing_models[1].blend_equal_pct: The blend's percentages must add up "
            "to 100",
        ),
        (
            "- year: 2026",
            "- year: 2025",
            "hubs[0].financing_models[1].year: the financing model for 2025 appears twice in "
            "the file (also at hubs[0].financing_models[0].year)",
        ),
        ("year: 2025", "year: 1999", "hubs[0].financing_models[0].year: Give a year from 2000"),
        ("issue_day: 15", "issue_day: 29", "hubs[0].financing_models[1].issue_day: Give a day"),
        (
            "statement_prefix: test",
            "statement_prefix: T-1",
            "hubs[0].financing_models[0].statement_prefix: Use 2 to 20 capital letters",
        ),
        (
            "blend_use_pct: 50",
            "blend_use_pct: 49.995",
            "hubs[0].financing_models[1].blend_use_pct: Decimal input should have no more than 2",
        ),
        (
            "surplus_policy: refund",
            "surplus: refund",
            "hubs[0].financing_models[1].surplus: unknown key; did you mean 'surplus_policy'?",
        ),
    ],
    ids=[
        "unknown key",
        "blend not 100",
        "year twice",
        "year out of range",
        "issue day 29",
        "bad prefix",
        "too many decimals",
        "misspelt key",
    ],
)
def test_a_bad_financing_model_is_reported_with_its_path(app, old, new, expected):
    assert old in SMALL
    problems = problems_of(SMALL.replace(old, new))

    assert any(p.startswith(expected) for p in problems), problems
    assert sum(row_counts().values()) == 0


def test_a_refused_financing_model_leaves_the_saved_one_as_it_was(app):
    load_text(SMALL)
    db.session.commit()
    no_use_counts = (
        "{year: 2025, key: use, desk_day_weight: 0, cell_day_weight: 0, room_hour_weight: 0,"
        " cadence: monthly, statement_prefix: test}"
    )

    problems = problems_of(
        SMALL.replace(
            "{year: 2025, key: weights, cadence: quarterly, statement_prefix: test}", no_use_counts
        )
    )

    assert problems == [
        "hubs[0].financing_models[0].desk_day_weight: At least one kind of use must count."
    ]
    model = cost_share.saved_model(spaces.get_hub("testhub"), 2025)
    assert (model.key, model.cadence, model.desk_day_weight) == (
        Key.WEIGHTS,
        Cadence.QUARTERLY,
        Decimal(1),
    )
