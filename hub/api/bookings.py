"""Bookings: book, list, cancel, check in and out, availability, and approvals.

The rules (opening hours, grid, capacity, horizon, quotas, billing) and the
no-double-booking guard live in ``hub.booking.service``; these handlers parse,
check who may see what, and call it. A booking someone may not see is 404, so
ids do not reveal that a booking exists.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_login import current_user

from hub.accounts import permissions
from hub.accounts.permissions import administered_hub
from hub.api import schemas as s
from hub.api.operations import operation, read_body, read_query
from hub.booking import availability, notify, service
from hub.booking.models import Booking, BookingSource
from hub.database import begin_write
from hub.errors import Conflict, ValidationFailed
from hub.extensions import db
from hub.spaces import service as spaces
from hub.spaces.models import Space

TAG = "bookings"


# --- helpers ------------------------------------------------------------------------


def _utc_conflicts(exc: Conflict) -> Conflict:
    """The clashing intervals in the API's one instant format (UTC, ``Z``)."""
    conflicts = [
        {key: s.utc_iso(datetime.fromisoformat(value)) for key, value in clash.items()}
        for clash in exc.detail.get("conflicts", [])  # type: ignore[union-attr]
    ]
    return Conflict(exc.message, {**exc.detail, "conflicts": conflicts})


def _day_start(day: date, timezone: str) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=ZoneInfo(timezone))


# --- bookings -----------------------------------------------------------------------


@operation(
    "POST",
    "/bookings",
    summary="Book a space",
    tag=TAG,
    request=s.BookingCreate,
    response=s.Booking,
    status=201,
)
def create_booking() -> Any:
    """Book ``space_id`` for [``start``, ``end``). Times need an offset (``Z`` or ``+01:00``).

    A space that needs approval gives ``status: pending`` until a hub administrator
    decides. 409 when the space is taken: ``error.conflicts`` lists the clashing
    intervals (``start``, ``end``, UTC). 422 names the broken rule's field: ``start``
    (closed day, opening hours, grid, notice, horizon, too many upcoming bookings),
    ``end``, ``participants`` (capacity), ``organization_id`` (not one you may bill to,
    or the guest quota), ``space_id`` (unknown, inactive or not bookable).
    """
    body = read_body()
    begin_write(db.session())
    space = db.session.get(Space, body.space_id)
    if space is None:
        raise ValidationFailed({"space_id": [_("No such space.")]})
    try:
        booking = service.create_booking(
            current_user,
            space,
            body.start.astimezone(UTC),
            body.end.astimezone(UTC),
            organization_id=body.organization_id,
            participants=body.participants,
            title=body.title,
            source=BookingSource.API,
        )
    except Conflict as exc:
        raise _utc_conflicts(exc) from exc
    notify.booking_created([booking])
    return booking


@operation(
    "GET",
    "/bookings",
    summary="List bookings",
    tag=TAG,
    response=s.Booking,
    many=True,
)
def list_bookings() -> Any:
    """The caller's own bookings by start time, every status.

    Query parameters (all optional): ``from`` and ``to`` (a date ``YYYY-MM-DD``, local
    in the hub's timezone and inclusive, or an instant with offset): bookings that
    end after ``from`` and start before ``to``; ``status``; ``space_id``; ``hub`` (slug);
    ``all=true`` with ``hub``: every booking of that hub (its administrators, else 403);
    ``limit`` (1-500, default 100) and ``offset`` (default 0): fetch the next page
    until one comes back shorter than ``limit``.
    """
    query = read_query(s.BookingQuery)
    hub = spaces.get_hub(query.hub) if query.hub is not None else None
    select = sa.select(Booking)
    if query.all:
        if hub is None:
            raise ValidationFailed({"hub": [_("Choose the hub to list all bookings of.")]})
        permissions.ensure(permissions.can_admin_hub(current_user, hub))
    else:
        select = select.where(Booking.user_id == current_user.id)
    if hub is not None:
        select = select.where(Booking.hub_id == hub.id)
    timezone = hub.timezone if hub is not None else current_app.config["BABEL_DEFAULT_TIMEZONE"]
    if isinstance(query.from_, datetime):
        select = select.where(Booking.ends_at > query.from_)
    elif isinstance(query.from_, date):
        select = select.where(Booking.ends_at > _day_start(query.from_, timezone))
    if isinstance(query.to, datetime):
        select = select.where(Booking.starts_at < query.to)
    elif isinstance(query.to, date):
        next_day = query.to + timedelta(days=1)
        select = select.where(Booking.starts_at < _day_start(next_day, timezone))
    if query.status is not None:
        select = select.where(Booking.status == query.status)
    if query.space_id is not None:
        select = select.where(Booking.space_id == query.space_id)
    select = select.order_by(Booking.starts_at, Booking.id).limit(query.limit).offset(query.offset)
    return db.session.scalars(select).all()


@operation("GET", "/bookings/<id:booking_id>", summary="Get a booking", tag=TAG, response=s.Booking)
def get_booking(booking_id: int) -> Any:
    """Your own, or any booking of a hub you administer; anyone else's is 404."""
    return service.visible_booking(booking_id, current_user)


@operation(
    "DELETE",
    "/bookings/<id:booking_id>",
    summary="Cancel a booking",
    tag=TAG,
    response=s.Booking,
)
def cancel_booking(booking_id: int) -> Any:
    """Cancels: the booking is kept with ``status: cancelled`` and returned (200, not 204).

    422 (field ``status``) when it is not active any more, or when the hub's
    cancellation deadline has passed (hub administrators may still cancel).
    """
    begin_write(db.session())
    booking = service.cancel_booking(
        service.visible_booking(booking_id, current_user), current_user
    )
    notify.booking_cancelled([booking])
    return booking


@operation(
    "POST",
    "/bookings/<id:booking_id>/check-in",
    summary="Check in to a booking",
    tag=TAG,
    response=s.Booking,
)
def check_in(booking_id: int) -> Any:
    """From 30 minutes before the start until the end; checking in twice changes nothing."""
    begin_write(db.session())
    return service.check_in(service.visible_booking(booking_id, current_user), current_user)


@operation(
    "POST",
    "/bookings/<id:booking_id>/check-out",
    summary="Check out of a booking",
    tag=TAG,
    response=s.Booking,
)
def check_out(booking_id: int) -> Any:
    """Leaving early ends the booking now and frees the rest; only the person who booked."""
    begin_write(db.session())
    booking = service.visible_booking(booking_id, current_user)
    planned_end = booking.ends_at
    service.check_out(booking, current_user)
    if booking.ends_at != planned_end:
        notify.booking_checked_out(booking)
    return booking


# --- availability -------------------------------------------------------------------


@operation(
    "GET",
    "/hubs/<slug>/availability",
    summary="What is busy in a hub",
    tag=TAG,
    response=s.SpaceAvailability,
    many=True,
)
def hub_availability(slug: str) -> Any:
    """Every active, bookable space with its busy intervals per local day.

    Query parameters: ``date`` (``YYYY-MM-DD``, default today in the hub's timezone),
    ``days`` (1-14, default 1), ``kind`` (``desk``, ``cell``, ``meeting_room``),
    ``capacity`` (at least this many seats). Any authenticated user. Names are shown
    only for your own bookings, to hub administrators, and to members of the hub
    when the person shares their name; otherwise ``person`` is null.
    """
    hub = spaces.get_hub(slug)
    query = read_query(s.AvailabilityQuery)
    first = query.date or datetime.now(ZoneInfo(hub.timezone)).date()
    return availability.hub_availability(
        hub, first, query.days, current_user, kind=query.kind, min_capacity=query.capacity
    )


# --- approvals ----------------------------------------------------------------------


@operation(
    "GET",
    "/hubs/<slug>/approvals",
    summary="Bookings awaiting approval",
    tag=TAG,
    response=s.BookingApproval,
    many=True,
)
def list_approvals(slug: str) -> Any:
    """Pending bookings of spaces that need approval, by start; the hub's administrators."""
    return service.pending_approvals(administered_hub(slug))


def _decide(booking_id: int, approve: bool) -> Booking:
    begin_write(db.session())
    booking = service.decide_booking(
        service.visible_booking(booking_id, current_user), current_user, approve
    )
    notify.booking_decided(booking)
    return booking


@operation(
    "POST",
    "/bookings/<id:booking_id>/approve",
    summary="Approve a pending booking",
    tag=TAG,
    response=s.Booking,
)
def approve_booking(booking_id: int) -> Any:
    """The hub's administrators; the person who booked gets an email. 422 unless pending."""
    return _decide(booking_id, approve=True)


@operation(
    "POST",
    "/bookings/<id:booking_id>/decline",
    summary="Decline a pending booking",
    tag=TAG,
    response=s.Booking,
)
def decline_booking(booking_id: int) -> Any:
    """The hub's administrators; the booking is kept as ``declined`` and the person emailed."""
    return _decide(booking_id, approve=False)
