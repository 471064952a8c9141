"""A hub's events (arrangementer) and their attendance per organization; hub admins only."""

from __future__ import annotations

from typing import Any

from flask_login import current_user

from hub.accounts.permissions import administered_hub
from hub.api import schemas as s
from hub.api.operations import operation, read_body, read_query
from hub.usage import events

TAG = "usage"


@operation(
    "GET",
    "/hubs/<slug>/events",
    summary="List a hub's events",
    tag=TAG,
    response=s.Event,
    many=True,
)
def list_events(slug: str) -> Any:
    """Newest first. Query parameters (optional): ``from`` and ``to``, dates ``YYYY-MM-DD``,
    both inclusive."""
    hub = administered_hub(slug)
    query = read_query(s.EventQuery)
    return events.list_events(hub, query.from_, query.to)


@operation(
    "POST",
    "/hubs/<slug>/events",
    summary="Register an event with its attendance",
    tag=TAG,
    request=s.EventCreate,
    response=s.Event,
    status=201,
)
def create_event(slug: str) -> Any:
    hub = administered_hub(slug)
    return events.create_event(hub, read_body().model_dump(exclude_unset=True), current_user)


@operation(
    "GET", "/hubs/<slug>/events/<id:event_id>", summary="Get an event", tag=TAG, response=s.Event
)
def get_event(slug: str, event_id: int) -> Any:
    return events.get_event(administered_hub(slug), event_id)


@operation(
    "PATCH",
    "/hubs/<slug>/events/<id:event_id>",
    summary="Update an event",
    tag=TAG,
    request=s.EventUpdate,
    response=s.Event,
)
def update_event(slug: str, event_id: int) -> Any:
    """Only the keys given change; ``attendance``, when given, replaces every row."""
    event = events.get_event(administered_hub(slug), event_id)
    return events.update_event(event, read_body().model_dump(exclude_unset=True))


@operation(
    "DELETE",
    "/hubs/<slug>/events/<id:event_id>",
    summary="Delete an event",
    tag=TAG,
    status=204,
)
def delete_event(slug: str, event_id: int) -> Any:
    events.delete_event(events.get_event(administered_hub(slug), event_id))
    return None
