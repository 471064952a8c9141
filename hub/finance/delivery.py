"""Statement delivery: issue on the hub's cadence, email the PDF, retry what failed.

Both jobs are safe to run any number of times. Issuing is at most once per
organization and period because the database allows one standing statement
per ``live_key``; sending is once per statement and address because each
``StatementDelivery`` row is marked sent in the same commit as its send. A
failed send stays pending with its error and a later next try (backing off),
and after ``MAX_ATTEMPTS`` it is marked failed and shown to the admin, who may
send it again. The statement itself is committed before any mail is tried, so
it is never lost to a mail failure.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from hub.accounts.models import HubRole, Organization, Role, User
from hub.database import utcnow
from hub.errors import DomainError
from hub.extensions import db
from hub.finance import cost_share, periods, statements
from hub.finance.models import (
    DeliveryStatus,
    FinancingModel,
    Statement,
    StatementDelivery,
    StatementKind,
)
from hub.mail import build_message, deliver
from hub.spaces.models import Hub

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
FIRST_RETRY = timedelta(minutes=10)


def recipients(statement: Statement) -> list[str]:
    """The organization's partner contacts at the hub; else its contact address."""
    emails = db.session.scalars(
        sa.select(User.email)
        .join(HubRole, HubRole.user_id == User.id)
        .where(
            HubRole.hub_id == statement.hub_id,
            HubRole.role == Role.PARTNER_CONTACT,
            HubRole.organization_id == statement.organization_id,
            User.active.is_(True),
        )
        .order_by(User.email)
    )
    found = list(dict.fromkeys(emails))
    if not found:
        org = db.session.get(Organization, statement.organization_id)
        if org is not None and org.contact_email:
            found = [org.contact_email]
    return found


def queue(statement: Statement) -> list[StatementDelivery]:
    """A pending delivery for each recipient who has none for this statement yet."""
    have = {d.email for d in statement.deliveries}
    added = []
    for email in recipients(statement):
        if email not in have:
            delivery = StatementDelivery(
                statement=statement,
                email=email,
                status=DeliveryStatus.PENDING,
                next_attempt_at=utcnow(),
            )
            db.session.add(delivery)
            added.append(delivery)
    db.session.flush()
    return added


def _message(delivery: StatementDelivery):  # -> EmailMessage
    statement = delivery.statement
    with force_locale(statements.DOCUMENT_LOCALE):
        document = statement.document
        subject = _(
            "%(title)s %(number)s from %(hub)s",
            title=document["title"],
            number=statement.number,
            hub=document["hub"]["name"],
        )
        body = render_template("mail/statement_issued.txt", document=document)
    filename = f"{statement.number}.pdf"
    return build_message(
        delivery.email, subject, body, [(filename, "application/pdf", statement.pdf or b"")]
    )


def send(delivery: StatementDelivery, now: datetime) -> bool:
    """Try one delivery; record the outcome on the row (the caller commits)."""
    delivery.attempts += 1
    try:
        deliver(_message(delivery))
    except (smtplib.SMTPException, OSError) as exc:
        delivery.last_error = f"{type(exc).__name__}: {exc}"[:1000]
        if delivery.attempts >= MAX_ATTEMPTS:
            delivery.status = DeliveryStatus.FAILED
            delivery.next_attempt_at = None
        else:
            delivery.next_attempt_at = now + FIRST_RETRY * 2 ** (delivery.attempts - 1)
        number = delivery.statement.number
        log.warning("statement %s to %s not sent: %s", number, delivery.email, exc)
        return False
    delivery.status = DeliveryStatus.SENT
    delivery.sent_at = now
    delivery.last_error = None
    delivery.next_attempt_at = None
    return True


def send_due(now: datetime | None = None) -> int:
    """Send every pending delivery whose time has come; commit after each."""
    now = now or utcnow()
    due = list(
        db.session.scalars(
            sa.select(StatementDelivery.id)
            .where(
                StatementDelivery.status == DeliveryStatus.PENDING,
                StatementDelivery.next_attempt_at <= now,
            )
            .order_by(StatementDelivery.id)
        )
    )
    sent = 0
    for ident in due:
        delivery = db.session.get(StatementDelivery, ident)
        if delivery is None or delivery.status is not DeliveryStatus.PENDING:
            continue
        sent += send(delivery, now)
        db.session.commit()
    return sent


def retry(delivery: StatementDelivery) -> StatementDelivery:
    """An admin sends a failed delivery again (the job picks it up at once)."""
    if delivery.status is DeliveryStatus.SENT:
        return delivery
    delivery.status = DeliveryStatus.PENDING
    delivery.next_attempt_at = utcnow()
    delivery.attempts = 0
    db.session.flush()
    return delivery


def failed_deliveries(hub: Hub) -> list[StatementDelivery]:
    return list(
        db.session.scalars(
            sa.select(StatementDelivery)
            .join(Statement)
            .where(
                Statement.hub_id == hub.id,
                StatementDelivery.status != DeliveryStatus.SENT,
                StatementDelivery.last_error.is_not(None),
            )
            .order_by(StatementDelivery.id)
        )
    )


def issue_due(today: date | None = None) -> list[Statement]:
    """Issue the latest due period's statements of every hub that issues automatically.

    Only the latest period whose issue day has come is considered, so turning
    automatic issuing on does not flood partners with a year of history.
    """
    issued: list[Statement] = []
    hubs = db.session.scalars(
        sa.select(Hub).where(
            Hub.id.in_(sa.select(FinancingModel.hub_id).where(FinancingModel.auto_issue))
        )
    )
    for hub in hubs:
        day = today or hub.today()
        for year in (day.year, day.year - 1):
            model = cost_share.model_for(hub, year)
            period = periods.latest_due(model.cadence, model.issue_day, day, year)
            if period is None:
                continue  # nothing of this year is due yet: last year's last period is
            # The latest due period only: if its year's model does not issue
            # automatically, or the period is closed, an older one is not issued instead.
            if model.auto_issue and not statements.closed_period_over(hub.id, *period):
                issued += _issue_period(hub, *period)
            break
    return issued


def _issue_period(hub: Hub, first: date, last: date) -> list[Statement]:
    done = []
    run = statements.computed(hub, first, last)
    for org in statements.organizations_to_bill(hub, first, last, run):
        earlier = list(
            db.session.scalars(
                sa.select(Statement).where(
                    Statement.hub_id == hub.id,
                    Statement.organization_id == org.id,
                    Statement.kind == StatementKind.STATEMENT,
                    Statement.period_first == first,
                    Statement.period_last == last,
                )
            )
        )
        standing = next((s for s in earlier if s.live_key is not None), None)
        if (standing is None and earlier) or (standing and standing.is_issued):
            # Issued already, or credited: a correction is the admin's to issue,
            # once the figures are right, not the job's the next morning.
            continue
        try:
            with db.session.begin_nested():
                draft = standing or statements.create_draft(hub, org, first, last, run)
                done.append(statements.issue(draft, run=run))
        except DomainError as exc:  # one organization's problem does not stop the others
            log.warning("statement for %s %s–%s not issued: %s", org.name, first, last, exc)
    db.session.commit()  # statements are safe before any mail is tried
    return done
