"""Booking operations: create (guarded against overlap), cancel, check in, look up.

The application checks give the friendly messages; the database constraint
or trigger is the guarantee. A clash found either way is a Conflict (409)
carrying the clashing intervals, never a 500.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError, OperationalError

from hub.accounts.models import Organization, User
from hub.booking import rules
from hub.booking.messages import violation_message
from hub.booking.models import ACTIVE_STATUSES, Booking, BookingSource, BookingStatus
from hub.database import begin_write, utcnow
from hub.errors import Conflict, FieldErrors, NotFound, PermissionDenied
from hub.extensions import db
from hub.spaces import opening
from hub.spaces import service as spaces
from hub.spaces.models import Hub, Space, SpaceKind


def hub_rules(hub: Hub) -> rules.HubRules:
    return rules.HubRules(
        booking_horizon_days=hub.booking_horizon_days,
        max_room_booking_minutes=hub.max_room_booking_minutes,
        max_future_bookings=hub.max_future_bookings,
        min_notice_minutes=hub.min_notice_minutes,
        cancellation_deadline_minutes=hub.cancellation_deadline_minutes,
        guest_days_per_week=hub.guest_days_per_week,
    )


def opening_for(hub: Hub, instant: datetime) -> tuple[datetime, datetime] | None:
    """Opening hours (UTC) of the hub's local day that contains ``instant``."""
    return opening.opening_interval(
        opening.local_day(instant, hub.timezone),
        spaces.weekly_hours(hub),
        hub.timezone,
        spaces.closed_days(hub),
    )


def billable_organizations(user: User) -> list[Organization]:
    """The person's home organization, then the projects they work for."""
    others = [o for o in user.project_organizations if o.id != user.home_organization_id]
    return [user.home_organization, *others]


def active_conflicts(space_id: int, starts_at: datetime, ends_at: datetime) -> list[Booking]:
    return list(
        db.session.scalars(
            sa.select(Booking)
            .where(
                Booking.space_id == space_id,
                Booking.status.in_(ACTIVE_STATUSES),
                Booking.starts_at < ends_at,
                Booking.ends_at > starts_at,
            )
            .order_by(Booking.starts_at)
        )
    )


def _conflict(space: Space, clashes: Sequence[Booking]) -> Conflict:
    return Conflict(
        _("%(space)s is already booked at that time.", space=space.name),
        {
            "conflicts": [
                {"start": b.starts_at.isoformat(), "end": b.ends_at.isoformat()} for b in clashes
            ]
        },
    )


def external_busy(
    space_id: int, starts_at: datetime, ends_at: datetime
) -> list[tuple[datetime, datetime]]:
    """Intervals the room's external calendar (hub.calendar.external) marks busy."""
    from hub.calendar import external

    return [(s, e) for _space, s, e in external.busy_between([space_id], starts_at, ends_at)]


def _external_conflict(space: Space, busy: Sequence[tuple[datetime, datetime]]) -> Conflict:
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(space.hub.timezone)
    first_start, first_end = busy[0]
    return Conflict(
        _(
            "%(space)s is busy in its external calendar from %(start)s to %(end)s.",
            space=space.name,
            start=first_start.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            end=first_end.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
        ),
        {
            "conflicts": [{"start": s.isoformat(), "end": e.isoformat()} for s, e in busy],
            "source": "external_calendar",
        },
    )


def _future_count(user: User, now: datetime) -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Booking)
            .where(
                Booking.user_id == user.id,
                Booking.status.in_(ACTIVE_STATUSES),
                Booking.ends_at > now,
            )
        )
        or 0
    )


def create_bookings(
    user: User,
    space: Space,
    intervals: Sequence[tuple[datetime, datetime]],
    *,
    organization_id: int | None = None,
    participants: int | None = None,
    title: str | None = None,
    source: BookingSource = BookingSource.WEB,
    now: datetime | None = None,
) -> list[Booking]:
    """Book one space for each interval, all or none (several days in one action)."""
    begin_write(db.session())
    now = now or utcnow()
    hub = space.hub
    errors = FieldErrors()
    org_id = organization_id or user.home_organization_id
    if org_id not in {o.id for o in billable_organizations(user)}:
        errors.add("organization_id", _("You cannot book on behalf of this organization."))
    if not space.active:
        errors.add("space_id", _("This space is no longer in use."))
    future = _future_count(user, now)
    the_rules = hub_rules(hub)
    quota_applies = hub.guest_days_per_week is not None and is_guest(hub, org_id, now)
    week_units: dict[tuple[int, int], float] = {}
    for index, (starts_at, ends_at) in enumerate(intervals):
        hours = opening_for(hub, starts_at)
        used = None
        if quota_applies and space.kind in (SpaceKind.DESK, SpaceKind.CELL):
            week = _local_week(hub, starts_at)
            if week not in week_units:
                week_units[week] = _org_days_in_week(hub, org_id, starts_at)
            used = week_units[week]
            week_units[week] += rules.day_units(starts_at, ends_at, hours)
        request = rules.BookingRequest(
            space_kind=str(space.kind),
            capacity=space.capacity,
            bookable=space.bookable,
            starts_at=starts_at,
            ends_at=ends_at,
            now=now,
            timezone=hub.timezone,
            opening=hours,
            participants=participants,
            user_future_bookings=future + index,
            quota_days_used=used,
        )
        for violation in rules.check_booking(request, the_rules):
            errors.add(violation.field, violation_message(violation, hub.timezone))
    errors.raise_if_any()

    for starts_at, ends_at in intervals:
        clashes = active_conflicts(space.id, starts_at, ends_at)
        if clashes:
            raise _conflict(space, clashes)
        busy = external_busy(space.id, starts_at, ends_at)
        if busy:
            raise _external_conflict(space, busy)
    from hub.accounts import permissions

    needs_approval = space.requires_approval and not permissions.can_admin_hub(user, hub)
    status = BookingStatus.PENDING if needs_approval else BookingStatus.CONFIRMED
    created = [
        Booking(
            hub_id=hub.id,
            space_id=space.id,
            user_id=user.id,
            organization_id=org_id,
            starts_at=starts_at,
            ends_at=ends_at,
            status=status,
            source=source,
            participants=participants,
            title=title,
        )
        for starts_at, ends_at in intervals
    ]
    _insert_guarded(space, created)
    return created


def is_guest(hub: Hub, organization_id: int, now: datetime) -> bool:
    """Guests (or organizations without a membership) are held to the hub's quota."""
    from hub.accounts.models import Membership, MembershipKind

    kinds = set(
        db.session.scalars(
            sa.select(Membership.kind).where(
                Membership.hub_id == hub.id,
                Membership.organization_id == organization_id,
                Membership.starts_on <= now.date(),
                sa.or_(Membership.ends_on.is_(None), Membership.ends_on >= now.date()),
            )
        )
    )
    return not (kinds - {MembershipKind.GUEST})


def _local_week(hub: Hub, instant: datetime) -> tuple[int, int]:
    from zoneinfo import ZoneInfo

    iso = instant.astimezone(ZoneInfo(hub.timezone)).isocalendar()
    return iso.year, iso.week


def _org_days_in_week(hub: Hub, organization_id: int, instant: datetime) -> float:
    """Desk and cell days the organization has booked in the hub that local ISO week."""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(hub.timezone)
    local = instant.astimezone(zone)
    monday = (local - timedelta(days=local.weekday())).date()
    week_start = datetime.combine(monday, datetime.min.time(), tzinfo=zone)
    week_end = week_start + timedelta(days=7)
    rows = db.session.execute(
        sa.select(Booking.starts_at, Booking.ends_at)
        .join(Space, Booking.space_id == Space.id)
        .where(
            Booking.hub_id == hub.id,
            Booking.organization_id == organization_id,
            Booking.status.in_(ACTIVE_STATUSES),
            Space.kind.in_([SpaceKind.DESK, SpaceKind.CELL]),
            Booking.starts_at >= week_start,
            Booking.starts_at < week_end,
        )
    ).all()
    return sum(rules.day_units(s, e, opening_for(hub, s)) for s, e in rows)


def create_booking(
    user: User, space: Space, starts_at: datetime, ends_at: datetime, **options: Any
) -> Booking:
    return create_bookings(user, space, [(starts_at, ends_at)], **options)[0]


# PostgreSQL checks the exclusion constraint against rows other transactions are
# still inserting, so two clashing inserts at the same moment can wait for each
# other: it then aborts one with "deadlock detected" (40P01) instead of an
# exclusion violation. The savepoint is rolled back and the insert tried again; by
# then the other booking is committed (409) or gone (the slot is free).
DEADLOCK_ATTEMPTS = 5


def _insert_guarded(space: Space, bookings: Sequence[Booking]) -> None:
    """Insert inside a savepoint; the database's overlap guard turns into a 409."""
    for attempt in range(1, DEADLOCK_ATTEMPTS + 1):
        try:
            with db.session.begin_nested():
                db.session.add_all(bookings)
            return
        except IntegrityError as exc:
            if not is_overlap_violation(exc):
                raise
            raise _conflict(space, _clashes(space, bookings)) from exc
        except OperationalError as exc:
            if not is_deadlock(exc) or attempt == DEADLOCK_ATTEMPTS:
                raise
            clashes = _clashes(space, bookings)
            if clashes:
                raise _conflict(space, clashes) from exc


def _clashes(space: Space, bookings: Sequence[Booking]) -> list[Booking]:
    return [c for b in bookings for c in active_conflicts(space.id, b.starts_at, b.ends_at)]


def is_deadlock(exc: OperationalError) -> bool:
    return getattr(exc.orig, "sqlstate", None) == "40P01"


def is_overlap_violation(exc: IntegrityError) -> bool:
    text = str(exc.orig)
    return "booking_overlap" in text or "ex_bookings_no_overlap" in text


def get_booking(booking_id: int) -> Booking:
    booking = db.session.get(Booking, booking_id)
    if booking is None:
        raise NotFound(_("No such booking."))
    return booking


def visible_booking(booking_id: int, user: User) -> Booking:
    """The person's own booking, or any booking of a hub they administer; else 404.

    404 rather than 403, so that booking ids of other people do not leak.
    """
    from hub.accounts import permissions

    booking = get_booking(booking_id)
    if booking.user_id != user.id and not permissions.can_admin_hub(user, booking.hub):
        raise NotFound(_("No such booking."))
    return booking


def cancel_booking(booking: Booking, actor: User, now: datetime | None = None) -> Booking:
    """Cancelled bookings are kept with their status; they no longer block the space."""
    from hub.accounts import permissions

    now = now or utcnow()
    is_admin = permissions.can_admin_hub(actor, booking.hub)
    if booking.user_id != actor.id and not is_admin:
        raise PermissionDenied(_("You can only cancel your own bookings."))
    errors = FieldErrors()
    if not booking.is_active:
        errors.add("status", _("This booking is not active."))
    elif not is_admin and not rules.can_cancel(booking.starts_at, now, hub_rules(booking.hub)):
        errors.add(
            "status",
            _(
                "The cancellation deadline has passed (%(minutes)d minutes before the start).",
                minutes=booking.hub.cancellation_deadline_minutes,
            ),
        )
    errors.raise_if_any()
    booking.status = BookingStatus.CANCELLED
    booking.cancelled_at = now
    booking.sequence += 1
    db.session.flush()
    return booking


# --- check-in, check-out, drop-in ---------------------------------------------

CHECKIN_EARLY = timedelta(minutes=30)


def check_in(booking: Booking, actor: User, now: datetime | None = None) -> Booking:
    """Proof of use: from half an hour before the start until the end."""
    from hub.accounts import permissions

    now = now or utcnow()
    if booking.user_id != actor.id and not permissions.can_admin_hub(actor, booking.hub):
        raise PermissionDenied(_("You can only check in to your own bookings."))
    errors = FieldErrors()
    if booking.status != BookingStatus.CONFIRMED:
        errors.add("status", _("Only confirmed bookings can be checked in."))
    elif now < booking.starts_at - CHECKIN_EARLY:
        errors.add("status", _("Check-in opens 30 minutes before the start."))
    elif now >= booking.ends_at:
        errors.add("status", _("This booking has already ended."))
    errors.raise_if_any()
    if booking.checked_in_at is None:
        booking.checked_in_at = now
        db.session.flush()
    return booking


def check_out(booking: Booking, actor: User, now: datetime | None = None) -> Booking:
    """Leaving early frees the rest of the booking for others."""
    now = now or utcnow()
    if booking.user_id != actor.id:
        raise PermissionDenied(_("You can only check out of your own bookings."))
    errors = FieldErrors()
    if booking.checked_in_at is None or booking.status != BookingStatus.CONFIRMED:
        errors.add("status", _("Check in before you check out."))
    elif booking.checked_out_at is not None:
        errors.add("status", _("You have already checked out."))
    errors.raise_if_any()
    booking.checked_out_at = now
    if now < booking.ends_at:
        booking.ends_at = max(now, booking.starts_at + timedelta(minutes=1))
        booking.sequence += 1
    db.session.flush()
    return booking


def drop_in(user: User, space: Space, now: datetime | None = None) -> Booking:
    """Check in at a free place without a booking: it books the rest of the day."""
    now = now or utcnow()
    hours = opening_for(space.hub, now)
    if hours is None or not (hours[0] <= now < hours[1]):
        errors = FieldErrors()
        errors.add("space_id", _("The hub is closed now."))
        errors.raise_if_any()
    assert hours is not None
    start = now.replace(second=0, microsecond=0)
    booking = create_booking(user, space, start, hours[1], source=BookingSource.DROP_IN, now=start)
    booking.checked_in_at = now
    db.session.flush()
    return booking


def find_space_by_code(code: str) -> Space:
    space = db.session.scalar(sa.select(Space).where(Space.checkin_code == code.strip().upper()))
    if space is None:
        raise NotFound(_("No space has this code."))
    return space


def current_booking(space: Space, user: User, now: datetime | None = None) -> Booking | None:
    """The person's active booking of this space that check-in applies to now."""
    now = now or utcnow()
    return db.session.scalar(
        sa.select(Booking)
        .where(
            Booking.space_id == space.id,
            Booking.user_id == user.id,
            Booking.status == BookingStatus.CONFIRMED,
            Booking.starts_at <= now + CHECKIN_EARLY,
            Booking.ends_at > now,
        )
        .order_by(Booking.starts_at)
    )


def bookings_of(
    user: User, *, upcoming: bool, now: datetime | None = None, limit: int = 100
) -> list[Booking]:
    now = now or utcnow()
    query = sa.select(Booking).where(Booking.user_id == user.id)
    if upcoming:
        query = query.where(Booking.ends_at > now).order_by(Booking.starts_at)
    else:
        query = query.where(Booking.ends_at <= now).order_by(Booking.starts_at.desc())
    return list(db.session.scalars(query.limit(limit)))


# --- no-show release ------------------------------------------------------------


def release_no_shows(now: datetime | None = None) -> list[Booking]:
    """Release confirmed bookings nobody checked in to within the hub's grace period.

    Safe to run any number of times: a released booking is no longer
    confirmed, so a second run finds nothing more to do.
    """
    now = now or utcnow()
    released: list[Booking] = []
    hubs = db.session.scalars(sa.select(Hub).where(Hub.release_no_shows.is_(True))).all()
    for hub in hubs:
        cutoff = now - timedelta(minutes=hub.checkin_grace_minutes)
        due = db.session.scalars(
            sa.select(Booking)
            .where(
                Booking.hub_id == hub.id,
                Booking.status == BookingStatus.CONFIRMED,
                Booking.checked_in_at.is_(None),
                Booking.starts_at <= cutoff,
            )
            .with_for_update(skip_locked=True)
        ).all()
        for booking in due:
            booking.status = BookingStatus.RELEASED
            booking.released_at = now
            booking.sequence += 1
            released.append(booking)
    db.session.flush()
    return released


# --- approval -------------------------------------------------------------------


def pending_approvals(hub: Hub) -> list[Booking]:
    return list(
        db.session.scalars(
            sa.select(Booking)
            .where(Booking.hub_id == hub.id, Booking.status == BookingStatus.PENDING)
            .order_by(Booking.starts_at)
        )
    )


def decide_booking(
    booking: Booking, actor: User, approve: bool, now: datetime | None = None
) -> Booking:
    """An admin approves or declines a booking of a space that needs approval."""
    from hub.accounts import permissions

    if not permissions.can_admin_hub(actor, booking.hub):
        raise PermissionDenied(_("Only the hub's administrators decide on bookings."))
    if booking.status != BookingStatus.PENDING:
        errors = FieldErrors()
        errors.add("status", _("This booking is not awaiting approval."))
        errors.raise_if_any()
    booking.status = BookingStatus.CONFIRMED if approve else BookingStatus.DECLINED
    booking.sequence += 1
    if not approve:
        booking.cancelled_at = now or utcnow()
    db.session.flush()
    return booking


def bookings_on(hub: Hub, day: date) -> list[Booking]:
    """Every booking (any status) of the hub that starts on this local day."""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(hub.timezone)
    start = datetime.combine(day, datetime.min.time(), tzinfo=zone)
    return list(
        db.session.scalars(
            sa.select(Booking)
            .where(
                Booking.hub_id == hub.id,
                Booking.starts_at >= start,
                Booking.starts_at < start + timedelta(days=1),
            )
            .order_by(Booking.starts_at, Booking.space_id)
        )
    )
