"""Feeds over HTTP, a booking as .ics, and the profile's subscription links.

The feed (``GET``/``HEAD /feeds/<secret>.ics``) is for calendar clients, not
browsers: no login, no session, no HTML. An unknown, revoked or no longer
allowed secret is a plain-text 404. Validators come from
``hub.calendar.feeds.validators`` (cheap: no rendering); a conditional request
that matches is answered 304 before ``feeds.render`` is called. The body is
never compressed and never negotiated (``Accept``, ``Accept-Encoding`` and
``Accept-Language`` are ignored): calendar clients send odd headers, and the
same URL must always give the same bytes. See docs/calendar.md.
"""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.http import http_date, quote_etag

from hub.accounts.models import Organization, User
from hub.booking import ics
from hub.booking import service as booking_service
from hub.booking.models import Booking
from hub.calendar import feeds, tokens
from hub.calendar.forms import PERSONAL_TARGET, FeedForm, parse_target, target_value
from hub.calendar.models import FeedScope, FeedToken
from hub.database import utcnow
from hub.errors import NotFound
from hub.extensions import db
from hub.forms import form_status
from hub.spaces import service as spaces
from hub.spaces.models import Hub

bp = Blueprint("calendar", __name__)

CONTENT_TYPE = "text/calendar; charset=utf-8"
# Only the subscriber's own client may keep a copy (the URL is a secret and the
# content personal), and it must revalidate before reusing it: a cancelled
# booking leaves the calendar at the client's next refresh. Revalidation is a
# cheap 304 thanks to the ETag.
FEED_CACHE_CONTROL = "private, max-age=0, must-revalidate"
FEED_NOT_FOUND = "Not found: this calendar address is unknown or has been turned off.\n"


# --- the feed ------------------------------------------------------------------------


def _plain_not_found() -> Response:
    return Response(
        FEED_NOT_FOUND,
        status=404,
        content_type="text/plain; charset=utf-8",
        headers={"Cache-Control": "no-store"},
    )


def not_modified(etag: str, last_modified: datetime | None) -> bool:
    """RFC 9110 section 13.2.2 for GET and HEAD.

    If-None-Match, when present, decides alone (weak comparison, lists and
    ``*``); If-Modified-Since is only read without it, and ignored when it is not
    a valid HTTP date.
    """
    if "If-None-Match" in request.headers:
        return request.if_none_match.contains_weak(etag)
    since = request.if_modified_since
    if since is None or last_modified is None:
        return False
    return last_modified.replace(microsecond=0) <= since


@bp.get("/feeds/<secret>.ics")
def feed(secret: str) -> Response:
    """A subscription feed. Flask answers HEAD with this view too."""
    token = tokens.resolve(secret)
    if token is None:
        return _plain_not_found()
    now = utcnow()
    try:
        spec = feeds.spec_for(token)
    except NotFound:  # the target is gone or the owner deactivated
        return _plain_not_found()
    etag, last_modified = feeds.validators(spec, now)
    headers = {"ETag": quote_etag(etag), "Cache-Control": FEED_CACHE_CONTROL}
    if last_modified is not None:
        headers["Last-Modified"] = http_date(last_modified)
    if not_modified(etag, last_modified):
        return Response(status=304, headers=headers)
    if request.method == "HEAD":
        # The headers of the GET without rendering the body. The length is not known
        # without rendering, so none is sent (RFC 9110 allows leaving it out on HEAD).
        response = Response(content_type=CONTENT_TYPE, headers=headers)
        response.automatically_set_content_length = False
        response.headers.pop("Content-Length", None)  # not 0: that would describe the GET
        return response
    return Response(feeds.render(spec, now), content_type=CONTENT_TYPE, headers=headers)


# --- one booking as a download -----------------------------------------------------------


def booking_download(booking: Booking) -> bytes:
    """A plain iCalendar object (no METHOD) with the booking's one event.

    Built with ``hub.booking.ics.base_event``: the same UID, SEQUENCE and times as
    the email invitations and the feeds, so importing it updates the event the
    mail already put in the calendar instead of adding a second one. There is no
    ORGANIZER or ATTENDEE: it is imported as the person's own appointment, not as
    a meeting request that asks for a reply. No METHOD, because a download is not
    an iTIP message (METHOD:PUBLISH would oblige an ORGANIZER).
    """
    status = ics.event_status(booking) if booking.is_active else "CANCELLED"
    calendar = ics.new_calendar()
    calendar.add_component(
        ics.base_event(booking, summary=ics.summary(booking), url=ics.bookings_url(), status=status)
    )
    return calendar.to_ical()


@bp.get("/bookings/<int:booking_id>.ics")
@login_required
def booking_ics(booking_id: int) -> Response:
    """The person's own booking (or one of a hub they administer); others are 404."""
    booking = booking_service.visible_booking(booking_id, current_user)
    return Response(
        booking_download(booking),
        content_type=CONTENT_TYPE,
        headers={
            "Content-Disposition": f'attachment; filename="booking-{booking.id}.ics"',
            "Cache-Control": "private, no-cache",
        },
    )


# --- the subscription page -------------------------------------------------------------


def _me() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def _member_hubs(user: User) -> list[Hub]:
    if user.is_system_admin:
        return spaces.list_hubs()
    hubs = {role.hub_id: role.hub for role in user.roles}
    return sorted(hubs.values(), key=lambda hub: hub.name)


def _partner_organizations(user: User) -> list[Organization]:
    ids = tokens.partner_contact_organization_ids(user)
    orgs = [db.session.get(Organization, ident) for ident in ids]
    return sorted((org for org in orgs if org is not None), key=lambda org: org.name)


def target_choices(user: User) -> dict[str, list[tuple[str, str]]]:
    """Every feed the person may subscribe to, grouped (``<optgroup>``) for the select."""
    own = [(PERSONAL_TARGET, _("My bookings"))]
    own += [
        (target_value("organization", org.id), _("Bookings billed to %(org)s", org=org.name))
        for org in _partner_organizations(user)
    ]
    groups = {_("Mine"): own}
    for hub in _member_hubs(user):
        options = [(target_value("hub", hub.id), _("All of %(hub)s", hub=hub.name))]
        options += [
            (target_value("space", space.id), space.name)
            for space in sorted(hub.spaces, key=lambda s: s.name)
            if space.active and space.bookable
        ]
        groups[hub.name] = options
    return groups


def _feed_form(user: User, *, submitted: bool = True) -> FeedForm:
    """The form, filled from the request when ``submitted``, else blank."""
    form = FeedForm() if submitted else FeedForm(formdata=None)
    form.target.choices = target_choices(user)
    return form


def feed_label(token: FeedToken) -> str:
    space, hub, organization = tokens.targets(token)
    if token.scope == FeedScope.SPACE and space is not None:
        return _("%(space)s in %(hub)s", space=space.name, hub=space.hub.name)
    if token.scope == FeedScope.HUB and hub is not None:
        return _("All of %(hub)s", hub=hub.name)
    if token.scope == FeedScope.ORGANIZATION and organization is not None:
        return _("Bookings billed to %(org)s", org=organization.name)
    return _("My bookings")


def _render(
    form: FeedForm,
    *,
    new: tuple[FeedToken, str] | None = None,
    status: int = 200,
) -> Response:
    user = _me()
    active = tokens.active_tokens(user)
    personal = next((t for t in active if t.scope == FeedScope.PERSONAL), None)
    new_feed = None
    if new is not None:
        token, secret = new
        https_url, webcal_url = tokens.feed_urls(secret)
        new_feed = {
            "token": token,
            "label": feed_label(token),
            "url": https_url,
            "webcal_url": webcal_url,
        }
    response = Response(
        render_template(
            "calendar/subscriptions.html",
            title=_("Calendar subscription"),
            form=form,
            others=[(t, feed_label(t)) for t in active if t.scope != FeedScope.PERSONAL],
            personal=personal,
            new_feed=new_feed,
            has_more_choices=sum(len(o) for o in form.target.choices.values()) > 1,
        ),
        status=status,
    )
    # The page may hold a secret address: never keep it in a cache or the history.
    response.headers["Cache-Control"] = "no-store"
    return response


def _issue_for(user: User, value: str) -> tuple[FeedToken, str]:
    scope, ident = parse_target(value)
    if scope == PERSONAL_TARGET:
        return tokens.issue(user, FeedScope.PERSONAL)
    if scope == "space":
        space = spaces.get_space(ident or 0)
        return tokens.issue(user, FeedScope.SPACE, space=space)
    if scope == "hub":
        hub = db.session.get(Hub, ident)
        if hub is None:
            raise NotFound(_("Not found."))
        return tokens.issue(user, FeedScope.HUB, hub=hub)
    organization = db.session.get(Organization, ident)
    if scope != "organization" or organization is None:
        raise NotFound(_("Not found."))
    return tokens.issue(user, FeedScope.ORGANIZATION, organization=organization)


@bp.get("/profile/calendar")
@login_required
def subscriptions() -> Response:
    return _render(_feed_form(_me(), submitted=False))


@bp.post("/profile/calendar")
@login_required
def subscribe() -> Response:
    """Turn a feed on, or renew it: the new address is shown on this response only."""
    user = _me()
    form = _feed_form(user)
    if not form.validate_on_submit():
        return _render(form, status=form_status(form))
    new = _issue_for(user, form.target.data or "")
    return _render(_feed_form(user, submitted=False), new=new)


def _own_token(token_id: int) -> FeedToken:
    token = db.session.get(FeedToken, token_id)
    if token is None or token.user_id != current_user.id or token.is_revoked:
        # Someone else's feed is as unknown as one that does not exist.
        raise NotFound(_("Not found."))
    return token


@bp.post("/profile/calendar/<int:token_id>/renew")
@login_required
def renew(token_id: int) -> Response:
    token = _own_token(token_id)
    space, hub, organization = tokens.targets(token)
    new = tokens.issue(_me(), token.scope, space=space, hub=hub, organization=organization)
    return _render(_feed_form(_me(), submitted=False), new=new)


@bp.post("/profile/calendar/<int:token_id>/turn-off")
@login_required
def turn_off(token_id: int) -> Response:
    token = _own_token(token_id)
    tokens.revoke(token)
    flash(
        _(
            "The calendar address for %(feed)s is turned off. Calendars that subscribe "
            "to it will no longer be updated.",
            feed=feed_label(token),
        ),
        "info",
    )
    return redirect(url_for("calendar.subscriptions"))
