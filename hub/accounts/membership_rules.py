"""Pure rules for memberships: which terms each kind uses, and date overlap."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

TERM_FIELDS = (
    "yearly_amount_ore",
    "weight",
    "carries_residual",
    "cap_ore",
    "monthly_overhead_ore",
    "desk_day_rate_ore",
    "cell_day_rate_ore",
    "room_hour_rate_ore",
    "dedicated_area_m2",
)

RATE_FIELDS = ("desk_day_rate_ore", "cell_day_rate_ore", "room_hour_rate_ore")

# The letter-of-intent terms each kind of membership may carry (DESIGN.md section 6).
TERMS_BY_KIND: dict[str, frozenset[str]] = {
    "partner": frozenset(
        {"yearly_amount_ore", "weight", "carries_residual", "cap_ore", "dedicated_area_m2"}
    ),
    "project": frozenset({"monthly_overhead_ore", *RATE_FIELDS, "cap_ore", "dedicated_area_m2"}),
    "guest": frozenset(RATE_FIELDS),
    "host": frozenset({"dedicated_area_m2"}),
}


def is_set(value: Any) -> bool:
    return value not in (None, False, "")


def terms_not_allowed(kind: str, terms: Mapping[str, Any]) -> list[str]:
    """Fields given a value that this kind of membership does not use."""
    allowed = TERMS_BY_KIND.get(kind, frozenset())
    return [f for f in TERM_FIELDS if f not in allowed and is_set(terms.get(f))]


def negative_terms(terms: Mapping[str, Any]) -> list[str]:
    return [f for f in TERM_FIELDS if isinstance(terms.get(f), int | float) and terms[f] < 0]


def ranges_overlap(a_start: date, a_end: date | None, b_start: date, b_end: date | None) -> bool:
    """Inclusive date ranges; an end of None means open-ended."""
    a_before_b = a_end is not None and a_end < b_start
    b_before_a = b_end is not None and b_end < a_start
    return not (a_before_b or b_before_a)
