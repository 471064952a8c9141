"""Statement pages: the admin's list, drafts, issue, credit, close; partners read their own."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("statements", __name__)
