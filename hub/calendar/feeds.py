"""Subscription feeds: a person's, a space's, a hub's or an organization's bookings as iCal.

A feed is a full snapshot of the bookings in its window, rebuilt from the rows on
every request that is not answered 304. What follows are the rules, each learned
from bugs other systems shipped:

- Only active bookings are in a feed: confirmed ones, and pending ones (awaiting
  approval) as STATUS:TENTATIVE. Cancelled, released (no-show) and declined
  bookings are left out, so a subscribed client drops them at its next refresh
  (Outlook shows STATUS:CANCELLED events as if they were on). There is no METHOD
  property (a feed is not an iTIP message) and no VALARM.
- Everything comes from the rows, never from the clock: UID ``booking-<id>@host``
  (the same as in the booking emails), DTSTAMP = LAST-MODIFIED = the row's
  ``updated_at``, SEQUENCE from ``booking.sequence`` (bumped by every material
  change in hub.booking.service), so the same data gives the same bytes. The
  events come from ``hub.booking.ics.base_event``, the builder the emails use.
- Times are written in UTC (``...Z``), which RFC 5545 allows and every client
  converts to the viewer's zone. No timed value is floating and no TZID is used,
  so no VTIMEZONE block is needed (and none of the date-list VTIMEZONE forms
  Outlook misreads can appear). Bookings are never all-day events.
- Series: every occurrence of a weekly series is its own booking row with its own
  id, so a feed holds them already expanded into single events with their own
  UIDs; there is no RRULE, EXDATE or RECURRENCE-ID. A cancelled occurrence is
  simply not there, and a moved occurrence keeps its UID with a higher SEQUENCE.
- The calendar carries NAME and X-WR-CALNAME, ``REFRESH-INTERVAL;VALUE=DURATION:PT1H``
  and ``X-PUBLISHED-TTL:PT1H``. Each event has LOCATION (space, hub, address) and a
  URL back into Hub: the owner's own bookings link to "My bookings" (``/bookings``,
  where they are cancelled or checked in; there is no page per booking), other
  people's to the hub's availability page on the booking's day. icalendar
  writes CRLF line ends and folds at 75 octets without splitting a multi-byte
  character (Æ, Ø, Å).

What each scope shows (``FeedScope``):

- personal: the person's own bookings in all hubs, with the summary of the
  booking emails (a meeting's title, else "space – hub"); TRANSP:OPAQUE.
- space: the space's bookings, "Busy" or the booker's name;
- hub: the hub's bookings, "<space>: busy" or "<space>: <name>";
- organization: the bookings billed to the organization, "<space> – <name>" or
  "<space> – employee", in the hubs where the feed's owner may see the
  organization's figures (``permissions.can_view_organization_finance``: its
  partner contact or a hub admin; a system admin sees all hubs).

In the shared scopes a person's name shows only when that person allows it
(``User.share_name``) and the feed's owner is a member of the hub (as on the
availability page), or when the booking is the owner's own; the title of
someone else's meeting never shows. Unlike the availability page, hub admins get
no more names in a feed: a feed URL is a secret that can travel, unlike a page
behind a login. Shared scopes are TRANSP:TRANSPARENT: other people's bookings
must not make the subscriber look busy.

Language: titles and summaries are in the feed owner's language
(``User.language``, like the booking emails), because a feed has no request
language and is read by its owner; the language is part of ``FeedSpec`` and so
of the ETag.

Window: from local midnight ``CALENDAR_FEED_DAYS_BACK`` days before today to the
end of the day ``CALENDAR_FEED_DAYS_AHEAD`` days after, in the hub's timezone (the
default timezone for personal and organization feeds, which span hubs). A
booking that overlaps the window is in it.

HTTP (the view in hub.calendar.views): ``validators`` gives a strong ETag and
Last-Modified from one aggregate query, without rendering, for the 304 path;
``render`` gives the body.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from icalendar import vDuration
from sqlalchemy.orm import contains_eager

from hub.accounts import permissions
from hub.accounts.models import Organization, Role, User
from hub.booking import ics
from hub.booking.models import ACTIVE_STATUSES, Booking
from hub.calendar.models import FeedScope, FeedToken
from hub.errors import NotFound
from hub.extensions import db
from hub.spaces.models import Hub, Space

# Part of every ETag: bump it when the same rows would give different bytes
# (a new property, other wording), so clients do not keep an old copy.
FORMAT_VERSION = "1"
PRODUCT = "Hub"
REFRESH = timedelta(hours=1)


@dataclass(frozen=True)
class FeedSpec:
    """What a token subscribes to, resolved from the rows by ``spec_for``."""

    scope: FeedScope
    title: str  # NAME / X-WR-CALNAME
    viewer_id: int | None  # whose feed: their own bookings show their name
    hub_id: int | None
    space_id: int | None
    organization_id: int | None
    user_id: int | None  # personal scope: whose bookings
    locale: str = "nb"  # the owner's language, for titles and summaries
    timezone: str = "Europe/Oslo"  # where "today" is, for the window
    # Organization scope: the hubs whose bookings show (None: all hubs).
    hub_ids: tuple[int, ...] | None = None
    # Whether names of people who share them show (space and hub scopes: only
    # to members of the hub, as on the availability page).
    share_names: bool = True


@dataclass(frozen=True)
class Window:
    first_day: date  # local, inclusive
    last_day: date  # local, inclusive
    starts_at: datetime  # UTC, local midnight at the start of first_day
    ends_at: datetime  # UTC, exclusive: local midnight after last_day
    today_starts_at: datetime  # UTC: the window last moved then


def window(spec: FeedSpec, now: datetime) -> Window:
    config = current_app.config
    zone = ZoneInfo(spec.timezone)
    today = now.astimezone(zone).date()
    first = today - timedelta(days=int(config["CALENDAR_FEED_DAYS_BACK"]))
    last = today + timedelta(days=int(config["CALENDAR_FEED_DAYS_AHEAD"]))

    def midnight(day: date) -> datetime:
        return datetime.combine(day, time(), zone).astimezone(UTC)

    return Window(first, last, midnight(first), midnight(last + timedelta(days=1)), midnight(today))


# --- the spec -------------------------------------------------------------------


def _locale(user: User) -> str:
    config = current_app.config
    language = str(user.language)
    return language if language in config["LANGUAGES"] else config["BABEL_DEFAULT_LOCALE"]


def _organization_hub_ids(owner: User, organization_id: int) -> tuple[int, ...] | None:
    """The hubs where the owner may see the organization's bookings (None: all)."""
    if owner.is_system_admin:
        return None
    return tuple(
        sorted(
            {
                role.hub_id
                for role in owner.roles
                if role.role == Role.ADMIN
                or (role.role == Role.PARTNER_CONTACT and role.organization_id == organization_id)
            }
        )
    )


def spec_for(token: FeedToken) -> FeedSpec:
    """Resolve a token into what its feed shows and is called.

    A revoked token, or one whose owner is deactivated, raises NotFound (404),
    as does a target row that is gone.
    """
    owner = token.user
    if token.is_revoked or owner is None or not owner.active:
        raise NotFound(_("No such token."))
    locale = _locale(owner)
    zone = current_app.config["BABEL_DEFAULT_TIMEZONE"]
    common: dict[str, Any] = {
        "scope": token.scope,
        "viewer_id": owner.id,
        "hub_id": None,
        "space_id": None,
        "organization_id": None,
        "user_id": None,
        "locale": locale,
    }
    with force_locale(locale):
        match token.scope:
            case FeedScope.PERSONAL:
                title = f"{_('My bookings')} – {PRODUCT}"
                return FeedSpec(title=title, timezone=zone, **common | {"user_id": owner.id})
            case FeedScope.SPACE:
                space = db.session.get(Space, token.space_id)
                if space is None:
                    raise NotFound(_("No such token."))
                return FeedSpec(
                    title=f"{space.name} – {space.hub.name}",
                    timezone=space.hub.timezone,
                    share_names=permissions.is_hub_member(owner, space.hub),
                    **common | {"space_id": space.id, "hub_id": space.hub_id},
                )
            case FeedScope.HUB:
                hub = db.session.get(Hub, token.hub_id)
                if hub is None:
                    raise NotFound(_("No such token."))
                return FeedSpec(
                    title=hub.name,
                    timezone=hub.timezone,
                    share_names=permissions.is_hub_member(owner, hub),
                    **common | {"hub_id": hub.id},
                )
            case FeedScope.ORGANIZATION:
                org = db.session.get(Organization, token.organization_id)
                if org is None:
                    raise NotFound(_("No such token."))
                return FeedSpec(
                    title=f"{org.display_name} – {PRODUCT}",
                    timezone=zone,
                    hub_ids=_organization_hub_ids(owner, org.id),
                    **common | {"organization_id": org.id},
                )
    raise NotFound(_("No such token."))  # an unknown scope: never served


# --- which bookings -------------------------------------------------------------


def _conditions(spec: FeedSpec, win: Window) -> list[sa.ColumnElement[bool]]:
    """The scope and the window; the status is added by the callers."""
    conditions = [Booking.starts_at < win.ends_at, Booking.ends_at > win.starts_at]
    match spec.scope:
        case FeedScope.PERSONAL:
            conditions.append(Booking.user_id == spec.user_id)
        case FeedScope.SPACE:
            conditions.append(Booking.space_id == spec.space_id)
        case FeedScope.HUB:
            conditions.append(Booking.hub_id == spec.hub_id)
        case FeedScope.ORGANIZATION:
            conditions.append(Booking.organization_id == spec.organization_id)
            if spec.hub_ids is not None:
                conditions.append(Booking.hub_id.in_(spec.hub_ids) if spec.hub_ids else sa.false())
        case _:
            conditions.append(sa.false())
    return conditions


def _shows_names(spec: FeedSpec) -> bool:
    return spec.scope != FeedScope.PERSONAL


def _name_visible(spec: FeedSpec) -> sa.ColumnElement[bool]:
    """SQL twin of ``_Texts.name``: whose name a shared feed shows."""
    own = User.id == spec.viewer_id
    return sa.or_(User.share_name, own) if spec.share_names else own


# --- validators -----------------------------------------------------------------


def _named_rows(spec: FeedSpec, win: Window) -> list[Any]:
    """Scalar subqueries: the latest change of the rows whose names the feed shows.

    Space and hub names and the hub's address are in every SUMMARY, LOCATION or
    title, so their rows count: a superset of them, taken from the small spaces
    and hubs tables (not joined per booking): the hub's spaces for a hub feed,
    the hubs the organization feed may show, the spaces and hubs of the person's
    bookings in the window. A change to a space without bookings in the feed
    changes the ETag too, which costs one render, never a stale feed.
    """
    spaces = sa.select(sa.func.max(Space.updated_at))
    hubs = sa.select(sa.func.max(Hub.updated_at))
    match spec.scope:
        case FeedScope.SPACE:
            spaces = spaces.where(Space.id == spec.space_id)
            hubs = hubs.where(Hub.id == spec.hub_id)
        case FeedScope.HUB:
            spaces = spaces.where(Space.hub_id == spec.hub_id)
            hubs = hubs.where(Hub.id == spec.hub_id)
        case FeedScope.ORGANIZATION:
            if spec.hub_ids is not None:
                spaces = spaces.where(Space.hub_id.in_(spec.hub_ids))
                hubs = hubs.where(Hub.id.in_(spec.hub_ids))
        case _:
            mine = _conditions(spec, win)
            spaces = spaces.where(Space.id.in_(sa.select(Booking.space_id).where(*mine)))
            hubs = hubs.where(Hub.id.in_(sa.select(Booking.hub_id).where(*mine)))
    rows = [spaces.scalar_subquery(), hubs.scalar_subquery()]
    if spec.organization_id is not None:  # its name is in the title
        rows.append(
            sa.select(Organization.updated_at)
            .where(Organization.id == spec.organization_id)
            .scalar_subquery()
        )
    return rows


def _aggregate(spec: FeedSpec, win: Window) -> sa.Select[Any]:
    """One query: what the bookings in the window, and the rows named in the feed, last became.

    max(updated_at), max(id) and sum(sequence) run over the window's bookings of
    every status, so a cancellation (which touches ``updated_at`` and bumps the
    SEQUENCE) moves them even within one clock tick; the count is of the active
    bookings the feed shows. In the shared scopes the people whose names show
    count too: how many bookings show a name and the latest change of those
    people (a name changed or shared, ``share_name`` switched either way), but
    not other people's logins, which touch ``users.updated_at`` as well.
    The space, hub and organization rows come from ``_named_rows``.
    """
    active = Booking.status.in_(ACTIVE_STATUSES)
    columns: list[Any] = [
        sa.func.count(sa.case((active, Booking.id))),
        sa.func.max(Booking.updated_at),
        sa.func.max(Booking.id),
        sa.func.sum(Booking.sequence),
    ]
    query = sa.select().select_from(Booking)
    if _shows_names(spec):
        named = sa.and_(active, _name_visible(spec))
        columns += [
            sa.func.count(sa.case((named, Booking.id))),
            sa.func.max(sa.case((named, User.updated_at))),
        ]
        query = query.outerjoin(User, User.id == Booking.user_id)
    columns += _named_rows(spec, win)
    return query.add_columns(*columns).where(*_conditions(spec, win))


def _canonical(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, tuple):
        return ",".join(map(_canonical, value))
    return str(value)


def validators(spec: FeedSpec, now: datetime) -> tuple[str, datetime]:
    """(strong ETag value without quotes, Last-Modified) of the feed, without rendering it.

    The ETag hashes everything the bytes depend on: the format version, the spec
    (scope, targets, title, language), the window's days, PUBLIC_URL (in UIDs and
    URLs) and the aggregate of the rows (``_aggregate``). Any booking created,
    moved, cancelled, approved or renamed space changes it; the same data on the
    same day gives the same value.

    Last-Modified is the latest ``updated_at`` among those rows, but never earlier
    than local midnight today (the window moves then, so bookings may have left
    it), in whole seconds. It may miss a booking that was moved out of the window
    (its row is no longer counted); the ETag does not (the count drops), and
    If-None-Match wins over If-Modified-Since.
    """
    win = window(spec, now)
    row = tuple(db.session.execute(_aggregate(spec, win)).one())
    config = current_app.config
    parts = (
        FORMAT_VERSION,
        spec.scope,
        spec.viewer_id,
        spec.hub_id,
        spec.space_id,
        spec.organization_id,
        spec.user_id,
        spec.hub_ids,
        spec.share_names,
        spec.locale,
        spec.timezone,
        spec.title,
        win.first_day,
        win.last_day,
        config["PUBLIC_URL"],
        *row,
    )
    digest = hashlib.sha256("\x1f".join(map(_canonical, parts)).encode()).hexdigest()
    instants = [value for value in row if isinstance(value, datetime)]
    last_modified = max([win.today_starts_at, *instants]).astimezone(UTC)
    return digest[:32], last_modified.replace(microsecond=0)


# --- rendering ------------------------------------------------------------------


def feed_bookings(spec: FeedSpec, now: datetime) -> Sequence[Booking]:
    """The active bookings the feed shows, by start, with their space, hub and person."""
    query = (
        sa.select(Booking)
        .join(Booking.space)
        .join(Booking.hub)
        .options(contains_eager(Booking.space), contains_eager(Booking.hub))
        .where(Booking.status.in_(ACTIVE_STATUSES), *_conditions(spec, window(spec, now)))
        .order_by(Booking.starts_at, Booking.id)
    )
    if _shows_names(spec):
        query = query.outerjoin(Booking.user).options(contains_eager(Booking.user))
    return db.session.scalars(query).all()


class _Texts:
    """Summaries and URLs of one feed, in the owner's language, computed once per space."""

    def __init__(self, spec: FeedSpec) -> None:
        self.spec = spec
        self.base_url = current_app.config["PUBLIC_URL"].rstrip("/")
        self.own_url = ics.bookings_url()
        self.busy = _("Busy")
        self.employee = _("employee")
        self._space_busy: dict[str, str] = {}

    def name(self, booking: Booking) -> str | None:
        user = booking.user
        if user is None:
            return None
        if user.id == self.spec.viewer_id or (self.spec.share_names and user.share_name):
            return user.name
        return None

    def summary(self, booking: Booking) -> str:
        scope = self.spec.scope
        if scope == FeedScope.PERSONAL:
            return ics.summary(booking)
        name = self.name(booking)
        space = booking.space.name
        if scope == FeedScope.SPACE:
            return name or self.busy
        if scope == FeedScope.HUB:
            if name:
                return f"{space}: {name}"
            if space not in self._space_busy:
                self._space_busy[space] = _("%(space)s: busy", space=space)
            return self._space_busy[space]
        return f"{space} – {name or self.employee}"

    def url(self, booking: Booking) -> str:
        """Own bookings link to the person's bookings page; others to the hub's day."""
        if booking.user_id is not None and booking.user_id == self.spec.viewer_id:
            return self.own_url
        hub = booking.hub
        day = booking.starts_at.astimezone(ZoneInfo(hub.timezone)).date()
        # hub.booking.views.hub_availability
        return f"{self.base_url}/hubs/{hub.slug}/availability?date={day.isoformat()}"


def render(spec: FeedSpec, now: datetime) -> bytes:
    """The feed's .ics body: the same rows on the same day give the same bytes."""
    bookings = feed_bookings(spec, now)
    calendar = ics.new_calendar()
    calendar.add("name", spec.title)
    calendar.add("x-wr-calname", spec.title)
    calendar.add("refresh-interval", vDuration(REFRESH), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(REFRESH))
    transp = "OPAQUE" if spec.scope == FeedScope.PERSONAL else "TRANSPARENT"
    host = ics.uid_host()
    with force_locale(spec.locale):
        texts = _Texts(spec)
        for booking in bookings:
            calendar.add_component(
                ics.base_event(
                    booking,
                    summary=texts.summary(booking),
                    url=texts.url(booking),
                    status=ics.event_status(booking),
                    transp=transp,
                    host=host,
                )
            )
    # Properties in the order added (the same every time): a fifth faster than sorting them.
    return calendar.to_ical(sorted=False)
