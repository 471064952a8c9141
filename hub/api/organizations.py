"""The shared register of organizations (agencies, municipalities, projects...)."""

from __future__ import annotations

from typing import Any

from flask_login import current_user

from hub.accounts import permissions
from hub.accounts import service as accounts
from hub.accounts.models import Organization
from hub.api import schemas as s
from hub.api.operations import operation, read_body

TAG = "organizations"


@operation(
    "GET",
    "/organizations",
    summary="List organizations",
    tag=TAG,
    response=s.Organization,
    many=True,
)
def list_organizations() -> Any:
    """Every organization, by name; any authenticated user."""
    return accounts.list_organizations()


@operation(
    "POST",
    "/organizations",
    summary="Register an organization",
    tag=TAG,
    request=s.OrganizationCreate,
    response=s.Organization,
    status=201,
)
def create_organization() -> Any:
    """Hub administrators and system administrators."""
    permissions.ensure(permissions.can_manage_organizations(current_user))
    return accounts.create_organization(read_body().model_dump(exclude_unset=True))


@operation(
    "GET",
    "/organizations/<id:organization_id>",
    summary="Get an organization",
    tag=TAG,
    response=s.Organization,
)
def get_organization(organization_id: int) -> Any:
    return accounts.get_or_404(Organization, organization_id)


@operation(
    "PATCH",
    "/organizations/<id:organization_id>",
    summary="Update an organization",
    tag=TAG,
    request=s.OrganizationUpdate,
    response=s.Organization,
)
def update_organization(organization_id: int) -> Any:
    org = accounts.get_or_404(Organization, organization_id)
    permissions.ensure(permissions.can_manage_organizations(current_user))
    return accounts.update_organization(org, read_body().model_dump(exclude_unset=True))
