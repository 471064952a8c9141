"""A hub's finances: cost items and funding, the yearly financing model, the computed
cost share, and statements with their credit notes and closed periods."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from flask import Response, abort
from flask_babel import gettext as _
from flask_login import current_user

from hub.accounts import permissions
from hub.accounts.models import Organization
from hub.accounts.permissions import administered_hub
from hub.accounts.service import get_or_404
from hub.api import schemas as s
from hub.api.operations import operation, read_body, read_query
from hub.errors import FieldErrors, ValidationFailed
from hub.extensions import db
from hub.finance import cost_share, financing, statements
from hub.finance import service as finance
from hub.finance.allocation import Allocation
from hub.finance.models import CostItem, FinancingModel, Funding, Statement
from hub.spaces import service as spaces
from hub.spaces.models import Hub

TAG = "finance"
STATEMENTS_TAG = "statements"
DAY_RE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _admin_of(obj: Any) -> Any:
    permissions.ensure(permissions.can_admin_hub(current_user, obj.hub))
    return obj


# --- cost items ------------------------------------------------------------------------


@operation(
    "GET",
    "/hubs/<slug>/cost-items",
    summary="List a hub's cost items",
    tag=TAG,
    response=s.CostItem,
    many=True,
)
def list_cost_items(slug: str) -> Any:
    return finance.cost_items_of(administered_hub(slug))


@operation(
    "POST",
    "/hubs/<slug>/cost-items",
    summary="Add a cost item",
    tag=TAG,
    request=s.CostItemCreate,
    response=s.CostItem,
    status=201,
)
def create_cost_item(slug: str) -> Any:
    hub = administered_hub(slug)
    return finance.create_cost_item(hub, read_body().model_dump(exclude_unset=True))


@operation(
    "GET", "/cost-items/<id:item_id>", summary="Get a cost item", tag=TAG, response=s.CostItem
)
def get_cost_item(item_id: int) -> Any:
    return _admin_of(get_or_404(CostItem, item_id))


@operation(
    "PATCH",
    "/cost-items/<id:item_id>",
    summary="Update a cost item",
    tag=TAG,
    request=s.CostItemUpdate,
    response=s.CostItem,
)
def update_cost_item(item_id: int) -> Any:
    item = _admin_of(get_or_404(CostItem, item_id))
    return finance.update_cost_item(item, read_body().model_dump(exclude_unset=True))


@operation("DELETE", "/cost-items/<id:item_id>", summary="Delete a cost item", tag=TAG, status=204)
def delete_cost_item(item_id: int) -> Any:
    finance.delete_cost_item(_admin_of(get_or_404(CostItem, item_id)))
    return None


# --- funding ---------------------------------------------------------------------------


@operation(
    "GET",
    "/hubs/<slug>/funding",
    summary="List a hub's funding",
    tag=TAG,
    response=s.Funding,
    many=True,
)
def list_funding(slug: str) -> Any:
    return finance.funding_of(administered_hub(slug))


@operation(
    "POST",
    "/hubs/<slug>/funding",
    summary="Add funding (a grant or discount)",
    tag=TAG,
    request=s.FundingCreate,
    response=s.Funding,
    status=201,
)
def create_funding(slug: str) -> Any:
    hub = administered_hub(slug)
    return finance.create_funding(hub, read_body().model_dump(exclude_unset=True))


@operation("GET", "/funding/<id:funding_id>", summary="Get funding", tag=TAG, response=s.Funding)
def get_funding(funding_id: int) -> Any:
    return _admin_of(get_or_404(Funding, funding_id))


@operation(
    "PATCH",
    "/funding/<id:funding_id>",
    summary="Update funding",
    tag=TAG,
    request=s.FundingUpdate,
    response=s.Funding,
)
def update_funding(funding_id: int) -> Any:
    funding = _admin_of(get_or_404(Funding, funding_id))
    return finance.update_funding(funding, read_body().model_dump(exclude_unset=True))


@operation("DELETE", "/funding/<id:funding_id>", summary="Delete funding", tag=TAG, status=204)
def delete_funding(funding_id: int) -> Any:
    finance.delete_funding(_admin_of(get_or_404(Funding, funding_id)))
    return None


# --- the cost share --------------------------------------------------------------------


def _finance_reader(slug: str) -> tuple[Hub, bool, set[int]]:
    """The hub, whether the caller administers it, and the organizations they speak for
    there as a partner contact; 403 unless one of the two."""
    hub = spaces.get_hub(slug)
    is_admin = permissions.can_admin_hub(current_user, hub)
    own = permissions.partner_organization_ids(current_user, hub)
    permissions.ensure(is_admin or bool(own))
    return hub, is_admin, own


def _day(value: str | None) -> date | None:
    if value is None or not DAY_RE.fullmatch(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _part(component: str, label: str, amount_ore: int, explanation: str) -> dict[str, Any]:
    return {
        "component": component,
        "label": label,
        "amount_ore": amount_ore,
        "explanation": explanation,
    }


def _cost_share_lines(result: Allocation) -> list[dict[str, Any]]:
    """``cost_share.lines`` as JSON, each part named by its component.

    The organizations' lines come first, in the order of ``result.shares``; then the
    hub's own: what no one covers, then a surplus it keeps. Each of those is one part
    standing for the whole line.
    """
    lines = cost_share.lines(result)
    shares, hub_lines = result.shares, lines[len(result.shares) :]
    hub_components = ["uncovered"] * bool(result.uncovered_ore) + ["surplus"] * bool(
        result.kept_surplus_ore
    )
    shown = [
        (
            line,
            [_part(str(p.component), *row) for p, row in zip(share.parts, line.parts, strict=True)],
        )
        for share, line in zip(shares, lines, strict=False)
    ] + [
        (line, [_part(component, line.name, line.amount_ore, line.parts[0][2])])
        for component, line in zip(hub_components, hub_lines, strict=True)
    ]
    return [
        {
            "organization_id": line.organization_id,
            "organization": line.name,
            "amount_ore": line.amount_ore,
            "explanation": "; ".join(f"{p['label']}: {p['explanation']}" for p in parts),
            "parts": parts,
        }
        for line, parts in shown
    ]


def _model_summary(model: FinancingModel) -> dict[str, Any]:
    weights = {
        name: s.quantized(getattr(model, name), s.WEIGHT_SCALE)
        for name in ("desk_day_weight", "cell_day_weight", "room_hour_weight")
    }
    blend = [
        {"key": key, "pct": s.quantized(pct, s.PCT_SCALE)}
        for key, pct in model.to_model().blend
        if pct
    ]
    return {
        "year": model.year,
        "saved": model.id is not None,
        "key": model.key,
        "blend": blend,
        "surplus_policy": model.surplus_policy,
        **weights,
    }


@operation(
    "GET",
    "/hubs/<slug>/cost-share",
    summary="Compute a hub's cost share",
    tag=TAG,
    response=s.CostShare,
)
def get_cost_share(slug: str) -> Any:
    """Who pays what of the hub's net cost in a period, computed now; nothing is stored.

    Query parameters: ``from`` and ``to`` (YYYY-MM-DD, inclusive, both required, within
    one calendar year: the model is chosen per year). Every line says why in the caller's
    language, and the lines add up to ``net_cost_ore`` exactly. Hub admins see every
    line; a partner contact sees the hub's totals and the model, and only the lines of
    the organizations they speak for; anyone else gets 403.
    """
    hub, is_admin, own = _finance_reader(slug)
    query = read_query(s.CostShareQuery)
    first, last = _day(query.from_), _day(query.to)
    errors = FieldErrors()
    cost_share.check_period(first, last, errors)
    errors.raise_if_any()
    assert first is not None and last is not None
    model = cost_share.model_for(hub, first.year)
    result = cost_share.compute(hub, first, last, model.to_model())
    lines = _cost_share_lines(result)
    if not is_admin:
        lines = [line for line in lines if line["organization_id"] in own]
    return {
        "from": first,
        "to": last,
        "net_cost_ore": result.net_cost_ore,
        "cost_ore": result.cost_ore,
        "funding_ore": result.funding_ore,
        "residual_ore": result.residual_ore,
        "surplus_ore": result.surplus_ore,
        "refunded_ore": result.refunded_ore,
        "uncovered_ore": result.uncovered_ore,
        "model": _model_summary(model),
        "lines": lines,
    }


# --- the financing model ---------------------------------------------------------------


@operation(
    "GET",
    "/hubs/<slug>/financing-models/<id:year>",
    summary="Get the financing model of a year",
    tag=TAG,
    response=s.FinancingModel,
)
def get_financing_model(slug: str, year: int) -> Any:
    """The year's model: its own if saved (``saved: true``), else a copy of the latest
    earlier year's, else the defaults. Hub admins only."""
    hub = administered_hub(slug)
    if not financing.MIN_YEAR <= year <= financing.MAX_YEAR:
        raise ValidationFailed(
            {
                "year": _(
                    "Give a year from %(min)s to %(max)s.",
                    min=financing.MIN_YEAR,
                    max=financing.MAX_YEAR,
                )
            }
        )
    return cost_share.model_for(hub, year)


@operation(
    "PUT",
    "/hubs/<slug>/financing-models/<id:year>",
    summary="Save the financing model of a year",
    tag=TAG,
    request=s.FinancingModelUpdate,
    response=s.FinancingModel,
)
def put_financing_model(slug: str, year: int) -> Any:
    """Save the year's model (other years keep theirs). Keys left out keep the value the
    GET shows, so a year that inherits its model can change one thing. Hub admins only."""
    hub = administered_hub(slug)
    return financing.save_model(hub, year, read_body().model_dump(exclude_unset=True))


# --- statements ----------------------------------------------------------------------


def _readable_statement(statement_id: int) -> tuple[Statement, bool]:
    """The statement and whether the caller administers its hub.

    Drafts exist only for the hub's admins (404 for anyone else); an issued statement is
    403 for anyone who does not speak for its organization.
    """
    statement = get_or_404(Statement, statement_id)
    if permissions.can_admin_hub(current_user, statement.hub):
        return statement, True
    if not statement.is_issued:
        abort(404)
    permissions.ensure(
        permissions.can_view_organization_finance(
            current_user, statement.hub, statement.organization
        )
    )
    return statement, False


def _shown(statement: Statement, admin: bool) -> s.Statement:
    out = s.Statement.model_validate(statement)
    return out if admin else out.model_copy(update={"deliveries": None})


def _admin_statement(statement_id: int) -> Statement:
    return _admin_of(get_or_404(Statement, statement_id))


@operation(
    "GET",
    "/hubs/<slug>/statements",
    summary="List a hub's statements",
    tag=STATEMENTS_TAG,
    response=s.Statement,
    many=True,
)
def list_statements(slug: str) -> Any:
    """Statements and credit notes, newest period first.

    Query parameters: ``year`` (periods starting that year) and ``organization_id``. Hub
    admins see all, drafts included. A partner contact sees the issued statements of the
    organizations they speak for (403 when ``organization_id`` is another one's).
    """
    hub, is_admin, own = _finance_reader(slug)
    query = read_query(s.StatementQuery)
    if is_admin:
        found = statements.statements_of(hub, year=query.year)
        if query.organization_id is not None:
            found = [st for st in found if st.organization_id == query.organization_id]
        return found
    if query.organization_id is not None:
        permissions.ensure(query.organization_id in own)
        own = {query.organization_id}
    return [
        _shown(st, False)
        for st in statements.statements_of(hub, organization_ids=own, year=query.year)
    ]


@operation(
    "POST",
    "/hubs/<slug>/statements",
    summary="Make a draft statement for one organization",
    tag=STATEMENTS_TAG,
    request=s.StatementCreate,
    response=s.Statement,
    status=201,
)
def create_statement(slug: str) -> Any:
    """A draft, computed now and again when it is issued. 409 when the organization
    already has a statement standing for the period, or the period is closed."""
    hub = administered_hub(slug)
    body = read_body()
    organization = db.session.get(Organization, body.organization_id)
    if organization is None:
        raise ValidationFailed({"organization_id": _("Choose an organization.")})
    return statements.create_draft(hub, organization, body.period_first, body.period_last)


@operation(
    "POST",
    "/hubs/<slug>/statements/drafts",
    summary="Make drafts for everyone with a share",
    tag=STATEMENTS_TAG,
    request=s.Period,
    response=s.Statement,
    many=True,
    status=201,
    also=(200,),
)
def create_statement_drafts(slug: str) -> Any:
    """A draft for every organization with a share in the period that has no statement
    for it yet: ``201`` with the new drafts, ``200`` with ``[]`` when there was none to
    make. 409 when the period is closed."""
    hub = administered_hub(slug)
    body = read_body()
    drafts = statements.create_drafts(hub, body.period_first, body.period_last)
    return drafts, (201 if drafts else 200)


@operation(
    "GET",
    "/statements/<id:statement_id>",
    summary="Get a statement",
    tag=STATEMENTS_TAG,
    response=s.Statement,
)
def get_statement(statement_id: int) -> Any:
    """Hub admins: any, with its deliveries. A partner contact: the issued statements of
    their organizations (403 for another organization's; drafts are 404)."""
    return _shown(*_readable_statement(statement_id))


@operation(
    "GET",
    "/statements/<id:statement_id>/pdf",
    summary="Get a statement as PDF",
    tag=STATEMENTS_TAG,
    response={
        "type": "string",
        "contentMediaType": "application/pdf",
        "description": "The PDF: stored at issue for an issued statement, rendered now "
        "(marked as a draft) for a draft.",
    },
)
def get_statement_pdf(statement_id: int) -> Any:
    """The same rights as reading the statement."""
    statement, _admin = _readable_statement(statement_id)
    name = statement.number or f"draft-{statement.id}"
    return Response(
        statements.render_pdf(statement),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}.pdf"'},
    )


@operation(
    "POST",
    "/statements/<id:statement_id>/issue",
    summary="Issue a draft statement",
    tag=STATEMENTS_TAG,
    response=s.Statement,
)
def issue_statement(statement_id: int) -> Any:
    """Recompute the draft, number it, freeze its content and PDF, and queue the emails
    to the organization's partner contacts. 409 when it is already issued or its period
    is closed."""
    return statements.issue(_admin_statement(statement_id), current_user)


@operation(
    "POST",
    "/statements/<id:statement_id>/credit",
    summary="Credit an issued statement",
    tag=STATEMENTS_TAG,
    request=s.StatementCredit,
    response=s.Statement,
    status=201,
    body_required=False,
)
def credit_statement(statement_id: int) -> Any:
    """Issue a credit note for the whole statement; the body (``reason``) may be left
    out. The period is then free for a new statement. 409 for a draft, a credit note, a
    statement already credited, or a closed period."""
    statement = _admin_statement(statement_id)
    return statements.credit(statement, current_user, read_body().reason.strip())


@operation(
    "DELETE",
    "/statements/<id:statement_id>",
    summary="Delete a draft statement",
    tag=STATEMENTS_TAG,
    status=204,
)
def delete_statement(statement_id: int) -> Any:
    """Drafts only: an issued statement is never deleted (409); credit it instead."""
    statements.delete_draft(_admin_statement(statement_id))
    return None


# --- closed periods --------------------------------------------------------------------


@operation(
    "GET",
    "/hubs/<slug>/closed-periods",
    summary="List a hub's closed periods",
    tag=STATEMENTS_TAG,
    response=s.ClosedPeriod,
    many=True,
)
def list_closed_periods(slug: str) -> Any:
    return statements.closed_periods(administered_hub(slug))


@operation(
    "POST",
    "/hubs/<slug>/closed-periods",
    summary="Close a period of the books",
    tag=STATEMENTS_TAG,
    request=s.Period,
    response=s.ClosedPeriod,
    status=201,
)
def close_period(slug: str) -> Any:
    """After this nothing dated in the period changes: statements, cost items, funding,
    memberships. 409 while drafts are left in it, or when it overlaps a closed one."""
    hub = administered_hub(slug)
    body = read_body()
    return statements.close_period(hub, body.period_first, body.period_last, current_user)
