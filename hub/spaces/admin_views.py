"""Admin pages for hubs, their opening hours and closed days, and their spaces."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("spaces_admin", __name__, url_prefix="/admin/hubs")
