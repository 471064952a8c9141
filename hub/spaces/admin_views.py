"""Admin pages for hubs, their opening hours and closed days, and their spaces."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from babel.dates import format_datetime
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import format_date, get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from hub.accounts import permissions
from hub.accounts.service import get_or_404
from hub.calendar import external
from hub.database import utcnow
from hub.errors import Conflict, NotFound, ValidationFailed
from hub.forms import apply_errors, form_status, form_values, save_submitted
from hub.spaces import opening, service
from hub.spaces.forms import (
    ClosureForm,
    ExternalCalendarForm,
    HubDetailsForm,
    HubForm,
    OpeningHoursForm,
    SpaceForm,
)
from hub.spaces.models import Hub, HubClosure, Space, SpaceKind
from hub.web import current_locale_code

bp = Blueprint("spaces_admin", __name__, url_prefix="/admin/hubs")

Page = str | tuple[str, int] | Response


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {"format_date": format_date}


def _space_of(hub: Hub, space_id: int) -> Space:
    space = service.get_space(space_id)
    if space.hub_id != hub.id:
        raise NotFound(_("No such space."))
    return space


@lru_cache(maxsize=1)
def european_timezones() -> list[str]:
    return sorted(name for name in available_timezones() if name.startswith("Europe/"))


# --- hubs --------------------------------------------------------------------


@bp.route("/new", methods=["GET", "POST"])
@login_required
def hub_new() -> Page:
    permissions.ensure(permissions.can_manage_installation(current_user))
    form = HubDetailsForm()
    if hub := save_submitted(form, lambda: service.create_hub(form_values(form))):
        flash(_("The hub %(name)s has been created.", name=hub.name), "success")
        return redirect(url_for(".hub_overview", slug=hub.slug))
    return render_template(
        "spaces/admin_hub_new.html",
        form=form,
        timezones=european_timezones(),
        title=_("New hub"),
    ), form_status(form)


@bp.get("/<slug>")
@login_required
def hub_overview(slug: str) -> Page:
    hub = permissions.administered_hub(slug)
    groups = service.spaces_by_kind(hub, include_inactive=True)
    space_counts = {
        kind: (sum(1 for s in spaces if s.active), len(spaces)) for kind, spaces in groups.items()
    }
    return render_template(
        "spaces/admin_hub_overview.html",
        hub=hub,
        space_counts=space_counts,
        weekly=service.weekly_hours(hub),
        membership_count=len(hub.memberships),
        cost_item_count=len(hub.cost_items),
        funding_count=len(hub.funding),
        title=hub.name,
    )


@bp.route("/<slug>/edit", methods=["GET", "POST"])
@login_required
def hub_edit(slug: str) -> Page:
    hub = permissions.administered_hub(slug)
    form = HubForm(obj=hub)
    if save_submitted(form, lambda: service.update_hub(hub, form_values(form))):
        flash(_("The changes to %(name)s have been saved.", name=hub.name), "success")
        return redirect(url_for(".hub_overview", slug=hub.slug))
    return render_template(
        "spaces/admin_hub_edit.html",
        hub=hub,
        form=form,
        timezones=european_timezones(),
        title=_("Edit %(name)s", name=hub.name),
    ), form_status(form)


# --- opening hours and closed days ---------------------------------------------


@bp.route("/<slug>/opening-hours", methods=["GET", "POST"])
@login_required
def opening_hours(slug: str) -> Page:
    hub = permissions.administered_hub(slug)
    initial = OpeningHoursForm.initial(service.weekly_hours(hub))
    form = OpeningHoursForm(data=initial if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            service.set_opening_hours(hub, form.hours())
        except ValidationFailed as exc:
            apply_errors(form, _on_weekday_rows(exc))
        else:
            flash(_("The opening hours have been saved."), "success")
            return redirect(url_for(".opening_hours", slug=hub.slug))
    return render_template(
        "spaces/admin_opening_hours.html",
        hub=hub,
        form=form,
        title=_("Opening hours for %(name)s", name=hub.name),
    ), form_status(form)


def _on_weekday_rows(exc: ValidationFailed) -> ValidationFailed:
    """The service names rows "opening_hours.<weekday>"; show the error on that row."""
    return ValidationFailed(
        {
            f"closes_at_{key.split('.', 1)[1]}" if key.startswith("opening_hours.") else key: v
            for key, v in exc.errors.items()
        }
    )


def _holiday_language() -> str:
    return "en_US" if current_locale_code().startswith("en") else "no"


@bp.route("/<slug>/closures", methods=["GET", "POST"])
@login_required
def closures(slug: str) -> Page:
    hub = permissions.administered_hub(slug)
    form = ClosureForm()
    if form.validate_on_submit():
        closure = service.add_closure(hub, form.on_date.data, form.reason.data or "")
        flash(
            _("%(day)s is now a closed day.", day=format_date(closure.on_date, "long")), "success"
        )
        return redirect(url_for(".closures", slug=hub.slug))
    this_year = datetime.now(ZoneInfo(hub.timezone)).year
    language = _holiday_language()
    holidays = {
        year: sorted(opening.public_holidays(year, language).items())
        for year in (this_year, this_year + 1)
    }
    return render_template(
        "spaces/admin_closures.html",
        hub=hub,
        form=form,
        holidays=holidays,
        title=_("Closed days for %(name)s", name=hub.name),
    ), form_status(form)


@bp.post("/<slug>/closures/<int:closure_id>/delete")
@login_required
def closure_delete(slug: str, closure_id: int) -> Response:
    hub = permissions.administered_hub(slug)
    closure = get_or_404(HubClosure, closure_id)
    if closure.hub_id != hub.id:
        raise NotFound(_("Not found."))
    day = closure.on_date
    service.remove_closure(closure)
    flash(_("%(day)s is no longer a closed day.", day=format_date(day, "long")), "success")
    return redirect(url_for(".closures", slug=hub.slug))


# --- spaces ------------------------------------------------------------------


@bp.get("/<slug>/spaces")
@login_required
def space_list(slug: str) -> Page:
    hub = permissions.administered_hub(slug)
    groups = service.spaces_by_kind(hub, include_inactive=True)
    return render_template(
        "spaces/admin_space_list.html",
        hub=hub,
        groups=groups,
        calendar_failing=external.failing_space_ids(
            space.id for spaces in groups.values() for space in spaces
        ),
        title=_("Spaces in %(name)s", name=hub.name),
    )


@bp.route("/<slug>/spaces/new", methods=["GET", "POST"])
@login_required
def space_new(slug: str) -> Page:
    hub = permissions.administered_hub(slug)
    form = SpaceForm()
    if space := save_submitted(form, lambda: service.create_space(hub, form_values(form))):
        flash(_("The space %(name)s has been added.", name=space.name), "success")
        return redirect(url_for(".space_list", slug=hub.slug))
    return render_template(
        "spaces/admin_space_form.html",
        hub=hub,
        form=form,
        space=None,
        title=_("New space in %(name)s", name=hub.name),
    ), form_status(form)


@bp.route("/<slug>/spaces/<int:space_id>", methods=["GET", "POST"])
@login_required
def space_edit(slug: str, space_id: int) -> Page:
    hub = permissions.administered_hub(slug)
    space = _space_of(hub, space_id)
    form = SpaceForm(obj=space)
    if save_submitted(form, lambda: service.update_space(space, form_values(form))):
        flash(_("The space %(name)s has been saved.", name=space.name), "success")
        return redirect(url_for(".space_list", slug=hub.slug))
    return _space_edit_page(hub, space, form), form_status(form)


def _space_edit_page(
    hub: Hub, space: Space, form: SpaceForm, calendar_form: ExternalCalendarForm | None = None
) -> str:
    """The space's edit page, with a meeting room's external calendar and its status."""
    calendar = external.calendar_of(space)
    if calendar_form is None:
        calendar_form = ExternalCalendarForm(
            formdata=None, data={"url": calendar.url if calendar else ""}
        )
    return render_template(
        "spaces/admin_space_form.html",
        hub=hub,
        form=form,
        space=space,
        calendar=calendar,
        calendar_form=calendar_form,
        busy_count=external.busy_count(calendar) if calendar else 0,
        can_follow=space.kind == SpaceKind.MEETING_ROOM,
        local_time=_local_time,
        title=_("Edit %(name)s", name=space.name),
    )


def _local_time(instant: datetime | None, hub: Hub) -> str:
    """An instant in the hub's timezone, in the reader's language."""
    if instant is None:
        return ""
    return format_datetime(instant, "short", tzinfo=ZoneInfo(hub.timezone), locale=get_locale())


# --- a meeting room's external calendar (hub.calendar.external) ----------------


@bp.post("/<slug>/spaces/<int:space_id>/external-calendar")
@login_required
def external_calendar_follow(slug: str, space_id: int) -> Page:
    hub = permissions.administered_hub(slug)
    space = _space_of(hub, space_id)
    calendar_form = ExternalCalendarForm()
    calendar = save_submitted(calendar_form, lambda: external.follow(space, calendar_form.url.data))
    if calendar is None:
        page = _space_edit_page(hub, space, SpaceForm(formdata=None, obj=space), calendar_form)
        return page, 422
    # Fetch at once, so the admin sees straight away whether the address works.
    if external.fetch(calendar, utcnow()):
        flash(
            ngettext(
                "%(name)s now follows the calendar: %(num)d busy time.",
                "%(name)s now follows the calendar: %(num)d busy times.",
                external.busy_count(calendar),
                name=space.name,
            ),
            "success",
        )
    else:
        flash(
            _(
                "%(name)s follows the calendar, but it could not be fetched: %(error)s",
                name=space.name,
                error=calendar.last_error,
            ),
            "error",
        )
    return redirect(url_for(".space_edit", slug=hub.slug, space_id=space.id))


@bp.post("/<slug>/spaces/<int:space_id>/external-calendar/fetch")
@login_required
def external_calendar_fetch(slug: str, space_id: int) -> Response:
    hub = permissions.administered_hub(slug)
    space = _space_of(hub, space_id)
    calendar = external.calendar_of(space)
    if calendar is None:
        raise NotFound(_("This space does not follow an external calendar."))
    if external.fetch(calendar, utcnow()):
        flash(
            ngettext(
                "The calendar has been fetched: %(num)d busy time.",
                "The calendar has been fetched: %(num)d busy times.",
                external.busy_count(calendar),
            ),
            "success",
        )
    else:
        flash(_("The calendar could not be fetched: %(error)s", error=calendar.last_error), "error")
    return redirect(url_for(".space_edit", slug=hub.slug, space_id=space.id))


@bp.post("/<slug>/spaces/<int:space_id>/external-calendar/delete")
@login_required
def external_calendar_unfollow(slug: str, space_id: int) -> Response:
    hub = permissions.administered_hub(slug)
    space = _space_of(hub, space_id)
    if external.unfollow(space):
        flash(_("%(name)s no longer follows an external calendar.", name=space.name), "success")
    return redirect(url_for(".space_edit", slug=hub.slug, space_id=space.id))


@bp.post("/<slug>/spaces/<int:space_id>/delete")
@login_required
def space_delete(slug: str, space_id: int) -> Response:
    hub = permissions.administered_hub(slug)
    space = _space_of(hub, space_id)
    name = space.name
    try:
        service.delete_space(space)
    except Conflict as exc:
        flash(exc.message, "error")
        return redirect(url_for(".space_edit", slug=hub.slug, space_id=space.id))
    flash(_("The space %(name)s has been deleted.", name=name), "success")
    return redirect(url_for(".space_list", slug=hub.slug))
