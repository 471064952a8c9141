"""Who may do what: every role check in the application lives here."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import abort

from hub.accounts.models import Role

if TYPE_CHECKING:
    from hub.accounts.models import Organization, User
    from hub.spaces.models import Hub


def _roles(user: User, hub: Hub) -> set[Role]:
    return {r.role for r in user.roles if r.hub_id == hub.id}


def is_authenticated(user: User | None) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False))


def can_manage_installation(user: User | None) -> bool:
    """Create hubs and grant system-wide rights."""
    return is_authenticated(user) and user.is_system_admin  # type: ignore[union-attr]


def can_admin_hub(user: User | None, hub: Hub) -> bool:
    if not is_authenticated(user):
        return False
    return user.is_system_admin or Role.ADMIN in _roles(user, hub)  # type: ignore[union-attr]


def admin_hub_ids(user: User | None) -> set[int]:
    if not is_authenticated(user):
        return set()
    return {r.hub_id for r in user.roles if r.role == Role.ADMIN}  # type: ignore[union-attr]


def can_open_admin(user: User | None) -> bool:
    return can_manage_installation(user) or bool(admin_hub_ids(user))


def can_manage_organizations(user: User | None) -> bool:
    """Organizations are one shared register; any hub admin may add or correct them."""
    return can_open_admin(user)


def can_manage_user(actor: User | None, target: User) -> bool:
    """System admins manage everyone; hub admins those with a role in their hubs.

    A hub admin may not manage someone with wider rights (a system admin, or an
    admin of a hub the actor does not administer): changing that person's email
    would let the actor reset their password and take over those rights.
    """
    if can_manage_installation(actor):
        return True
    hubs = admin_hub_ids(actor)
    if not hubs or target.is_system_admin or not admin_hub_ids(target) <= hubs:
        return False
    return any(r.hub_id in hubs for r in target.roles)


def can_change_email(actor: User | None, target: User) -> bool:
    """Only system admins change the email of someone who has a password.

    A hub admin who could change it could send the reset link to themselves
    and take over the account; before the invitation is accepted there is
    nothing to take over, and correcting a typo is useful.
    """
    if can_manage_installation(actor):
        return True
    return can_manage_user(actor, target) and target.password_hash is None


def can_grant_system_admin(actor: User | None) -> bool:
    return can_manage_installation(actor)


def is_hub_member(user: User | None, hub: Hub) -> bool:
    return is_authenticated(user) and (
        user.is_system_admin or bool(_roles(user, hub))  # type: ignore[union-attr]
    )


def can_view_organization_finance(user: User | None, hub: Hub, org: Organization) -> bool:
    """Admins see every partner; a partner contact only the organization they speak for."""
    if can_admin_hub(user, hub):
        return True
    if not is_authenticated(user):
        return False
    return any(
        r.hub_id == hub.id and r.role == Role.PARTNER_CONTACT and r.organization_id == org.id
        for r in user.roles  # type: ignore[union-attr]
    )


def partner_organization_ids(user: User | None, hub: Hub) -> set[int]:
    """The organizations the person speaks for in the hub as a partner contact."""
    if not is_authenticated(user):
        return set()
    return {
        r.organization_id
        for r in user.roles  # type: ignore[union-attr]
        if r.hub_id == hub.id and r.role == Role.PARTNER_CONTACT and r.organization_id
    }


def is_partner_contact(user: User | None) -> bool:
    """Whether the person speaks for an organization in any hub (statements in the menu)."""
    return is_authenticated(user) and any(
        r.role == Role.PARTNER_CONTACT
        for r in user.roles  # type: ignore[union-attr]
    )


def can_view_usage(user: User | None, hub: Hub) -> bool:
    """Admins see all of a hub's usage; partner contacts their own and the hub's totals."""
    return can_admin_hub(user, hub) or bool(partner_organization_ids(user, hub))


def can_view_any_usage(user: User | None) -> bool:
    """Whether the menu offers usage: system admins, hub admins and partner contacts."""
    if not is_authenticated(user):
        return False
    return user.is_system_admin or any(  # type: ignore[union-attr]
        r.role in (Role.ADMIN, Role.PARTNER_CONTACT)
        for r in user.roles  # type: ignore[union-attr]
    )


def administered_hub(slug: str) -> Hub:
    """The hub in the address (404 if unknown), if the current person administers it (403)."""
    from flask_login import current_user

    from hub.spaces.service import get_hub

    hub = get_hub(slug)
    ensure(can_admin_hub(current_user, hub))
    return hub


def ensure(allowed: bool) -> None:
    """Stop the request with 403 unless the check passed."""
    if not allowed:
        abort(403)
