"""Feed the allocation engine from the database: a hub's cost share for a period.

Reads cost items, funding, memberships and the booked units of the usage
roll-up (never the bookings), runs ``allocation.allocate`` and turns the
result into lines with explanations for pages, API, CSV and statements.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from hub.accounts.models import Membership
from hub.errors import FieldErrors
from hub.extensions import db
from hub.finance import allocation as engine
from hub.finance.explain import COMPONENT_LABELS, explain, explain_pool
from hub.finance.models import CostItem, FinancingModel, Funding
from hub.spaces.models import Hub
from hub.usage import reports

MAX_PERIOD_DAYS = 366


def default_prefix(hub: Hub) -> str:
    """LISTER for regionlab-lister: the slug's last word, in capitals, ASCII only.

    A last word shorter than two characters (hub-1) takes the whole slug
    (HUB1), so the default always passes the prefix rule (2 to 20 A-Z/0-9).
    """

    def cleaned(text: str) -> str:
        ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
        return re.sub(r"[^A-Z0-9]", "", ascii_text.upper())[:20]

    for candidate in (cleaned(hub.slug.rsplit("-", 1)[-1]), cleaned(hub.slug)):
        if len(candidate) >= 2:
            return candidate
    return "HUB"


def saved_model(hub: Hub, year: int) -> FinancingModel | None:
    return db.session.scalar(
        sa.select(FinancingModel).where(
            FinancingModel.hub_id == hub.id, FinancingModel.year == year
        )
    )


def latest_before(hub: Hub, year: int) -> FinancingModel | None:
    """The saved model a year without its own inherits."""
    return db.session.scalar(
        sa.select(FinancingModel)
        .where(FinancingModel.hub_id == hub.id, FinancingModel.year < year)
        .order_by(FinancingModel.year.desc())
        .limit(1)
    )


def model_for(hub: Hub, year: int) -> FinancingModel:
    """The year's model; else a copy of the latest earlier one; else the defaults.

    A copy is not added to the session: a hub keeps last year's model until
    it saves a new one.
    """
    if found := saved_model(hub, year):
        return found
    earlier = latest_before(hub, year)
    model = FinancingModel(hub_id=hub.id, year=year, statement_prefix=default_prefix(hub))
    for column in FinancingModel.__table__.columns:
        if column.key in {"id", "hub_id", "year", "created_at", "updated_at"}:
            continue
        if earlier is not None:
            setattr(model, column.key, getattr(earlier, column.key))
        elif getattr(model, column.key) is None and column.default is not None:
            setattr(model, column.key, column.default.arg)
    return model


def check_period(first: Any, last: Any, errors: FieldErrors, *, names=("from", "to")) -> None:
    """A cost period lies within one calendar year (the model is yearly)."""
    first_name, last_name = names
    if not isinstance(first, date):
        errors.add(first_name, _("Give the first day as YYYY-MM-DD."))
    if not isinstance(last, date):
        errors.add(last_name, _("Give the last day as YYYY-MM-DD."))
    if isinstance(first, date) and isinstance(last, date):
        if last < first:
            errors.add(last_name, _("The last day cannot be before the first day."))
        elif first.year != last.year:
            errors.add(
                last_name,
                _("A cost period lies within one calendar year; the model is chosen per year."),
            )


def _usage_by_window(hub: Hub, memberships: Sequence[Membership], first: date, last: date):
    """Booked units per (window, organization): one roll-up aggregate per distinct window."""
    found: dict[tuple[date, date], dict[int, engine.Units]] = {}
    for m in memberships:
        window = engine.overlap(first, last, m.starts_on, m.ends_on)
        if window is None or window in found:
            continue
        figures = reports.figures_by(hub, window[0], window[1], "organization")
        found[window] = {
            org_id: engine.Units(f.days("desk"), f.days("cell"), f.hours("meeting_room"))
            for org_id, f in figures.items()
        }
    return found


def inputs_for(hub: Hub, first: date, last: date, model: engine.Model) -> engine.Inputs:
    costs = db.session.scalars(
        sa.select(CostItem).where(
            CostItem.hub_id == hub.id, CostItem.starts_on <= last, CostItem.ends_on >= first
        )
    )
    funding = db.session.scalars(
        sa.select(Funding).where(
            Funding.hub_id == hub.id, Funding.starts_on <= last, Funding.ends_on >= first
        )
    )
    memberships = list(
        db.session.scalars(
            sa.select(Membership)
            .options(selectinload(Membership.organization))
            .where(
                Membership.hub_id == hub.id,
                Membership.starts_on <= last,
                sa.or_(Membership.ends_on.is_(None), Membership.ends_on >= first),
            )
        )
    )
    usage = _usage_by_window(hub, memberships, first, last)
    members = []
    for m in memberships:
        window = engine.overlap(first, last, m.starts_on, m.ends_on)
        units = usage.get(window, {}).get(m.organization_id, engine.Units()) if window else None
        members.append(
            engine.Member(
                membership_id=m.id,
                organization_id=m.organization_id,
                name=m.organization.name,
                kind=str(m.kind),
                starts_on=m.starts_on,
                ends_on=m.ends_on,
                yearly_amount_ore=m.yearly_amount_ore,
                weight=m.weight,
                carries_residual=m.carries_residual,
                cap_ore=m.cap_ore,
                monthly_overhead_ore=m.monthly_overhead_ore,
                desk_day_rate_ore=m.desk_day_rate_ore,
                cell_day_rate_ore=m.cell_day_rate_ore,
                room_hour_rate_ore=m.room_hour_rate_ore,
                dedicated_area_m2=m.dedicated_area_m2,
                usage=units or engine.Units(),
            )
        )
    return engine.Inputs(
        first=first,
        last=last,
        costs=[
            engine.DatedAmount(
                c.id, c.description, c.amount_ore, c.starts_on, c.ends_on, str(c.category)
            )
            for c in costs
        ],
        funding=[
            engine.DatedAmount(f.id, f.source, f.amount_ore, f.starts_on, f.ends_on, str(f.kind))
            for f in funding
        ],
        members=members,
        model=model,
    )


def compute(
    hub: Hub, first: date, last: date, model: engine.Model | None = None
) -> engine.Allocation:
    """The cost share under the year's model, or under ``model`` for a what-if."""
    if model is None:
        model = model_for(hub, first.year).to_model()
    return engine.allocate(inputs_for(hub, first, last, model))


# --- presentation --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Line:
    """One organization's amount with a sentence per part; organization None for
    what the hub keeps (a surplus) or what nobody carries."""

    organization_id: int | None
    name: str
    amount_ore: int
    parts: tuple[tuple[str, int, str], ...]  # (label, øre, explanation)

    @property
    def explanation(self) -> str:
        return "; ".join(f"{label}: {text}" for label, _ore, text in self.parts)


def part_rows(share: engine.Share, result: engine.Allocation) -> tuple[tuple[str, int, str], ...]:
    return tuple(
        (str(COMPONENT_LABELS[p.component]), p.amount_ore, explain(p, result)) for p in share.parts
    )


def lines(result: engine.Allocation) -> list[Line]:
    """Per organization, then the hub's own lines, adding up to the net cost exactly."""
    out = [
        Line(s.organization_id, s.name, s.amount_ore, part_rows(s, result)) for s in result.shares
    ]
    if result.uncovered_ore:
        text = _("No host membership carries what the partners do not.")
        label = _("Not covered")
        out.append(Line(None, label, result.uncovered_ore, ((label, result.uncovered_ore, text),)))
    if kept := result.kept_surplus_ore:
        label = (
            _("Surplus carried forward")
            if result.model.surplus_policy is engine.SurplusPolicy.CARRY_FORWARD
            else _("Surplus kept as reserve")
        )
        text = _("Paid beyond the net cost of the period")
        out.append(Line(None, label, -kept, ((label, -kept, text),)))
    return out


def pool_rows(items: Sequence[engine.PoolLine]) -> list[tuple[str, int, str]]:
    return [(item.label, item.amount_ore, explain_pool(item)) for item in items]
