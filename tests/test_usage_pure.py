"""Pure usage rules: units per booking, report periods, partner privacy, chart geometry."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.usage import charts, periods, privacy, units

START = datetime(2030, 1, 7, 7, tzinfo=UTC)  # Monday 08:00 in Oslo


def state(**changes: object) -> units.BookingState:
    values: dict[str, object] = {
        "hub_id": 1,
        "space_id": 2,
        "organization_id": 3,
        "user_id": 4,
        "kind": "desk",
        "status": "confirmed",
        "starts_at": START,
        "ends_at": START + timedelta(hours=8),
        "checked_in": False,
        "timezone": "Europe/Oslo",
        "open_span": timedelta(hours=8),
    }
    return units.BookingState(**(values | changes))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, [1, 2, 480, 0, 0, 0]),
        ({"checked_in": True}, [1, 2, 480, 2, 480, 0]),
        ({"ends_at": START + timedelta(hours=4)}, [1, 1, 240, 0, 0, 0]),
        ({"status": "released"}, [1, 2, 480, 0, 0, 1]),
        ({"kind": "meeting_room", "checked_in": True}, [1, 0, 480, 0, 480, 0]),
        ({"open_span": None}, [1, 2, 480, 0, 0, 0]),  # booked on a closed day: a whole day
    ],
)
def test_what_one_booking_counts(changes, expected):
    facts = units.booking_facts(state(**changes))
    assert list(facts.days.values()) == [expected]


@pytest.mark.parametrize("status", ["pending", "cancelled", "declined"])
def test_bookings_that_never_held_a_place_count_nowhere(status):
    assert not units.booking_facts(state(status=status))


def test_a_change_is_after_minus_before_and_nothing_when_equal():
    before, after = state(), state(checked_in=True)
    delta = units.change(before, after)
    assert list(delta.days.values()) == [[0, 0, 0, 2, 480, 0]]
    assert not delta.presence  # present before and after
    assert not units.change(before, before)
    cancelled = units.change(before, state(status="cancelled"))
    assert list(cancelled.presence.values()) == [-1]


@given(
    start_minute=st.integers(min_value=0, max_value=60 * 24 * 400),
    length=st.integers(min_value=1, max_value=60 * 30),
)
def test_hour_slices_cover_every_minute_once(start_minute, length):
    starts_at = datetime(2029, 10, 1, tzinfo=UTC) + timedelta(minutes=start_minute)
    ends_at = starts_at + timedelta(minutes=length)
    slices = list(units.hour_slices(starts_at, ends_at, "Europe/Oslo"))
    assert sum(m for _d, _h, m in slices) == length
    assert all(0 < m <= 60 and 0 <= h <= 23 for _d, h, m in slices)


@pytest.mark.parametrize(
    ("text", "grain", "first", "last"),
    [
        ("2026", "year", date(2026, 1, 1), date(2026, 11, 24)),  # year to date
        ("2025", "year", date(2025, 1, 1), date(2025, 12, 31)),
        ("2026-02", "month", date(2026, 2, 1), date(2026, 2, 28)),
        ("2024-02", "month", date(2024, 2, 1), date(2024, 2, 29)),
        ("2026-W01", "week", date(2025, 12, 29), date(2026, 1, 4)),
        ("2026-03-14", "day", date(2026, 3, 14), date(2026, 3, 14)),
        ("", "year", date(2026, 1, 1), date(2026, 11, 24)),
    ],
)
def test_periods_from_their_names(text, grain, first, last):
    period = periods.parse(text, today=date(2026, 11, 24))
    assert period is not None
    assert (period.grain, period.first, period.last) == (grain, first, last)


@pytest.mark.parametrize("text", ["2026-13", "2026-W54", "2026-02-30", "last year", "1899"])
def test_not_a_period(text):
    assert periods.parse(text, today=date(2026, 11, 24)) is None


def test_drilling_down_and_back_up():
    today = date(2026, 11, 24)
    year = periods.parse("2026", today)
    assert year is not None
    months = periods.children(year)
    assert [m.key for m in months][-1] == "2026-11"  # nothing after today
    weeks = periods.children(periods.month(2026, 3))
    assert weeks[0].key == "2026-W09" and weeks[-1].key == "2026-W14"
    days = periods.children(periods.week(2026, 12))
    assert len(days) == 7
    assert periods.parent(days[0]) == periods.week(2026, 12)
    assert periods.parent(periods.week(2026, 1)) == periods.month(2026, 1)  # its Thursday
    before, after = periods.neighbours(periods.month(2026, 1), today)
    assert (before.key, after.key) == ("2025-12", "2026-02")


# --- privacy ------------------------------------------------------------------------------


def groups(sizes: list[int]) -> list[privacy.Group[int]]:
    return [privacy.Group(key, people, key) for key, people in enumerate(sizes)]


def test_small_agencies_are_merged_until_the_group_is_large_enough():
    view = privacy.partner_view(groups([9, 2, 1, 7, 30]), own_keys={0}, min_size=5)
    assert [g.key for g in view.own] == [0]
    # 2 + 1 < 5, so the smallest large agency (7) joins them.
    assert sorted(g.key for g in view.merged) == [1, 2, 3]
    assert [g.key for g in view.visible] == [4]
    assert view.merged_visible and view.totals_visible


def test_totals_are_hidden_when_they_would_reveal_a_small_group():
    view = privacy.partner_view(groups([40, 3]), own_keys={0}, min_size=5)
    assert not view.merged_visible and not view.totals_visible
    alone = privacy.partner_view(groups([40]), own_keys={0}, min_size=5)
    assert alone.totals_visible  # only their own figures are in the totals


@given(
    sizes=st.lists(st.integers(min_value=0, max_value=12), min_size=1, max_size=12),
    own=st.integers(min_value=0, max_value=11),
    min_size=st.integers(min_value=1, max_value=10),
)
def test_no_shown_figure_describes_fewer_than_the_minimum(sizes, own, min_size):
    view = privacy.partner_view(groups(sizes), own_keys={own}, min_size=min_size)
    assert all(g.people >= min_size for g in view.visible)
    if view.merged and view.merged_visible:
        assert view.merged_people >= min_size
    if view.totals_visible:
        # totals minus what is shown by name leaves nothing smaller than the minimum
        hidden = sum(g.people for g in view.merged)
        assert not view.merged or hidden >= min_size
    shown = {g.key for g in view.own + view.visible + view.merged}
    assert shown == set(range(len(sizes)))


# --- charts -------------------------------------------------------------------------------


def test_chart_scales_to_a_round_maximum():
    assert charts.nice_max(0) == 1
    assert charts.nice_max(7) == 10
    assert charts.nice_max(130) == 200
    chart = charts.columns(["Jan", "Feb"], [[50, 100], [25, 0]])
    assert chart.ticks[-1].value == 100
    tallest = max(chart.bars, key=lambda b: b.height)
    assert tallest.label == "Feb" and tallest.y == chart.plot[1]
    assert [b.height for b in chart.bars if b.value == 0] == [0]


def test_heat_levels_and_empty_cells():
    grid = charts.grid(["Mon"], ["08", "09", "10"], [[None, Decimal("0"), Decimal("100")]])
    assert [c.level for c in grid.cells] == [0, 0, 5]
    assert [c.text for c in grid.cells] == ["–", "0", "100"]
