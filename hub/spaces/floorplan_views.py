"""The floor plan of a hub: the plan to book from, its image, and the admin page.

Every marker on the plan is a link, and the same places are in a list below it,
so the plan works from the keyboard and with a screen reader. The admin places
spaces by typing x and y in percent; hub/static/js/floorplan.js adds "choose a
space, click on the plan" on top of that form.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from werkzeug.wrappers import Response

from hub.accounts import permissions
from hub.errors import ValidationFailed
from hub.forms import apply_errors
from hub.spaces import floorplan, opening
from hub.spaces import service as spaces
from hub.spaces.models import FloorPlan, Hub

bp = Blueprint("floorplan", __name__)

Page = str | tuple[str, int] | Response

# The image's own policy: an SVG opened directly runs nothing and loads nothing.
IMAGE_CSP = {
    floorplan.PNG: "default-src 'none'",
    floorplan.SVG: "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
}


class PlanUploadForm(FlaskForm):
    image = FileField(
        _l("Plan image"),
        validators=[FileRequired(_l("Choose a PNG or SVG file."))],
        description=_l("A PNG or SVG file of at most 5 MB."),
        render_kw={"accept": ".png,.svg,image/png,image/svg+xml"},
    )


@bp.app_context_processor
def _helpers() -> dict[str, Any]:
    """``has_floor_plan(hub)`` for the hub page's "See the floor plan" link."""
    return {"has_floor_plan": floorplan.has_floor_plan}


def _parse_day(value: str | None, hub: Hub) -> date:
    try:
        return date.fromisoformat(value) if value else datetime.now(ZoneInfo(hub.timezone)).date()
    except ValueError:
        abort(404)


def _marker_size(plan: FloorPlan) -> float:
    """Marker radius in the plan's own units: the same share of any plan."""
    return round(max(plan.width, plan.height) / 80, 2)


# --- public --------------------------------------------------------------------


@bp.get("/hubs/<slug>/floorplan")
def view(slug: str) -> str:
    hub = spaces.get_hub(slug)
    plan = floorplan.require_floor_plan(hub)
    day = _parse_day(request.args.get("date"), hub)
    places = floorplan.plan_places(hub, plan, day, current_user)
    return render_template(
        "floorplan/view.html",
        title=_("Floor plan of %(hub)s", hub=hub.name),
        hub=hub,
        plan=plan,
        places=places,
        placed=[p for p in places if p.placed],
        day=day,
        previous=day - timedelta(days=1),
        next=day + timedelta(days=1),
        holiday=opening.public_holidays(day.year).get(day),
        hub_closed=bool(places) and all(p.status == floorplan.CLOSED for p in places),
        r=_marker_size(plan),
    )


@bp.get("/hubs/<slug>/floorplan.<any(png, svg):ext>")
def image(slug: str, ext: str) -> Response:
    hub = spaces.get_hub(slug)
    plan = floorplan.require_floor_plan(hub)
    if plan.extension != ext:
        abort(404)
    response = Response(plan.data, mimetype=plan.content_type)
    response.set_etag(plan.sha256)
    response.last_modified = plan.updated_at
    response.cache_control.public = True
    response.cache_control.no_cache = True  # revalidate: the address stays when the plan changes
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = IMAGE_CSP[plan.content_type]
    response.headers["Content-Disposition"] = f'inline; filename="floorplan-{hub.slug}.{ext}"'
    return response.make_conditional(request)


# --- administration ------------------------------------------------------------


def _edit_page(
    hub: Hub,
    upload_form: PlanUploadForm | None = None,
    typed: Mapping[str, Any] | None = None,
    position_errors: Mapping[str, list[str]] | None = None,
) -> str:
    plan = floorplan.get_floor_plan(hub)
    positions = floorplan.positions_by_space(plan)
    position_errors = position_errors or {}
    rows = []
    for space in sorted(hub.spaces, key=lambda s: floorplan.natural_key(s.name)):
        position = positions.get(space.id)
        values = {}
        for axis in ("x", "y"):
            key = f"{axis}_{space.id}"
            if typed is not None:
                values[axis] = str(typed.get(key, ""))
            else:
                values[axis] = floorplan.format_percent(
                    getattr(position, f"{axis}_percent") if position else None
                )
        rows.append(
            {
                "space": space,
                "x": values["x"],
                "y": values["y"],
                "x_errors": position_errors.get(f"x_{space.id}", []),
                "y_errors": position_errors.get(f"y_{space.id}", []),
                "placed": position is not None,
                "px": float(position.x_percent) if position else None,
                "py": float(position.y_percent) if position else None,
            }
        )
    summary = []
    for row in rows:
        space = row["space"]
        for axis in ("x", "y"):
            for message in row[f"{axis}_errors"]:
                summary.append((f"{axis}_{space.id}", f"{axis} (%) – {space.name}", message))
    shown = {key for key, *_rest in summary}
    for key, messages in position_errors.items():
        if key not in shown and not key.startswith(("x_", "y_")):
            summary.extend(("main", _("Form"), message) for message in messages)
    return render_template(
        "floorplan/edit.html",
        title=_("Floor plan of %(hub)s", hub=hub.name),
        hub=hub,
        plan=plan,
        rows=rows,
        upload_form=upload_form or PlanUploadForm(formdata=None),
        position_summary=summary,
        max_mb=floorplan.MAX_BYTES // 1024 // 1024,
        r=_marker_size(plan) if plan else 0,
    )


@bp.get("/admin/hubs/<slug>/floorplan")
@login_required
def edit(slug: str) -> Page:
    return _edit_page(permissions.administered_hub(slug))


@bp.post("/admin/hubs/<slug>/floorplan/image")
@login_required
def upload(slug: str) -> Page:
    hub = permissions.administered_hub(slug)
    form = PlanUploadForm()
    if form.validate_on_submit():
        upload = form.image.data
        # One byte more than allowed is enough to know the file is too large.
        data = upload.stream.read(floorplan.MAX_BYTES + 1)
        try:
            floorplan.save_floor_plan(hub, data, upload.filename or "")
        except ValidationFailed as exc:
            apply_errors(form, exc)
        else:
            flash(_("The floor plan has been saved."), "success")
            return redirect(url_for(".edit", slug=hub.slug))
    return _edit_page(hub, upload_form=form), 422


@bp.post("/admin/hubs/<slug>/floorplan/positions")
@login_required
def place(slug: str) -> Page:
    hub = permissions.administered_hub(slug)
    try:
        floorplan.place_spaces(hub, request.form)
    except ValidationFailed as exc:
        return _edit_page(hub, typed=request.form, position_errors=exc.errors), 422
    flash(_("The positions on the floor plan have been saved."), "success")
    return redirect(url_for(".edit", slug=hub.slug))


@bp.post("/admin/hubs/<slug>/floorplan/delete")
@login_required
def remove(slug: str) -> Response:
    hub = permissions.administered_hub(slug)
    floorplan.remove_floor_plan(hub)
    flash(_("The floor plan has been removed."), "success")
    return redirect(url_for(".edit", slug=hub.slug))
