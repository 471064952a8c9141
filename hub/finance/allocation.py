"""The allocation engine: who pays what of a hub's net cost in a period.

Pure: plain data in, plain data out, amounts in integer øre, no Flask and no
database (DESIGN.md section 6). The steps, in order:

1. cost pool: each cost item prorated by day to the period;
2. minus funding prorated the same way: the net cost;
3. partners' yearly amounts, prorated by the days they are members;
4. projects' monthly overhead (by day within each month) and rates per unit;
5. usage charges at unit rates (guests, and projects with rates);
6. the residual (net cost minus 3-5) split among the partners that carry it by
   the hub's key, with caps respected and their excess redistributed; what no
   one carries falls to the host. A surplus is carried forward, refunded pro
   rata or kept as a reserve.

Exactness. Every amount that is a share of a whole uses the largest-remainder
method, so the parts add up to the whole to the øre. Ties between equal
remainders go to the larger weight, then to the smaller key (organization or
membership id): deterministic and documented in docs/finance.md. Proration of
an amount over days rounds the *running total* (half up), so the parts of any
split of a range into periods add up to the amount exactly: twelve monthly
statements give the yearly figure.

Every part carries a ``Basis``: a code and the numbers behind it, turned into
words by ``hub.finance.explain`` in the reader's language.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any, TypeVar

K = TypeVar("K", bound=Hashable)

ONE_DAY = timedelta(days=1)


class Key(enum.StrEnum):
    """How the residual is split among the partners that carry it."""

    EQUAL = "equal"
    WEIGHTS = "weights"
    USE = "use"
    AREA = "area"
    BLEND = "blend"


BASE_KEYS = (Key.EQUAL, Key.WEIGHTS, Key.USE, Key.AREA)


class SurplusPolicy(enum.StrEnum):
    CARRY_FORWARD = "carry_forward"
    REFUND = "refund"
    RESERVE = "reserve"


# --- input -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DatedAmount:
    """A cost item or a funding: an amount over an inclusive date range."""

    ident: int
    label: str
    amount_ore: int
    starts_on: date
    ends_on: date
    category: str = ""


@dataclass(frozen=True, slots=True)
class Units:
    """Booked units of use: desk-days and cell-days (in halves), room-hours."""

    desk_days: Decimal = Decimal(0)
    cell_days: Decimal = Decimal(0)
    room_hours: Decimal = Decimal(0)

    def __bool__(self) -> bool:
        return bool(self.desk_days or self.cell_days or self.room_hours)


@dataclass(frozen=True, slots=True)
class Member:
    """One membership with its financing terms; ``usage`` covers its active days."""

    membership_id: int
    organization_id: int
    name: str
    kind: str  # partner | project | guest | host
    starts_on: date
    ends_on: date | None = None
    yearly_amount_ore: int | None = None
    weight: Decimal | None = None
    carries_residual: bool = False
    cap_ore: int | None = None  # a yearly cap on everything the membership pays
    monthly_overhead_ore: int | None = None
    desk_day_rate_ore: int | None = None
    cell_day_rate_ore: int | None = None
    room_hour_rate_ore: int | None = None
    dedicated_area_m2: Decimal | None = None
    usage: Units = Units()


@dataclass(frozen=True, slots=True)
class UseWeights:
    """What one unit of each kind counts for under the use key."""

    desk_day: Decimal = Decimal(1)
    cell_day: Decimal = Decimal("1.5")
    room_hour: Decimal = Decimal("0.25")

    def units(self, usage: Units) -> Fraction:
        return (
            Fraction(usage.desk_days) * Fraction(self.desk_day)
            + Fraction(usage.cell_days) * Fraction(self.cell_day)
            + Fraction(usage.room_hours) * Fraction(self.room_hour)
        )


@dataclass(frozen=True, slots=True)
class Model:
    """A hub's financing model for a year: the key and the surplus policy."""

    key: Key = Key.EQUAL
    # For Key.BLEND: (base key, percent) pairs whose percents add up to 100.
    blend: tuple[tuple[Key, Decimal], ...] = ()
    use_weights: UseWeights = UseWeights()
    surplus_policy: SurplusPolicy = SurplusPolicy.CARRY_FORWARD

    def parts(self) -> tuple[tuple[Key, Fraction], ...]:
        """The key as weighted base keys (a single key is 100 % of itself)."""
        if self.key is Key.BLEND:
            return tuple((k, Fraction(p) / 100) for k, p in self.blend if p)
        return ((self.key, Fraction(1)),)


@dataclass(frozen=True, slots=True)
class Inputs:
    first: date
    last: date  # inclusive
    costs: Sequence[DatedAmount] = ()
    funding: Sequence[DatedAmount] = ()
    members: Sequence[Member] = ()
    model: Model = Model()


# --- output ------------------------------------------------------------------


class Component(enum.StrEnum):
    CONTRIBUTION = "contribution"  # a partner's yearly amount
    OVERHEAD = "overhead"  # a project's monthly overhead
    USAGE = "usage"  # unit rates times units
    RESIDUAL = "residual"  # a share of the residual by the key
    HOST = "host"  # what no one else carries
    REFUND = "refund"  # a share of a surplus paid back


@dataclass(frozen=True, slots=True)
class Basis:
    """Why an amount is what it is: a code and the numbers, for ``explain``."""

    code: str
    values: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Part:
    component: Component
    membership_id: int
    amount_ore: int
    basis: Basis


@dataclass(slots=True)
class Share:
    """Everything one organization pays in the period."""

    organization_id: int
    name: str
    parts: list[Part] = field(default_factory=list)

    @property
    def amount_ore(self) -> int:
        return sum(p.amount_ore for p in self.parts)


@dataclass(frozen=True, slots=True)
class PoolLine:
    """A cost item or funding as it counts in the period."""

    ident: int
    label: str
    category: str
    amount_ore: int
    basis: Basis


@dataclass(slots=True)
class Allocation:
    first: date
    last: date
    model: Model
    costs: list[PoolLine]
    funding: list[PoolLine]
    shares: list[Share]
    residual_ore: int = 0  # net cost minus fixed, overhead and usage charges
    surplus_ore: int = 0  # what was paid beyond the net cost (>= 0)
    refunded_ore: int = 0  # the part of the surplus paid back
    uncovered_ore: int = 0  # what no one carries when there is no host

    @property
    def cost_ore(self) -> int:
        return sum(c.amount_ore for c in self.costs)

    @property
    def funding_ore(self) -> int:
        return sum(f.amount_ore for f in self.funding)

    @property
    def net_cost_ore(self) -> int:
        return self.cost_ore - self.funding_ore

    @property
    def kept_surplus_ore(self) -> int:
        """The surplus the hub keeps (carried forward or in reserve)."""
        return self.surplus_ore - self.refunded_ore

    @property
    def charged_ore(self) -> int:
        return sum(s.amount_ore for s in self.shares)

    def share_of(self, organization_id: int) -> Share | None:
        return next((s for s in self.shares if s.organization_id == organization_id), None)


# --- exact arithmetic ----------------------------------------------------------


def round_half_up(value: Fraction) -> int:
    return math.floor(value + Fraction(1, 2))


def largest_remainder(total: int, weights: Mapping[K, Fraction | int]) -> dict[K, int]:
    """Split ``total`` øre in proportion to ``weights`` so the parts add up exactly.

    Each part gets the floor of its quota; the øre left over go one each to the
    largest fractional remainders. Ties go to the larger weight, then to the
    smaller key. A negative total is split as its absolute value and negated.
    Keys with zero weight get zero; all weights zero is an error.
    """
    if total < 0:
        return {k: -v for k, v in largest_remainder(-total, weights).items()}
    exact = {k: Fraction(w) for k, w in weights.items()}
    if any(w < 0 for w in exact.values()):
        raise ValueError("weights cannot be negative")
    whole = sum(exact.values(), Fraction(0))
    if whole == 0:
        if total == 0:
            return dict.fromkeys(exact, 0)
        raise ValueError("cannot split an amount by zero weights")
    quotas = {k: total * w / whole for k, w in exact.items()}
    parts = {k: math.floor(q) for k, q in quotas.items()}
    left = total - sum(parts.values())
    order = sorted(exact, key=lambda k: (-(quotas[k] - parts[k]), -exact[k], k))
    for k in order[:left]:
        parts[k] += 1
    return parts


def days_between(first: date, last: date) -> int:
    """Days in an inclusive range (0 when it is empty)."""
    return max(0, (last - first).days + 1)


def overlap(first: date, last: date, start: date, end: date | None) -> tuple[date, date] | None:
    """The inclusive intersection of two ranges, or None."""
    lo, hi = max(first, start), last if end is None else min(last, end)
    return (lo, hi) if lo <= hi else None


def prorate(amount: int, start: date, end: date, first: date, last: date) -> tuple[int, int]:
    """The part of ``amount`` over [start, end] that falls in [first, last], and its days.

    Rounds the running total, so the parts of consecutive periods add up to the
    amount exactly.
    """
    window = overlap(first, last, start, end)
    if window is None:
        return 0, 0
    total_days = days_between(start, end)

    def running(day_count: int) -> int:
        return round_half_up(Fraction(amount * day_count, total_days))

    before = (window[0] - start).days
    through = (window[1] - start).days + 1
    return running(through) - running(before), through - before


def _calendar_spans(
    first: date, last: date, start: date, end: date | None, unit: str
) -> Iterable[tuple[date, date, date, date]]:
    """(unit first, unit last, window first, window last) for each year or month
    in which [first, last] and the membership [start, end] overlap."""
    window = overlap(first, last, start, end)
    if window is None:
        return
    cursor = window[0]
    while cursor <= window[1]:
        if unit == "year":
            unit_first, unit_last = date(cursor.year, 1, 1), date(cursor.year, 12, 31)
        else:
            unit_first = cursor.replace(day=1)
            following = (unit_first + timedelta(days=32)).replace(day=1)
            unit_last = following - ONE_DAY
        yield unit_first, unit_last, cursor, min(unit_last, window[1])
        cursor = unit_last + ONE_DAY


def prorate_recurring(
    amount: int, unit: str, first: date, last: date, start: date, end: date | None
) -> tuple[int, Fraction]:
    """A yearly or monthly amount for the days a membership is active in a period.

    Returns the øre and the number of units (years or months) they stand for,
    each calendar year or month counted by its own length (leap years too).
    """
    if unit not in ("year", "month"):
        raise ValueError(f"unknown unit {unit!r}: expected 'year' or 'month'")
    total, units = 0, Fraction(0)
    for unit_first, unit_last, lo, hi in _calendar_spans(first, last, start, end, unit):
        part, days = prorate(amount, unit_first, unit_last, lo, hi)
        total += part
        units += Fraction(days, days_between(unit_first, unit_last))
    return total, units


# --- the steps -------------------------------------------------------------------


def _pool(items: Sequence[DatedAmount], first: date, last: date) -> list[PoolLine]:
    lines = []
    for item in items:
        amount, days = prorate(item.amount_ore, item.starts_on, item.ends_on, first, last)
        if days:
            basis = Basis(
                "prorated",
                {
                    "amount_ore": item.amount_ore,
                    "days": days,
                    "total_days": days_between(item.starts_on, item.ends_on),
                },
            )
            lines.append(PoolLine(item.ident, item.label, item.category, amount, basis))
    return lines


def _active_days(member: Member, first: date, last: date) -> int:
    window = overlap(first, last, member.starts_on, member.ends_on)
    return days_between(*window) if window else 0


def _fixed_parts(member: Member, first: date, last: date) -> list[Part]:
    """Yearly contribution, monthly overhead and usage charges of one membership."""
    parts: list[Part] = []
    if member.kind == "partner" and member.yearly_amount_ore:
        amount, years = prorate_recurring(
            member.yearly_amount_ore, "year", first, last, member.starts_on, member.ends_on
        )
        if years:
            basis = Basis(
                "yearly_amount",
                {
                    "amount_ore": member.yearly_amount_ore,
                    "days": _active_days(member, first, last),
                    "years": years,
                },
            )
            parts.append(Part(Component.CONTRIBUTION, member.membership_id, amount, basis))
    if member.kind == "project" and member.monthly_overhead_ore:
        amount, months = prorate_recurring(
            member.monthly_overhead_ore, "month", first, last, member.starts_on, member.ends_on
        )
        if months:
            basis = Basis(
                "monthly_overhead",
                {"amount_ore": member.monthly_overhead_ore, "months": months},
            )
            parts.append(Part(Component.OVERHEAD, member.membership_id, amount, basis))
    if member.kind in ("guest", "project"):
        charge = _usage_charge(member)
        if charge is not None:
            parts.append(charge)
    return parts


def _usage_charge(member: Member) -> Part | None:
    usage = member.usage
    items = [
        ("desk_days", usage.desk_days, member.desk_day_rate_ore),
        ("cell_days", usage.cell_days, member.cell_day_rate_ore),
        ("room_hours", usage.room_hours, member.room_hour_rate_ore),
    ]
    lines = [(unit, qty, rate) for unit, qty, rate in items if rate and qty]
    if not any(rate for _unit, _qty, rate in items):
        return None
    amount = round_half_up(sum((Fraction(q) * r for _u, q, r in lines), Fraction(0)))
    basis = Basis("unit_rates", {"lines": tuple(lines)})
    return Part(Component.USAGE, member.membership_id, amount, basis)


def _key_basis(key: Key, member: Member, days: int, model: Model) -> Fraction:
    """A carrier's raw basis under one base key, prorated by its active days."""
    if key is Key.EQUAL:
        return Fraction(days)
    if key is Key.WEIGHTS:
        weight = member.weight if member.weight is not None else Decimal(1)
        return Fraction(weight) * days
    if key is Key.AREA:
        return Fraction(member.dedicated_area_m2 or 0) * days
    return model.use_weights.units(member.usage)


@dataclass(frozen=True, slots=True)
class _KeyShare:
    key: Key
    percent: Fraction  # the key's part of the residual
    basis: Fraction  # this carrier's basis under the key
    whole: Fraction  # all carriers' basis under the key


def _carrier_fractions(
    carriers: Sequence[Member], model: Model, first: date, last: date
) -> dict[int, tuple[Fraction, tuple[_KeyShare, ...]]]:
    """Each carrier's fraction of the residual (they add up to at most 1).

    A key part under which nobody has any basis (no use at all, no areas) is
    carried by no partner, and falls to the host.
    """
    days = {m.membership_id: _active_days(m, first, last) for m in carriers}
    result: dict[int, tuple[Fraction, tuple[_KeyShare, ...]]] = {
        m.membership_id: (Fraction(0), ()) for m in carriers
    }
    for key, percent in model.parts():
        bases = {
            m.membership_id: _key_basis(key, m, days[m.membership_id], model) for m in carriers
        }
        whole = sum(bases.values(), Fraction(0))
        for ident, basis in bases.items():
            fraction, explained = result[ident]
            share = percent * basis / whole if whole else Fraction(0)
            result[ident] = (fraction + share, (*explained, _KeyShare(key, percent, basis, whole)))
    return result


def capped_split(
    total: int, weights: Mapping[K, Fraction], room: Mapping[K, int | None]
) -> tuple[dict[K, int], int, set[K]]:
    """Split ``total`` by weights, never giving a key more than its room.

    Water-filling: whoever would get more than their room gets exactly that
    and leaves the split; the rest is split again among the others. Returns
    the parts, what nobody could take, and the keys that hit their cap.
    """
    parts = dict.fromkeys(weights, 0)
    open_keys = {k for k, w in weights.items() if w > 0}
    capped: set[K] = set()
    remaining = total
    while remaining > 0 and open_keys:
        trial = largest_remainder(remaining, {k: weights[k] for k in open_keys})
        full = {k for k in open_keys if (r := room[k]) is not None and trial[k] > r}
        if not full:
            for k in open_keys:
                parts[k] += trial[k]
            return parts, 0, capped
        for k in full:
            limit = room[k] or 0
            parts[k] += limit
            remaining -= limit
        capped |= full
        open_keys -= full
    return parts, max(remaining, 0), capped


def allocate(inputs: Inputs) -> Allocation:
    """Run the financing model for one hub and one period."""
    first, last, model = inputs.first, inputs.last, inputs.model
    if last < first:
        raise ValueError("the period ends before it starts")
    costs = _pool(inputs.costs, first, last)
    funding = _pool(inputs.funding, first, last)
    result = Allocation(first, last, model, costs, funding, shares=[])
    members = sorted(
        (m for m in inputs.members if _active_days(m, first, last)),
        key=lambda m: (m.organization_id, m.membership_id),
    )
    shares: dict[int, Share] = {}

    def add(member: Member, part: Part) -> None:
        share = shares.setdefault(
            member.organization_id, Share(member.organization_id, member.name)
        )
        share.parts.append(part)

    paid: dict[int, int] = {}  # by membership: fixed, overhead and usage charges
    for member in members:
        for part in _fixed_parts(member, first, last):
            add(member, part)
            paid[member.membership_id] = paid.get(member.membership_id, 0) + part.amount_ore
    residual = result.net_cost_ore - sum(paid.values())
    result.residual_ore = residual
    by_id = {m.membership_id: m for m in members}

    if residual > 0:
        _split_residual(residual, members, paid, model, first, last, add, result)
    elif residual < 0:
        result.surplus_ore = -residual
        if model.surplus_policy is SurplusPolicy.REFUND:
            payers = {k: Fraction(v) for k, v in paid.items() if v > 0}
            refundable = min(result.surplus_ore, sum(paid.values()))
            if payers and refundable:
                total_paid = sum(v for v in paid.values() if v > 0)
                for ident, amount in largest_remainder(refundable, payers).items():
                    if amount:
                        basis = Basis(
                            "refund",
                            {
                                "paid_ore": paid[ident],
                                "total_paid_ore": total_paid,
                                "surplus_ore": refundable,
                            },
                        )
                        add(by_id[ident], Part(Component.REFUND, ident, -amount, basis))
                result.refunded_ore = refundable
    result.shares = sorted(shares.values(), key=lambda s: (s.name.casefold(), s.organization_id))
    return result


def _split_residual(
    residual: int,
    members: Sequence[Member],
    paid: Mapping[int, int],
    model: Model,
    first: date,
    last: date,
    add: Callable[[Member, Part], None],
    result: Allocation,
) -> None:
    carriers = [m for m in members if m.kind == "partner" and m.carries_residual]
    fractions = _carrier_fractions(carriers, model, first, last)
    carried_fraction = sum((f for f, _ in fractions.values()), Fraction(0))
    pool = largest_remainder(residual, {"carried": carried_fraction, "rest": 1 - carried_fraction})
    room: dict[int, int | None] = {}
    period_cap: dict[int, int] = {}
    for member in carriers:
        if member.cap_ore is None:
            room[member.membership_id] = None
        else:
            cap, _years = prorate_recurring(
                member.cap_ore, "year", first, last, member.starts_on, member.ends_on
            )
            period_cap[member.membership_id] = cap
            room[member.membership_id] = max(0, cap - paid.get(member.membership_id, 0))
    weights = {ident: f for ident, (f, _) in fractions.items()}
    parts, left, capped = capped_split(pool["carried"], weights, room)
    for member in carriers:
        ident = member.membership_id
        amount = parts.get(ident, 0)
        fraction, keys = fractions[ident]
        if not amount and not fraction:
            continue
        basis = Basis(
            "residual",
            {
                "residual_ore": residual,
                "fraction": fraction,
                "keys": keys,
                # When the cap binds: the cap for the period and what it left.
                "cap_ore": room[ident] if ident in capped else None,
                "period_cap_ore": period_cap.get(ident) if ident in capped else None,
            },
        )
        add(member, Part(Component.RESIDUAL, ident, amount, basis))
    to_host = pool["rest"] + left
    if not to_host:
        return
    hosts = [m for m in members if m.kind == "host"]
    if not hosts:
        result.uncovered_ore = to_host
        return
    host_days = {m.membership_id: _active_days(m, first, last) for m in hosts}
    basis = Basis("host", {"residual_ore": residual, "carried_ore": residual - to_host})
    amounts = largest_remainder(to_host, host_days)
    for host in hosts:
        add(host, Part(Component.HOST, host.membership_id, amounts[host.membership_id], basis))
