"""Admin pages for a hub's events and their attendance."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("usage_events", __name__, url_prefix="/admin/hubs/<slug>/events")
