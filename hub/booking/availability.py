"""Who has which space when: the data behind the day and week views and the API.

One SQL query per view, bounded by the hub and a time range the
``ix_bookings_hub_time`` index serves; nothing loads a hub's whole history.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from hub.accounts import permissions
from hub.accounts.models import Organization, User
from hub.booking.models import ACTIVE_STATUSES, Booking, BookingStatus
from hub.booking.rules import day_presets, overlaps
from hub.calendar import external
from hub.extensions import db
from hub.spaces import opening
from hub.spaces import service as spaces
from hub.spaces.models import Hub, Space, SpaceKind

# No booking is longer than a day, so a range query may start a day early.
LONGEST_BOOKING = timedelta(days=1)


@dataclass(frozen=True)
class BusySlot:
    booking_id: int | None  # None: busy in the room's external calendar
    starts_at: datetime
    ends_at: datetime
    organization: str | None  # None for external busy time
    person: str | None  # only where the person allows it, or it is the viewer
    pending: bool
    mine: bool
    external: bool = False  # from the room's external calendar (hub.calendar.external)


@dataclass
class SpaceDay:
    day: date
    opening: tuple[datetime, datetime] | None
    busy: list[BusySlot] = field(default_factory=list)

    @property
    def is_open(self) -> bool:
        return self.opening is not None

    def free_parts(self) -> list[str]:
        """Which of day/morning/afternoon are still free (desks and cells)."""
        if self.opening is None:
            return []
        presets = day_presets(self.opening)
        return [
            name
            for name, (start, end) in presets.items()
            if not any(overlaps(start, end, b.starts_at, b.ends_at) for b in self.busy)
        ]


@dataclass
class SpaceAvailability:
    space: Space
    days: list[SpaceDay]


def local_days(first: date, count: int) -> list[date]:
    return [first + timedelta(days=i) for i in range(count)]


def utc_range(hub: Hub, first: date, count: int) -> tuple[datetime, datetime]:
    zone = ZoneInfo(hub.timezone)
    start = datetime.combine(first, datetime.min.time(), tzinfo=zone)
    end = datetime.combine(first + timedelta(days=count), datetime.min.time(), tzinfo=zone)
    return start, end


def hub_availability(
    hub: Hub,
    first: date,
    days: int,
    viewer: User | None,
    kind: SpaceKind | None = None,
    min_capacity: int | None = None,
) -> list[SpaceAvailability]:
    space_list = [
        s
        for s in hub.spaces
        if s.active
        and s.bookable
        and (kind is None or s.kind == kind)
        and (min_capacity is None or s.capacity >= min_capacity)
    ]
    start, end = utc_range(hub, first, days)
    rows = db.session.execute(
        sa.select(Booking, Organization.short_name, Organization.name, User.name, User.share_name)
        .join(Organization, Booking.organization_id == Organization.id)
        .outerjoin(User, Booking.user_id == User.id)
        .where(
            Booking.hub_id == hub.id,
            Booking.status.in_(ACTIVE_STATUSES),
            Booking.starts_at >= start - LONGEST_BOOKING,
            Booking.starts_at < end,
            Booking.ends_at > start,
        )
        .order_by(Booking.starts_at)
    ).all()
    sees_names = permissions.is_hub_member(viewer, hub)
    is_admin = permissions.can_admin_hub(viewer, hub)
    viewer_id = viewer.id if permissions.is_authenticated(viewer) else None
    by_space: dict[int, list[BusySlot]] = {}
    for booking, short_name, org_name, person, share_name in rows:
        mine = booking.user_id is not None and booking.user_id == viewer_id
        show_name = mine or is_admin or (sees_names and bool(share_name))
        by_space.setdefault(booking.space_id, []).append(
            BusySlot(
                booking_id=booking.id,
                starts_at=booking.starts_at,
                ends_at=booking.ends_at,
                organization=short_name or org_name,
                person=person if show_name else None,
                pending=booking.status == BookingStatus.PENDING,
                mine=mine,
            )
        )
    for space_id, starts_at, ends_at in external.busy_between(
        [s.id for s in space_list], start, end
    ):
        by_space.setdefault(space_id, []).append(
            BusySlot(
                booking_id=None,
                starts_at=starts_at,
                ends_at=ends_at,
                organization=None,
                person=None,
                pending=False,
                mine=False,
                external=True,
            )
        )
    for slots in by_space.values():
        slots.sort(key=lambda b: (b.starts_at, b.ends_at))
    weekly, closed = spaces.weekly_hours(hub), spaces.closed_days(hub)
    openings = {
        d: opening.opening_interval(d, weekly, hub.timezone, closed)
        for d in local_days(first, days)
    }
    zone = ZoneInfo(hub.timezone)
    result = []
    for space in space_list:
        slots = by_space.get(space.id, [])
        space_days = []
        for d in local_days(first, days):
            day_start = datetime.combine(d, datetime.min.time(), tzinfo=zone)
            day_end = day_start + timedelta(days=1)
            busy = [b for b in slots if overlaps(b.starts_at, b.ends_at, day_start, day_end)]
            space_days.append(SpaceDay(day=d, opening=openings[d], busy=busy))
        result.append(SpaceAvailability(space=space, days=space_days))
    return result
