"""What one booking or one imported line adds to the usage roll-up.

Pure: plain data in, plain data out. The roll-up is the sum of these
contributions, so a change to a booking is applied as "facts after minus facts
before", an additive delta that commutes with every other writer's delta.

Units, chosen so that sums stay exact integers:

- desk and cell use in half days: a booking of half the day's opening hours or
  less is 1, a longer one 2 (the same rule as the guest quota);
- every kind in minutes (room-hours are minutes / 60);
- a booking is *booked* when confirmed or released, *used* when confirmed and
  checked in, a *no-show* when released; pending, declined and cancelled
  bookings count nowhere;
- a confirmed booking or an imported line makes its person *present* that day.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from hub.spaces import opening

DAY_KINDS = frozenset({"desk", "cell"})

# usage_days counters, in column order
DAY_COLUMNS = (
    "bookings",
    "booked_half_days",
    "booked_minutes",
    "used_half_days",
    "used_minutes",
    "no_shows",
)
HOUR_COLUMNS = ("booked_minutes", "used_minutes")

DayKey = tuple[int, date, int, int]  # hub_id, day, space_id, organization_id
HourKey = tuple[int, date, int, str]  # hub_id, day, hour, space kind
PresenceKey = tuple[int, date, int, int]  # hub_id, day, organization_id, user_id


@dataclass(frozen=True, slots=True)
class BookingState:
    """The fields of a booking the roll-up depends on, at one point in time."""

    hub_id: int
    space_id: int
    organization_id: int
    user_id: int | None
    kind: str
    status: str
    starts_at: datetime
    ends_at: datetime
    checked_in: bool
    timezone: str
    # The hub's opening hours that local day, for the half-day rule (None: closed).
    open_span: timedelta | None


@dataclass(frozen=True, slots=True)
class RecordState:
    """An imported line: a person of an organization in the hub, maybe in one space."""

    hub_id: int
    organization_id: int
    user_id: int | None
    day: date
    space_id: int | None = None
    kind: str | None = None


@dataclass(slots=True)
class Facts:
    """Counters keyed by roll-up row; adding and subtracting is per key."""

    days: dict[DayKey, list[int]] = field(default_factory=lambda: defaultdict(_zeros(6)))
    hours: dict[HourKey, list[int]] = field(default_factory=lambda: defaultdict(_zeros(2)))
    presence: dict[PresenceKey, int] = field(default_factory=lambda: defaultdict(int))

    def add(self, other: Facts, sign: int = 1) -> Facts:
        for key, values in other.days.items():
            _accumulate(self.days[key], values, sign)
        for key, values in other.hours.items():
            _accumulate(self.hours[key], values, sign)
        for key, count in other.presence.items():
            self.presence[key] += sign * count
        return self

    def nonzero(self) -> Facts:
        """The same facts without rows whose counters are all zero."""
        result = Facts()
        result.days.update({k: v for k, v in self.days.items() if any(v)})
        result.hours.update({k: v for k, v in self.hours.items() if any(v)})
        result.presence.update({k: v for k, v in self.presence.items() if v})
        return result

    def __bool__(self) -> bool:
        return bool(self.days or self.hours or self.presence)


def _zeros(n: int) -> Callable[[], list[int]]:
    return lambda: [0] * n


def _accumulate(target: list[int], values: list[int], sign: int) -> None:
    for i, value in enumerate(values):
        target[i] += sign * value


def half_days(state: BookingState) -> int:
    """1 for half the opening hours or less, else 2; 0 for rooms and common areas."""
    if state.kind not in DAY_KINDS:
        return 0
    if state.open_span is None:
        return 2
    return 1 if (state.ends_at - state.starts_at) * 2 <= state.open_span else 2


def minutes(starts_at: datetime, ends_at: datetime) -> int:
    return int((ends_at - starts_at).total_seconds() // 60)


def hour_slices(
    starts_at: datetime, ends_at: datetime, timezone: str
) -> Iterator[tuple[date, int, int]]:
    """(local day, local hour, minutes) for each clock hour the interval touches.

    Steps from one local hour boundary to the next, so daylight-saving days
    have their 23 or 25 hours and every minute lands in exactly one hour.
    """
    zone = ZoneInfo(timezone)
    cursor = starts_at
    while cursor < ends_at:
        local = cursor.astimezone(zone)
        boundary = cursor + timedelta(
            minutes=60 - local.minute, seconds=-local.second, microseconds=-local.microsecond
        )
        step_end = min(boundary, ends_at)
        yield local.date(), local.hour, minutes(cursor, step_end)
        cursor = step_end


def booking_facts(state: BookingState | None) -> Facts:
    """Everything one booking contributes; nothing for None (not yet, or no longer, there)."""
    facts = Facts()
    if state is None:
        return facts
    booked = state.status in ("confirmed", "released")
    used = state.status == "confirmed" and state.checked_in
    if not booked:
        return facts
    day = opening.local_day(state.starts_at, state.timezone)
    length = minutes(state.starts_at, state.ends_at)
    units = half_days(state)
    facts.days[(state.hub_id, day, state.space_id, state.organization_id)] = [
        1,
        units,
        length,
        units if used else 0,
        length if used else 0,
        1 if state.status == "released" else 0,
    ]
    if state.status == "confirmed":
        for slice_day, hour, slice_minutes in hour_slices(
            state.starts_at, state.ends_at, state.timezone
        ):
            row = facts.hours[(state.hub_id, slice_day, hour, state.kind)]
            row[0] += slice_minutes
            row[1] += slice_minutes if used else 0
        if state.user_id is not None:
            facts.presence[(state.hub_id, day, state.organization_id, state.user_id)] = 1
    return facts


def record_facts(state: RecordState) -> Facts:
    """An imported line: a person-day, plus a used desk- or cell-day when it names one."""
    facts = Facts()
    if state.user_id is not None:
        facts.presence[(state.hub_id, state.day, state.organization_id, state.user_id)] = 1
    if state.space_id is not None and state.kind in DAY_KINDS:
        facts.days[(state.hub_id, state.day, state.space_id, state.organization_id)] = [
            0,
            0,
            0,
            2,
            0,
            0,
        ]
    return facts


def change(before: BookingState | None, after: BookingState | None) -> Facts:
    """The delta a write makes to the roll-up: facts after minus facts before."""
    if before == after:
        return Facts()
    return booking_facts(after).add(booking_facts(before), sign=-1).nonzero()
