"""People, invitations and roles in hubs."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_login import current_user

from hub.accounts import permissions
from hub.accounts import service as accounts
from hub.accounts.models import HubRole, User
from hub.accounts.permissions import administered_hub
from hub.api import schemas as s
from hub.api.operations import operation, read_body
from hub.errors import ValidationFailed
from hub.extensions import db

TAG = "users"


def user_out(user: User, *, all_roles: bool = False) -> s.User:
    """A person with the roles the caller may see: all for system admins and oneself.

    The card id is personal and only for administrators who manage the person.
    """
    out = s.User.model_validate(user)
    if not permissions.can_manage_user(current_user, user):
        out = out.model_copy(update={"card_id": None})
    if all_roles or permissions.can_manage_installation(current_user):
        return out
    visible = permissions.admin_hub_ids(current_user)
    return out.model_copy(update={"roles": [r for r in out.roles if r.hub_id in visible]})


def _managed_user(user_id: int) -> User:
    user: User = accounts.get_or_404(User, user_id)
    permissions.ensure(permissions.can_manage_user(current_user, user))
    return user


@operation("GET", "/users", summary="List people", tag=TAG, response=s.User, many=True)
def list_users() -> Any:
    """System admins see everyone; hub admins the people with a role in their hubs."""
    permissions.ensure(permissions.can_open_admin(current_user))
    everyone = permissions.can_manage_installation(current_user)
    hub_ids = None if everyone else permissions.admin_hub_ids(current_user)
    return [user_out(user) for user in accounts.list_users(hub_ids)]


@operation("GET", "/users/<id:user_id>", summary="Get a person", tag=TAG, response=s.User)
def get_user(user_id: int) -> Any:
    return user_out(_managed_user(user_id))


@operation(
    "PATCH",
    "/users/<id:user_id>",
    summary="Update a person",
    tag=TAG,
    request=s.UserUpdate,
    response=s.User,
)
def update_user(user_id: int) -> Any:
    """Setting ``is_system_admin`` needs a system administrator."""
    user = _managed_user(user_id)
    values = read_body().model_dump(exclude_unset=True)
    if "is_system_admin" in values:
        permissions.ensure(permissions.can_grant_system_admin(current_user))
    if "email" in values and values["email"] != user.email:
        permissions.ensure(permissions.can_change_email(current_user, user))
    return user_out(accounts.update_user(user, values))


@operation(
    "POST",
    "/hubs/<slug>/invitations",
    summary="Invite a person to a hub with a role",
    tag=TAG,
    request=s.InvitationCreate,
    response=s.User,
    status=201,
)
def create_invitation(slug: str) -> Any:
    """A new person gets an email with a link to choose a password; a known one a notice."""
    hub = administered_hub(slug)
    body = read_body()
    values = body.model_dump(exclude_unset=True, exclude={"role", "organization_id"})
    user = accounts.invite_user(
        hub, values, body.role, body.organization_id, invited_by=current_user
    )
    return user_out(user)


@operation(
    "GET",
    "/hubs/<slug>/roles",
    summary="List roles in a hub",
    tag=TAG,
    response=s.HubRole,
    many=True,
)
def list_roles(slug: str) -> Any:
    return accounts.roles_in_hub(administered_hub(slug))


@operation(
    "POST",
    "/hubs/<slug>/roles",
    summary="Give a person a role in a hub",
    tag=TAG,
    request=s.RoleGrant,
    response=s.HubRole,
    status=201,
    also=(200,),
)
def grant_role(slug: str) -> Any:
    """201 for a new role; 200 when the person already had it."""
    hub = administered_hub(slug)
    body = read_body()
    user = db.session.get(User, body.user_id)
    if user is None:
        raise ValidationFailed({"user_id": _("No such person.")})
    known = {role.id for role in user.roles}
    role = accounts.grant_role(user, hub, body.role, body.organization_id)
    return role, 200 if role.id in known else 201


@operation("DELETE", "/roles/<id:role_id>", summary="Remove a role", tag=TAG, status=204)
def revoke_role(role_id: int) -> Any:
    role: HubRole = accounts.get_or_404(HubRole, role_id)
    permissions.ensure(permissions.can_admin_hub(current_user, role.hub))
    accounts.revoke_role(role)
    return None
