"""The usage dashboard for hosts, the partner view and the exports."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("usage", __name__)
