"""API: the computed cost share, the yearly financing model, statements and closed periods."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from db_support import count
from usage_support import BEFORE, MONDAY, at

from hub.accounts import service as accounts
from hub.accounts.models import Role
from hub.booking import service as booking
from hub.extensions import db
from hub.finance import service as finance
from hub.finance.models import ClosedPeriod, FinancingModel, Statement, StatementStatus

HUB = "/hubs/regionlab-lister"
Q1 = "from=2030-01-01&to=2030-03-31"
Q1_BODY = {"period_first": "2030-01-01", "period_last": "2030-03-31"}

# Q1 2030 is 90 of 365 days; each amount below is prorated by the running total, half up.
COST = 29_589_041  # rent 1 200 000 kr a year
FUNDING = 5_917_808  # a grant of 240 000 kr a year
NET = COST - FUNDING
NAV_CONTRIBUTION = 2_958_904  # 120 000 kr a year
TAX_CONTRIBUTION = 1_479_452  # 60 000 kr a year
OVERHEAD = 3 * 500_000  # 5 000 kr a month
GUEST_USE = 25_000 + 2 * 10_000  # one desk-day at 250 kr, two room-hours at 100 kr
RESIDUAL = NET - NAV_CONTRIBUTION - TAX_CONTRIBUTION - OVERHEAD - GUEST_USE
NAV_ROOM = 9_863_014 - NAV_CONTRIBUTION  # a cap of 400 000 kr a year, less what NAV pays


@pytest.fixture
def lister(make_hub, make_space, make_org, person) -> dict[str, Any]:
    """A host, two partners (NAV carries the residual, capped), a project and a guest."""
    hub = make_hub(slug="regionlab-lister", name="RegionLab Lister")
    desk = make_space(hub, kind="desk")
    room = make_space(hub, kind="meeting_room", capacity=8)
    orgs = {
        "host": make_org(name="Lyngdal kommune", kind="municipality"),
        "nav": make_org(name="NAV Lister"),
        "tax": make_org(name="Skatteetaten"),
        "project": make_org(name="Prosjekt Havvind", kind="project"),
        "guest": make_org(name="Statsforvalteren"),
    }
    year = {"starts_on": date(2030, 1, 1)}
    for key, terms in {
        "host": {"kind": "host"},
        "nav": {
            "kind": "partner",
            "yearly_amount_ore": 12_000_000,
            "carries_residual": True,
            "cap_ore": 40_000_000,
        },
        "tax": {"kind": "partner", "yearly_amount_ore": 6_000_000},
        "project": {"kind": "project", "monthly_overhead_ore": 500_000},
        "guest": {"kind": "guest", "desk_day_rate_ore": 25_000, "room_hour_rate_ore": 10_000},
    }.items():
        accounts.create_membership(hub, {"organization_id": orgs[key].id} | year | terms)
    finance.create_cost_item(
        hub,
        {
            "category": "rent",
            "description": "Husleie",
            "amount_ore": 120_000_000,
            "starts_on": date(2030, 1, 1),
            "ends_on": date(2030, 12, 31),
        },
    )
    finance.create_funding(
        hub,
        {
            "kind": "grant",
            "source": "Agder fylkeskommune",
            "amount_ore": 24_000_000,
            "starts_on": date(2030, 1, 1),
            "ends_on": date(2030, 12, 31),
        },
    )
    db.session.commit()
    visitor = person(home_organization=orgs["guest"], hub=hub, role=Role.MEMBER)
    booking.create_booking(visitor, desk, at(MONDAY, 8), at(MONDAY, 16), now=BEFORE)
    wednesday = MONDAY + timedelta(days=2)
    booking.create_booking(visitor, room, at(wednesday, 9), at(wednesday, 11), now=BEFORE)
    db.session.commit()
    people = {
        "admin": person(hub=hub, role=Role.ADMIN),
        "admin_nb": person(hub=hub, role=Role.ADMIN, language="nb"),
        "nav_contact": person(hub=hub, role=Role.PARTNER_CONTACT, organization=orgs["nav"]),
        "tax_contact": person(hub=hub, role=Role.PARTNER_CONTACT, organization=orgs["tax"]),
        "member": person(hub=hub, role=Role.MEMBER),
        "other_admin": person(hub=make_hub(slug="sentrumsgarden"), role=Role.ADMIN),
    }
    return {"hub": hub, **orgs, **people}


def _lines(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {line["organization"]: line for line in body["lines"]}


def _assert_adds_up(body: dict[str, Any]) -> None:
    assert sum(line["amount_ore"] for line in body["lines"]) == body["net_cost_ore"]
    for line in body["lines"]:
        assert line["explanation"] and line["parts"]
        assert sum(part["amount_ore"] for part in line["parts"]) == line["amount_ore"]
        for part in line["parts"]:
            assert part["component"] and part["label"] and part["explanation"]


# --- the cost share --------------------------------------------------------------------


def test_cost_share_adds_up_to_the_net_cost_and_says_why(api, lister):
    response = api("GET", f"{HUB}/cost-share?{Q1}", lister["admin"])

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["from"], body["to"]) == ("2030-01-01", "2030-03-31")
    assert (body["cost_ore"], body["funding_ore"], body["net_cost_ore"]) == (COST, FUNDING, NET)
    assert body["residual_ore"] == RESIDUAL
    assert (body["surplus_ore"], body["refunded_ore"], body["uncovered_ore"]) == (0, 0, 0)
    assert body["model"]["key"] == "equal" and body["model"]["saved"] is False
    assert body["model"]["surplus_policy"] == "carry_forward"
    _assert_adds_up(body)
    lines = _lines(body)
    assert set(lines) == {
        "Lyngdal kommune",
        "NAV Lister",
        "Skatteetaten",
        "Prosjekt Havvind",
        "Statsforvalteren",
    }
    nav = {p["component"]: p for p in lines["NAV Lister"]["parts"]}
    assert nav["contribution"]["amount_ore"] == NAV_CONTRIBUTION
    assert nav["residual"]["amount_ore"] == NAV_ROOM  # capped
    assert "the agreed cap is kr\xa098\xa0630,14 for the period" in nav["residual"]["explanation"]
    assert lines["NAV Lister"]["organization_id"] == lister["nav"].id
    assert lines["Skatteetaten"]["amount_ore"] == TAX_CONTRIBUTION
    assert lines["Prosjekt Havvind"]["parts"][0]["component"] == "overhead"
    assert lines["Prosjekt Havvind"]["amount_ore"] == OVERHEAD
    guest = lines["Statsforvalteren"]
    assert (guest["amount_ore"], guest["parts"][0]["component"]) == (GUEST_USE, "usage")
    assert "desk-days" in guest["explanation"] and "room-hours" in guest["explanation"]
    host = lines["Lyngdal kommune"]
    assert host["amount_ore"] == RESIDUAL - NAV_ROOM
    assert host["parts"][0]["component"] == "host"


def test_cost_share_is_in_the_callers_language(api, lister):
    english = _lines(api("GET", f"{HUB}/cost-share?{Q1}", lister["admin"]).get_json())
    norwegian = _lines(api("GET", f"{HUB}/cost-share?{Q1}", lister["admin_nb"]).get_json())

    assert english["Skatteetaten"]["parts"][0]["label"] == "Yearly contribution"
    assert norwegian["Skatteetaten"]["parts"][0]["label"] == "Årlig bidrag"


def test_partner_contact_sees_the_totals_and_own_line_only(api, lister):
    body = api("GET", f"{HUB}/cost-share?{Q1}", lister["tax_contact"]).get_json()

    assert body["net_cost_ore"] == NET and body["residual_ore"] == RESIDUAL
    assert [line["organization_id"] for line in body["lines"]] == [lister["tax"].id]
    assert body["lines"][0]["amount_ore"] == TAX_CONTRIBUTION


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ("", {"from", "to"}),
        ("from=2030-01-01", {"to"}),
        ("to=2030-03-31", {"from"}),
        ("from=2030-02-30&to=2030-03-31", {"from"}),
        ("from=1.1.2030&to=2030-03-31", {"from"}),
        ("from=2030-03-01&to=2030-02-28", {"to"}),
        ("from=2030-12-01&to=2031-01-31", {"to"}),
        (f"{Q1}&colour=blue", {"colour"}),
    ],
)
def test_bad_cost_share_periods_are_422_naming_the_parameter(api, lister, query, fields):
    response = api("GET", f"{HUB}/cost-share?{query}", lister["admin"])

    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == fields


def test_cost_share_rights(api, lister):
    assert api("GET", f"{HUB}/cost-share?{Q1}").status_code == 401
    assert api("GET", f"{HUB}/cost-share?{Q1}", lister["member"]).status_code == 403
    assert api("GET", f"{HUB}/cost-share?{Q1}", lister["other_admin"]).status_code == 403
    assert api("GET", f"/hubs/finnes-ikke/cost-share?{Q1}", lister["admin"]).status_code == 404


@pytest.mark.parametrize("policy", ["carry_forward", "refund", "reserve"])
def test_a_surplus_still_adds_up_to_the_net_cost(api, lister, policy):
    finance.create_funding(
        lister["hub"],
        {
            "kind": "landlord_discount",
            "source": "Gårdeier",
            "amount_ore": 112_000_000,
            "starts_on": date(2030, 1, 1),
            "ends_on": date(2030, 12, 31),
        },
    )
    db.session.commit()
    saved = api(
        "PUT", f"{HUB}/financing-models/2030", lister["admin"], json={"surplus_policy": policy}
    )
    assert saved.status_code == 200, saved.get_json()

    body = api("GET", f"{HUB}/cost-share?{Q1}", lister["admin"]).get_json()

    assert body["residual_ore"] < 0 and body["surplus_ore"] == -body["residual_ore"]
    _assert_adds_up(body)
    hub_lines = [line for line in body["lines"] if line["organization_id"] is None]
    if policy == "refund":
        assert body["refunded_ore"] > 0
        refunds = [p for line in body["lines"] for p in line["parts"] if p["component"] == "refund"]
        assert refunds and all(p["amount_ore"] < 0 for p in refunds)
    else:
        assert [p["component"] for line in hub_lines for p in line["parts"]] == ["surplus"]
        assert hub_lines[0]["amount_ore"] == -body["surplus_ore"]


def test_what_no_one_carries_without_a_host_is_a_hub_line(api, lister):
    host = next(m for m in lister["hub"].memberships if m.kind == "host")
    accounts.delete_membership(host)
    db.session.commit()

    body = api("GET", f"{HUB}/cost-share?{Q1}", lister["admin"]).get_json()

    assert body["uncovered_ore"] == RESIDUAL - NAV_ROOM
    _assert_adds_up(body)
    (uncovered,) = [line for line in body["lines"] if line["organization_id"] is None]
    assert uncovered["amount_ore"] == body["uncovered_ore"]
    assert uncovered["parts"][0]["component"] == "uncovered"


# --- the financing model ---------------------------------------------------------------


def test_financing_model_get_put_and_inherit(api, lister):
    admin = lister["admin"]
    fresh = api("GET", f"{HUB}/financing-models/2030", admin)
    assert fresh.status_code == 200
    assert fresh.get_json() | {"hub_id": None} == {
        "id": None,
        "hub_id": None,
        "year": 2030,
        "saved": False,
        "key": "equal",
        "blend_equal_pct": "0.00",
        "blend_weights_pct": "0.00",
        "blend_use_pct": "0.00",
        "blend_area_pct": "0.00",
        "desk_day_weight": "1.000",
        "cell_day_weight": "1.500",
        "room_hour_weight": "0.250",
        "surplus_policy": "carry_forward",
        "cadence": "yearly",
        "issue_day": 10,
        "auto_issue": False,
        "statement_prefix": "LISTER",
        "created_at": None,
        "updated_at": None,
    }

    saved = api(
        "PUT",
        f"{HUB}/financing-models/2030",
        admin,
        json={
            "key": "blend",
            "blend_equal_pct": 50,
            "blend_use_pct": "50.0",
            "cadence": "quarterly",
            "statement_prefix": "rlister",
        },
    )

    assert saved.status_code == 200, saved.get_json()
    body = saved.get_json()
    assert body["saved"] is True and body["id"] is not None
    assert (body["key"], body["blend_equal_pct"], body["blend_use_pct"]) == (
        "blend",
        "50.00",
        "50.00",
    )
    assert (body["cadence"], body["statement_prefix"]) == ("quarterly", "RLISTER")
    assert count(FinancingModel) == 1
    inherited = api("GET", f"{HUB}/financing-models/2031", admin).get_json()
    assert (inherited["saved"], inherited["year"], inherited["key"]) == (False, 2031, "blend")
    assert api("GET", f"{HUB}/financing-models/2029", admin).get_json()["key"] == "equal"
    share = api("GET", f"{HUB}/cost-share?{Q1}", admin).get_json()
    assert share["model"]["saved"] is True
    assert share["model"]["blend"] == [
        {"key": "equal", "pct": "50.00"},
        {"key": "use", "pct": "50.00"},
    ]
    _assert_adds_up(share)

    again = api("PUT", f"{HUB}/financing-models/2030", admin, json={"issue_day": 5})
    assert again.status_code == 200
    assert (again.get_json()["issue_day"], again.get_json()["key"]) == (5, "blend")
    assert count(FinancingModel) == 1


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"key": "blend", "blend_equal_pct": 50, "blend_use_pct": 40}, {"blend_equal_pct"}),
        ({"key": "blend"}, {"blend_equal_pct"}),
        (
            {"key": "use", "desk_day_weight": 0, "cell_day_weight": 0, "room_hour_weight": 0},
            {"desk_day_weight"},
        ),
        ({"key": "lottery"}, {"key"}),
        ({"key": None}, {"key"}),
        ({"blend_use_pct": "lots"}, {"blend_use_pct"}),
        ({"blend_use_pct": True}, {"blend_use_pct"}),
        ({"blend_area_pct": 101}, {"blend_area_pct"}),
        ({"issue_day": 29}, {"issue_day"}),
        ({"issue_day": "5"}, {"issue_day"}),
        ({"statement_prefix": "R-L"}, {"statement_prefix"}),
        ({"surplus_policy": "spend"}, {"surplus_policy"}),
        ({"colour": "blue"}, {"colour"}),
    ],
)
def test_invalid_financing_model_is_422_and_saves_nothing(api, lister, body, fields):
    response = api("PUT", f"{HUB}/financing-models/2030", lister["admin"], json=body)

    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == fields
    assert count(FinancingModel) == 0


@pytest.mark.parametrize("method", ["GET", "PUT"])
def test_financing_model_year_out_of_range_is_422(api, lister, method):
    kwargs = {"json": {"issue_day": 5}} if method == "PUT" else {}

    response = api(method, f"{HUB}/financing-models/1999", lister["admin"], **kwargs)

    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {"year"}


@pytest.mark.parametrize("who", ["nav_contact", "member", "other_admin"])
@pytest.mark.parametrize("method", ["GET", "PUT"])
def test_financing_model_is_for_the_hub_admins(api, lister, who, method):
    kwargs = {"json": {"key": "weights"}} if method == "PUT" else {}

    response = api(method, f"{HUB}/financing-models/2030", lister[who], **kwargs)

    assert response.status_code == 403
    assert count(FinancingModel) == 0


# --- statements ----------------------------------------------------------------------


def _draft(api, lister, org: str = "nav", **body: Any) -> Any:
    data = {"organization_id": lister[org].id} | Q1_BODY | body
    return api("POST", f"{HUB}/statements", lister["admin"], json=data)


def test_statement_lifecycle_draft_issue_credit_and_new_draft(api, lister):
    admin = lister["admin"]
    share = _lines(api("GET", f"{HUB}/cost-share?{Q1}", admin).get_json())["NAV Lister"]

    created = _draft(api, lister)

    assert created.status_code == 201, created.get_json()
    draft = created.get_json()
    assert (draft["status"], draft["kind"], draft["number"]) == ("draft", "statement", None)
    assert (draft["organization_id"], draft["organization"]) == (lister["nav"].id, "NAV Lister")
    assert (draft["period_first"], draft["period_last"]) == ("2030-01-01", "2030-03-31")
    assert draft["total_ore"] == share["amount_ore"]
    assert sum(line["amount_ore"] for line in draft["lines"]) == draft["total_ore"]
    assert all(line["label"] and line["explanation"] for line in draft["lines"])
    assert draft["deliveries"] == [] and draft["content_hash"] is None

    again = _draft(api, lister)
    assert again.status_code == 409
    assert again.get_json()["error"]["statement_id"] == draft["id"]

    issued = api("POST", f"/statements/{draft['id']}/issue", admin)

    assert issued.status_code == 200, issued.get_json()
    body = issued.get_json()
    assert body["status"] == "issued" and re.fullmatch(r"LISTER-\d{4}-0001", body["number"])
    assert len(body["content_hash"]) == 64 and body["issued_at"]
    assert [(d["email"], d["status"]) for d in body["deliveries"]] == [
        (lister["nav_contact"].email, "pending")
    ]
    assert api("POST", f"/statements/{draft['id']}/issue", admin).status_code == 409
    assert api("DELETE", f"/statements/{draft['id']}", admin).status_code == 409
    assert _draft(api, lister).status_code == 409

    credited = api(
        "POST", f"/statements/{draft['id']}/credit", admin, json={"reason": "Feil areal"}
    )

    assert credited.status_code == 201, credited.get_json()
    note = credited.get_json()
    assert (note["kind"], note["status"], note["credits_id"]) == (
        "credit_note",
        "issued",
        draft["id"],
    )
    assert note["total_ore"] == -body["total_ore"]
    assert note["number"] != body["number"] and note["number"].startswith("LISTER-")
    original = api("GET", f"/statements/{draft['id']}", admin).get_json()
    assert original["credited_by_id"] == note["id"] and original["status"] == "issued"
    assert api("POST", f"/statements/{draft['id']}/credit", admin).status_code == 409
    assert api("POST", f"/statements/{note['id']}/credit", admin).status_code == 409

    new = _draft(api, lister)

    assert new.status_code == 201
    new_id = new.get_json()["id"]
    assert api("POST", f"/statements/{new_id}/credit", admin).status_code == 409  # a draft
    listed = api("GET", f"{HUB}/statements?year=2030", admin).get_json()
    assert {st["id"] for st in listed} == {draft["id"], note["id"], new_id}
    assert api("GET", f"{HUB}/statements?year=2031", admin).get_json() == []

    assert api("DELETE", f"/statements/{new_id}", admin).status_code == 204
    assert db.session.get(Statement, new_id) is None
    assert count(Statement) == 2


def test_credit_without_a_body(api, lister):
    statement_id = _draft(api, lister).get_json()["id"]
    api("POST", f"/statements/{statement_id}/issue", lister["admin"])

    response = api("POST", f"/statements/{statement_id}/credit", lister["admin"])

    assert response.status_code == 201
    assert response.get_json()["credits_id"] == statement_id


def test_drafts_for_everyone_with_a_share(api, lister):
    admin = lister["admin"]
    made = api("POST", f"{HUB}/statements/drafts", admin, json=Q1_BODY)

    assert made.status_code == 201, made.get_json()
    assert sorted(st["organization"] for st in made.get_json()) == [
        "Lyngdal kommune",
        "NAV Lister",
        "Prosjekt Havvind",
        "Skatteetaten",
        "Statsforvalteren",
    ]
    assert sum(st["total_ore"] for st in made.get_json()) == NET

    again = api("POST", f"{HUB}/statements/drafts", admin, json=Q1_BODY)

    assert (again.status_code, again.get_json()) == (200, [])
    assert count(Statement) == 5


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"period_last": "2029-12-31"}, {"period_last"}),
        ({"period_last": "2031-03-31"}, {"period_last"}),
        ({"period_first": "2030-02-30"}, {"period_first"}),
        ({"organization_id": 999_999}, {"organization_id"}),
        ({"organization_id": "1"}, {"organization_id"}),
        ({"total_ore": 5}, {"total_ore"}),
    ],
)
def test_invalid_statement_is_422_and_creates_nothing(api, lister, body, fields):
    response = _draft(api, lister, **body)

    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == fields
    assert count(Statement) == 0


def test_partner_contacts_see_their_own_issued_statements_only(api, lister):
    admin, contact = lister["admin"], lister["tax_contact"]
    nav_issued = _draft(api, lister, "nav").get_json()["id"]
    api("POST", f"/statements/{nav_issued}/issue", admin)
    tax_issued = _draft(api, lister, "tax").get_json()["id"]
    api("POST", f"/statements/{tax_issued}/issue", admin)
    q2 = {"period_first": "2030-04-01", "period_last": "2030-06-30"}
    nav_draft = _draft(api, lister, "nav", **q2).get_json()["id"]
    tax_draft = _draft(api, lister, "tax", **q2).get_json()["id"]

    listed = api("GET", f"{HUB}/statements", contact)

    assert listed.status_code == 200
    assert [(st["id"], st["deliveries"]) for st in listed.get_json()] == [(tax_issued, None)]
    own = api("GET", f"{HUB}/statements?organization_id={lister['tax'].id}", contact)
    assert [st["id"] for st in own.get_json()] == [tax_issued]
    assert api("GET", f"/statements/{tax_issued}", contact).get_json()["deliveries"] is None
    assert api("GET", f"/statements/{tax_issued}/pdf", contact).status_code == 200

    for path, status in [
        (f"{HUB}/statements?organization_id={lister['nav'].id}", 403),
        (f"/statements/{nav_issued}", 403),
        (f"/statements/{nav_issued}/pdf", 403),
        (f"/statements/{nav_draft}", 404),
        (f"/statements/{nav_draft}/pdf", 404),
        (f"/statements/{tax_draft}", 404),
    ]:
        assert api("GET", path, contact).status_code == status, path
    assert len(api("GET", f"{HUB}/statements", admin).get_json()) == 4
    admin_view = api("GET", f"{HUB}/statements?organization_id={lister['nav'].id}", admin)
    assert {st["id"] for st in admin_view.get_json()} == {nav_issued, nav_draft}


@pytest.mark.parametrize("who", ["tax_contact", "member", "other_admin"])
def test_statement_changes_are_for_the_hub_admins(api, lister, who):
    admin, user = lister["admin"], lister[who]
    issued = _draft(api, lister, "tax").get_json()["id"]
    api("POST", f"/statements/{issued}/issue", admin)
    q2 = {"period_first": "2030-04-01", "period_last": "2030-06-30"}
    draft = _draft(api, lister, "tax", **q2).get_json()["id"]

    for method, path, body in [
        ("POST", f"{HUB}/statements", {"organization_id": lister["tax"].id} | Q1_BODY),
        ("POST", f"{HUB}/statements/drafts", Q1_BODY),
        ("POST", f"/statements/{draft}/issue", None),
        ("POST", f"/statements/{issued}/credit", {}),
        ("DELETE", f"/statements/{draft}", None),
        ("GET", f"{HUB}/closed-periods", None),
        ("POST", f"{HUB}/closed-periods", Q1_BODY),
    ]:
        kwargs = {} if body is None else {"json": body}
        assert api(method, path, user, **kwargs).status_code == 403, (method, path)
    if who != "tax_contact":
        assert api("GET", f"{HUB}/statements", user).status_code == 403
        assert api("GET", f"/statements/{issued}", user).status_code == 403
        assert api("GET", f"/statements/{draft}", user).status_code == 404
    assert count(Statement) == 2
    assert db.session.get(Statement, draft).status is StatementStatus.DRAFT
    assert count(ClosedPeriod) == 0


def test_statement_pdf(api, lister):
    statement_id = _draft(api, lister).get_json()["id"]

    draft = api("GET", f"/statements/{statement_id}/pdf", lister["admin"])

    assert draft.status_code == 200
    assert draft.mimetype == "application/pdf"
    assert draft.data.startswith(b"%PDF")
    assert f"draft-{statement_id}.pdf" in draft.headers["Content-Disposition"]

    number = api("POST", f"/statements/{statement_id}/issue", lister["admin"]).get_json()["number"]
    issued = api("GET", f"/statements/{statement_id}/pdf", lister["nav_contact"])

    assert (issued.status_code, issued.mimetype) == (200, "application/pdf")
    assert issued.data == db.session.get(Statement, statement_id).pdf
    assert f"{number}.pdf" in issued.headers["Content-Disposition"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/statements/999999"),
        ("GET", "/statements/999999/pdf"),
        ("POST", "/statements/999999/issue"),
        ("POST", "/statements/999999/credit"),
        ("DELETE", "/statements/999999"),
        ("GET", "/hubs/finnes-ikke/statements"),
        ("GET", "/hubs/finnes-ikke/closed-periods"),
        ("GET", "/hubs/finnes-ikke/financing-models/2030"),
    ],
)
def test_unknown_statements_and_hubs_are_404(api, lister, method, path):
    assert api(method, path, lister["admin"]).status_code == 404


# --- closed periods --------------------------------------------------------------------


def test_closing_a_period(api, lister):
    admin = lister["admin"]
    draft = _draft(api, lister).get_json()["id"]

    blocked = api("POST", f"{HUB}/closed-periods", admin, json=Q1_BODY)

    assert blocked.status_code == 409  # a draft is left in it
    api("POST", f"/statements/{draft}/issue", admin)

    closed = api("POST", f"{HUB}/closed-periods", admin, json=Q1_BODY)

    assert closed.status_code == 201, closed.get_json()
    body = closed.get_json()
    assert (body["period_first"], body["period_last"]) == ("2030-01-01", "2030-03-31")
    assert body["closed_by_id"] == admin.id
    listed = api("GET", f"{HUB}/closed-periods", admin).get_json()
    assert [p["id"] for p in listed] == [body["id"]]
    overlapping = {"period_first": "2030-03-01", "period_last": "2030-04-30"}
    assert api("POST", f"{HUB}/closed-periods", admin, json=overlapping).status_code == 409
    assert api("POST", f"/statements/{draft}/credit", admin).status_code == 409
    refused = _draft(api, lister, "tax")
    assert refused.status_code == 409
    assert refused.get_json()["error"]["closed_from"] == "2030-01-01"
    assert api("POST", f"{HUB}/statements/drafts", admin, json=Q1_BODY).status_code == 409
    assert count(Statement) == 1 and count(ClosedPeriod) == 1


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"period_first": "2030-04-01", "period_last": "2030-03-31"}, {"period_last"}),
        ({"period_first": "2030-12-01", "period_last": "2031-01-31"}, {"period_last"}),
        ({"period_first": "2030-01-01"}, {"period_last"}),
        ({}, {"period_first", "period_last"}),
    ],
)
def test_invalid_closed_period_is_422(api, lister, body, fields):
    response = api("POST", f"{HUB}/closed-periods", lister["admin"], json=body)

    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == fields
    assert count(ClosedPeriod) == 0


# --- the document ----------------------------------------------------------------------


def test_the_operations_are_in_the_openapi_document(client, app):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]

    assert set(paths["/hubs/{slug}/financing-models/{year}"]) == {"get", "put"}
    assert set(paths["/statements/{statement_id}"]) == {"get", "delete"}
    pdf = paths["/statements/{statement_id}/pdf"]["get"]["responses"]["200"]["content"]
    assert set(pdf) == {"application/pdf"}
    share = paths["/hubs/{slug}/cost-share"]["get"]["responses"]["200"]["content"]
    assert "application/json" in share
