"""Admin pages for a hub's financing model: the year's model, the cost share, what-if."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("financing", __name__, url_prefix="/admin/hubs/<slug>/financing")
