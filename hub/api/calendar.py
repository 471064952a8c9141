"""Subscription feeds in the API: renew or revoke the secret URLs.

Each ``POST .../feed`` issues a new secret URL for the caller and revokes the
caller's previous one for the same feed, so it both turns a feed on and renews
it. The URL is in that response only: only a hash of the secret is stored, so
``GET /me/feeds`` lists the feeds without their URLs. Rights are those of the
profile page (``hub.calendar.tokens.can_subscribe``): the person's own feed for
anyone; a space's or hub's for the hub's members and admins; an organization's
for its partner contacts and system administrators. An unknown target is 404,
one the caller may not follow 403. See docs/calendar.md.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_login import current_user
from pydantic import Field

from hub.accounts import service as accounts
from hub.accounts.models import Organization
from hub.api import schemas as s
from hub.api.operations import operation
from hub.calendar import tokens
from hub.calendar.models import FeedScope, FeedToken
from hub.errors import NotFound
from hub.extensions import db
from hub.spaces import service as spaces

TAG = "calendar"


class CalendarFeed(s.Out):
    """An active subscription feed of the caller (its URL is not stored)."""

    id: int
    scope: FeedScope = Field(description="personal, space, hub or organization.")
    space_id: int | None
    hub_id: int | None
    organization_id: int | None
    created_at: s.Instant
    last_used_at: s.Instant | None = Field(
        description="When a calendar last fetched the feed (updated at most once a day)."
    )


class CalendarFeedCreated(CalendarFeed):
    url: str = Field(description="The https URL to subscribe to. Shown once: store it now.")
    webcal_url: str = Field(description="The same URL with the webcal:// scheme (Apple).")


def _created(token: FeedToken, secret: str) -> CalendarFeedCreated:
    url, webcal_url = tokens.feed_urls(secret)
    return CalendarFeedCreated.model_validate(
        CalendarFeed.model_validate(token).model_dump() | {"url": url, "webcal_url": webcal_url}
    )


def _me() -> Any:
    return current_user._get_current_object()


@operation(
    "GET",
    "/me/feeds",
    summary="List my active calendar feeds",
    tag=TAG,
    response=CalendarFeed,
    many=True,
)
def list_my_feeds() -> Any:
    """Personal first, then organization, hub and space feeds; revoked ones are left out.

    The URLs are not included: only a hash of each secret is stored.
    """
    return tokens.active_tokens(_me())


@operation(
    "POST",
    "/me/feed",
    summary="Renew my bookings feed",
    tag=TAG,
    response=CalendarFeedCreated,
    status=201,
)
def renew_my_feed() -> Any:
    """A new secret URL for the caller's own bookings; the previous URL stops working (404)."""
    return _created(*tokens.issue(_me(), FeedScope.PERSONAL))


@operation("DELETE", "/me/feed", summary="Turn off my bookings feed", tag=TAG, status=204)
def revoke_my_feed() -> Any:
    """Its URL answers 404 from now on. Turning off a feed that is off changes nothing."""
    tokens.revoke_personal(_me())
    return None


@operation(
    "DELETE",
    "/me/feeds/<id:feed_id>",
    summary="Turn off one of my calendar feeds",
    tag=TAG,
    status=204,
)
def revoke_feed(feed_id: int) -> Any:
    """Someone else's feed is 404, as if it did not exist."""
    token = db.session.get(FeedToken, feed_id)
    if token is None or token.user_id != current_user.id:
        raise NotFound(_("No such feed."))
    tokens.revoke(token)
    return None


@operation(
    "POST",
    "/spaces/<id:space_id>/feed",
    summary="Renew my feed of a space",
    tag=TAG,
    response=CalendarFeedCreated,
    status=201,
)
def renew_space_feed(space_id: int) -> Any:
    """When the space is busy (names only of people who share them). Hub members and admins."""
    space = spaces.get_space(space_id)
    return _created(*tokens.issue(_me(), FeedScope.SPACE, space=space))


@operation(
    "POST",
    "/hubs/<slug>/feed",
    summary="Renew my feed of a hub",
    tag=TAG,
    response=CalendarFeedCreated,
    status=201,
)
def renew_hub_feed(slug: str) -> Any:
    """When the hub's places are busy (names only of people who share them). Hub members."""
    hub = spaces.get_hub(slug)
    return _created(*tokens.issue(_me(), FeedScope.HUB, hub=hub))


@operation(
    "POST",
    "/organizations/<id:organization_id>/feed",
    summary="Renew my feed of an organization",
    tag=TAG,
    response=CalendarFeedCreated,
    status=201,
)
def renew_organization_feed(organization_id: int) -> Any:
    """The bookings billed to the organization. Its partner contacts and system admins."""
    organization = accounts.get_or_404(Organization, organization_id)
    return _created(*tokens.issue(_me(), FeedScope.ORGANIZATION, organization=organization))
