"""Statements: numbering, freezing, credit notes, closed periods, issuing and delivery.

A small hub: rent NOK 365 000 over 2026 (NOK 1 000 a day), two partners who
share the residual equally, a host who then pays nothing. Q1 is 90 days:
NOK 90 000, NOK 45 000 to each partner.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from hub import jobs
from hub.accounts import service as accounts
from hub.accounts.models import Role
from hub.errors import Conflict
from hub.extensions import db
from hub.finance import cost_share, delivery, financing, statements
from hub.finance import service as finance
from hub.finance.models import (
    ClosedPeriod,
    DeliveryStatus,
    Statement,
    StatementDelivery,
    StatementKind,
    StatementStatus,
)
from hub.mail import sent_mail

Q1 = (date(2026, 1, 1), date(2026, 3, 31))
Q2 = (date(2026, 4, 1), date(2026, 6, 30))
Q4 = (date(2026, 10, 1), date(2026, 12, 31))
Q4_2025 = (date(2025, 10, 1), date(2025, 12, 31))
ISSUE_DAY = datetime(2026, 4, 10, 6, tzinfo=UTC)  # 08:00 in Oslo, 10 April 2026


def frozen(when: datetime = ISSUE_DAY):
    return time_machine.travel(when, tick=False)


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.fixture
def build(make_hub, make_org, make_user):
    """``build(slug, prefix)``: a hub with its rent, partners and their contacts."""

    def make(slug: str, prefix: str, **model):
        hub = make_hub(slug=slug, name=slug.title())
        host = make_org(name=f"{slug} kommune", kind="municipality")
        first, second = make_org(name=f"{slug} etat A"), make_org(name=f"{slug} etat B")
        accounts.create_membership(
            hub, {"organization_id": host.id, "kind": "host", "starts_on": date(2025, 1, 1)}
        )
        for org in (first, second):
            accounts.create_membership(
                hub,
                {
                    "organization_id": org.id,
                    "kind": "partner",
                    "starts_on": date(2025, 1, 1),
                    "carries_residual": True,
                },
            )
        rent = finance.create_cost_item(
            hub,
            {
                "category": "rent",
                "description": "Husleie 2026",
                "amount_ore": 36_500_000,
                "starts_on": date(2026, 1, 1),
                "ends_on": date(2026, 12, 31),
            },
        )
        financing.save_model(hub, 2026, {"statement_prefix": prefix, **model})
        contacts = [
            make_user(hub=hub, role=Role.PARTNER_CONTACT, organization=org, password=None)
            for org in (first, first, second)  # two contacts for A, one for B
        ]
        db.session.commit()
        return {
            "hub": hub,
            "host": host,
            "a": first,
            "b": second,
            "rent": rent,
            "contacts": contacts,
        }

    return make


@pytest.fixture
def alfa(build):
    return build("alfa", "ALFA")


def issue(hub, org, period=Q1, when: datetime = ISSUE_DAY) -> Statement:
    with frozen(when):
        statement = statements.issue(statements.create_draft(hub, org, *period))
        db.session.commit()
    return statement


# --- numbering ---------------------------------------------------------------------------


def test_numbers_run_per_hub_and_year_of_issue(alfa, build):
    beta = build("beta", "BETA")

    numbers = [
        issue(alfa["hub"], alfa["a"]).number,
        issue(beta["hub"], beta["a"]).number,
        issue(alfa["hub"], alfa["b"]).number,
        issue(beta["hub"], beta["b"], Q2, datetime(2026, 7, 10, 6, tzinfo=UTC)).number,
        # Q4 2026 is issued in January 2027: the new year starts again at 0001.
        issue(alfa["hub"], alfa["a"], Q4, datetime(2027, 1, 11, 6, tzinfo=UTC)).number,
    ]

    assert numbers == [
        "ALFA-2026-0001",
        "BETA-2026-0001",
        "ALFA-2026-0002",
        "BETA-2026-0002",
        "ALFA-2027-0001",
    ]
    latest = db.session.scalar(sa.select(Statement).where(Statement.number == "ALFA-2027-0001"))
    assert (latest.year, latest.sequence, latest.period_first) == (2027, 1, date(2026, 10, 1))


@pytest.mark.parametrize(
    ("slug", "prefix"),
    [("regionlab-lister", "LISTER"), ("sentrumsgarden", "SENTRUMSGARDEN"), ("hub-1", "HUB1")],
)
def test_the_default_prefix_is_a_valid_one(make_hub, slug, prefix):
    hub = make_hub(slug=slug)

    assert cost_share.default_prefix(hub) == prefix
    # The default passes the model's own rule: saving another field just works
    # (hub-1 used to give "1", which save_model then refused).
    assert financing.save_model(hub, 2026, {"key": "equal"}).statement_prefix == prefix


# --- issuing freezes -------------------------------------------------------------------


def test_issuing_freezes_the_document_hash_and_pdf(alfa):
    statement = issue(alfa["hub"], alfa["a"])
    ident = statement.id
    document = json.loads(json.dumps(statement.document))
    digest, pdf = statement.content_hash, statement.pdf
    # Rent 36 500 000 x 90/365 = 9 000 000, half of it to each partner.
    assert statement.total_ore == 4_500_000
    assert (statement.status, document["status"]) == (StatementStatus.ISSUED, "issued")
    assert document["number"] == statement.number and document["issued_on"] == "2026-04-10"
    assert pdf.startswith(b"%PDF")

    finance.update_cost_item(alfa["rent"], {"amount_ore": 73_000_000})
    db.session.commit()
    db.session.expire_all()
    again = db.session.get(Statement, ident)

    assert again.document == document
    assert again.content_hash == digest == statements.content_hash(again.document)
    assert again.pdf == pdf
    assert statements.render_pdf(again) == pdf
    assert again.total_ore == 4_500_000
    # The edit does count for what is computed now: twice the rent.
    fresh = statements.build_document(alfa["hub"], alfa["a"], *Q1)
    assert fresh["total_ore"] == 9_000_000


def test_an_issued_statement_cannot_be_issued_changed_or_deleted(alfa):
    statement = issue(alfa["hub"], alfa["a"])

    for action in (statements.issue, statements.refresh_draft, statements.delete_draft):
        with pytest.raises(Conflict):
            action(statement)
    with pytest.raises(Conflict):  # it stands for its period
        statements.create_draft(alfa["hub"], alfa["a"], *Q1)
    db.session.rollback()
    assert db.session.get(Statement, statement.id).number == "ALFA-2026-0001"
    assert count(Statement) == 1


# --- credit notes ----------------------------------------------------------------------


def test_a_credit_note_negates_the_statement_and_frees_the_period(alfa):
    original = issue(alfa["hub"], alfa["a"])

    with frozen():
        note = statements.credit(original, reason="Feil husleie")
        db.session.commit()

    assert (note.kind, note.status) == (StatementKind.CREDIT_NOTE, StatementStatus.ISSUED)
    assert note.number == "ALFA-2026-0002"
    assert note.total_ore == -original.total_ore == -4_500_000
    assert [line["amount_ore"] for line in note.document["lines"]] == [-4_500_000]
    assert note.document["credits_number"] == original.number
    assert note.content_hash == statements.content_hash(note.document)
    assert note.pdf.startswith(b"%PDF")
    assert note.credits is original and original.credited_by is note
    assert original.is_credited and original.live_key is None
    # The period is free: a new statement may follow under the next number.
    with frozen():
        again = statements.issue(statements.create_draft(alfa["hub"], alfa["a"], *Q1))
        db.session.commit()
    assert (again.number, again.total_ore) == ("ALFA-2026-0003", 4_500_000)


def test_crediting_twice_or_crediting_a_credit_note_is_a_conflict(alfa):
    original = issue(alfa["hub"], alfa["a"])
    with frozen():
        note = statements.credit(original)
        db.session.commit()
    draft = statements.create_draft(alfa["hub"], alfa["a"], *Q1)

    for target in (original, note, draft):
        with pytest.raises(Conflict):
            statements.credit(target)
    db.session.rollback()
    assert count(Statement) == 2  # the original and its one credit note


# --- closed periods ----------------------------------------------------------------------


def test_a_closed_period_refuses_statements_and_cost_changes(alfa):
    hub, rent = alfa["hub"], alfa["rent"]
    issued = issue(hub, alfa["a"])
    draft = statements.create_draft(hub, alfa["b"], *Q1)
    with pytest.raises(Conflict):  # drafts must be issued or deleted first
        statements.close_period(hub, *Q1)
    statements.delete_draft(draft)
    statements.close_period(hub, *Q1)
    db.session.commit()

    refused = [
        lambda: statements.create_draft(hub, alfa["b"], *Q1),
        lambda: statements.create_drafts(hub, *Q1),
        lambda: statements.credit(issued),
        lambda: statements.close_period(hub, date(2026, 3, 1), date(2026, 4, 30)),
        lambda: finance.update_cost_item(rent, {"amount_ore": 1}),
        lambda: finance.delete_cost_item(rent),
        lambda: finance.create_cost_item(
            hub,
            {
                "category": "services",
                "description": "Kaffe",
                "amount_ore": 10_000,
                "starts_on": date(2026, 3, 1),
                "ends_on": date(2026, 3, 31),
            },
        ),
        lambda: finance.create_funding(
            hub,
            {
                "kind": "grant",
                "source": "Fylket",
                "amount_ore": 10_000,
                "starts_on": date(2026, 2, 1),
                "ends_on": date(2026, 2, 28),
            },
        ),
    ]
    for action in refused:
        with pytest.raises(Conflict) as caught:
            action()
        assert caught.value.detail == {"closed_from": "2026-01-01", "closed_to": "2026-03-31"}
    db.session.rollback()
    db.session.expire_all()
    assert (rent.amount_ore, count(Statement), issued.is_credited) == (36_500_000, 1, False)

    # A draft left in a period that is then closed (only possible behind the
    # services' back: close_period refuses drafts) cannot be issued either.
    later = statements.create_draft(hub, alfa["b"], *Q2)
    db.session.add(ClosedPeriod(hub_id=hub.id, period_first=Q2[0], period_last=Q2[1]))
    db.session.flush()
    with pytest.raises(Conflict):
        statements.issue(later)
    # After the closed periods, all is open.
    statements.create_draft(hub, alfa["b"], date(2026, 7, 1), date(2026, 9, 30))


# --- the issuing job ---------------------------------------------------------------------


def test_issue_due_issues_each_statement_once_and_queues_a_delivery_per_contact(app, build):
    alfa = build("alfa", "ALFA", auto_issue=True, cadence="quarterly", issue_day=10)

    with frozen(ISSUE_DAY - timedelta(days=1)):
        assert delivery.issue_due() == []  # 9 April: Q1 is not due yet
    with frozen():
        first = delivery.issue_due()
        second = delivery.issue_due()
        assert jobs.run_job(app, "issue_statements") == 0  # the scheduled job: nothing left
    db.session.rollback()

    # Both partners, once each; the host pays nothing and gets nothing.
    assert sorted((s.organization_id, s.number) for s in first) == [
        (alfa["a"].id, "ALFA-2026-0001"),
        (alfa["b"].id, "ALFA-2026-0002"),
    ]
    assert second == []
    rows = db.session.scalars(sa.select(Statement)).all()
    assert len(rows) == 2
    assert all(s.is_issued and (s.period_first, s.period_last) == Q1 for s in rows)
    deliveries = db.session.scalars(sa.select(StatementDelivery)).all()
    a, b = alfa["a"].id, alfa["b"].id
    assert sorted((d.statement.organization_id, d.email) for d in deliveries) == sorted(
        zip((a, a, b), (c.email for c in alfa["contacts"]), strict=True)
    )
    assert all(d.status is DeliveryStatus.PENDING and d.attempts == 0 for d in deliveries)


def test_issue_due_leaves_a_credited_statement_to_the_admin(app, build):
    alfa = build("alfa", "ALFA", auto_issue=True, cadence="quarterly", issue_day=10)
    with frozen():
        first = delivery.issue_due()
        credited = next(s for s in first if s.organization_id == alfa["a"].id)
        statements.credit(credited, reason="Feil areal")
        db.session.commit()
        again = delivery.issue_due()
    # The correction is the admin's to issue once the figures are right.
    assert again == []
    assert statements.create_draft(credited.hub, alfa["a"], *Q1).status.value == "draft"


@pytest.mark.parametrize(
    ("today", "auto_2026", "close_q1", "expected"),
    [
        # 12 January: nothing of 2026 is due, Q4 2025 is (under the 2025 model).
        (datetime(2026, 1, 12, 6, tzinfo=UTC), False, False, 2),
        # 10 April: Q1 2026 is the latest due period. Its model does not issue
        # automatically, or it is closed: Q4 2025 is not issued in its place.
        (ISSUE_DAY, False, False, 0),
        (ISSUE_DAY, True, True, 0),
    ],
)
def test_issue_due_considers_only_the_latest_due_period(
    build, today, auto_2026, close_q1, expected
):
    alfa = build("alfa", "ALFA", auto_issue=auto_2026, cadence="quarterly", issue_day=10)
    hub = alfa["hub"]
    financing.save_model(
        hub,
        2025,
        {"statement_prefix": "ALFA", "auto_issue": True, "cadence": "quarterly", "issue_day": 10},
    )
    finance.create_cost_item(
        hub,
        {
            "category": "rent",
            "description": "Husleie 2025",
            "amount_ore": 36_500_000,
            "starts_on": date(2025, 1, 1),
            "ends_on": date(2025, 12, 31),
        },
    )
    if close_q1:
        statements.close_period(hub, *Q1)
    db.session.commit()

    with frozen(today):
        issued = delivery.issue_due()

    assert len(issued) == expected
    assert all((s.period_first, s.period_last) == Q4_2025 for s in issued)


# --- delivery ------------------------------------------------------------------------------


def test_a_failing_mail_server_is_retried_then_given_up_and_sent_after_retry(app, alfa):
    statement = issue(alfa["hub"], alfa["b"])  # partner B has one contact
    [row] = statement.deliveries
    app.config.update(MAIL_CAPTURE=False, MAIL_SERVER="127.0.0.1", MAIL_PORT=1)
    now = ISSUE_DAY

    assert delivery.send_due(now) == 0

    db.session.expire_all()
    assert (row.status, row.attempts) == (DeliveryStatus.PENDING, 1)
    assert row.last_error.startswith("ConnectionRefusedError")
    assert row.next_attempt_at == now + delivery.FIRST_RETRY
    assert db.session.get(Statement, statement.id).is_issued  # the statement stays
    assert delivery.send_due(now + timedelta(minutes=9)) == 0  # not due yet: no attempt
    assert row.attempts == 1
    # Backing off: 10, 20, 40, 80 and 160 minutes, then it gives up.
    waits = []
    while row.status is DeliveryStatus.PENDING:
        waits.append(row.next_attempt_at - now)
        now = row.next_attempt_at
        assert delivery.send_due(now) == 0
    assert waits == [timedelta(minutes=m) for m in (10, 20, 40, 80, 160)]
    assert (row.status, row.attempts, row.next_attempt_at) == (
        DeliveryStatus.FAILED,
        delivery.MAX_ATTEMPTS,
        None,
    )
    assert delivery.failed_deliveries(alfa["hub"]) == [row]
    assert delivery.send_due(now + timedelta(days=30)) == 0
    assert row.attempts == delivery.MAX_ATTEMPTS

    app.config["MAIL_CAPTURE"] = True
    with frozen(ISSUE_DAY + timedelta(days=1)):
        delivery.retry(row)
        db.session.commit()
        assert delivery.send_due() == 1
        assert delivery.send_due() == 0  # sent once, never again

    assert (row.status, row.last_error) == (DeliveryStatus.SENT, None)
    assert row.sent_at == ISSUE_DAY + timedelta(days=1)
    assert delivery.failed_deliveries(alfa["hub"]) == []
    [message] = sent_mail()
    assert message["To"] == alfa["contacts"][2].email
    assert statement.number in message["Subject"]
    [attachment] = message.iter_attachments()
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == f"{statement.number}.pdf"
    data = attachment.get_content()
    assert data.startswith(b"%PDF") and data == statement.pdf


def test_retrying_a_sent_delivery_sends_nothing_more(alfa):
    statement = issue(alfa["hub"], alfa["a"])  # partner A has two contacts
    with frozen():
        assert delivery.send_due() == 2
        for row in statement.deliveries:
            delivery.retry(row)
        db.session.commit()
        assert delivery.send_due() == 0
    assert sorted(m["To"] for m in sent_mail()) == sorted(c.email for c in alfa["contacts"][:2])
