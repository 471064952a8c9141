"""A hub's financing model per year: validate, save, and build candidates for what-if."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import format_decimal
from flask_babel import gettext as _

from hub.errors import FieldErrors
from hub.extensions import db
from hub.finance import allocation as engine
from hub.finance import cost_share
from hub.finance.models import Cadence, FinancingModel
from hub.service_input import checked_enum, picked
from hub.spaces.models import Hub

BLEND_FIELDS = ("blend_equal_pct", "blend_weights_pct", "blend_use_pct", "blend_area_pct")
WEIGHT_FIELDS = ("desk_day_weight", "cell_day_weight", "room_hour_weight")
KEY_FIELDS = frozenset({"key", *BLEND_FIELDS, *WEIGHT_FIELDS, "surplus_policy"})
MODEL_FIELDS = frozenset({*KEY_FIELDS, "cadence", "issue_day", "auto_issue", "statement_prefix"})
PREFIX_RE = re.compile(r"^[A-Z0-9]{2,20}$")
MIN_YEAR, MAX_YEAR = 2000, 2100


def _decimal(value: Any, field: str, errors: FieldErrors, *, upper: Decimal) -> Decimal | None:
    if value in (None, ""):
        return Decimal(0)
    try:
        number = Decimal(str(value).replace(",", ".").strip())
    except InvalidOperation:
        errors.add(field, _("Give a number."))
        return None
    if not number.is_finite() or number < 0 or number > upper:
        errors.add(field, _("Give a number from 0 to %(max)s.", max=upper))
        return None
    return number.quantize(Decimal("0.01") if upper == 100 else Decimal("0.001"))


def _checked(merged: dict[str, Any], changes: dict[str, Any], errors: FieldErrors) -> None:
    """Validate the key part of ``merged``; put clean values into ``changes``."""
    key = changes["key"] = checked_enum(engine.Key, merged.get("key"), "key", errors)
    changes["surplus_policy"] = checked_enum(
        engine.SurplusPolicy, merged.get("surplus_policy"), "surplus_policy", errors
    )
    for name in BLEND_FIELDS:
        changes[name] = _decimal(merged.get(name), name, errors, upper=Decimal(100))
    for name in WEIGHT_FIELDS:
        changes[name] = _decimal(merged.get(name), name, errors, upper=Decimal("999.999"))
    if key is engine.Key.BLEND:
        parts = [changes[n] for n in BLEND_FIELDS]
        if all(p is not None for p in parts) and sum(parts) != 100:  # type: ignore[arg-type]
            errors.add(
                "blend_equal_pct",
                _(
                    "The blend's percentages must add up to 100 (now %(sum)s).",
                    sum=format_decimal(sum(parts)),  # type: ignore[arg-type]
                ),
            )
    if key is engine.Key.USE and not any(changes[n] for n in WEIGHT_FIELDS):
        errors.add("desk_day_weight", _("At least one kind of use must count."))


def candidate(values: Mapping[str, Any]) -> engine.Model:
    """A model for a what-if comparison, validated like a saved one, never stored."""
    changes = picked(values, KEY_FIELDS)
    defaults = {
        "key": "equal",
        "surplus_policy": "carry_forward",
        "desk_day_weight": "1",
        "cell_day_weight": "1.5",
        "room_hour_weight": "0.25",
    }
    merged = defaults | {k: v for k, v in changes.items() if v not in (None, "")}
    errors = FieldErrors()
    _checked(merged, changes, errors)
    errors.raise_if_any()
    model = FinancingModel(statement_prefix="X")
    for name, value in changes.items():
        setattr(model, name, value)
    return model.to_model()


def save_model(hub: Hub, year: Any, values: Mapping[str, Any]) -> FinancingModel:
    """Create or update the hub's model for ``year`` (others years keep theirs)."""
    errors = FieldErrors()
    if not isinstance(year, int) or isinstance(year, bool) or not MIN_YEAR <= year <= MAX_YEAR:
        errors.add("year", _("Give a year from %(min)s to %(max)s.", min=MIN_YEAR, max=MAX_YEAR))
        errors.raise_if_any()
    model = cost_share.model_for(hub, year)
    changes = picked(values, MODEL_FIELDS)
    merged = {f: getattr(model, f) for f in MODEL_FIELDS} | changes
    _checked(merged, changes, errors)
    changes["cadence"] = checked_enum(Cadence, merged.get("cadence"), "cadence", errors)
    day = merged.get("issue_day")
    if not isinstance(day, int) or isinstance(day, bool) or not 1 <= day <= 28:
        errors.add("issue_day", _("Give a day of the month from 1 to 28."))
    changes["auto_issue"] = bool(merged.get("auto_issue"))
    prefix = str(merged.get("statement_prefix") or "").strip().upper()
    if not PREFIX_RE.match(prefix):
        errors.add(
            "statement_prefix",
            _("Use 2 to 20 capital letters A–Z or digits, like LISTER."),
        )
    changes["statement_prefix"] = prefix
    errors.raise_if_any()
    for name, value in changes.items():
        setattr(model, name, value)
    db.session.add(model)
    db.session.flush()
    return model
