"""Admin pages for a hub's events and their attendance."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from hub.accounts import permissions
from hub.accounts import service as accounts
from hub.accounts.admin_forms import CHOOSE, NONE_CHOSEN
from hub.forms import form_status, save_submitted
from hub.spaces.labels import SPACE_KIND_LABELS
from hub.spaces.models import Hub, Space, SpaceKind
from hub.usage import events as service
from hub.usage.event_forms import EXTRA_ROWS, EventForm, event_form, rows_in
from hub.usage.labels import EVENT_KIND_LABELS
from hub.usage.models import Event

bp = Blueprint("usage_events", __name__, url_prefix="/admin/hubs/<slug>/events")

Page = str | tuple[str, int] | Response

# Rooms where gatherings usually are come first in the select.
ROOM_ORDER = (SpaceKind.MEETING_ROOM, SpaceKind.COMMON_AREA, SpaceKind.CELL, SpaceKind.DESK)


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {"event_kind_labels": EVENT_KIND_LABELS}


def _room_choices(hub: Hub, current: Space | None) -> list[SelectChoice]:
    """The hub's active spaces (and the event's own, even if inactive now), rooms first."""
    spaces = [s for s in hub.spaces if s.active or s == current]
    spaces.sort(key=lambda s: (ROOM_ORDER.index(s.kind), s.name.casefold()))
    return [
        NONE_CHOSEN,
        *(SelectChoice(s.id, f"{s.name} ({SPACE_KIND_LABELS[s.kind.value]})") for s in spaces),
    ]


def _prepared(form: EventForm, hub: Hub, event: Event | None) -> EventForm:
    form.space_id.choices = _room_choices(hub, event.space if event else None)
    form.set_organization_choices(
        [CHOOSE, *(SelectChoice(o.id, o.name) for o in accounts.list_organizations())]
    )
    return form


def _year_filter() -> int | None:
    year = request.args.get("year", type=int)
    return year if year is not None and 1 <= year <= 9999 else None


@bp.get("")
@login_required
def event_list(slug: str) -> Page:
    hub = permissions.administered_hub(slug)
    year = _year_filter()
    first, last = (date(year, 1, 1), date(year, 12, 31)) if year else (None, None)
    events = service.list_events(hub, first, last)
    return render_template(
        "usage/event_list.html",
        hub=hub,
        events=events,
        year=year,
        years=service.event_years(hub),
        total_attendees=sum(e.total_attendees for e in events),
        title=_("Events in %(name)s", name=hub.name),
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def event_new(slug: str) -> Page:
    hub = permissions.administered_hub(slug)
    form = _prepared(event_form(rows_in(request.form)), hub, None)
    event = save_submitted(
        form,
        lambda: service.create_event(hub, form.event_values(), current_user),
        form.apply_errors,
    )
    if event:
        flash(_("The event %(name)s has been added.", name=event.title), "success")
        return redirect(url_for(".event_list", slug=hub.slug))
    return render_template(
        "usage/event_form.html", hub=hub, form=form, event=None, title=_("New event")
    ), form_status(form)


@bp.route("/<int:event_id>", methods=["GET", "POST"])
@login_required
def event_edit(slug: str, event_id: int) -> Page:
    hub = permissions.administered_hub(slug)
    event = service.get_event(hub, event_id)
    saved = [(row.organization_id, row.attendees) for row in event.attendance]
    rows = rows_in(request.form) if request.method == "POST" else len(saved) + EXTRA_ROWS
    form = _prepared(event_form(rows, obj=event), hub, event)
    if request.method == "GET":
        form.fill_attendance(saved)
    updated = save_submitted(
        form, lambda: service.update_event(event, form.event_values()), form.apply_errors
    )
    if updated:
        flash(_("The event %(name)s has been saved.", name=event.title), "success")
        return redirect(url_for(".event_list", slug=hub.slug))
    return render_template(
        "usage/event_form.html",
        hub=hub,
        form=form,
        event=event,
        title=_("Edit event %(name)s", name=event.title),
    ), form_status(form)


@bp.post("/<int:event_id>/delete")
@login_required
def event_delete(slug: str, event_id: int) -> Response:
    hub = permissions.administered_hub(slug)
    event = service.get_event(hub, event_id)
    name = event.title
    service.delete_event(event)
    flash(_("The event %(name)s has been deleted.", name=name), "success")
    return redirect(url_for(".event_list", slug=hub.slug))
