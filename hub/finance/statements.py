"""Statements: draft, issue (numbered, hashed, PDF rendered once), credit, close a period.

An issued statement never changes. Its ``document`` is the frozen content in
Norwegian (the lines with their explanations and a usage summary), its
``content_hash`` the SHA-256 of that document, and its ``pdf`` the bytes
rendered at issue. A correction is a credit note that references the
original; the original then stops standing for its period, so a new
statement may be issued. A closed period refuses all of these.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import force_locale, format_date
from flask_babel import gettext as _

from hub.accounts.models import Membership, Organization, User
from hub.database import utcnow
from hub.errors import Conflict, FieldErrors, ValidationFailed
from hub.extensions import db
from hub.finance import cost_share
from hub.finance import pdf as pdf_render
from hub.finance.allocation import Allocation
from hub.finance.explain import KEY_LABELS, number
from hub.finance.models import (
    ClosedPeriod,
    FinancingModel,
    Statement,
    StatementKind,
    StatementStatus,
)
from hub.money import format_nok
from hub.spaces.models import Hub
from hub.usage import reports

DOCUMENT_LOCALE = "nb"  # statements are Norwegian documents, whoever issues them


def live_key(hub_id: int, organization_id: int, first: date, last: date) -> str:
    return f"{hub_id}:{organization_id}:{first.isoformat()}:{last.isoformat()}"


# --- reading -------------------------------------------------------------------


def statements_of(
    hub: Hub, *, organization_ids: set[int] | None = None, year: int | None = None
) -> list[Statement]:
    query = sa.select(Statement).where(Statement.hub_id == hub.id)
    if organization_ids is not None:
        query = query.where(
            Statement.organization_id.in_(organization_ids),
            Statement.status == StatementStatus.ISSUED,
        )
    if year is not None:
        query = query.where(
            Statement.period_first >= date(year, 1, 1), Statement.period_first <= date(year, 12, 31)
        )
    # Drafts (no number yet) first on every database.
    query = query.order_by(
        Statement.period_first.desc(),
        Statement.period_last,
        Statement.number.is_(None).desc(),
        Statement.number,
        Statement.id,
    )
    return list(db.session.scalars(query))


def closed_periods(hub: Hub) -> list[ClosedPeriod]:
    return list(
        db.session.scalars(
            sa.select(ClosedPeriod)
            .where(ClosedPeriod.hub_id == hub.id)
            .order_by(ClosedPeriod.period_first)
        )
    )


def closed_period_over(hub_id: int, first: date, last: date) -> ClosedPeriod | None:
    return db.session.scalar(
        sa.select(ClosedPeriod)
        .where(
            ClosedPeriod.hub_id == hub_id,
            ClosedPeriod.period_first <= last,
            ClosedPeriod.period_last >= first,
        )
        .limit(1)
    )


def ensure_open(hub_id: int, first: date, last: date | None = None) -> None:
    """409 when anything dated in [first, last] would touch a closed period."""
    closed = closed_period_over(hub_id, first, last or date.max)
    if closed is not None:
        raise Conflict(
            _(
                "The period %(first)s–%(last)s is closed; nothing in it can change.",
                first=closed.period_first.isoformat(),
                last=closed.period_last.isoformat(),
            ),
            {
                "closed_from": closed.period_first.isoformat(),
                "closed_to": closed.period_last.isoformat(),
            },
        )


# --- the document ----------------------------------------------------------------


def _usage_summary(hub: Hub, organization_id: int, first: date, last: date) -> list[dict[str, str]]:
    figures = reports.figures_by(hub, first, last, "organization").get(organization_id)
    if figures is None:
        return []
    rows = [
        (_("Bookings"), figures.bookings),
        (_("Desk-days booked"), figures.days("desk")),
        (_("Cell-days booked"), figures.days("cell")),
        (_("Room-hours booked"), figures.hours("meeting_room")),
        (_("Person-days in the hub"), figures.person_days),
    ]
    return [{"label": label, "value": number(value)} for label, value in rows if value]


def _period_text(first: date, last: date) -> str:
    return f"{format_date(first, 'd. MMMM y')}–{format_date(last, 'd. MMMM y')}"


def _labels() -> dict[str, str]:
    return {
        "hub": _("Hub"),
        "organization": _("Organization"),
        "period": _("Period"),
        "issued_on": _("Issued"),
        "number": _("Number"),
        "credits": _("Credits"),
        "description": _("Description"),
        "amount": _("Amount"),
        "total": _("Total"),
        "usage": _("Use in the period"),
        "org_number": _("Org. no."),
        "content_hash": _("Content check (SHA-256)"),
        "page": _("Page {page} of {pages}"),
        "draft": _("DRAFT"),
    }


def _model_note(model: FinancingModel, result: Allocation) -> str:
    if result.model.key.value == "blend":
        key = ", ".join(
            f"{number(pct)} % {str(KEY_LABELS[k]).lower()}" for k, pct in model.blend() if pct
        )
    else:
        key = str(KEY_LABELS[result.model.key])
    return _(
        "The hub's net cost in the period is %(net)s (costs %(cost)s minus funding "
        "%(funding)s). The residual after fixed contributions, overhead and use at unit "
        "rates is split among the partners that carry it by: %(key)s.",
        net=format_nok(result.net_cost_ore),
        cost=format_nok(result.cost_ore),
        funding=format_nok(result.funding_ore),
        key=key,
    )


@dataclass(frozen=True, slots=True)
class Computed:
    """One run of the model for a hub and period, shared by the statements made from it."""

    model: FinancingModel
    result: Allocation


def computed(hub: Hub, first: date, last: date) -> Computed:
    model = cost_share.model_for(hub, first.year)
    return Computed(model, cost_share.compute(hub, first, last, model.to_model()))


def build_document(
    hub: Hub,
    organization: Organization,
    first: date,
    last: date,
    run: Computed | None = None,
) -> dict[str, Any]:
    """The statement's content, in Norwegian, computed now from the financing model."""
    with force_locale(DOCUMENT_LOCALE):
        run = run or computed(hub, first, last)
        model, result = run.model, run.result
        share = result.share_of(organization.id)
        parts = cost_share.part_rows(share, result) if share else ()
        total = sum(ore for _label, ore, _text in parts)
        return {
            "status": "draft",
            "kind": "statement",
            "title": _("Cost statement"),
            "number": None,
            "credits_number": None,
            "issued_on": None,
            "issued_on_text": "",
            "period": {"first": first.isoformat(), "last": last.isoformat()},
            "period_text": _period_text(first, last),
            "hub": {
                "name": hub.name,
                "address": hub.address,
                "contact_email": hub.contact_email or "",
            },
            "organization": {
                "name": organization.name,
                "org_number": organization.org_number or "",
            },
            "lines": [
                {"label": label, "explanation": text, "amount": format_nok(ore), "amount_ore": ore}
                for label, ore, text in parts
            ],
            "total": format_nok(total),
            "total_ore": total,
            "usage": _usage_summary(hub, organization.id, first, last),
            "notes": [_model_note(model, result)],
            "content_hash": None,
            "labels": _labels(),
        }


def content_hash(document: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON of the document without its own hash."""
    content = {k: v for k, v in document.items() if k != "content_hash"}
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def render_pdf(statement: Statement) -> bytes:
    """The draft's PDF on demand; an issued statement's stored bytes."""
    if statement.is_issued and statement.pdf is not None:
        return statement.pdf
    return pdf_render.render_statement(statement.document)


# --- writing ---------------------------------------------------------------------


def _check_period(first: Any, last: Any) -> None:
    errors = FieldErrors()
    cost_share.check_period(first, last, errors, names=("period_first", "period_last"))
    errors.raise_if_any()


def _standing(hub: Hub, organization_id: int, first: date, last: date) -> Statement | None:
    return db.session.scalar(
        sa.select(Statement).where(
            Statement.live_key == live_key(hub.id, organization_id, first, last)
        )
    )


def create_draft(
    hub: Hub, organization: Organization, first: date, last: date, run: Computed | None = None
) -> Statement:
    _check_period(first, last)
    ensure_open(hub.id, first, last)
    run = run or computed(hub, first, last)
    has_share = run.result.share_of(organization.id) is not None
    if not has_share and not _is_member(hub, organization, first, last):
        raise ValidationFailed(
            {"organization_id": [_("The organization is not a member of the hub in the period.")]}
        )
    if (existing := _standing(hub, organization.id, first, last)) is not None:
        raise Conflict(
            _(
                "%(org)s already has a statement for this period (%(number)s).",
                org=organization.name,
                number=existing.number or _("draft"),
            ),
            {"statement_id": existing.id},
        )
    statement = Statement(
        hub_id=hub.id,
        organization_id=organization.id,
        kind=StatementKind.STATEMENT,
        status=StatementStatus.DRAFT,
        period_first=first,
        period_last=last,
        live_key=live_key(hub.id, organization.id, first, last),
    )
    _fill_draft(statement, hub, organization, run)
    db.session.add(statement)
    db.session.flush()
    return statement


def _is_member(hub: Hub, organization: Organization, first: date, last: date) -> bool:
    return bool(
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Membership)
            .where(
                Membership.hub_id == hub.id,
                Membership.organization_id == organization.id,
                Membership.starts_on <= last,
                sa.or_(Membership.ends_on.is_(None), Membership.ends_on >= first),
            )
        )
    )


def organizations_to_bill(
    hub: Hub, first: date, last: date, run: Computed | None = None
) -> list[Organization]:
    """Everyone who pays (or is refunded) something in the period; nobody gets a kr 0 bill."""
    result = (run or computed(hub, first, last)).result
    ids = [s.organization_id for s in result.shares if s.amount_ore]
    found = db.session.scalars(sa.select(Organization).where(Organization.id.in_(ids)))
    return sorted(found, key=lambda o: o.name.casefold())


def create_drafts(hub: Hub, first: date, last: date) -> list[Statement]:
    """A draft for every organization with a share that has no statement yet."""
    _check_period(first, last)
    ensure_open(hub.id, first, last)
    run = computed(hub, first, last)
    return [
        create_draft(hub, org, first, last, run)
        for org in organizations_to_bill(hub, first, last, run)
        if _standing(hub, org.id, first, last) is None
    ]


def _fill_draft(
    statement: Statement, hub: Hub, organization: Organization, run: Computed | None = None
) -> None:
    first, last = statement.period_first, statement.period_last
    document = build_document(hub, organization, first, last, run)
    statement.document = document
    statement.total_ore = document["total_ore"]


def _ensure_draft(statement: Statement) -> None:
    if statement.status is not StatementStatus.DRAFT:
        raise Conflict(_("An issued statement never changes; credit it instead."))


def refresh_draft(statement: Statement) -> Statement:
    _ensure_draft(statement)
    ensure_open(statement.hub_id, statement.period_first, statement.period_last)
    _fill_draft(statement, statement.hub, statement.organization)
    db.session.flush()
    return statement


def delete_draft(statement: Statement) -> None:
    _ensure_draft(statement)
    db.session.delete(statement)
    db.session.flush()


def _next_sequence(hub_id: int, year: int) -> int:
    current = db.session.scalar(
        sa.select(sa.func.max(Statement.sequence)).where(
            Statement.hub_id == hub_id, Statement.year == year
        )
    )
    return (current or 0) + 1


def _number_and_freeze(statement: Statement, hub: Hub, user: User | None) -> None:
    """Give the next number of the hub's year, hash the document, render the PDF once."""
    today = hub.today()
    prefix = cost_share.model_for(hub, statement.period_first.year).statement_prefix
    for attempt in range(5):
        sequence = _next_sequence(hub.id, today.year)
        number_text = f"{prefix}-{today.year}-{sequence:04d}"
        with force_locale(DOCUMENT_LOCALE):
            issued_on_text = format_date(today, "d. MMMM y")
        document = dict(statement.document) | {
            "status": "issued",
            "number": number_text,
            "issued_on": today.isoformat(),
            "issued_on_text": issued_on_text,
        }
        document["content_hash"] = content_hash(document)
        try:
            with db.session.begin_nested():
                statement.year, statement.sequence, statement.number = (
                    today.year,
                    sequence,
                    number_text,
                )
                statement.document = document
                statement.content_hash = document["content_hash"]
                statement.total_ore = document["total_ore"]
                statement.status = StatementStatus.ISSUED
                statement.issued_at = utcnow()
                statement.issued_by_id = user.id if user else None
                statement.pdf = pdf_render.render_statement(document)
                db.session.flush()
            return
        except sa.exc.IntegrityError:
            if attempt == 4:
                raise
            continue  # another writer took the number: take the next


def issue(statement: Statement, user: User | None = None, run: Computed | None = None) -> Statement:
    """Recompute the draft one last time and freeze it under the next number.

    ``run`` lets a caller issuing a whole period compute the model once.
    """
    _ensure_draft(statement)
    ensure_open(statement.hub_id, statement.period_first, statement.period_last)
    hub = statement.hub
    _fill_draft(statement, hub, statement.organization, run)
    _number_and_freeze(statement, hub, user)
    from hub.audit import service as audit
    from hub.finance import delivery

    audit.statement_issued(statement)
    delivery.queue(statement)
    return statement


def credit(statement: Statement, user: User | None = None, reason: str = "") -> Statement:
    """A credit note for the whole statement; the period is then free for a new one."""
    if statement.kind is not StatementKind.STATEMENT or not statement.is_issued:
        raise Conflict(_("Only an issued statement can be credited."))
    if statement.is_credited:
        raise Conflict(
            _(
                "%(number)s has already been credited by %(credit)s.",
                number=statement.number,
                credit=statement.credited_by.number,  # type: ignore[union-attr]
            )
        )
    ensure_open(statement.hub_id, statement.period_first, statement.period_last)
    original = statement.document
    with force_locale(DOCUMENT_LOCALE):
        notes = [
            _("Credits statement %(number)s in full.", number=statement.number),
            *([reason] if reason else []),
        ]
        document = dict(original) | {
            "kind": "credit_note",
            "title": _("Credit note"),
            "credits_number": statement.number,
            "lines": [
                line | {"amount_ore": -ore, "amount": format_nok(-ore)}
                for line in original["lines"]
                for ore in [line["amount_ore"]]
            ],
            "total_ore": -original["total_ore"],
            "total": format_nok(-original["total_ore"]),
            "notes": notes,
            "status": "draft",
            "number": None,
            "content_hash": None,
        }
    statement.live_key = None
    db.session.flush()
    note = Statement(
        hub_id=statement.hub_id,
        organization_id=statement.organization_id,
        kind=StatementKind.CREDIT_NOTE,
        status=StatementStatus.DRAFT,
        period_first=statement.period_first,
        period_last=statement.period_last,
        credits_id=statement.id,
        document=document,
        total_ore=document["total_ore"],
    )
    db.session.add(note)
    db.session.flush()
    _number_and_freeze(note, statement.hub, user)
    from hub.audit import service as audit
    from hub.finance import delivery

    audit.statement_credited(statement, note, reason)
    delivery.queue(note)
    db.session.refresh(statement)
    return note


def close_period(hub: Hub, first: Any, last: Any, user: User | None = None) -> ClosedPeriod:
    """Close a period of the books: no drafts may be left in it."""
    _check_period(first, last)
    ensure_open(hub.id, first, last)
    drafts = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Statement)
        .where(
            Statement.hub_id == hub.id,
            Statement.status == StatementStatus.DRAFT,
            Statement.period_first <= last,
            Statement.period_last >= first,
        )
    )
    if drafts:
        raise Conflict(
            _("Issue or delete the %(count)s drafts in the period before closing it.", count=drafts)
        )
    closed = ClosedPeriod(
        hub_id=hub.id, period_first=first, period_last=last, closed_by_id=user.id if user else None
    )
    db.session.add(closed)
    db.session.flush()
    return closed
