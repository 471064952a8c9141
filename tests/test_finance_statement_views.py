"""Statement pages (hub.finance.statement_views): admin drafts, issue, credit, close; partners."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import UTC, date, datetime
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
import time_machine
from flask import url_for

from hub.accounts import service as accounts
from hub.accounts.models import Role
from hub.extensions import db
from hub.finance import financing, service, statements
from hub.finance.models import (
    ClosedPeriod,
    DeliveryStatus,
    Statement,
    StatementDelivery,
    StatementKind,
    StatementStatus,
)

Q1 = "2026-01-01/2026-03-31"
KR = 100


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def count(model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


@pytest.fixture(autouse=True)
def today():
    """Mid-April 2026 in Oslo: the first quarter has ended, numbers are of 2026."""
    with time_machine.travel(datetime(2026, 4, 15, 10, 0, tzinfo=UTC), tick=False):
        yield


@pytest.fixture
def world(make_hub, make_org, make_user):
    hub = make_hub(name="RegionLab Lister", slug="regionlab-lister")
    host = make_org(name="Lyngdal kommune", kind="municipality")
    nav = make_org(name="NAV Lister")
    tax = make_org(name="Skatteetaten")
    financing.save_model(hub, 2026, {"cadence": "quarterly"})
    for org, kind, amount in (
        (host, "host", None),
        (nav, "partner", 120_000),
        (tax, "partner", 60_000),
    ):
        accounts.create_membership(
            hub,
            {
                "organization_id": org.id,
                "kind": kind,
                "starts_on": date(2026, 1, 1),
                **({"yearly_amount_ore": amount * KR} if amount else {}),
            },
        )
    service.create_cost_item(
        hub,
        {
            "category": "rent",
            "description": "Husleie 2026",
            "amount_ore": 400_000 * KR,
            "starts_on": date(2026, 1, 1),
            "ends_on": date(2026, 12, 31),
        },
    )
    db.session.commit()
    return SimpleNamespace(
        hub=hub,
        host=host,
        nav=nav,
        tax=tax,
        admin=make_user(hub=hub, role=Role.ADMIN, name="Vert Vertsen"),
        nav_contact=make_user(hub=hub, role=Role.PARTNER_CONTACT, organization=nav),
        tax_contact=make_user(hub=hub, role=Role.PARTNER_CONTACT, organization=tax),
    )


def drafts_of(hub) -> dict[int, Statement]:
    rows = db.session.scalars(
        sa.select(Statement).where(
            Statement.hub_id == hub.id, Statement.status == StatementStatus.DRAFT
        )
    )
    return {s.organization_id: s for s in rows}


@pytest.fixture
def as_admin(world, login):
    login(world.admin)
    return world


@pytest.fixture
def q1_drafts(world):
    statements.create_drafts(world.hub, date(2026, 1, 1), date(2026, 3, 31))
    db.session.commit()
    return drafts_of(world.hub)


@pytest.fixture
def issued(world, q1_drafts):
    """NAV's and Skatteetaten's Q1 statements issued; the host's still a draft."""
    nav = statements.issue(q1_drafts[world.nav.id], world.admin)
    tax = statements.issue(q1_drafts[world.tax.id], world.admin)
    db.session.commit()
    return SimpleNamespace(nav=nav, tax=tax, draft=q1_drafts[world.host.id])


# --- access ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "expected"),
    [("anonymous", 302), ("employee", 403), ("partner", 403), ("other_admin", 403), ("admin", 200)],
)
@pytest.mark.parametrize("endpoint", ["statements.admin_list", "statements.admin_csv"])
def test_admin_pages_need_hub_admin(
    client, world, make_user, make_hub, login, who, expected, endpoint
):
    users = {
        "employee": lambda: make_user(hub=world.hub, role=Role.MEMBER),
        "partner": lambda: world.nav_contact,
        "other_admin": lambda: make_user(hub=make_hub(), role=Role.ADMIN),
        "admin": lambda: world.admin,
    }
    if who != "anonymous":
        login(users[who]())

    response = client.get(url_for(endpoint, slug=world.hub.slug, year=2026))

    assert response.status_code == expected
    if who == "anonymous":
        assert "/login" in response.headers["Location"]


def test_admin_post_needs_hub_admin(client, world, login):
    login(world.nav_contact)

    response = client.post(
        url_for("statements.admin_create_drafts", slug=world.hub.slug),
        data={"drafts-period": Q1},
    )

    assert response.status_code == 403
    assert count(Statement) == 0


def test_list_offers_the_cadence_periods(client, as_admin):
    response = client.get(url_for("statements.admin_list", slug=as_admin.hub.slug, year=2026))

    page = text(response)
    assert response.status_code == 200
    assert page.count("<h1") == 1
    assert 'value="2026-04-01/2026-06-30"' in page
    assert 'value="custom"' in page
    # the latest ended quarter is chosen
    assert 'selected value="2026-01-01/2026-03-31"' in page


def test_a_bad_year_is_422(client, as_admin):
    response = client.get(url_for("statements.admin_list", slug=as_admin.hub.slug, year="twenty"))

    assert response.status_code == 422
    assert "Give a year from 2000 to 2100." in text(response)


# --- drafts --------------------------------------------------------------------


def test_admin_creates_drafts_for_a_quarter(client, as_admin):
    response = client.post(
        url_for("statements.admin_create_drafts", slug=as_admin.hub.slug),
        data={"drafts-period": Q1, "year": "2026"},
    )

    assert response.status_code == 303
    drafts = drafts_of(as_admin.hub)
    assert set(drafts) == {as_admin.host.id, as_admin.nav.id, as_admin.tax.id}
    assert all(
        (d.period_first, d.period_last) == (date(2026, 1, 1), date(2026, 3, 31))
        for d in drafts.values()
    )
    page = text(client.get(response.headers["Location"]))
    assert "3 drafts have been created." in page
    for org in (as_admin.host, as_admin.nav, as_admin.tax):
        assert org.name in page

    again = client.post(
        url_for("statements.admin_create_drafts", slug=as_admin.hub.slug),
        data={"drafts-period": Q1},
    )
    assert again.status_code == 303
    assert count(Statement) == 3


def test_drafts_for_a_custom_period(client, as_admin):
    response = client.post(
        url_for("statements.admin_create_drafts", slug=as_admin.hub.slug),
        data={
            "drafts-period": "custom",
            "drafts-period_first": "2026-02-01",
            "drafts-period_last": "2026-02-28",
        },
    )

    assert response.status_code == 303
    assert {(s.period_first, s.period_last) for s in drafts_of(as_admin.hub).values()} == {
        (date(2026, 2, 1), date(2026, 2, 28))
    }


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {"drafts-period": "custom", "drafts-period_first": "2026-02-01"},
            "drafts-period_last",
            "Give the day, or choose one of the listed periods.",
        ),
        (
            {
                "drafts-period": "custom",
                "drafts-period_first": "2026-03-01",
                "drafts-period_last": "2026-02-01",
            },
            "drafts-period_last",
            "The last day cannot be before the first day.",
        ),
        (
            {
                "drafts-period": "custom",
                "drafts-period_first": "2026-12-01",
                "drafts-period_last": "2027-01-31",
            },
            "drafts-period_last",
            "A cost period lies within one calendar year",
        ),
        ({"drafts-period": "last quarter"}, "drafts-period", "Choose a period."),
    ],
)
def test_bad_draft_periods_are_422_next_to_the_field(client, as_admin, data, field, message):
    response = client.post(
        url_for("statements.admin_create_drafts", slug=as_admin.hub.slug), data=data
    )

    page = text(response)
    assert response.status_code == 422
    assert f'id="{field}-error">{message}' in page
    if "drafts-period_first" in data:  # typed values are kept
        assert f'value="{data["drafts-period_first"]}"' in page
    assert count(Statement) == 0


def test_update_and_delete_a_draft(client, as_admin, q1_drafts):
    draft = q1_drafts[as_admin.nav.id]
    service.create_cost_item(
        as_admin.hub,
        {
            "category": "services",
            "description": "Renhold",
            "amount_ore": 36_500 * KR,
            "starts_on": date(2026, 1, 1),
            "ends_on": date(2026, 12, 31),
        },
    )
    db.session.commit()
    host_draft = q1_drafts[as_admin.host.id]
    before = host_draft.total_ore

    refreshed = client.post(
        url_for("statements.admin_refresh", slug=as_admin.hub.slug, statement_id=host_draft.id)
    )
    assert refreshed.status_code == 303
    db.session.expire_all()
    assert db.session.get(Statement, host_draft.id).total_ore > before

    deleted = client.post(
        url_for("statements.admin_delete", slug=as_admin.hub.slug, statement_id=draft.id)
    )
    assert deleted.status_code == 303
    db.session.expire_all()
    assert db.session.get(Statement, draft.id) is None


# --- issue -----------------------------------------------------------------------


def test_issue_numbers_the_statement(client, as_admin, q1_drafts):
    draft = q1_drafts[as_admin.nav.id]
    detail = client.get(
        url_for("statements.admin_detail", slug=as_admin.hub.slug, statement_id=draft.id)
    )
    assert detail.status_code == 200
    assert "DRAFT" in text(detail) or "UTKAST" in text(detail)

    response = client.post(
        url_for("statements.admin_issue", slug=as_admin.hub.slug, statement_id=draft.id)
    )

    assert response.status_code == 303
    db.session.expire_all()
    statement = db.session.get(Statement, draft.id)
    assert statement.status is StatementStatus.ISSUED
    assert statement.number == "LISTER-2026-0001"
    assert statement.issued_by_id == as_admin.admin.id
    page = text(client.get(response.headers["Location"]))
    assert "Statement LISTER-2026-0001 has been issued." in page
    for line in statement.document["lines"]:
        assert line["label"] in page
        assert line["explanation"] in page
    assert statement.content_hash in page
    assert as_admin.nav_contact.email in page  # queued delivery

    pdf = client.get(url_for("statements.admin_pdf", slug=as_admin.hub.slug, statement_id=draft.id))
    assert pdf.status_code == 200
    assert pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")
    assert pdf.headers["Content-Disposition"] == 'inline; filename="LISTER-2026-0001.pdf"'

    twice = client.post(
        url_for("statements.admin_issue", slug=as_admin.hub.slug, statement_id=draft.id)
    )
    assert twice.status_code == 409
    assert "An issued statement never changes; credit it instead." in text(twice)
    db.session.expire_all()
    assert db.session.get(Statement, draft.id).number == "LISTER-2026-0001"


def test_a_draft_pdf_is_named_by_its_id(client, as_admin, q1_drafts):
    draft = q1_drafts[as_admin.tax.id]

    pdf = client.get(url_for("statements.admin_pdf", slug=as_admin.hub.slug, statement_id=draft.id))

    assert pdf.data.startswith(b"%PDF")
    assert pdf.headers["Content-Disposition"] == f'inline; filename="draft-{draft.id}.pdf"'


def test_a_statement_of_another_hub_is_404(client, as_admin, make_hub, make_org):
    other = make_hub(name="Sentrumsgården", slug="sentrumsgarden")
    org = make_org()
    accounts.create_membership(
        other, {"organization_id": org.id, "kind": "partner", "starts_on": date(2026, 1, 1)}
    )
    foreign = statements.create_draft(other, org, date(2026, 1, 1), date(2026, 3, 31))
    db.session.commit()

    for endpoint in ("statements.admin_detail", "statements.admin_pdf"):
        response = client.get(url_for(endpoint, slug=as_admin.hub.slug, statement_id=foreign.id))
        assert response.status_code == 404
    response = client.post(
        url_for("statements.admin_issue", slug=as_admin.hub.slug, statement_id=foreign.id)
    )
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(Statement, foreign.id).status is StatementStatus.DRAFT


# --- credit ---------------------------------------------------------------------


def test_credit_then_a_new_draft(client, as_admin, issued):
    original = issued.nav
    response = client.post(
        url_for("statements.admin_credit", slug=as_admin.hub.slug, statement_id=original.id),
        data={"reason": "Feil årsbeløp"},
    )

    assert response.status_code == 303
    note = db.session.scalar(sa.select(Statement).where(Statement.credits_id == original.id))
    assert response.headers["Location"].endswith(f"/statements/{note.id}")
    assert note.kind is StatementKind.CREDIT_NOTE
    assert note.total_ore == -original.total_ore < 0
    assert note.number == "LISTER-2026-0003"
    page = text(client.get(response.headers["Location"]))
    original_url = url_for(
        "statements.admin_detail", slug=as_admin.hub.slug, statement_id=original.id, _external=False
    )
    assert f'href="{original_url}">{original.number}</a>' in page
    assert "Feil årsbeløp" in page

    original_page = text(client.get(original_url))
    assert "This statement has been credited by" in original_page
    assert note.number in original_page
    assert "Create a new draft for the same period" in original_page

    again = client.post(
        url_for("statements.admin_credit", slug=as_admin.hub.slug, statement_id=original.id)
    )
    assert again.status_code == 409
    assert f"{original.number} has already been credited by {note.number}." in text(again)

    redraft = client.post(
        url_for("statements.admin_redraft", slug=as_admin.hub.slug, statement_id=original.id)
    )
    assert redraft.status_code == 303
    new = drafts_of(as_admin.hub)[as_admin.nav.id]
    assert (new.period_first, new.period_last) == (original.period_first, original.period_last)
    assert "The statement that now stands for this organization and period" in text(
        client.get(original_url)
    )
    twice = client.post(
        url_for("statements.admin_redraft", slug=as_admin.hub.slug, statement_id=original.id)
    )
    assert twice.status_code == 409


def test_a_draft_cannot_be_credited(client, as_admin, issued):
    response = client.post(
        url_for("statements.admin_credit", slug=as_admin.hub.slug, statement_id=issued.draft.id)
    )

    assert response.status_code == 409
    assert count(Statement, Statement.kind == StatementKind.CREDIT_NOTE) == 0


def test_a_too_long_reason_is_422(client, as_admin, issued):
    response = client.post(
        url_for("statements.admin_credit", slug=as_admin.hub.slug, statement_id=issued.nav.id),
        data={"reason": "x" * 501},
    )

    assert response.status_code == 422
    assert "Use at most 500 characters." in text(response)
    assert count(Statement, Statement.kind == StatementKind.CREDIT_NOTE) == 0


# --- closing a period ------------------------------------------------------------------


def test_close_a_period_after_a_confirm_step(client, as_admin, issued):
    url = url_for("statements.admin_close_period", slug=as_admin.hub.slug)

    with_draft = client.post(url, data={"close-period": Q1, "year": "2026"})
    assert with_draft.status_code == 200
    assert "Issue or delete these drafts before closing the period" in text(with_draft)
    assert count(ClosedPeriod) == 0
    refused = client.post(url, data={"close-period": Q1, "confirm": "1"})
    assert refused.status_code == 409
    assert count(ClosedPeriod) == 0

    statements.delete_draft(issued.draft)
    db.session.commit()
    confirm = client.post(url, data={"close-period": Q1, "year": "2026"})
    page = text(confirm)
    assert confirm.status_code == 200
    assert page.count("<h1") == 1
    assert 'name="confirm"' in page
    assert 'name="close-period_first" value="2026-01-01"' in page
    assert count(ClosedPeriod) == 0

    closed = client.post(
        url,
        data={
            "close-period": "custom",
            "close-period_first": "2026-01-01",
            "close-period_last": "2026-03-31",
            "confirm": "1",
        },
    )
    assert closed.status_code == 303
    period = db.session.scalar(sa.select(ClosedPeriod))
    assert (period.period_first, period.period_last, period.closed_by_id) == (
        date(2026, 1, 1),
        date(2026, 3, 31),
        as_admin.admin.id,
    )
    listing = text(client.get(closed.headers["Location"]))
    assert "is closed." in listing

    drafts = client.post(
        url_for("statements.admin_create_drafts", slug=as_admin.hub.slug),
        data={"drafts-period": Q1},
    )
    assert drafts.status_code == 409
    assert "is closed; nothing in it can change." in text(drafts)
    credit = client.post(
        url_for("statements.admin_credit", slug=as_admin.hub.slug, statement_id=issued.nav.id)
    )
    assert credit.status_code == 409
    again = client.post(url, data={"close-period": Q1})
    assert again.status_code == 409
    assert count(Statement) == 2


def test_closing_a_bad_period_is_422(client, as_admin):
    response = client.post(
        url_for("statements.admin_close_period", slug=as_admin.hub.slug),
        data={
            "close-period": "custom",
            "close-period_first": "2026-05-01",
            "close-period_last": "2026-04-01",
        },
    )

    assert response.status_code == 422
    page = text(response)
    assert 'id="close-period_last-error">The last day cannot be before the first day.' in page
    assert 'value="2026-05-01"' in page
    assert count(ClosedPeriod) == 0


# --- partners --------------------------------------------------------------------------


def test_partner_contact_reads_only_their_own_issued_statements(client, world, issued, login):
    login(world.nav_contact)

    listing = client.get(url_for("statements.partner_list", slug=world.hub.slug))
    page = text(listing)
    assert listing.status_code == 200
    assert issued.nav.number in page
    assert issued.tax.number not in page
    assert world.tax.name not in page
    assert world.host.name not in page

    own = client.get(
        url_for("statements.partner_detail", slug=world.hub.slug, statement_id=issued.nav.id)
    )
    assert own.status_code == 200
    assert issued.nav.document["lines"][0]["explanation"] in text(own)
    assert "Send again" not in text(own)
    pdf = client.get(
        url_for("statements.partner_pdf", slug=world.hub.slug, statement_id=issued.nav.id)
    )
    assert pdf.status_code == 200
    assert pdf.data.startswith(b"%PDF")

    for endpoint in ("statements.partner_detail", "statements.partner_pdf"):
        other = client.get(url_for(endpoint, slug=world.hub.slug, statement_id=issued.tax.id))
        assert other.status_code == 403
        assert issued.tax.number not in text(other)
        draft = client.get(url_for(endpoint, slug=world.hub.slug, statement_id=issued.draft.id))
        assert draft.status_code == 404


def test_partner_does_not_see_own_draft(client, world, q1_drafts, login):
    login(world.nav_contact)

    response = client.get(
        url_for(
            "statements.partner_detail",
            slug=world.hub.slug,
            statement_id=q1_drafts[world.nav.id].id,
        )
    )

    assert response.status_code == 404
    assert "No statements have been issued to you yet." in text(
        client.get(url_for("statements.partner_list", slug=world.hub.slug))
    )


def test_partner_sees_credit_note_and_link_back(client, world, issued, login):
    note = statements.credit(issued.nav, world.admin)
    db.session.commit()
    login(world.nav_contact)

    page = text(
        client.get(url_for("statements.partner_detail", slug=world.hub.slug, statement_id=note.id))
    )

    back = url_for(
        "statements.partner_detail",
        slug=world.hub.slug,
        statement_id=issued.nav.id,
        _external=False,
    )
    assert f'href="{back}">{issued.nav.number}</a>' in page
    assert note.document["total"] in page


def test_admin_sees_every_issued_statement_in_the_partner_view(client, world, issued, login):
    login(world.admin)

    page = text(client.get(url_for("statements.partner_list", slug=world.hub.slug)))

    assert issued.nav.number in page and issued.tax.number in page
    assert world.host.name not in page  # the host's draft is not issued


@pytest.mark.parametrize(
    "endpoint", ["statements.partner_list", "statements.partner_detail", "statements.partner_pdf"]
)
def test_partner_pages_need_login_and_a_role(client, world, issued, make_user, login, endpoint):
    args = {} if endpoint == "statements.partner_list" else {"statement_id": issued.nav.id}
    url = url_for(endpoint, slug=world.hub.slug, **args)

    anonymous = client.get(url)
    assert anonymous.status_code == 302
    assert "/login" in anonymous.headers["Location"]

    login(make_user(hub=world.hub, role=Role.MEMBER))
    assert client.get(url).status_code == 403


def test_statements_menu_for_partner_contacts(client, world, make_hub, make_user, login):
    login(world.nav_contact)

    home = text(client.get(url_for("spaces.hub_list")))
    assert f'href="{url_for("statements.index", _external=False)}"' in home
    one = client.get(url_for("statements.index"))
    assert one.status_code == 302
    assert one.headers["Location"].endswith("/hubs/regionlab-lister/statements")

    other = make_hub(name="Sentrumsgården", slug="sentrumsgarden")
    accounts.grant_role(world.nav_contact, other, Role.PARTNER_CONTACT, world.nav.id)
    db.session.commit()
    two = client.get(url_for("statements.index"))
    assert two.status_code == 200
    assert "RegionLab Lister" in text(two) and "Sentrumsgården" in text(two)


def test_no_statements_menu_for_employees(client, world, make_user, login):
    login(make_user(hub=world.hub, role=Role.MEMBER))

    home = text(client.get(url_for("spaces.hub_list")))

    assert f'href="{url_for("statements.index", _external=False)}"' not in home


# --- CSV ------------------------------------------------------------------------------


def test_csv_has_a_bom_and_one_row_per_line(client, as_admin, issued):
    response = client.get(url_for("statements.admin_csv", slug=as_admin.hub.slug, year=2026))

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert (
        'filename="statements-regionlab-lister-2026.csv"' in response.headers["Content-Disposition"]
    )
    body = response.data.decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(body[1:])))
    expected = sum(len(s.document["lines"]) for s in db.session.scalars(sa.select(Statement)))
    assert len(rows) == expected > 0
    assert list(rows[0]) == [
        "number",
        "kind",
        "status",
        "organization_id",
        "organization",
        "period_first",
        "period_last",
        "label",
        "explanation",
        "amount_nok",
        "content_hash",
    ]
    nav_rows = [r for r in rows if r["number"] == issued.nav.number]
    assert len(nav_rows) == len(issued.nav.document["lines"])
    assert nav_rows[0]["organization"] == "NAV Lister"
    assert nav_rows[0]["content_hash"] == issued.nav.content_hash
    assert nav_rows[0]["period_first"] == "2026-01-01"
    for row, line in zip(nav_rows, issued.nav.document["lines"], strict=True):
        assert row["amount_nok"] == f"{line['amount_ore'] // 100}.{line['amount_ore'] % 100:02d}"
    drafts = [r for r in rows if r["status"] == "draft"]
    assert drafts and all(r["number"] == "" for r in drafts)

    empty = client.get(url_for("statements.admin_csv", slug=as_admin.hub.slug, year=2025))
    assert empty.data.decode("utf-8").splitlines() == ["\ufeff" + ",".join(rows[0])]


# --- deliveries ------------------------------------------------------------------------


def test_failed_delivery_is_shown_and_sent_again(client, as_admin, issued):
    failed = StatementDelivery(
        statement_id=issued.tax.id,
        email="post@skatteetaten.example",
        status=DeliveryStatus.FAILED,
        attempts=6,
        last_error="SMTPServerDisconnected: Connection unexpectedly closed",
    )
    db.session.add(failed)
    db.session.commit()

    listing = text(client.get(url_for("statements.admin_list", slug=as_admin.hub.slug)))
    assert "Statements that could not be emailed" in listing
    assert "SMTPServerDisconnected: Connection unexpectedly closed" in listing
    assert "Send again" in listing
    detail = text(
        client.get(
            url_for("statements.admin_detail", slug=as_admin.hub.slug, statement_id=issued.tax.id)
        )
    )
    assert detail.count("Send again") == 1  # only the failed one, not the pending ones

    response = client.post(
        url_for("statements.admin_retry_delivery", slug=as_admin.hub.slug, delivery_id=failed.id),
        data={"back": "list"},
    )

    assert response.status_code == 303
    assert "/admin/hubs/regionlab-lister/statements" in response.headers["Location"]
    db.session.expire_all()
    again = db.session.get(StatementDelivery, failed.id)
    assert (again.status, again.attempts) == (DeliveryStatus.PENDING, 0)
    assert again.next_attempt_at is not None


def test_retry_of_another_hubs_delivery_is_404(client, as_admin, make_hub, make_user, login):
    other = make_hub(name="Sentrumsgården", slug="sentrumsgarden")
    accounts.create_membership(
        other,
        {"organization_id": as_admin.nav.id, "kind": "partner", "starts_on": date(2026, 1, 1)},
    )
    org_statement = statements.create_draft(
        other, as_admin.nav, date(2026, 1, 1), date(2026, 3, 31)
    )
    foreign = StatementDelivery(
        statement=org_statement, email="x@example.no", status=DeliveryStatus.FAILED, last_error="x"
    )
    db.session.add(foreign)
    db.session.commit()

    response = client.post(
        url_for("statements.admin_retry_delivery", slug=as_admin.hub.slug, delivery_id=foreign.id)
    )

    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(StatementDelivery, foreign.id).status is DeliveryStatus.FAILED


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_state_changes_need_the_csrf_token_from_the_page(client, world, q1_drafts, app_config):
    with client.session_transaction() as flask_session:
        flask_session["_user_id"] = str(world.admin.id)
        flask_session["_fresh"] = True
    draft = q1_drafts[world.nav.id]
    issue_url = url_for("statements.admin_issue", slug=world.hub.slug, statement_id=draft.id)

    refused = client.post(issue_url)
    assert refused.status_code == 400
    db.session.expire_all()
    assert db.session.get(Statement, draft.id).status is StatementStatus.DRAFT

    page = text(
        client.get(url_for("statements.admin_detail", slug=world.hub.slug, statement_id=draft.id))
    )
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post(issue_url, data={"csrf_token": token}).status_code == 303

    listing = text(client.get(url_for("statements.admin_list", slug=world.hub.slug)))
    prefixed = re.search(r'name="drafts-csrf_token" type="hidden" value="([^"]+)"', listing)
    created = client.post(
        url_for("statements.admin_create_drafts", slug=world.hub.slug),
        data={"drafts-csrf_token": prefixed.group(1), "drafts-period": "2026-04-01/2026-06-30"},
    )
    assert created.status_code == 303
