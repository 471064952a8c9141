"""The usage dashboard for hosts, the partner view and the exports."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, render_template, request, stream_with_context
from flask_babel import gettext as _
from flask_login import current_user, login_required

from hub.accounts import permissions
from hub.errors import ValidationFailed
from hub.spaces import service as spaces
from hub.spaces.models import Hub
from hub.usage import dashboard, export, params, periods

bp = Blueprint("usage", __name__)

Page = str | tuple[str, int] | Response


@bp.get("/usage")
@login_required
def index() -> Page:
    hubs = [hub for hub in spaces.list_hubs() if permissions.can_view_usage(current_user, hub)]
    return render_template("usage/index.html", hubs=hubs, title=_("Usage and occupancy"))


def _page(hub: Hub, period: periods.Period, errors: dict[str, list[str]], status: int) -> Page:
    today = hub.today()
    context: dict[str, Any] = {
        "hub": hub,
        "errors": errors,
        "typed": request.args,
        "export_groups": export.EXPORT_GROUPS,
    }
    if permissions.can_admin_hub(current_user, hub):
        board = dashboard.build(hub, period, today)
        title = _("Usage of %(hub)s: %(period)s", hub=hub.name, period=board.nav.label)
        return render_template("usage/dashboard.html", board=board, title=title, **context), status
    own = permissions.partner_organization_ids(current_user, hub)
    page = dashboard.partner_page(hub, own, period, today)
    title = _("Usage of %(hub)s: %(period)s", hub=hub.name, period=page.nav.label)
    return render_template("usage/partner.html", page=page, title=title, **context), status


@bp.get("/hubs/<slug>/usage")
@login_required
def hub_usage(slug: str) -> Page:
    hub = spaces.get_hub(slug)
    permissions.ensure(permissions.can_view_usage(current_user, hub))
    today = hub.today()
    period = periods.parse(request.args.get("period"), today)
    if period is None:
        message = _("Write a year (2026), a month (2026-03), a week (2026-W12) or a day.")
        return _page(hub, periods.parse(None, today), {"period": [message]}, 422)  # type: ignore[arg-type]
    return _page(hub, period, {}, 200)


@bp.get("/hubs/<slug>/usage/export")
@login_required
def usage_export(slug: str) -> Page:
    """A CSV or XLSX file of usage for any range; admins only (it names every agency)."""
    hub = permissions.administered_hub(slug)
    today = hub.today()
    default = periods.parse(None, today)
    assert default is not None
    try:
        first, last = params.parse_range(request.args, default.first, default.last)
        group_by = params.parse_choice(
            request.args, "group_by", export.EXPORT_GROUPS, "organization"
        )
        fmt = params.parse_choice(request.args, "format", ("csv", "xlsx"), "csv")
    except ValidationFailed as exc:
        return _page(hub, default, exc.errors, 422)
    columns, rows = export.export_rows(hub, first, last, group_by)
    name = f"usage-{hub.slug}-{first.isoformat()}-{last.isoformat()}-{group_by}"
    if fmt == "xlsx":
        data = export.to_xlsx(columns, rows, group_by)
        return Response(
            data,
            mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
        )
    return Response(
        stream_with_context(export.to_csv(columns, rows)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )
