"""Operations on a hub's cost items and funding."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import MAXYEAR, date
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from hub.errors import FieldErrors
from hub.extensions import db
from hub.finance.models import CostCategory, CostItem, Funding, FundingKind
from hub.finance.periods import amortization_end
from hub.service_input import checked_enum, picked
from hub.spaces.models import Hub

COST_FIELDS = frozenset(
    {"category", "description", "amount_ore", "starts_on", "ends_on", "amortize_months"}
)
MAX_AMORTIZE_MONTHS = 1200  # a hundred years
FUNDING_FIELDS = frozenset({"kind", "source", "description", "amount_ore", "starts_on", "ends_on"})


def _check_amount_and_dates(merged: Mapping[str, Any], errors: FieldErrors) -> None:
    amount = merged.get("amount_ore")
    if not isinstance(amount, int) or isinstance(amount, bool):
        errors.add("amount_ore", _("Give the amount in kroner."))
    elif amount < 0:
        errors.add("amount_ore", _("The amount cannot be negative."))
    starts_on, ends_on = merged.get("starts_on"), merged.get("ends_on")
    if not isinstance(starts_on, date):
        errors.add("starts_on", _("Give the first day."))
    if not isinstance(ends_on, date):
        errors.add("ends_on", _("Give the last day."))
    elif isinstance(starts_on, date) and ends_on < starts_on:
        errors.add("ends_on", _("The last day cannot be before the first day."))


def _ensure_books_open(row: CostItem | Funding, merged: Mapping[str, Any]) -> None:
    """A change spreads over the row's whole range, before and after: both must be open."""
    from hub.finance.statements import ensure_open

    if row.id is not None:
        ensure_open(row.hub_id, row.starts_on, row.ends_on)
    if isinstance(merged.get("starts_on"), date) and isinstance(merged.get("ends_on"), date):
        ensure_open(row.hub_id, merged["starts_on"], merged["ends_on"])


# --- cost items --------------------------------------------------------------


def cost_items_of(hub: Hub) -> list[CostItem]:
    return list(
        db.session.scalars(
            sa.select(CostItem)
            .where(CostItem.hub_id == hub.id)
            .order_by(CostItem.starts_on, CostItem.category, CostItem.id)
        )
    )


def create_cost_item(hub: Hub, values: Mapping[str, Any]) -> CostItem:
    return _save_cost_item(CostItem(hub_id=hub.id), values)


def update_cost_item(item: CostItem, values: Mapping[str, Any]) -> CostItem:
    return _save_cost_item(item, values)


def delete_cost_item(item: CostItem) -> None:
    _ensure_books_open(item, {})
    db.session.delete(item)
    db.session.flush()


def _save_cost_item(item: CostItem, values: Mapping[str, Any]) -> CostItem:
    changes = picked(values, COST_FIELDS)
    merged = {f: getattr(item, f) for f in COST_FIELDS} | changes
    errors = FieldErrors()
    changes["category"] = checked_enum(CostCategory, merged.get("category"), "category", errors)
    if not merged.get("description"):
        errors.add("description", _("Describe the cost, for example 'Rent 2026'."))
    months = merged.get("amortize_months")
    if months in ("", 0):
        months = changes["amortize_months"] = None
    if months is not None:
        if not isinstance(months, int) or isinstance(months, bool) or months < 1:
            errors.add("amortize_months", _("Give a whole number of months, one or more."))
        elif months > MAX_AMORTIZE_MONTHS or (
            isinstance(merged.get("starts_on"), date)
            and merged["starts_on"].year + months // 12 + 1 > MAXYEAR
        ):
            # An end date past year 9999 cannot be computed, let alone stored.
            errors.add(
                "amortize_months",
                _("Spread a cost over at most %(max)s months.", max=MAX_AMORTIZE_MONTHS),
            )
        elif isinstance(merged.get("starts_on"), date):
            # Straight-line amortization is daily proration over the spread.
            end = amortization_end(merged["starts_on"], months)
            if changes.get("ends_on") not in (None, end):
                errors.add(
                    "ends_on",
                    _(
                        "An amortized cost ends after its months (%(end)s); leave the last "
                        "day empty or give that date.",
                        end=end.isoformat(),
                    ),
                )
            merged["ends_on"] = changes["ends_on"] = end
    _check_amount_and_dates(merged, errors)
    errors.raise_if_any()
    _ensure_books_open(item, merged)
    for key, value in changes.items():
        setattr(item, key, value)
    db.session.add(item)
    db.session.flush()
    return item


# --- funding -------------------------------------------------------------------


def funding_of(hub: Hub) -> list[Funding]:
    return list(
        db.session.scalars(
            sa.select(Funding)
            .where(Funding.hub_id == hub.id)
            .order_by(Funding.starts_on, Funding.id)
        )
    )


def create_funding(hub: Hub, values: Mapping[str, Any]) -> Funding:
    return _save_funding(Funding(hub_id=hub.id, description=""), values)


def update_funding(funding: Funding, values: Mapping[str, Any]) -> Funding:
    return _save_funding(funding, values)


def delete_funding(funding: Funding) -> None:
    _ensure_books_open(funding, {})
    db.session.delete(funding)
    db.session.flush()


def _save_funding(funding: Funding, values: Mapping[str, Any]) -> Funding:
    changes = picked(values, FUNDING_FIELDS)
    merged = {f: getattr(funding, f) for f in FUNDING_FIELDS} | changes
    errors = FieldErrors()
    changes["kind"] = checked_enum(FundingKind, merged.get("kind"), "kind", errors)
    if not merged.get("source"):
        errors.add("source", _("Say who gives the funding."))
    if changes.get("description") is None and "description" in changes:
        changes["description"] = ""
    _check_amount_and_dates(merged, errors)
    errors.raise_if_any()
    _ensure_books_open(funding, merged)
    for key, value in changes.items():
        setattr(funding, key, value)
    db.session.add(funding)
    db.session.flush()
    return funding
