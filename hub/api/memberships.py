"""Organizations' memberships of a hub and the financing terms of their letters of intent."""

from __future__ import annotations

from typing import Any

from flask_login import current_user

from hub.accounts import permissions
from hub.accounts import service as accounts
from hub.accounts.models import Membership
from hub.accounts.permissions import administered_hub
from hub.api import schemas as s
from hub.api.operations import operation, read_body

TAG = "memberships"


def admin_membership(membership_id: int) -> Any:
    membership = accounts.get_or_404(Membership, membership_id)
    permissions.ensure(permissions.can_admin_hub(current_user, membership.hub))
    return membership


@operation(
    "GET",
    "/hubs/<slug>/memberships",
    summary="List a hub's memberships",
    tag=TAG,
    response=s.Membership,
    many=True,
)
def list_memberships(slug: str) -> Any:
    """Hub administrators: the terms are each partner's own figures."""
    return accounts.memberships_of(administered_hub(slug))


@operation(
    "POST",
    "/hubs/<slug>/memberships",
    summary="Add a membership",
    tag=TAG,
    request=s.MembershipCreate,
    response=s.Membership,
    status=201,
)
def create_membership(slug: str) -> Any:
    hub = administered_hub(slug)
    return accounts.create_membership(hub, read_body().model_dump(exclude_unset=True))


@operation(
    "GET",
    "/memberships/<id:membership_id>",
    summary="Get a membership",
    tag=TAG,
    response=s.Membership,
)
def get_membership(membership_id: int) -> Any:
    return admin_membership(membership_id)


@operation(
    "PATCH",
    "/memberships/<id:membership_id>",
    summary="Update a membership",
    tag=TAG,
    request=s.MembershipUpdate,
    response=s.Membership,
)
def update_membership(membership_id: int) -> Any:
    membership = admin_membership(membership_id)
    return accounts.update_membership(membership, read_body().model_dump(exclude_unset=True))


@operation(
    "DELETE",
    "/memberships/<id:membership_id>",
    summary="Delete a membership",
    tag=TAG,
    status=204,
)
def delete_membership(membership_id: int) -> Any:
    accounts.delete_membership(admin_membership(membership_id))
    return None
