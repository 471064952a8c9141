"""Public pages: the list of hubs and one hub with its spaces."""

from __future__ import annotations

from flask import Blueprint, render_template

from hub.spaces import service
from hub.spaces.models import SpaceKind

bp = Blueprint("spaces", __name__)


@bp.get("/")
def hub_list() -> str:
    return render_template("spaces/hub_list.html", hubs=service.list_hubs())


@bp.get("/hubs/<slug>")
def hub_detail(slug: str) -> str:
    hub = service.get_hub(slug)
    return render_template(
        "spaces/hub_detail.html",
        hub=hub,
        groups=service.spaces_by_kind(hub),
        weekly=service.weekly_hours(hub),
        SpaceKind=SpaceKind,
    )
