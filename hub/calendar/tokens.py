"""Secret feed URLs: issue (and renew), revoke and resolve subscription tokens.

The same pattern as personal API tokens (``hub.accounts.service``): the secret is
``secrets.token_urlsafe(32)`` (256 bits), only its SHA-256 is stored, and a
lookup by hash is confirmed with a constant-time comparison. The full URL can
therefore only be shown right after it is issued.

A person has at most one active token per feed (scope and target): issuing a
new one revokes the old, so "renew" is simply "issue again" and the old URL
stops working at once. Rights are checked when a token is issued and again on
every use, so a feed stops (404) when its owner loses the right to it or is
deactivated. Services flush; the request commits.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from hub.accounts import permissions
from hub.accounts.models import Organization, Role
from hub.accounts.service import hash_token
from hub.calendar.models import FeedScope, FeedToken
from hub.database import utcnow, write_aside
from hub.errors import PermissionDenied
from hub.extensions import db
from hub.spaces.models import Hub, Space

if TYPE_CHECKING:
    from hub.accounts.models import User

SECRET_BYTES = 32  # 256 bits of randomness; the issue asks for at least 128
FEED_PATH = "/feeds/{secret}.ics"
# Calendar clients poll every few minutes to hours; a date is all the profile shows.
USE_RESOLUTION = timedelta(days=1)
# token_urlsafe(32) is 43 characters; anything much longer is not one of ours.
MAX_SECRET_LENGTH = 100


def partner_contact_organization_ids(user: User | None) -> set[int]:
    """The organizations the person speaks for as partner contact in any hub."""
    if not permissions.is_authenticated(user):
        return set()
    roles = user.roles  # type: ignore[union-attr]
    hubs = {r.hub_id: r.hub for r in roles if r.role == Role.PARTNER_CONTACT}
    ids: set[int] = set()
    for hub in hubs.values():
        ids |= permissions.partner_organization_ids(user, hub)
    return ids


def can_subscribe(
    user: User | None,
    scope: FeedScope,
    *,
    space: Space | None = None,
    hub: Hub | None = None,
    organization: Organization | None = None,
) -> bool:
    """Personal: anyone for themselves. Space and hub: the hub's members and admins
    (and system admins). Organization: its partner contacts, and system admins."""
    if not permissions.is_authenticated(user) or not user.active:  # type: ignore[union-attr]
        return False
    if scope == FeedScope.PERSONAL:
        return True
    if scope == FeedScope.SPACE:
        return space is not None and permissions.is_hub_member(user, space.hub)
    if scope == FeedScope.HUB:
        return hub is not None and permissions.is_hub_member(user, hub)
    if scope == FeedScope.ORGANIZATION:
        return organization is not None and (
            permissions.can_manage_installation(user)
            or organization.id in partner_contact_organization_ids(user)
        )
    return False


def _check_target(
    scope: FeedScope, space: Space | None, hub: Hub | None, organization: Organization | None
) -> None:
    given = {
        FeedScope.SPACE: space is not None,
        FeedScope.HUB: hub is not None,
        FeedScope.ORGANIZATION: organization is not None,
    }
    for target_scope, present in given.items():
        if present != (scope == target_scope):
            raise ValueError(f"a {scope} feed takes exactly its own target")


def _same_feed(
    user: User,
    scope: FeedScope,
    *,
    space_id: int | None,
    hub_id: int | None,
    organization_id: int | None,
) -> sa.Select[tuple[FeedToken]]:
    """The person's active tokens for one feed (scope and target)."""
    return sa.select(FeedToken).where(
        FeedToken.user_id == user.id,
        FeedToken.scope == scope,
        FeedToken.revoked_at.is_(None),
        FeedToken.space_id.is_not_distinct_from(space_id),
        FeedToken.hub_id.is_not_distinct_from(hub_id),
        FeedToken.organization_id.is_not_distinct_from(organization_id),
    )


def issue(
    user: User,
    scope: FeedScope | str,
    *,
    space: Space | None = None,
    hub: Hub | None = None,
    organization: Organization | None = None,
) -> tuple[FeedToken, str]:
    """A new secret URL for the feed; any active one for the same feed is revoked.

    Returns the row and the secret; the secret is never stored or shown again.
    Raises ``PermissionDenied`` (403) if the person may not subscribe to it.
    """
    scope = FeedScope(scope)
    _check_target(scope, space, hub, organization)
    if not can_subscribe(user, scope, space=space, hub=hub, organization=organization):
        raise PermissionDenied(_("You may not subscribe to this calendar."))
    target = {
        "space_id": space.id if space is not None else None,
        "hub_id": hub.id if hub is not None else None,
        "organization_id": organization.id if organization is not None else None,
    }
    now = utcnow()
    for old in db.session.scalars(_same_feed(user, scope, **target)):
        old.revoked_at = now
    secret = secrets.token_urlsafe(SECRET_BYTES)
    token = FeedToken(
        user=user, scope=scope, token_hash=hash_token(secret), created_at=now, **target
    )
    db.session.add(token)
    db.session.flush()
    return token, secret


def revoke(token: FeedToken) -> None:
    """Turn the feed off; its URL answers 404 from now on. Revoking twice is harmless."""
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db.session.flush()


def revoke_personal(user: User) -> None:
    """Turn off the person's own feed, if it is on."""
    for token in db.session.scalars(
        _same_feed(user, FeedScope.PERSONAL, space_id=None, hub_id=None, organization_id=None)
    ):
        revoke(token)


def targets(token: FeedToken) -> tuple[Space | None, Hub | None, Organization | None]:
    """The space, hub or organization the feed follows (None for the others)."""
    return (
        db.session.get(Space, token.space_id) if token.space_id is not None else None,
        db.session.get(Hub, token.hub_id) if token.hub_id is not None else None,
        db.session.get(Organization, token.organization_id)
        if token.organization_id is not None
        else None,
    )


def still_allowed(token: FeedToken) -> bool:
    """Whether the owner still has the right to the feed the token opens."""
    space, hub, organization = targets(token)
    return can_subscribe(token.user, token.scope, space=space, hub=hub, organization=organization)


def resolve(secret: str) -> FeedToken | None:
    """The active token for a secret, or None (unknown, revoked, or no longer allowed).

    Looked up by hash, then compared in constant time. ``last_used_at`` is written
    at most once a day, not on every poll.
    """
    if not secret or len(secret) > MAX_SECRET_LENGTH:
        return None
    digest = hash_token(secret)
    token = db.session.scalar(sa.select(FeedToken).where(FeedToken.token_hash == digest))
    if token is None or token.revoked_at is not None:
        return None
    if not hmac.compare_digest(token.token_hash, digest) or not still_allowed(token):
        return None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at >= USE_RESOLUTION:
        write_aside(
            db.session(),
            sa.update(FeedToken).where(FeedToken.id == token.id).values(last_used_at=now),
        )
    return token


def active_tokens(user: User) -> list[FeedToken]:
    """The person's feeds that are on, personal first, then by creation."""
    order = sa.case(
        {
            FeedScope.PERSONAL.value: 0,
            FeedScope.ORGANIZATION.value: 1,
            FeedScope.HUB.value: 2,
            FeedScope.SPACE.value: 3,
        },
        value=FeedToken.scope,
    )
    return list(
        db.session.scalars(
            sa.select(FeedToken)
            .where(FeedToken.user_id == user.id, FeedToken.revoked_at.is_(None))
            .order_by(order, FeedToken.created_at, FeedToken.id)
        )
    )


def feed_urls(secret: str) -> tuple[str, str]:
    """The https URL from PUBLIC_URL and the same URL with the webcal:// scheme."""
    url = current_app.config["PUBLIC_URL"].rstrip("/") + FEED_PATH.format(secret=secret)
    _scheme, _sep, rest = url.partition("://")
    return url, f"webcal://{rest}"
