"""Admin pages to import presence from an access-card system or a manual list."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("usage_imports", __name__, url_prefix="/admin/hubs/<slug>/usage-imports")
