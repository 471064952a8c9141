"""Admin pages for a hub's cost items and funding."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("finance", __name__, url_prefix="/admin/hubs/<slug>")
