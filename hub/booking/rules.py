"""Pure booking rules: plain data in, the list of broken rules out.

No Flask and no database here, so each rule is tested directly. The service
gathers the facts (opening hours, counts) and turns violations into a 422 that
names the rule and the field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

GRID_MINUTES = 15
DAY_KINDS = frozenset({"desk", "cell"})


@dataclass(frozen=True)
class HubRules:
    booking_horizon_days: int = 90
    max_room_booking_minutes: int = 480
    max_future_bookings: int = 30
    min_notice_minutes: int = 0
    cancellation_deadline_minutes: int = 0
    guest_days_per_week: int | None = None


@dataclass(frozen=True)
class BookingRequest:
    space_kind: str
    capacity: int
    bookable: bool
    starts_at: datetime
    ends_at: datetime
    now: datetime
    timezone: str
    # Opening hours of the local day the booking starts on; None when closed.
    opening: tuple[datetime, datetime] | None
    participants: int | None = None
    user_future_bookings: int = 0
    # Desk/cell days the billed organization already has that week, when a quota applies.
    quota_days_used: float | None = None


@dataclass(frozen=True)
class Violation:
    rule: str
    field: str
    params: dict[str, Any] = field(default_factory=dict)


def check_booking(req: BookingRequest, rules: HubRules) -> list[Violation]:
    problems: list[Violation] = []
    if not req.bookable:
        problems.append(Violation("space_not_bookable", "space_id"))
    if req.ends_at <= req.starts_at:
        return [*problems, Violation("end_before_start", "end")]
    if req.opening is None:
        problems.append(Violation("closed_day", "start"))
    elif req.starts_at < req.opening[0] or req.ends_at > req.opening[1]:
        problems.append(
            Violation(
                "outside_opening_hours",
                "start",
                {"opens": req.opening[0], "closes": req.opening[1]},
            )
        )
    if req.space_kind == "meeting_room":
        problems.extend(_room_rules(req, rules))
    if req.starts_at < req.now:
        problems.append(Violation("in_past", "start"))
    elif req.starts_at < req.now + timedelta(minutes=rules.min_notice_minutes):
        problems.append(Violation("min_notice", "start", {"minutes": rules.min_notice_minutes}))
    if req.starts_at > req.now + timedelta(days=rules.booking_horizon_days):
        problems.append(Violation("horizon", "start", {"days": rules.booking_horizon_days}))
    if (
        req.quota_days_used is not None
        and rules.guest_days_per_week is not None
        and req.space_kind in DAY_KINDS
        and req.quota_days_used + day_units(req.starts_at, req.ends_at, req.opening)
        > rules.guest_days_per_week
    ):
        problems.append(
            Violation("guest_quota", "organization_id", {"limit": rules.guest_days_per_week})
        )
    if req.user_future_bookings >= rules.max_future_bookings:
        problems.append(
            Violation("max_future_bookings", "start", {"limit": rules.max_future_bookings})
        )
    return problems


def _room_rules(req: BookingRequest, rules: HubRules) -> list[Violation]:
    problems = []
    zone = ZoneInfo(req.timezone)
    for name, instant in (("start", req.starts_at), ("end", req.ends_at)):
        local = instant.astimezone(zone)
        if local.minute % GRID_MINUTES or local.second or local.microsecond:
            problems.append(Violation("grid", name, {"minutes": GRID_MINUTES}))
    minutes = (req.ends_at - req.starts_at) / timedelta(minutes=1)
    if minutes > rules.max_room_booking_minutes:
        problems.append(
            Violation("max_room_booking", "end", {"minutes": rules.max_room_booking_minutes})
        )
    if req.participants is not None and req.participants > req.capacity:
        problems.append(Violation("capacity", "participants", {"capacity": req.capacity}))
    return problems


def can_cancel(starts_at: datetime, now: datetime, rules: HubRules) -> bool:
    """Cancelling is allowed until the hub's deadline before the start."""
    return now <= starts_at - timedelta(minutes=rules.cancellation_deadline_minutes)


def day_presets(opening: tuple[datetime, datetime]) -> dict[str, tuple[datetime, datetime]]:
    """Full day, morning and afternoon, split at the middle of opening hours (15-min grid)."""
    opens, closes = opening
    half = (closes - opens) / 2
    middle = opens + timedelta(minutes=(half // timedelta(minutes=GRID_MINUTES)) * GRID_MINUTES)
    return {"day": (opens, closes), "morning": (opens, middle), "afternoon": (middle, closes)}


def overlaps(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> bool:
    """Half-open intervals [start, end): touching ends do not overlap."""
    return a_start < b_end and b_start < a_end


def day_units(
    starts_at: datetime, ends_at: datetime, opening: tuple[datetime, datetime] | None
) -> float:
    """A desk or cell booking counts 1 day, or 0.5 when it covers half the opening hours or less."""
    if opening is None:
        return 1.0
    open_span = opening[1] - opening[0]
    return 0.5 if (ends_at - starts_at) * 2 <= open_span else 1.0
