"""Words for the allocation engine's bases, so a partner can check each figure by hand.

The engine returns numbers (``allocation.Basis``); this module says them in
the reader's language. Statements call it under ``force_locale`` so the frozen
document is in Norwegian whoever issues it.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from hub.finance.allocation import Allocation, Basis, Component, Key, Part, PoolLine, days_between
from hub.money import format_nok

COMPONENT_LABELS = {
    Component.CONTRIBUTION: _l("Yearly contribution"),
    Component.OVERHEAD: _l("Project overhead"),
    Component.USAGE: _l("Use at unit rates"),
    Component.RESIDUAL: _l("Share of the residual"),
    Component.HOST: _l("Host: what no one else carries"),
    Component.REFUND: _l("Refund of surplus"),
}

KEY_LABELS = {
    Key.EQUAL: _l("Equal shares"),
    Key.WEIGHTS: _l("Agreed weights"),
    Key.USE: _l("Measured use"),
    Key.AREA: _l("Dedicated area"),
    Key.BLEND: _l("Blend"),
}

UNIT_LABELS = {
    "desk_days": _l("desk-days"),
    "cell_days": _l("cell-days"),
    "room_hours": _l("room-hours"),
}


def number(value: Fraction | Decimal | int, places: int = 2) -> str:
    """A figure with up to ``places`` decimals, in the locale's style."""
    if isinstance(value, Fraction):
        value = Decimal(value.numerator) / Decimal(value.denominator)
    exact = value
    return str(format_decimal(Decimal(exact), format="#,##0." + "#" * places))


def percent(value: Fraction) -> str:
    return _("%(value)s %%", value=number(value * 100, 1))


def explain_pool(line: PoolLine) -> str:
    values = line.basis.values
    if values["days"] == values["total_days"]:
        return _("%(amount)s, the whole range", amount=format_nok(values["amount_ore"]))
    return _(
        "%(days)s of %(total)s days of %(amount)s",
        days=values["days"],
        total=values["total_days"],
        amount=format_nok(values["amount_ore"]),
    )


def explain(part: Part, allocation: Allocation) -> str:
    """One sentence with the units, percentages and key behind ``part``."""
    basis: Basis = part.basis
    values: Any = basis.values
    if basis.code == "yearly_amount":
        if values["years"] == 1:
            return _("%(amount)s a year, the whole year", amount=format_nok(values["amount_ore"]))
        year_days = Fraction(values["days"]) / values["years"]
        if year_days.denominator == 1:  # within one calendar year: days of its 365 or 366
            return _(
                "%(amount)s a year × %(days)s/%(year_days)s days",
                amount=format_nok(values["amount_ore"]),
                days=values["days"],
                year_days=year_days.numerator,
            )
        return _(
            "%(amount)s a year × %(years)s of a year (%(days)s days)",
            amount=format_nok(values["amount_ore"]),
            days=values["days"],
            years=number(values["years"], 4),
        )
    if basis.code == "monthly_overhead":
        return _(
            "%(amount)s a month × %(months)s months",
            amount=format_nok(values["amount_ore"]),
            months=number(values["months"], 2),
        )
    if basis.code == "unit_rates":
        terms = [
            _(
                "%(quantity)s %(unit)s × %(rate)s",
                quantity=number(quantity),
                unit=UNIT_LABELS[unit],
                rate=format_nok(rate),
            )
            for unit, quantity, rate in values["lines"]
        ]
        return " + ".join(terms) if terms else _("No use in the period")
    if basis.code == "residual":
        return _explain_residual(values, allocation)
    if basis.code == "host":
        return _(
            "%(amount)s of the residual %(residual)s that no partner carries",
            amount=format_nok(part.amount_ore),
            residual=format_nok(values["residual_ore"]),
        )
    if basis.code == "refund":
        return _(
            "Paid %(paid)s of %(total)s = %(share)s of the surplus %(surplus)s",
            paid=format_nok(values["paid_ore"]),
            total=format_nok(values["total_paid_ore"]),
            share=percent(Fraction(values["paid_ore"], values["total_paid_ore"])),
            surplus=format_nok(values["surplus_ore"]),
        )
    raise ValueError(f"no words for basis {basis.code!r}")


def _key_terms(share: Any, period_days: int) -> str:
    """'312 of 1,204 units of use' and the like, for one key of the split."""
    if share.key is Key.USE:
        return _(
            "%(part)s of %(whole)s units of use",
            part=number(share.basis),
            whole=number(share.whole),
        )
    # Day-prorated keys: dividing by the period's days gives shares, weights or m².
    part, whole = share.basis / period_days, share.whole / period_days
    if share.key is Key.EQUAL:
        message = _("%(part)s of %(whole)s equal shares")
    elif share.key is Key.WEIGHTS:
        message = _("weight %(part)s of %(whole)s")
    else:
        message = _("%(part)s of %(whole)s m² dedicated area")
    return message % {"part": number(part), "whole": number(whole)}


def _explain_residual(values: Any, allocation: Allocation) -> str:
    period_days = days_between(allocation.first, allocation.last)
    keys = values["keys"]
    if len(keys) == 1:
        basis = _key_terms(keys[0], period_days)
    else:
        basis = " + ".join(
            _(
                "%(percent)s %(key)s (%(terms)s)",
                percent=percent(k.percent),
                key=str(KEY_LABELS[k.key]).lower(),
                terms=_key_terms(k, period_days),
            )
            for k in keys
        )
    text = _(
        "%(basis)s = %(share)s of %(residual)s residual",
        basis=basis,
        share=percent(values["fraction"]),
        residual=format_nok(values["residual_ore"]),
    )
    if values.get("cap_ore") is not None:
        text += "; " + _(
            "capped: the agreed cap is %(cap)s for the period, which leaves %(room)s "
            "after the fixed amounts",
            cap=format_nok(values["period_cap_ore"]),
            room=format_nok(values["cap_ore"]),
        )
    return text
