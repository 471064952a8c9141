"""The JSON API under /api/v1 and its OpenAPI document.

Every route is declared with ``hub.api.operations.operation``, which registers
the Flask rule and records the operation for the OpenAPI document in one step,
so the document cannot drift from the routes. Importing this package registers
all of them. See docs/api.md.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint
from flask.blueprints import BlueprintSetupState
from werkzeug.routing import BaseConverter, IntegerConverter, ValidationError

bp = Blueprint("api", __name__, url_prefix="/api/v1")


class IsoDateConverter(BaseConverter):
    """``<isodate:on_date>``: a YYYY-MM-DD path segment as a ``date``; anything else is 404."""

    regex = r"\d{4}-\d{2}-\d{2}"

    def to_python(self, value: str) -> date:
        try:
            return date.fromisoformat(value)
        except ValueError as exc:
            raise ValidationError() from exc

    def to_url(self, value: Any) -> str:
        return value.isoformat() if isinstance(value, date) else str(value)


class IdConverter(IntegerConverter):
    """``<id:space_id>``: a row id; one no database column can hold is 404, not an overflow.

    Such a number still matches the rule and becomes 0, an id no row has: refusing
    it in the converter would make Werkzeug answer 405 when another method of the
    same path exists (it compares methods before it converts).
    """

    MAX = 2**63 - 1

    def to_python(self, value: str) -> int:
        number = int(value)
        return number if 1 <= number <= self.MAX else 0


def _register_converters(state: BlueprintSetupState) -> None:
    state.app.url_map.converters.setdefault("isodate", IsoDateConverter)
    state.app.url_map.converters.setdefault("id", IdConverter)


# Recorded before the route modules below, so the converter exists when their rules are added.
bp.record(_register_converters)

from hub.api import (  # noqa: E402
    audit,
    auth,
    bookings,
    calendar,
    events,
    external_calendars,
    finance,
    hubs,
    me,
    memberships,
    openapi,
    organizations,
    privacy,
    spaces,
    usage,
    usage_imports,
    users,
)

__all__ = [
    "audit",
    "auth",
    "bookings",
    "bp",
    "calendar",
    "events",
    "external_calendars",
    "finance",
    "hubs",
    "me",
    "memberships",
    "openapi",
    "organizations",
    "privacy",
    "spaces",
    "usage",
    "usage_imports",
    "users",
]
