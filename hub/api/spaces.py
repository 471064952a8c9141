"""A hub's spaces: desks, cells, meeting rooms and common areas."""

from __future__ import annotations

from typing import Any

from flask_login import current_user

from hub.accounts import permissions
from hub.accounts.permissions import administered_hub
from hub.api import schemas as s
from hub.api.operations import operation, read_body
from hub.spaces import service as spaces

TAG = "spaces"


def admin_space(space_id: int) -> Any:
    space = spaces.get_space(space_id)
    permissions.ensure(permissions.can_admin_hub(current_user, space.hub))
    return space


@operation(
    "GET",
    "/hubs/<slug>/spaces",
    summary="List a hub's spaces",
    tag=TAG,
    response=s.Space,
    many=True,
)
def list_spaces(slug: str) -> Any:
    """All spaces by name, inactive ones included (see ``active`` and ``bookable``)."""
    return spaces.get_hub(slug).spaces


@operation(
    "POST",
    "/hubs/<slug>/spaces",
    summary="Add a space to a hub",
    tag=TAG,
    request=s.SpaceCreate,
    response=s.Space,
    status=201,
)
def create_space(slug: str) -> Any:
    hub = administered_hub(slug)
    return spaces.create_space(hub, read_body().model_dump(exclude_unset=True))


@operation("GET", "/spaces/<id:space_id>", summary="Get a space", tag=TAG, response=s.Space)
def get_space(space_id: int) -> Any:
    return spaces.get_space(space_id)


@operation(
    "PATCH",
    "/spaces/<id:space_id>",
    summary="Update a space",
    tag=TAG,
    request=s.SpaceUpdate,
    response=s.Space,
)
def update_space(space_id: int) -> Any:
    space = admin_space(space_id)
    return spaces.update_space(space, read_body().model_dump(exclude_unset=True))


@operation("DELETE", "/spaces/<id:space_id>", summary="Delete a space", tag=TAG, status=204)
def delete_space(space_id: int) -> Any:
    """To keep a space's history, set ``active`` to false instead."""
    spaces.delete_space(admin_space(space_id))
    return None
