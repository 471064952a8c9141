"""Turning the plain values services receive (form data, JSON, YAML) into model values."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask_babel import gettext as _

from hub.errors import FieldErrors


def picked(
    values: Mapping[str, Any], fields: Iterable[str], *, strip: bool = True
) -> dict[str, Any]:
    """The values a service owns, by name; strings trimmed unless ``strip`` is False."""
    wanted = frozenset(fields)
    return {
        key: value.strip() if strip and isinstance(value, str) else value
        for key, value in values.items()
        if key in wanted
    }


def checked_enum(enum_cls: Any, value: Any, field: str, errors: FieldErrors) -> Any:
    """The enum member for ``value``, or None with a message on ``field``."""
    try:
        return enum_cls(value)
    except ValueError:
        errors.add(field, _("Choose one of the listed values."))
        return None
