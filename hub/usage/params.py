"""Reading a report's range and grouping from a query string, for pages and the API alike."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

from flask_babel import gettext as _

from hub.errors import FieldErrors

MAX_RANGE_DAYS = 3 * 366 + 1  # three years: a long report stays a few seconds at most


def parse_range(
    values: Mapping[str, str], default_first: date, default_last: date
) -> tuple[date, date]:
    """``from`` and ``to`` (YYYY-MM-DD, inclusive); raises ValidationFailed naming the field."""
    errors = FieldErrors()
    first = _date(values.get("from"), default_first, "from", errors)
    last = _date(values.get("to"), default_last, "to", errors)
    if first and last and last < first:
        errors.add("to", _("The end date must be on or after the start date."))
    elif first and last and last - first > timedelta(days=MAX_RANGE_DAYS):
        errors.add("to", _("Choose at most three years at a time."))
    errors.raise_if_any()
    assert first is not None and last is not None
    return first, last


def _date(text: str | None, default: date, field: str, errors: FieldErrors) -> date | None:
    if not text:
        return default
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        errors.add(field, _("Write the date as YYYY-MM-DD, for example 2026-03-31."))
        return None


def parse_choice(
    values: Mapping[str, str], field: str, choices: tuple[str, ...], default: str
) -> str:
    value = (values.get(field) or default).strip()
    if value not in choices:
        errors = FieldErrors()
        errors.add(field, _("Choose one of: %(choices)s.", choices=", ".join(choices)))
        errors.raise_if_any()
    return value
