"""The allocation engine (hub/finance/allocation.py): plain data in, plain data out.

The property tests state what must hold for any hub and any period; the hand
examples at the end document the engine with figures a reader can check on
paper. Amounts are in øre (1 kr = 100 øre).
"""

from __future__ import annotations

import calendar
import dataclasses
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub.finance.allocation import (
    BASE_KEYS,
    Allocation,
    Component,
    DatedAmount,
    Inputs,
    Key,
    Member,
    Model,
    Part,
    SurplusPolicy,
    Units,
    UseWeights,
    allocate,
    capped_split,
    largest_remainder,
    overlap,
    prorate,
    prorate_recurring,
)

KR = 100  # øre per krone
DAY = timedelta(days=1)
FIXED = (Component.CONTRIBUTION, Component.OVERHEAD, Component.USAGE)

SOME = settings(max_examples=150, deadline=None, database=None)
MANY = settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def month_last(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def year(y: int) -> tuple[date, date]:
    return date(y, 1, 1), date(y, 12, 31)


# --- largest_remainder -------------------------------------------------------------

weight_maps = st.dictionaries(
    st.integers(min_value=-50, max_value=50),
    st.one_of(
        st.integers(min_value=0, max_value=1000),
        st.fractions(min_value=0, max_value=1000, max_denominator=1000),
    ),
    min_size=1,
    max_size=8,
).filter(lambda w: sum(w.values()) > 0)


@SOME
@given(
    total=st.integers(min_value=-(10**12), max_value=10**12), weights=weight_maps, data=st.data()
)
def test_largest_remainder_is_exact_close_and_deterministic(total, weights, data):
    parts = largest_remainder(total, weights)
    assert set(parts) == set(weights)
    assert sum(parts.values()) == total
    whole = sum(Fraction(w) for w in weights.values())
    for k, w in weights.items():
        quota = Fraction(total) * Fraction(w) / whole
        assert abs(parts[k] - quota) < 1
        if w == 0:
            assert parts[k] == 0
    # The same weights inserted in another order give the same split.
    reordered = dict(data.draw(st.permutations(list(weights.items()))))
    assert largest_remainder(total, reordered) == parts
    assert largest_remainder(total, dict(reversed(weights.items()))) == parts
    assert largest_remainder(total, weights) == parts


def test_largest_remainder_tie_breaks():
    # One øre among three equal weights: all remainders are 1/3, all weights
    # equal, so the smallest key gets it (not the first inserted).
    assert largest_remainder(1, {3: 1, 1: 1, 2: 1}) == {3: 0, 1: 1, 2: 0}
    # 100 / 3 = 33 1/3 each: 33 + 33 + 33 = 99, the last øre to the smallest key.
    assert largest_remainder(100, {3: 1, 1: 1, 2: 1}) == {1: 34, 2: 33, 3: 33}
    # 2 øre by 1:3 gives quotas 0.5 and 1.5: equal remainders, so the larger
    # weight (key 2) wins although key 1 is smaller.
    assert largest_remainder(2, {1: 1, 2: 3}) == {1: 0, 2: 2}
    # A negative total is split as its absolute value and negated.
    assert largest_remainder(-100, {3: 1, 1: 1, 2: 1}) == {1: -34, 2: -33, 3: -33}
    assert largest_remainder(0, {1: 0, 2: 0}) == {1: 0, 2: 0}


def test_largest_remainder_rejects_what_cannot_be_split():
    with pytest.raises(ValueError):
        largest_remainder(1, {1: 0, 2: 0})
    with pytest.raises(ValueError):
        largest_remainder(1, {1: 2, 2: -1})


@SOME
@given(
    total=st.integers(min_value=0, max_value=10**10),
    spec=st.dictionaries(
        st.integers(min_value=1, max_value=20),
        st.tuples(
            st.fractions(min_value=0, max_value=10, max_denominator=100),
            st.one_of(st.none(), st.integers(min_value=0, max_value=10**10)),
        ),
        max_size=6,
    ),
)
def test_capped_split_never_exceeds_a_room_and_loses_nothing(total, spec):
    weights = {k: w for k, (w, _room) in spec.items()}
    room = {k: r for k, (_w, r) in spec.items()}
    parts, left, capped = capped_split(total, weights, room)
    assert sum(parts.values()) + left == total
    assert left >= 0
    for k, amount in parts.items():
        assert amount >= 0
        if room[k] is not None:
            assert amount <= room[k]
        if weights[k] == 0:
            assert amount == 0
    for k in capped:
        assert parts[k] == room[k]
    if left:  # only when every key that could take something is full
        assert all(k in capped for k, w in weights.items() if w > 0)
    whole = sum(weights.values(), Fraction(0))
    if whole:  # nobody gets less than its uncapped quota unless its cap binds
        for k, w in weights.items():
            if k not in capped:
                assert parts[k] > total * w / whole - 1


# --- proration ---------------------------------------------------------------------

leap_days = st.sampled_from(
    [date(2024, 2, 29), date(2028, 2, 29), date(2024, 2, 28), date(2028, 3, 1)]
)
range_dates = st.one_of(
    st.dates(min_value=date(2022, 1, 1), max_value=date(2030, 12, 31)), leap_days
)


def split_points(draw: Any, first: date, last: date, count: int) -> list[tuple[date, date]]:
    """Consecutive inclusive periods covering [first, last]."""
    span = (last - first).days
    cuts = draw(
        st.lists(st.integers(min_value=1, max_value=max(span, 1)), max_size=count, unique=True)
    )
    starts = [first] + [first + timedelta(days=c) for c in sorted(cuts) if c <= span]
    ends = [s - DAY for s in starts[1:]] + [last]
    return list(zip(starts, ends, strict=True))


@SOME
@given(
    amount=st.integers(min_value=-(10**11), max_value=10**11),
    a=range_dates,
    b=range_dates,
    margin=st.tuples(st.integers(0, 400), st.integers(0, 400)),
    data=st.data(),
)
def test_prorate_parts_of_consecutive_periods_add_up(amount, a, b, margin, data):
    start, end = min(a, b), max(a, b)
    outer_first, outer_last = start - margin[0] * DAY, end + margin[1] * DAY
    periods = split_points(data.draw, outer_first, outer_last, 12)
    pieces = [prorate(amount, start, end, lo, hi) for lo, hi in periods]
    assert sum(p for p, _d in pieces) == amount
    total_days = (end - start).days + 1
    for part, days in pieces:  # each piece within 1 øre of its exact day share
        assert abs(part - Fraction(amount * days, total_days)) < 1
    assert sum(d for _p, d in pieces) == (end - start).days + 1
    assert prorate(amount, start, end, start, end) == (amount, (end - start).days + 1)
    # A period that misses the range gets nothing.
    assert prorate(amount, start, end, end + DAY, end + 10 * DAY) == (0, 0)


@SOME
@given(
    amount=st.integers(min_value=0, max_value=10**11),
    unit=st.sampled_from(["year", "month"]),
    a=range_dates,
    b=range_dates,
    member_start=range_dates,
    member_end=st.one_of(st.none(), range_dates),
    data=st.data(),
)
def test_prorate_recurring_over_consecutive_periods_adds_up(
    amount, unit, a, b, member_start, member_end, data
):
    first, last = min(a, b), max(a, b)
    whole, units = prorate_recurring(amount, unit, first, last, member_start, member_end)
    periods = split_points(data.draw, first, last, 15)
    pieces = [
        prorate_recurring(amount, unit, lo, hi, member_start, member_end) for lo, hi in periods
    ]
    assert sum(p for p, _u in pieces) == whole
    assert sum((u for _p, u in pieces), Fraction(0)) == units
    # Within 1 øre of the exact figure per calendar year or month touched.
    window = overlap(first, last, member_start, member_end)
    if window is None:
        assert (whole, units) == (0, 0)
    else:
        lo, hi = window
        touched = hi.year - lo.year + 1
        if unit == "month":
            touched = 12 * (hi.year - lo.year) + hi.month - lo.month + 1
        assert units > 0
        assert abs(whole - amount * units) < touched


def test_prorate_recurring_knows_only_years_and_months():
    with pytest.raises(ValueError):
        prorate_recurring(100, "quarter", *year(2025), date(2025, 1, 1), None)


@pytest.mark.parametrize("y", [2023, 2024, 2025, 2028, 2029])
def test_a_yearly_amount_over_its_calendar_year_is_exact(y):
    first, last = year(y)
    amount = 36_500_123
    assert prorate_recurring(amount, "year", first, last, date(y - 1, 5, 17), None) == (
        amount,
        Fraction(1),
    )
    # Twelve monthly statements give the yearly figure (leap years too).
    monthly = [
        prorate_recurring(amount, "year", date(y, m, 1), month_last(date(y, m, 1)), first, None)[0]
        for m in range(1, 13)
    ]
    assert sum(monthly) == amount
    days = 366 if calendar.isleap(y) else 365
    assert prorate(amount, first, last, first, last) == (amount, days)


@SOME
@given(
    amount=st.integers(min_value=0, max_value=10**9),
    y=st.integers(min_value=2023, max_value=2029),
    m=st.integers(min_value=1, max_value=12),
)
def test_a_monthly_amount_over_a_whole_month_is_exact(amount, y, m):
    first = date(y, m, 1)
    last = month_last(first)
    assert prorate_recurring(amount, "month", first, last, first, last) == (amount, Fraction(1))
    assert prorate_recurring(amount, "month", first, last, date(2020, 1, 1), None)[0] == amount
    # A quarter is three monthly amounts.
    q_first = date(y, 3 * ((m - 1) // 3) + 1, 1)
    q_last = month_last(date(y, q_first.month + 2, 1))
    assert prorate_recurring(amount, "month", q_first, q_last, q_first, None) == (
        3 * amount,
        Fraction(3),
    )


def test_a_membership_starting_mid_year_is_prorated_by_day():
    amount = 36_500_000  # NOK 365 000 a year
    # 2025 has 365 days; 1 July - 31 December is 184 of them: exactly 184 x 1 000 kr.
    assert prorate_recurring(amount, "year", *year(2025), date(2025, 7, 1), None) == (
        18_400_000,
        Fraction(184, 365),
    )
    # 2024 has 366: 36 500 000 x 184 / 366 = 18 349 726.78, rounded to 18 349 727.
    part, units = prorate_recurring(amount, "year", *year(2024), date(2024, 7, 1), None)
    assert units == Fraction(184, 366)
    assert part == round(Fraction(amount * 184, 366)) == 18_349_727
    # Ending mid-year: 1 January - 30 June 2025 is 181 days; both halves add up.
    first_half, _ = prorate_recurring(
        amount, "year", *year(2025), date(2024, 1, 1), date(2025, 6, 30)
    )
    assert first_half == 18_100_000
    assert first_half + 18_400_000 == amount
    # Starting on the leap day 2028: 29 Feb - 31 Dec is 307 of 366 days.
    part, units = prorate_recurring(amount, "year", *year(2028), date(2028, 2, 29), None)
    assert units == Fraction(307, 366)
    assert part == round(Fraction(amount * 307, 366))
    # A monthly overhead from 16 February 2024 (leap): 14 of 29 days.
    part, units = prorate_recurring(
        2_900_000, "month", date(2024, 2, 1), date(2024, 2, 29), date(2024, 2, 16), None
    )
    assert (part, units) == (1_400_000, Fraction(14, 29))


# --- allocate: random hubs ------------------------------------------------------------

D_MIN, D_MAX = date(2023, 1, 1), date(2029, 12, 31)
KINDS = ("partner", "partner", "partner", "project", "guest", "host", "host")
GRAINS = st.sampled_from(["month", "quarter", "year", "free"])
YEARS = st.integers(min_value=2023, max_value=2029)
QUARTER_INDEX = st.integers(min_value=0, max_value=3)
MONTHS = st.integers(min_value=1, max_value=12)
PERIOD_OFFSETS = st.integers(min_value=0, max_value=(D_MAX - D_MIN).days)
PERIOD_LENGTHS = st.integers(min_value=0, max_value=400)


@st.composite
def periods_st(draw: Any) -> tuple[date, date]:
    """A month, quarter or year in 2023-2029, or any range of up to 401 days."""
    grain = draw(GRAINS)
    y = draw(YEARS)
    if grain == "year":
        return year(y)
    if grain == "quarter":
        q = draw(QUARTER_INDEX)
        first = date(y, 3 * q + 1, 1)
        return first, month_last(date(y, 3 * q + 3, 1))
    if grain == "month":
        first = date(y, draw(MONTHS), 1)
        return first, month_last(first)
    first = D_MIN + draw(PERIOD_OFFSETS) * DAY
    return first, min(D_MAX, first + draw(PERIOD_LENGTHS) * DAY)


# Strategies are built once here: building them inside a draw makes hypothesis
# validate them again on every example, which dominates the run time.
PICK = st.integers(min_value=0, max_value=1000)


def between(draw: Any, lo: date, hi: date) -> date:
    """A date in [lo, hi], drawn as a per mille of the span (cheap to draw)."""
    return lo + (hi - lo).days * draw(PICK) // 1000 * DAY


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), strategy)


ITEM_IDENTS = st.integers(min_value=1, max_value=99)
COST_AMOUNTS = st.one_of(  # mostly large: a hub's cost is seldom tiny
    st.integers(min_value=100_000_000, max_value=10_000_000_000),
    st.integers(min_value=0, max_value=10_000_000_000),
)
FUNDING_AMOUNTS = st.integers(min_value=0, max_value=600_000_000)
COST_COUNTS = st.integers(min_value=0, max_value=4)
FUNDING_COUNTS = st.integers(min_value=0, max_value=2)
MEMBER_COUNTS = st.integers(min_value=0, max_value=8)
MEMBER_IDS = st.integers(min_value=1, max_value=500)
ORG_IDS = st.integers(min_value=1, max_value=5)
KIND_ST = st.sampled_from(KINDS)
CARRIES = st.sampled_from([True, True, True, False])
BOOLS = st.booleans()
YEARLY = maybe(st.integers(min_value=0, max_value=100_000_000))
WEIGHTS = maybe(st.integers(min_value=0, max_value=40).map(lambda n: Decimal(n) / 4))
CAPS = maybe(st.integers(min_value=0, max_value=400_000_000))
MONTHLY = maybe(st.integers(min_value=0, max_value=5_000_000))
RATES = maybe(st.integers(min_value=0, max_value=50_000))
AREAS = maybe(st.integers(min_value=0, max_value=400).map(Decimal))
HALVES = st.integers(min_value=0, max_value=800).map(lambda n: Decimal(n) / 2)
HUNDREDTHS = st.integers(min_value=0, max_value=60_000).map(lambda n: Decimal(n) / 100)
UNITS = st.one_of(
    st.just(Units()),
    st.builds(Units, desk_days=HALVES, cell_days=HALVES, room_hours=HUNDREDTHS),
)


def draw_items(draw: Any, first: date, last: date, amounts: Any) -> list[DatedAmount]:
    """Items whose inclusive ranges overlap [first, last]."""
    items = []
    for _ in range(draw(COST_COUNTS if amounts is COST_AMOUNTS else FUNDING_COUNTS)):
        start = between(draw, first - 800 * DAY, last)
        end = between(draw, max(start, first), last + 800 * DAY)
        items.append(DatedAmount(draw(ITEM_IDENTS), "item", draw(amounts), start, end))
    return items


def draw_members(draw: Any, first: date, last: date) -> list[Member]:
    count = draw(MEMBER_COUNTS)
    ids = draw(st.lists(MEMBER_IDS, min_size=count, max_size=count, unique=True))
    result = []
    for ident in ids:
        kind = draw(KIND_ST)
        if draw(BOOLS):  # a member since long before the period
            start = first - 400 * DAY
        else:  # or from any day around it (some are not active at all)
            start = between(draw, first - 400 * DAY, last + 10 * DAY)
        end = between(draw, start, last + 400 * DAY) if draw(BOOLS) else None
        org = draw(ORG_IDS)
        result.append(
            Member(
                membership_id=ident,
                organization_id=org,
                name=f"Org {org}",
                kind=kind,
                starts_on=start,
                ends_on=end,
                yearly_amount_ore=draw(YEARLY),
                weight=draw(WEIGHTS),
                carries_residual=draw(CARRIES),
                cap_ore=draw(CAPS),
                monthly_overhead_ore=draw(MONTHLY),
                desk_day_rate_ore=draw(RATES),
                cell_day_rate_ore=draw(RATES),
                room_hour_rate_ore=draw(RATES),
                dedicated_area_m2=draw(AREAS),
                usage=draw(UNITS),
            )
        )
    return result


KEYS = st.sampled_from(list(Key))
BLEND_KEYS = st.lists(st.sampled_from(BASE_KEYS), min_size=1, max_size=4)
PERCENT_CUT = st.integers(min_value=0, max_value=10_000)  # hundredths of a percent
QUARTERS = st.integers(min_value=0, max_value=8).map(lambda n: Decimal(n) / 4)
USE_WEIGHTS = st.one_of(st.just(UseWeights()), st.builds(UseWeights, QUARTERS, QUARTERS, QUARTERS))
POLICIES = st.sampled_from(list(SurplusPolicy))


def draw_model(draw: Any) -> Model:
    key = draw(KEYS)
    blend: tuple[tuple[Key, Decimal], ...] = ()
    if key is Key.BLEND:
        keys = draw(BLEND_KEYS)
        cuts = sorted(draw(PERCENT_CUT) for _ in keys[1:])
        bounds = [0, *cuts, 10_000]
        blend = tuple(
            (k, Decimal(hi - lo) / 100) for k, lo, hi in zip(keys, bounds, bounds[1:], strict=False)
        )
        assert sum(p for _k, p in blend) == 100
    return Model(key=key, blend=blend, use_weights=draw(USE_WEIGHTS), surplus_policy=draw(POLICIES))


@st.composite
def inputs_st(draw: Any) -> Inputs:
    first, last = draw(periods_st())
    return Inputs(
        first=first,
        last=last,
        costs=draw_items(draw, first, last, COST_AMOUNTS),
        funding=draw_items(draw, first, last, FUNDING_AMOUNTS),
        members=draw_members(draw, first, last),
        model=draw_model(draw),
    )


def all_parts(result: Allocation) -> list[Part]:
    return [p for s in result.shares for p in s.parts]


def sum_parts(parts: Iterable[Part], ident: int, components: Iterable[Component]) -> int:
    wanted = set(components)
    return sum(p.amount_ore for p in parts if p.membership_id == ident and p.component in wanted)


def active(member: Member, first: date, last: date) -> bool:
    return member.starts_on <= last and (member.ends_on is None or member.ends_on >= first)


def carriers_of(inputs: Inputs) -> list[Member]:
    return [
        m
        for m in inputs.members
        if m.kind == "partner" and m.carries_residual and active(m, inputs.first, inputs.last)
    ]


def canonical(result: Allocation) -> tuple[Any, ...]:
    return dataclasses.astuple(result)


@MANY
@given(inputs=inputs_st())
def test_allocate_conserves_the_net_cost(inputs):
    result = allocate(inputs)
    kept = result.kept_surplus_ore
    # charged = fixed + residual parts + host - refunds, and the residual parts,
    # the host and what is uncovered add up to the residual, so in every case:
    assert result.charged_ore + result.uncovered_ore - kept == result.net_cost_ore
    assert result.charged_ore == sum(p.amount_ore for p in all_parts(result))
    assert result.surplus_ore == max(0, -result.residual_ore)
    assert 0 <= result.refunded_ore <= result.surplus_ore
    assert result.uncovered_ore >= 0
    fixed = sum(p.amount_ore for p in all_parts(result) if p.component in FIXED)
    assert result.residual_ore == result.net_cost_ore - fixed
    hosts = [m for m in inputs.members if m.kind == "host" and active(m, inputs.first, inputs.last)]
    if hosts:
        assert result.uncovered_ore == 0
        if result.net_cost_ore > 0:
            assert result.charged_ore == result.net_cost_ore + kept
    # The pool lines are each item prorated by day to the period.
    for items, lines in ((inputs.costs, result.costs), (inputs.funding, result.funding)):
        expected = sum(
            prorate(i.amount_ore, i.starts_on, i.ends_on, inputs.first, inputs.last)[0]
            for i in items
        )
        assert sum(line.amount_ore for line in lines) == expected


@MANY
@given(inputs=inputs_st(), data=st.data())
def test_allocate_is_deterministic(inputs, data):
    result = allocate(inputs)
    assert canonical(allocate(inputs)) == canonical(result)
    shuffled = data.draw(st.permutations(list(inputs.members)))
    again = allocate(dataclasses.replace(inputs, members=tuple(shuffled)))
    assert canonical(again) == canonical(result)
    assert again == result


@MANY
@given(inputs=inputs_st())
def test_allocate_respects_caps_and_signs(inputs):
    result = allocate(inputs)
    parts = all_parts(result)
    first, last = inputs.first, inputs.last
    for part in parts:
        if part.component is Component.REFUND:
            assert part.amount_ore < 0
        else:
            assert part.amount_ore >= 0
    refunds = [p for p in parts if p.component is Component.REFUND]
    if inputs.model.surplus_policy is not SurplusPolicy.REFUND or result.surplus_ore == 0:
        assert not refunds
        assert result.refunded_ore == 0
    assert -sum(p.amount_ore for p in refunds) == result.refunded_ore
    by_id = {m.membership_id: m for m in inputs.members}
    for part in refunds:  # nobody gets back more than it paid
        assert by_id[part.membership_id].kind != "host"
        assert -part.amount_ore <= sum_parts(parts, part.membership_id, FIXED)

    carriers = carriers_of(inputs)
    for member in carriers:
        fixed = sum_parts(parts, member.membership_id, FIXED)
        residual = sum_parts(parts, member.membership_id, [Component.RESIDUAL])
        if member.cap_ore is None:
            continue
        cap, _years = prorate_recurring(
            member.cap_ore, "year", first, last, member.starts_on, member.ends_on
        )
        if fixed >= cap:
            assert residual == 0
        else:
            assert fixed + residual <= cap
    # Only carriers get a residual part, only hosts the host part.
    carrier_ids = {m.membership_id for m in carriers}
    for part in parts:
        if part.component is Component.RESIDUAL:
            assert part.membership_id in carrier_ids
        if part.component is Component.HOST:
            assert by_id[part.membership_id].kind == "host"

    if result.residual_ore <= 0:
        assert not [p for p in parts if p.component in (Component.RESIDUAL, Component.HOST)]
        return
    # The carriers' fractions, as each residual part explains them.
    residual_parts = [p for p in parts if p.component is Component.RESIDUAL]
    fractions = {p.membership_id: p.basis.values["fraction"] for p in residual_parts}
    carried_fraction = sum(fractions.values(), Fraction(0))
    assert 0 <= carried_fraction <= 1
    pool = largest_remainder(
        result.residual_ore, {"carried": carried_fraction, "rest": 1 - carried_fraction}
    )
    carried = sum(p.amount_ore for p in residual_parts)
    to_host = sum(p.amount_ore for p in parts if p.component is Component.HOST)
    assert carried + to_host + result.uncovered_ore == result.residual_ore
    assert carried <= pool["carried"]
    bound = {p.membership_id for p in residual_parts if p.basis.values["cap_ore"] is not None}
    for p in residual_parts:
        if p.membership_id in bound:  # a binding cap: exactly the room left under it
            assert p.amount_ore == p.basis.values["cap_ore"]
        elif fractions[p.membership_id]:  # excess from others' caps only adds
            quota = pool["carried"] * fractions[p.membership_id] / carried_fraction
            assert p.amount_ore > quota - 1
    uncapped = [m for m in carriers if m.cap_ore is None and fractions.get(m.membership_id)]
    if uncapped:
        # Whatever a capped carrier could not take went to the other carriers;
        # the host only gets the part of the residual no carrier has a key for.
        assert carried == pool["carried"]
        assert to_host + result.uncovered_ore == pool["rest"]


@MANY
@given(inputs=inputs_st())
def test_use_key_gives_nothing_to_carriers_without_use(inputs):
    inputs = dataclasses.replace(inputs, model=dataclasses.replace(inputs.model, key=Key.USE))
    result = allocate(inputs)
    parts = all_parts(result)
    weights = inputs.model.use_weights
    for member in carriers_of(inputs):
        residual = sum_parts(parts, member.membership_id, [Component.RESIDUAL])
        if weights.units(member.usage) == 0:
            assert residual == 0


@SOME
@given(
    period=periods_st(),
    residual=st.integers(min_value=1, max_value=10**10),
    full_partners=st.integers(min_value=1, max_value=4),
    from_start=st.booleans(),
)
def test_equal_key_prorates_a_carrier_by_its_days(period, residual, full_partners, from_start):
    first, last = period
    days = (last - first).days + 1
    if days % 2:  # make the period an even number of days
        last -= DAY
        days -= 1
    if days < 2:
        return
    half = days // 2
    if from_start:  # active the first half only
        start, end = first, first + (half - 1) * DAY
    else:  # joins halfway
        start, end = first + half * DAY, None
    partners = [
        Member(i, i, f"P{i}", "partner", first - 30 * DAY, carries_residual=True)
        for i in range(1, full_partners + 1)
    ]
    late = Member(99, 99, "Late", "partner", start, end, carries_residual=True)
    inputs = Inputs(
        first,
        last,
        costs=[DatedAmount(1, "rent", residual, first, last)],
        members=[*partners, late],
    )
    result = allocate(inputs)
    full = result.share_of(1)
    part = result.share_of(99)
    assert full is not None and part is not None
    assert abs(Fraction(part.amount_ore) - Fraction(full.amount_ore, 2)) <= 1
    assert part.parts[0].basis.values["fraction"] == Fraction(1, 2 * full_partners + 1)
    assert result.charged_ore == residual
    assert result.uncovered_ore == 0


@settings(max_examples=60, deadline=None, database=None)
@given(
    y=st.integers(min_value=2023, max_value=2029),
    inputs=inputs_st(),
)
def test_fixed_parts_and_pool_of_twelve_months_give_the_year(y, inputs):
    first, last = year(y)
    shifted = dataclasses.replace(inputs, first=first, last=last)
    yearly = allocate(shifted)
    months = [
        allocate(dataclasses.replace(shifted, first=date(y, m, 1), last=month_last(date(y, m, 1))))
        for m in range(1, 13)
    ]
    assert sum(r.cost_ore for r in months) == yearly.cost_ore
    assert sum(r.funding_ore for r in months) == yearly.funding_ore
    for component in (Component.CONTRIBUTION, Component.OVERHEAD):
        for member in inputs.members:
            in_months = sum(
                sum_parts(all_parts(r), member.membership_id, [component]) for r in months
            )
            assert in_months == sum_parts(all_parts(yearly), member.membership_id, [component])


# --- allocate: hand-checked examples --------------------------------------------------


def partner(ident: int, name: str, **terms: Any) -> Member:
    terms.setdefault("carries_residual", True)
    return Member(ident, ident, name, "partner", date(2020, 1, 1), **terms)


def host(ident: int = 9) -> Member:
    return Member(ident, ident, "Kommunen", "host", date(2020, 1, 1))


def rent_2025(amount_ore: int) -> list[DatedAmount]:
    return [DatedAmount(1, "Husleie", amount_ore, *year(2025))]


def amounts(result: Allocation) -> dict[str, int]:
    return {s.name: s.amount_ore for s in result.shares}


def test_residual_split_by_use():
    """148 000 kr by use among three carriers with 312, 500 and 392 desk-days.

    1 204 desk-days in all (desk-day weight 1):
      A: 14 800 000 x 312/1204 = 3 835 215.95
      B: 14 800 000 x 500/1204 = 6 146 179.40
      C: 14 800 000 x 392/1204 = 4 818 604.65
    The floors add up to 14 799 998; the 2 øre left go to the largest
    remainders, A (.95) and C (.65): 3 835 216, 6 146 179, 4 818 605.
    """
    members = [
        partner(1, "A", usage=Units(desk_days=Decimal(312))),
        partner(2, "B", usage=Units(desk_days=Decimal(500))),
        partner(3, "C", usage=Units(desk_days=Decimal(392))),
        host(),
    ]
    result = allocate(
        Inputs(*year(2025), costs=rent_2025(148_000 * KR), members=members, model=Model(Key.USE))
    )
    assert amounts(result) == {"A": 3_835_216, "B": 6_146_179, "C": 4_818_605}
    assert result.residual_ore == 14_800_000
    part = result.share_of(1).parts[0]  # type: ignore[union-attr]
    assert part.component is Component.RESIDUAL
    assert part.basis.code == "residual"
    assert part.basis.values["fraction"] == Fraction(312, 1204)
    assert part.basis.values["cap_ore"] is None
    (key_share,) = part.basis.values["keys"]
    assert (key_share.key, key_share.percent) == (Key.USE, 1)
    assert (key_share.basis, key_share.whole) == (312, 1204)


def test_residual_split_by_a_blend_of_equal_and_use():
    """100 000 kr, 50 % equal and 50 % by use; A used 300 desk-days, B 100.

    Equal half: 50 000 kr, 25 000 kr each.
    Use half: 50 000 kr x 300/400 = 37 500 kr for A, 12 500 kr for B.
    A: 62 500 kr (fraction 1/4 + 3/8 = 5/8), B: 37 500 kr (3/8).
    """
    model = Model(Key.BLEND, blend=((Key.EQUAL, Decimal(50)), (Key.USE, Decimal(50))))
    members = [
        partner(1, "A", usage=Units(desk_days=Decimal(300))),
        partner(2, "B", usage=Units(desk_days=Decimal(100))),
    ]
    result = allocate(
        Inputs(*year(2025), costs=rent_2025(100_000 * KR), members=members, model=model)
    )
    assert amounts(result) == {"A": 62_500 * KR, "B": 37_500 * KR}
    values = result.share_of(1).parts[0].basis.values  # type: ignore[union-attr]
    assert values["fraction"] == Fraction(5, 8)
    assert [(k.key, k.percent, k.basis, k.whole) for k in values["keys"]] == [
        (Key.EQUAL, Fraction(1, 2), 365, 730),  # equal: active days
        (Key.USE, Fraction(1, 2), 300, 400),
    ]
    assert result.uncovered_ore == 0


def test_a_cap_sends_the_excess_to_the_other_carriers():
    """300 000 kr, equal key, three carriers; A is capped at 50 000 kr a year.

    Uncapped, each would carry 100 000 kr. A takes 50 000 kr (its cap for a
    full year) and the other 250 000 kr are split equally: 125 000 kr each.
    """
    members = [partner(1, "A", cap_ore=50_000 * KR), partner(2, "B"), partner(3, "C"), host()]
    result = allocate(Inputs(*year(2025), costs=rent_2025(300_000 * KR), members=members))
    assert amounts(result) == {"A": 50_000 * KR, "B": 125_000 * KR, "C": 125_000 * KR}
    assert result.share_of(9) is None  # the host carries nothing
    values = result.share_of(1).parts[0].basis.values  # type: ignore[union-attr]
    assert values["cap_ore"] == 50_000 * KR
    assert values["fraction"] == Fraction(1, 3)


def test_a_cap_counts_what_the_partner_already_pays():
    """Same hub, but A also pays a yearly 20 000 kr: the cap covers everything A
    pays, so A carries 30 000 kr of the residual of 280 000 kr, B and C 125 000 kr."""
    members = [
        partner(1, "A", cap_ore=50_000 * KR, yearly_amount_ore=20_000 * KR),
        partner(2, "B"),
        partner(3, "C"),
    ]
    result = allocate(Inputs(*year(2025), costs=rent_2025(300_000 * KR), members=members))
    assert result.residual_ore == 280_000 * KR
    assert amounts(result) == {"A": 50_000 * KR, "B": 125_000 * KR, "C": 125_000 * KR}


def test_a_cap_for_half_a_year():
    """A joins on 1 July 2025 (184 of 365 days) with a cap of 50 000 kr a year.

    Equal key by active days: 365 + 365 + 184 = 914 days; A's quota of 300 000 kr
    would be 60 393.87 kr, above its cap for the period, 50 000 x 184/365 =
    25 205.48 kr -> 2 520 548 øre. B and C split the rest: 13 739 726 each.
    """
    late = Member(1, 1, "A", "partner", date(2025, 7, 1), carries_residual=True, cap_ore=5_000_000)
    members = [late, partner(2, "B"), partner(3, "C"), host()]
    result = allocate(Inputs(*year(2025), costs=rent_2025(300_000 * KR), members=members))
    assert amounts(result) == {"A": 2_520_548, "B": 13_739_726, "C": 13_739_726}


@pytest.mark.parametrize("with_host", [True, False])
def test_what_no_capped_carrier_can_take_falls_to_the_host(with_host):
    """300 000 kr, equal key, A and B both capped at 50 000 kr a year: they
    carry 100 000 kr; the other 200 000 kr fall to the host, or stay uncovered
    when the hub has none."""
    members = [partner(1, "A", cap_ore=50_000 * KR), partner(2, "B", cap_ore=50_000 * KR)]
    if with_host:
        members.append(host())
    result = allocate(Inputs(*year(2025), costs=rent_2025(300_000 * KR), members=members))
    expected = {"A": 50_000 * KR, "B": 50_000 * KR}
    if with_host:
        expected["Kommunen"] = 200_000 * KR
        (part,) = result.share_of(9).parts  # type: ignore[union-attr]
        assert part.component is Component.HOST
        assert part.basis.values == {"residual_ore": 300_000 * KR, "carried_ore": 100_000 * KR}
        assert result.uncovered_ore == 0
    else:
        assert result.uncovered_ore == 200_000 * KR
    assert amounts(result) == expected


def test_a_use_key_without_any_use_falls_to_the_host():
    members = [partner(1, "A"), partner(2, "B"), host()]
    result = allocate(
        Inputs(*year(2025), costs=rent_2025(1_000 * KR), members=members, model=Model(Key.USE))
    )
    assert amounts(result) == {"Kommunen": 1_000 * KR}  # no residual parts of 0 for A, B


SURPLUS_MEMBERS = [
    partner(1, "A", yearly_amount_ore=80_000 * KR),
    partner(2, "B", yearly_amount_ore=40_000 * KR),
    host(),
]


def test_a_surplus_is_refunded_pro_rata_to_what_was_paid():
    """Net cost 100 000 kr; A pays 80 000 kr and B 40 000 kr a year: a surplus of
    20 000 kr. Refunded 2:1: A 1 333 333.33 øre, B 666 666.67 øre; the floors
    leave 1 øre, which goes to B's larger remainder (.67)."""
    model = Model(surplus_policy=SurplusPolicy.REFUND)
    inputs = Inputs(
        *year(2025), costs=rent_2025(100_000 * KR), members=SURPLUS_MEMBERS, model=model
    )
    result = allocate(inputs)
    assert (result.residual_ore, result.surplus_ore) == (-20_000 * KR, 20_000 * KR)
    assert result.refunded_ore == 20_000 * KR
    assert result.kept_surplus_ore == 0
    refunds = {
        p.membership_id: p.amount_ore for p in all_parts(result) if p.component is Component.REFUND
    }
    assert refunds == {1: -1_333_333, 2: -666_667}
    assert amounts(result) == {"A": 6_666_667, "B": 3_333_333}
    assert result.charged_ore == result.net_cost_ore
    basis = next(p for p in result.share_of(1).parts if p.component is Component.REFUND).basis  # type: ignore[union-attr]
    assert basis.values == {
        "paid_ore": 80_000 * KR,
        "total_paid_ore": 120_000 * KR,
        "surplus_ore": 20_000 * KR,
    }


def test_a_refund_is_never_more_than_was_paid():
    """Funding beyond the cost: a surplus of 150 000 kr but only 120 000 kr paid;
    everything paid comes back, the other 30 000 kr stay with the hub."""
    model = Model(surplus_policy=SurplusPolicy.REFUND)
    inputs = Inputs(
        *year(2025),
        costs=rent_2025(100_000 * KR),
        funding=[DatedAmount(2, "Tilskudd", 130_000 * KR, *year(2025))],
        members=SURPLUS_MEMBERS,
        model=model,
    )
    result = allocate(inputs)
    assert result.surplus_ore == 150_000 * KR
    assert result.refunded_ore == 120_000 * KR
    assert result.kept_surplus_ore == 30_000 * KR
    assert amounts(result) == {"A": 0, "B": 0}


@pytest.mark.parametrize("policy", [SurplusPolicy.CARRY_FORWARD, SurplusPolicy.RESERVE])
def test_a_kept_surplus_leaves_the_shares_alone(policy):
    inputs = Inputs(
        *year(2025),
        costs=rent_2025(100_000 * KR),
        members=SURPLUS_MEMBERS,
        model=Model(surplus_policy=policy),
    )
    result = allocate(inputs)
    assert amounts(result) == {"A": 80_000 * KR, "B": 40_000 * KR}
    assert result.surplus_ore == result.kept_surplus_ore == 20_000 * KR
    assert result.refunded_ore == 0
    assert not [p for p in all_parts(result) if p.component is Component.REFUND]


def test_a_guest_pays_unit_rates():
    """10.5 desk-days x 150 kr + 7 room-hours x 200 kr = 1 575 + 1 400 = 2 975 kr.
    Cell-days have no rate here, so they are not charged."""
    guest = Member(
        5,
        5,
        "Gjest AS",
        "guest",
        date(2025, 1, 1),
        desk_day_rate_ore=150 * KR,
        room_hour_rate_ore=200 * KR,
        usage=Units(desk_days=Decimal("10.5"), cell_days=Decimal(3), room_hours=Decimal(7)),
    )
    result = allocate(Inputs(*year(2025), costs=rent_2025(10_000 * KR), members=[guest, host()]))
    (part,) = result.share_of(5).parts  # type: ignore[union-attr]
    assert part.component is Component.USAGE
    assert part.amount_ore == 2_975 * KR
    assert part.basis.values["lines"] == (
        ("desk_days", Decimal("10.5"), 150 * KR),
        ("room_hours", Decimal(7), 200 * KR),
    )
    # The host carries the rest of the 10 000 kr.
    assert amounts(result) == {"Gjest AS": 2_975 * KR, "Kommunen": 7_025 * KR}


def test_a_project_pays_overhead_by_the_month_and_partners_by_the_year():
    """Q1 2024 (leap): a partner's 365 000 kr a year for 91 of 366 days is
    9 075 136.61 øre, rounded 9 075 137; a project's 5 000 kr a month from
    15 February is January none, February 15/29, March whole: 12 586.21 kr."""
    members = [
        partner(1, "P", yearly_amount_ore=36_500_000, carries_residual=False),
        Member(2, 2, "Prosjekt", "project", date(2024, 2, 15), monthly_overhead_ore=500_000),
        host(),
    ]
    result = allocate(
        Inputs(
            date(2024, 1, 1),
            date(2024, 3, 31),
            costs=[DatedAmount(1, "Husleie", 120_000_000, *year(2024))],
            members=members,
        )
    )
    assert amounts(result)["P"] == 9_075_137 == round(Fraction(36_500_000 * 91, 366))
    assert amounts(result)["Prosjekt"] == 758_621  # 258 620.69 rounded, + 500 000
    assert result.cost_ore == round(Fraction(120_000_000 * 91, 366))
    assert result.charged_ore == result.cost_ore
