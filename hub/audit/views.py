"""The audit log page for admins: /admin/audit.

System administrators read every event; hub administrators the events of the
hubs they administer; everyone else gets 403.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.datastructures import MultiDict
from wtforms.fields.choices import SelectChoice

from hub.accounts import permissions
from hub.accounts.models import Organization, User
from hub.audit import labels, service
from hub.audit.capture import REDACTED
from hub.audit.forms import ALL, AuditFilterForm
from hub.audit.models import AuditEvent
from hub.extensions import db
from hub.money import format_nok
from hub.spaces import service as spaces
from hub.spaces.models import Hub, Space

bp = Blueprint("audit", __name__)

FILTERS = ("hub", "entity_type", "actor", "from", "to")


def visible_hubs(visible: set[int] | None) -> list[Hub]:
    return [hub for hub in spaces.list_hubs() if visible is None or hub.id in visible]


# Fields holding the id of a row whose name reads better: field -> (table, name column).
NAMED_IDS: dict[str, tuple[Any, str]] = {
    "organization_id": (Organization, "name"),
    "home_organization_id": (Organization, "name"),
    "user_id": (User, "email"),
    "space_id": (Space, "name"),
    "hub_id": (Hub, "name"),
}


def _names(events: list[AuditEvent]) -> dict[tuple[str, Any], str]:
    """Current names of the rows the events' id fields point at, in one query per table."""
    wanted: dict[Any, set[int]] = {}
    for event in events:
        for field, pair in event.changes.items():
            if field in NAMED_IDS:
                ids = {v for v in pair if isinstance(v, int) and not isinstance(v, bool)}
                wanted.setdefault(NAMED_IDS[field][0], set()).update(ids)
    names: dict[tuple[str, Any], str] = {}
    for model, ids in wanted.items():
        column = next(c for m, c in NAMED_IDS.values() if m is model)
        query = sa.select(model.id, getattr(model, column)).where(model.id.in_(sorted(ids)))
        for row_id, name in db.session.execute(query):
            names[(model.__tablename__, row_id)] = name
    return names


def value_shower(names: dict[tuple[str, Any], str]) -> Any:
    def show_value(field: str, value: Any) -> str:
        if value is None or value == "":
            return "–"
        if value == REDACTED:
            return _("(hidden)")
        if value is True:
            return _("Yes")
        if value is False:
            return _("No")
        if field.endswith("_ore") and isinstance(value, int) and not isinstance(value, bool):
            return format_nok(value)  # money is stored in øre, read in kroner
        if field in NAMED_IDS:
            name = names.get((NAMED_IDS[field][0].__tablename__, value))
            return f"{name} (#{value})" if name else f"#{value}"
        return str(value)

    return show_value


def _page_number() -> int:
    raw = request.args.get("page", "1")
    return int(raw) if raw.isdigit() and 0 < int(raw) < 1_000_000 else 1


@bp.get("/admin/audit")
@login_required
def index() -> tuple[str, int]:
    permissions.ensure(service.can_view_audit(current_user))
    visible = service.visible_hub_ids(current_user)
    hubs = visible_hubs(visible)
    args = MultiDict({k: v for k, v in request.args.items() if k in FILTERS})
    form = AuditFilterForm(formdata=args)
    form.hub.choices = [ALL, *(SelectChoice(hub.slug, hub.name) for hub in hubs)]
    events: list[AuditEvent] = []
    page = _page_number()
    more = False
    status = 200
    if form.validate():
        by_slug = {hub.slug: hub.id for hub in hubs}
        wanted = service.AuditFilter(
            hub_id=by_slug.get(form.hub.data or ""),
            entity_type=form.entity_type.data or None,
            actor=(form.actor.data or "").strip() or None,
            date_from=form.date_from.data,
            date_to=form.date_to.data,
            timezone=current_app.config["BABEL_DEFAULT_TIMEZONE"],
        )
        found = service.list_events(
            visible,
            wanted,
            limit=service.PAGE_SIZE + 1,
            offset=(page - 1) * service.PAGE_SIZE,
        )
        events, more = list(found[: service.PAGE_SIZE]), len(found) > service.PAGE_SIZE
    else:
        status = 422
    filters = {k: v for k, v in args.items() if v}
    return render_template(
        "audit/index.html",
        form=form,
        events=events,
        hub_names={hub.id: hub.name for hub in hubs},
        labels=labels,
        show_value=value_shower(_names(events)),
        newer=url_for(".index", page=page - 1, **filters) if page > 1 else None,
        older=url_for(".index", page=page + 1, **filters) if more else None,
        title=_("Audit log"),
    ), status
