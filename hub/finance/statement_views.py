"""Statement pages: the admin's list, drafts, issue, credit, close; partners read their own.

Admins work under /admin/hubs/<slug>/statements; partner contacts read their
own organizations' issued statements under /hubs/<slug>/statements. Every
state change is a POST calling one service in hub.finance.statements or
hub.finance.delivery; a Conflict from a service becomes the 409 page of
hub.web.handle_domain_error.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from babel import dates as babel_dates
from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import format_date, get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from hub.accounts import permissions
from hub.accounts.service import get_or_404
from hub.errors import FieldErrors, NotFound, ValidationFailed
from hub.extensions import db
from hub.finance import cost_share, delivery, statements
from hub.finance.financing import MAX_YEAR, MIN_YEAR
from hub.finance.models import Statement, StatementDelivery, StatementKind, StatementStatus
from hub.finance.statement_forms import (
    ClosePeriodForm,
    CreateDraftsForm,
    CreditForm,
    default_period,
    period_choices,
)
from hub.forms import apply_errors, form_status, save_submitted
from hub.money import ore_to_decimal
from hub.spaces import service as spaces
from hub.spaces.models import Hub
from hub.usage import export

bp = Blueprint("statements", __name__)

Page = str | tuple[str, int] | Response

KIND_LABELS = {"statement": _l("Statement"), "credit_note": _l("Credit note")}
STATUS_LABELS = {"draft": _l("Draft"), "issued": _l("Issued")}
DELIVERY_STATUS_LABELS = {"pending": _l("Waiting"), "sent": _l("Sent"), "failed": _l("Failed")}

CSV_COLUMNS = (
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
)


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {
        "format_date": format_date,
        "kind_labels": KIND_LABELS,
        "status_labels": STATUS_LABELS,
        "delivery_status_labels": DELIVERY_STATUS_LABELS,
        "local_time": _local_time,
        "document_locale": statements.DOCUMENT_LOCALE,
    }


def _local_time(instant: datetime | None, hub: Hub) -> str:
    """An instant shown in the hub's timezone, in the reader's language."""
    if instant is None:
        return ""
    return babel_dates.format_datetime(
        instant, "short", tzinfo=ZoneInfo(hub.timezone), locale=get_locale()
    )


def _year(hub: Hub, raw: str | None) -> tuple[int, list[str]]:
    """The year asked for (default: this year in the hub), and an error if it is unusable."""
    this_year = hub.today().year
    if raw is None or not raw.strip():
        return this_year, []
    text = raw.strip()
    if text.isdigit() and MIN_YEAR <= int(text) <= MAX_YEAR:
        return int(text), []
    return this_year, [_("Give a year from %(min)s to %(max)s.", min=MIN_YEAR, max=MAX_YEAR)]


def _of_hub(hub: Hub, statement_id: int) -> Statement:
    """The statement by id, or 404 when it does not exist or belongs to another hub."""
    statement = get_or_404(Statement, statement_id)
    if statement.hub_id != hub.id:
        raise NotFound(_("Not found."))
    return statement


def _delivery_summary(statement: Statement) -> list[tuple[str, int]]:
    counts = Counter(d.status.value for d in statement.deliveries)
    return [(status, counts[status]) for status in DELIVERY_STATUS_LABELS if counts[status]]


def _standing(statement: Statement) -> Statement | None:
    """The statement that now stands for this one's organization and period, if any."""
    key = statements.live_key(
        statement.hub_id, statement.organization_id, statement.period_first, statement.period_last
    )
    return db.session.scalar(sa.select(Statement).where(Statement.live_key == key))


def _pdf_response(statement: Statement) -> Response:
    name = statement.number or f"draft-{statement.id}"
    return Response(
        statements.render_pdf(statement),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}.pdf"'},
    )


# --- admin: the year's statements ----------------------------------------------


def _admin_page(
    hub: Hub,
    year: int,
    *,
    drafts_form: CreateDraftsForm | None = None,
    close_form: ClosePeriodForm | None = None,
    year_errors: list[str] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    cadence = cost_share.model_for(hub, year).cadence.value
    choices = period_choices(cadence, year)
    preset = default_period(cadence, year, hub.today())
    if drafts_form is None:
        drafts_form = CreateDraftsForm(prefix="drafts", formdata=None, period=preset)
    if close_form is None:
        close_form = ClosePeriodForm(prefix="close", formdata=None, period=preset)
    drafts_form.period.choices = choices
    close_form.period.choices = choices
    rows = statements.statements_of(hub, year=year)
    return render_template(
        "finance/statement_list.html",
        hub=hub,
        year=year,
        year_errors=year_errors or [],
        typed_year=request.args.get("year", str(year)),
        statements=rows,
        summaries={s.id: _delivery_summary(s) for s in rows},
        total_issued=sum(s.total_ore for s in rows if s.is_issued),
        drafts_form=drafts_form,
        close_form=close_form,
        closed_periods=statements.closed_periods(hub),
        failed=delivery.failed_deliveries(hub),
        title=_("Statements for %(hub)s, %(year)s", hub=hub.name, year=year),
    ), status


def _posted_year(hub: Hub) -> int:
    return _year(hub, request.form.get("year"))[0]


@bp.get("/admin/hubs/<slug>/statements")
@login_required
def admin_list(slug: str) -> Page:
    hub = permissions.administered_hub(slug)
    year, errors = _year(hub, request.args.get("year"))
    return _admin_page(hub, year, year_errors=errors, status=422 if errors else 200)


@bp.post("/admin/hubs/<slug>/statements/drafts")
@login_required
def admin_create_drafts(slug: str) -> Page:
    hub = permissions.administered_hub(slug)
    form = CreateDraftsForm(prefix="drafts")
    created = save_submitted(form, lambda: statements.create_drafts(hub, *form.selected()))
    if created is None:
        return _admin_page(hub, _posted_year(hub), drafts_form=form, status=form_status(form))
    first, _last = form.selected()
    if created:
        flash(
            ngettext(
                "%(num)d draft has been created.", "%(num)d drafts have been created.", len(created)
            ),
            "success",
        )
    else:
        flash(
            _(
                "No new drafts: every organization with a share already has a statement "
                "for the period."
            ),
            "info",
        )
    return redirect(url_for(".admin_list", slug=hub.slug, year=first.year), 303)


@bp.post("/admin/hubs/<slug>/statements/close")
@login_required
def admin_close_period(slug: str) -> Page:
    """First show what closing means (confirm step), then close on the second POST."""
    hub = permissions.administered_hub(slug)
    year = _posted_year(hub)
    form = ClosePeriodForm(prefix="close")
    if "confirm" in request.form:
        user = current_user._get_current_object()
        closed = save_submitted(
            form, lambda: statements.close_period(hub, *form.selected(), user=user)
        )
        if closed is not None:
            flash(
                _(
                    "The period %(first)s–%(last)s is closed.",
                    first=format_date(closed.period_first, "short"),
                    last=format_date(closed.period_last, "short"),
                ),
                "success",
            )
            return redirect(
                url_for(".admin_list", slug=hub.slug, year=closed.period_first.year), 303
            )
        return _admin_page(hub, year, close_form=form, status=form_status(form))
    if form.validate_on_submit():
        first, last = form.selected()
        errors = FieldErrors()
        cost_share.check_period(first, last, errors, names=("period_first", "period_last"))
        if errors.errors:
            apply_errors(form, ValidationFailed(errors.errors))
        else:
            statements.ensure_open(hub.id, first, last)
            in_period = [
                s
                for s in statements.statements_of(hub, year=first.year)
                if s.period_first <= last and s.period_last >= first
            ]
            return render_template(
                "finance/statement_close.html",
                hub=hub,
                form=form,
                first=first,
                last=last,
                year=year,
                drafts=[s for s in in_period if not s.is_issued],
                issued_count=sum(1 for s in in_period if s.is_issued),
                title=_("Close a period for %(hub)s", hub=hub.name),
            )
    return _admin_page(hub, year, close_form=form, status=form_status(form))


@bp.get("/admin/hubs/<slug>/statements.csv")
@login_required
def admin_csv(slug: str) -> Page:
    """One row per line of every statement (drafts too) whose period starts in the year."""
    hub = permissions.administered_hub(slug)
    year, errors = _year(hub, request.args.get("year"))
    if errors:
        return _admin_page(hub, year, year_errors=errors, status=422)
    rows = [
        {
            "number": s.number or "",
            "kind": s.kind.value,
            "status": s.status.value,
            "organization_id": s.organization_id,
            "organization": s.document.get("organization", {}).get("name", ""),
            "period_first": s.period_first,
            "period_last": s.period_last,
            "label": line.get("label", ""),
            "explanation": line.get("explanation", ""),
            "amount_nok": ore_to_decimal(line.get("amount_ore", 0)),
            "content_hash": s.content_hash or "",
        }
        for s in reversed(statements.statements_of(hub, year=year))
        for line in s.document.get("lines", [])
    ]
    return Response(
        stream_with_context(export.to_csv(CSV_COLUMNS, iter(rows))),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="statements-{hub.slug}-{year}.csv"'},
    )


# --- admin: one statement --------------------------------------------------------


def _admin_detail(hub: Hub, statement: Statement, credit_form: CreditForm, status: int = 200):
    return render_template(
        "finance/statement_detail.html",
        hub=hub,
        statement=statement,
        document=statement.document,
        admin=True,
        credit_form=credit_form,
        standing=_standing(statement) if statement.is_credited else None,
        title=_statement_title(statement),
    ), status


def _statement_title(statement: Statement) -> str:
    name = statement.organization.name
    if statement.number is None:
        return _("Draft statement for %(org)s", org=name)
    if statement.kind is StatementKind.CREDIT_NOTE:
        return _("Credit note %(number)s for %(org)s", number=statement.number, org=name)
    return _("Statement %(number)s for %(org)s", number=statement.number, org=name)


@bp.get("/admin/hubs/<slug>/statements/<int:statement_id>")
@login_required
def admin_detail(slug: str, statement_id: int) -> Page:
    hub = permissions.administered_hub(slug)
    statement = _of_hub(hub, statement_id)
    return _admin_detail(hub, statement, CreditForm(formdata=None))


@bp.get("/admin/hubs/<slug>/statements/<int:statement_id>.pdf")
@login_required
def admin_pdf(slug: str, statement_id: int) -> Response:
    hub = permissions.administered_hub(slug)
    return _pdf_response(_of_hub(hub, statement_id))


@bp.post("/admin/hubs/<slug>/statements/<int:statement_id>/refresh")
@login_required
def admin_refresh(slug: str, statement_id: int) -> Response:
    hub = permissions.administered_hub(slug)
    statement = statements.refresh_draft(_of_hub(hub, statement_id))
    flash(_("The draft has been computed again from today's figures."), "success")
    return redirect(url_for(".admin_detail", slug=hub.slug, statement_id=statement.id), 303)


@bp.post("/admin/hubs/<slug>/statements/<int:statement_id>/issue")
@login_required
def admin_issue(slug: str, statement_id: int) -> Response:
    hub = permissions.administered_hub(slug)
    statement = _of_hub(hub, statement_id)
    statements.issue(statement, current_user._get_current_object())
    flash(_("Statement %(number)s has been issued.", number=statement.number), "success")
    return redirect(url_for(".admin_detail", slug=hub.slug, statement_id=statement.id), 303)


@bp.post("/admin/hubs/<slug>/statements/<int:statement_id>/delete")
@login_required
def admin_delete(slug: str, statement_id: int) -> Response:
    hub = permissions.administered_hub(slug)
    statement = _of_hub(hub, statement_id)
    year, name = statement.period_first.year, statement.organization.name
    statements.delete_draft(statement)
    flash(_("The draft for %(org)s has been deleted.", org=name), "success")
    return redirect(url_for(".admin_list", slug=hub.slug, year=year), 303)


@bp.post("/admin/hubs/<slug>/statements/<int:statement_id>/credit")
@login_required
def admin_credit(slug: str, statement_id: int) -> Page:
    hub = permissions.administered_hub(slug)
    statement = _of_hub(hub, statement_id)
    form = CreditForm()
    user = current_user._get_current_object()
    note = save_submitted(
        form, lambda: statements.credit(statement, user, (form.reason.data or "").strip())
    )
    if note is None:
        return _admin_detail(hub, statement, form, form_status(form))
    flash(
        _(
            "Credit note %(note)s credits %(number)s.",
            note=note.number,
            number=statement.number,
        ),
        "success",
    )
    return redirect(url_for(".admin_detail", slug=hub.slug, statement_id=note.id), 303)


@bp.post("/admin/hubs/<slug>/statements/<int:statement_id>/redraft")
@login_required
def admin_redraft(slug: str, statement_id: int) -> Response:
    """A new draft for the organization and period of a credited statement."""
    hub = permissions.administered_hub(slug)
    statement = _of_hub(hub, statement_id)
    draft = statements.create_draft(
        hub, statement.organization, statement.period_first, statement.period_last
    )
    flash(
        _("A new draft has been created for %(org)s.", org=statement.organization.name), "success"
    )
    return redirect(url_for(".admin_detail", slug=hub.slug, statement_id=draft.id), 303)


@bp.post("/admin/hubs/<slug>/statements/deliveries/<int:delivery_id>/retry")
@login_required
def admin_retry_delivery(slug: str, delivery_id: int) -> Response:
    hub = permissions.administered_hub(slug)
    found = get_or_404(StatementDelivery, delivery_id)
    if found.statement.hub_id != hub.id:
        raise NotFound(_("Not found."))
    delivery.retry(found)
    flash(_("The statement will be sent again to %(email)s shortly.", email=found.email), "success")
    if request.form.get("back") == "list":
        return redirect(
            url_for(".admin_list", slug=hub.slug, year=found.statement.period_first.year), 303
        )
    return redirect(url_for(".admin_detail", slug=hub.slug, statement_id=found.statement_id), 303)


# --- partners: their own organizations' issued statements -------------------------


def _may_read_statements(hub: Hub) -> bool:
    return permissions.can_admin_hub(current_user, hub) or bool(
        permissions.partner_organization_ids(current_user, hub)
    )


@bp.get("/statements")
@login_required
def index() -> Page:
    """The hubs whose statements the person may read; straight to the hub when only one."""
    hubs = [hub for hub in spaces.list_hubs() if _may_read_statements(hub)]
    if len(hubs) == 1:
        return redirect(url_for(".partner_list", slug=hubs[0].slug))
    return render_template("finance/statement_hubs.html", hubs=hubs, title=_("Statements"))


@bp.get("/hubs/<slug>/statements")
@login_required
def partner_list(slug: str) -> Page:
    hub = spaces.get_hub(slug)
    permissions.ensure(_may_read_statements(hub))
    is_admin = permissions.can_admin_hub(current_user, hub)
    if is_admin:
        rows = [s for s in statements.statements_of(hub) if s.is_issued]
    else:
        own = permissions.partner_organization_ids(current_user, hub)
        rows = statements.statements_of(hub, organization_ids=own)
    return render_template(
        "finance/partner_statements.html",
        hub=hub,
        statements=rows,
        is_admin=is_admin,
        title=_("Statements from %(hub)s", hub=hub.name),
    )


def _readable(hub: Hub, statement_id: int) -> Statement:
    """An issued statement the person may read: drafts 404 and others' 403 for non-admins."""
    statement = _of_hub(hub, statement_id)
    is_admin = permissions.can_admin_hub(current_user, hub)
    if statement.status is not StatementStatus.ISSUED and not is_admin:
        abort(404)
    permissions.ensure(
        permissions.can_view_organization_finance(current_user, hub, statement.organization)
    )
    return statement


@bp.get("/hubs/<slug>/statements/<int:statement_id>")
@login_required
def partner_detail(slug: str, statement_id: int) -> Page:
    hub = spaces.get_hub(slug)
    statement = _readable(hub, statement_id)
    return render_template(
        "finance/statement_detail.html",
        hub=hub,
        statement=statement,
        document=statement.document,
        admin=False,
        title=_statement_title(statement),
    )


@bp.get("/hubs/<slug>/statements/<int:statement_id>.pdf")
@login_required
def partner_pdf(slug: str, statement_id: int) -> Response:
    hub = spaces.get_hub(slug)
    return _pdf_response(_readable(hub, statement_id))
