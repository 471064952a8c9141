"""Operations on hubs, their opening hours and closed days, and their spaces."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, time
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from hub.errors import Conflict, FieldErrors, NotFound
from hub.extensions import db
from hub.service_input import checked_enum, picked
from hub.spaces import opening
from hub.spaces.models import Hub, HubClosure, OpeningHours, Space, SpaceKind

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# /admin/hubs/new is the page for creating a hub, so no hub may be called "new".
RESERVED_SLUGS = frozenset({"new"})

RULE_FIELDS = (
    "booking_horizon_days",
    "max_room_booking_minutes",
    "max_future_bookings",
    "min_notice_minutes",
    "cancellation_deadline_minutes",
    "checkin_grace_minutes",
)
HUB_FIELDS = frozenset(
    {"slug", "name", "municipality", "address", "timezone", "description", "contact_email"}
    | set(RULE_FIELDS)
    | {"release_no_shows", "allow_non_member_bookings", "guest_days_per_week"}
    | {"retention_months", "min_group_size"}
)
# The largest value of a booking rule: days ahead, minutes, bookings (a million minutes
# is about two years).
RULE_MAX = 1_000_000
# Usage settings: (smallest, largest) allowed value.
USAGE_LIMITS = {"retention_months": (1, 120), "min_group_size": (1, 100)}
SPACE_FIELDS = frozenset(
    {
        "name",
        "kind",
        "capacity",
        "area_m2",
        "bookable",
        "active",
        "description",
        "requires_approval",
    }
)
KIND_ORDER = (SpaceKind.CELL, SpaceKind.DESK, SpaceKind.MEETING_ROOM, SpaceKind.COMMON_AREA)


# --- hubs ------------------------------------------------------------------


def list_hubs() -> list[Hub]:
    return list(db.session.scalars(sa.select(Hub).order_by(Hub.name)))


def get_hub(slug: str) -> Hub:
    hub = db.session.scalar(
        sa.select(Hub).where(Hub.slug == slug).options(selectinload(Hub.spaces))
    )
    if hub is None:
        raise NotFound(_("No hub with the address %(slug)s.", slug=slug))
    return hub


def create_hub(
    values: Mapping[str, Any], weekly_hours: Mapping[int, tuple[time, time]] | None = None
) -> Hub:
    hub = Hub(timezone="Europe/Oslo", address="")
    for field in (*RULE_FIELDS, "release_no_shows", "allow_non_member_bookings", *USAGE_LIMITS):
        setattr(hub, field, Hub.__table__.c[field].default.arg)
    _save_hub(hub, values)
    set_opening_hours(hub, opening.DEFAULT_WEEKLY_HOURS if weekly_hours is None else weekly_hours)
    return hub


def update_hub(hub: Hub, values: Mapping[str, Any]) -> Hub:
    return _save_hub(hub, values)


def _save_hub(hub: Hub, values: Mapping[str, Any]) -> Hub:
    changes = picked(values, HUB_FIELDS)
    errors = FieldErrors()
    slug = changes.get("slug", hub.slug)
    if not slug or not SLUG_RE.match(slug):
        errors.add(
            "slug", _("Use lower-case letters a-z, digits and hyphens, like regionlab-lister.")
        )
    elif slug in RESERVED_SLUGS:
        errors.add("slug", _("This address is reserved; choose another."))
    elif db.session.scalar(sa.select(Hub.id).where(Hub.slug == slug, Hub.id != hub.id)):
        errors.add("slug", _("Another hub already uses this address."))
    for field, message in (
        ("name", _("Name is required.")),
        ("municipality", _("Municipality is required.")),
    ):
        if not changes.get(field, getattr(hub, field)):
            errors.add(field, message)
    tz = changes.get("timezone", hub.timezone)
    if not tz or not opening.is_valid_timezone(tz):
        errors.add(
            "timezone", _("%(value)s is not a known timezone, such as Europe/Oslo.", value=tz)
        )
    for field in RULE_FIELDS:
        if field in changes:
            value = changes[field]
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                errors.add(field, _("Give a whole number, zero or more."))
            elif value > RULE_MAX:  # bigger ones overflow the date arithmetic of bookings
                errors.add(
                    field, _("Give a whole number from %(low)d to %(high)d.", low=0, high=RULE_MAX)
                )
    quota = changes.get("guest_days_per_week")
    if quota is not None and (not isinstance(quota, int) or isinstance(quota, bool) or quota < 0):
        errors.add(
            "guest_days_per_week", _("Give a whole number, zero or more, or leave it empty.")
        )
    for field, (low, high) in USAGE_LIMITS.items():
        if field in changes:
            value = changes[field]
            if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
                errors.add(
                    field,
                    _("Give a whole number from %(low)d to %(high)d.", low=low, high=high),
                )
    if changes.get("booking_horizon_days") == 0:
        errors.add("booking_horizon_days", _("People must be able to book at least one day ahead."))
    for key in ("description", "contact_email", "address"):
        if key in changes and changes[key] == "":
            changes[key] = None if key != "address" else ""
    errors.raise_if_any()
    for key, value in changes.items():
        setattr(hub, key, value)
    db.session.add(hub)
    db.session.flush()
    return hub


def weekly_hours(hub: Hub) -> dict[int, tuple[time, time]]:
    return {row.weekday: (row.opens_at, row.closes_at) for row in hub.opening_hours}


def set_opening_hours(hub: Hub, hours: Mapping[int, tuple[time, time] | None]) -> None:
    """Replace the weekly hours; a weekday mapped to None (or absent) is closed."""
    errors = FieldErrors()
    for weekday, span in hours.items():
        if weekday not in range(7):
            errors.add(f"opening_hours.{weekday}", _("Unknown weekday."))
        elif span is not None and span[1] <= span[0]:
            errors.add(f"opening_hours.{weekday}", _("Closing time must be after opening time."))
    errors.raise_if_any()
    existing = {row.weekday: row for row in hub.opening_hours}
    for weekday in range(7):
        span = hours.get(weekday)
        row = existing.get(weekday)
        if span is None:
            if row is not None:
                hub.opening_hours.remove(row)
        elif row is None:
            hub.opening_hours.append(
                OpeningHours(weekday=weekday, opens_at=span[0], closes_at=span[1])
            )
        else:
            row.opens_at, row.closes_at = span
    db.session.flush()


def closed_days(hub: Hub) -> set[date]:
    return {c.on_date for c in hub.closures}


def add_closure(hub: Hub, on_date: date, reason: str = "") -> HubClosure:
    for closure in hub.closures:
        if closure.on_date == on_date:
            closure.reason = reason
            db.session.flush()
            return closure
    closure = HubClosure(on_date=on_date, reason=reason)
    hub.closures.append(closure)
    db.session.flush()
    return closure


def remove_closure(closure: HubClosure) -> None:
    closure.hub.closures.remove(closure)
    db.session.flush()


# --- spaces ----------------------------------------------------------------


def spaces_by_kind(hub: Hub, include_inactive: bool = False) -> dict[SpaceKind, list[Space]]:
    groups: dict[SpaceKind, list[Space]] = {kind: [] for kind in KIND_ORDER}
    for space in hub.spaces:
        if space.active or include_inactive:
            groups[space.kind].append(space)
    return {kind: spaces for kind, spaces in groups.items() if spaces}


def get_space(space_id: int) -> Space:
    space = db.session.get(Space, space_id)
    if space is None:
        raise NotFound(_("No such space."))
    return space


def create_space(hub: Hub, values: Mapping[str, Any]) -> Space:
    space = Space(hub_id=hub.id, bookable=True, active=True, capacity=1)
    return _save_space(space, values)


def update_space(space: Space, values: Mapping[str, Any]) -> Space:
    return _save_space(space, values)


def delete_space(space: Space) -> None:
    """Only a space nobody ever booked can be deleted; others are deactivated instead."""
    from hub.booking.models import Booking

    if db.session.scalar(sa.select(sa.func.count()).where(Booking.space_id == space.id)):
        raise Conflict(
            _(
                "%(space)s has bookings, which are kept as history. "
                "Untick Active instead of deleting it.",
                space=space.name,
            )
        )
    db.session.delete(space)
    db.session.flush()


def _save_space(space: Space, values: Mapping[str, Any]) -> Space:
    changes = picked(values, SPACE_FIELDS)
    errors = FieldErrors()
    name = changes.get("name", space.name)
    if not name:
        errors.add("name", _("Name is required."))
    elif db.session.scalar(
        sa.select(Space.id).where(
            Space.hub_id == space.hub_id,
            sa.func.lower(Space.name) == name.lower(),
            Space.id != space.id if space.id else sa.true(),
        )
    ):
        errors.add("name", _("The hub already has a space with this name."))
    kind = space.kind
    if "kind" in changes or kind is None:
        kind = changes["kind"] = checked_enum(SpaceKind, changes.get("kind"), "kind", errors)
    capacity = changes.get("capacity", space.capacity)
    if not isinstance(capacity, int) or isinstance(capacity, bool) or capacity < 0:
        errors.add("capacity", _("Capacity must be a whole number, zero or more."))
    elif kind == SpaceKind.MEETING_ROOM and capacity < 1:
        errors.add("capacity", _("A meeting room must have room for at least one person."))
    area = changes.get("area_m2", space.area_m2)
    if area is not None and area != "":
        try:
            area = Decimal(str(area))
            if area < 0 or area >= Decimal("1000000"):
                raise ValueError
            changes["area_m2"] = area.quantize(Decimal("0.01"))
        except (ArithmeticError, ValueError):
            errors.add("area_m2", _("Area must be a number of square metres, zero or more."))
    elif "area_m2" in changes:
        changes["area_m2"] = None
    if kind == SpaceKind.COMMON_AREA and changes.get("bookable", space.bookable):
        if "bookable" in changes:
            errors.add("bookable", _("Common areas cannot be booked."))
        else:
            changes["bookable"] = False
    if "description" in changes and not changes["description"]:
        changes["description"] = None
    errors.raise_if_any()
    for key, value in changes.items():
        setattr(space, key, value)
    db.session.add(space)
    db.session.flush()
    return space
