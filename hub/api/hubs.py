"""Hubs, their opening hours and closed days."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from flask_babel import gettext as _
from flask_login import current_user

from hub.accounts import permissions
from hub.api import schemas as s
from hub.api.operations import operation, read_body
from hub.errors import NotFound, ValidationFailed
from hub.spaces import service as spaces

TAG = "hubs"


@operation("GET", "/hubs", summary="List hubs", tag=TAG, response=s.Hub, many=True)
def list_hubs() -> Any:
    """Every hub in the installation, by name; any authenticated user."""
    return spaces.list_hubs()


@operation(
    "POST",
    "/hubs",
    summary="Create a hub",
    tag=TAG,
    request=s.HubCreate,
    response=s.Hub,
    status=201,
)
def create_hub() -> Any:
    """System administrators only."""
    permissions.ensure(permissions.can_manage_installation(current_user))
    body = read_body()
    values = body.model_dump(exclude_unset=True, exclude={"opening_hours"})
    weekly = body.opening_hours.as_mapping() if body.opening_hours else None
    with weekday_field_names("opening_hours."):
        return spaces.create_hub(values, weekly)


@operation("GET", "/hubs/<slug>", summary="Get a hub", tag=TAG, response=s.Hub)
def get_hub(slug: str) -> Any:
    return spaces.get_hub(slug)


@operation(
    "PATCH", "/hubs/<slug>", summary="Update a hub", tag=TAG, request=s.HubUpdate, response=s.Hub
)
def update_hub(slug: str) -> Any:
    """Hub administrators of this hub and system administrators; the slug may change."""
    hub = permissions.administered_hub(slug)
    return spaces.update_hub(hub, read_body().model_dump(exclude_unset=True))


@operation(
    "GET",
    "/hubs/<slug>/opening-hours",
    summary="Get the weekly opening hours",
    tag=TAG,
    response=s.WeeklyHours,
)
def get_opening_hours(slug: str) -> Any:
    return s.WeeklyHours.from_rows(spaces.get_hub(slug).opening_hours)


@operation(
    "PUT",
    "/hubs/<slug>/opening-hours",
    summary="Replace the weekly opening hours",
    tag=TAG,
    request=s.WeeklyHours,
    response=s.WeeklyHours,
)
def put_opening_hours(slug: str) -> Any:
    """The whole week: a weekday that is null or left out is closed."""
    hub = permissions.administered_hub(slug)
    body = read_body()
    with weekday_field_names(""):
        spaces.set_opening_hours(hub, body.as_mapping())
    return s.WeeklyHours.from_rows(hub.opening_hours)


@contextmanager
def weekday_field_names(prefix: str) -> Iterator[None]:
    """Rename the service's ``opening_hours.<0-6>`` error fields to the JSON keys."""
    try:
        yield
    except ValidationFailed as exc:
        renamed: dict[str, list[str]] = {}
        for field, messages in exc.errors.items():
            head, _sep, day = field.partition(".")
            if head == "opening_hours" and day.isdigit() and int(day) < len(s.WEEKDAYS):
                field = prefix + s.WEEKDAYS[int(day)]
            renamed.setdefault(field, []).extend(messages)
        raise ValidationFailed(renamed) from exc


@operation(
    "GET",
    "/hubs/<slug>/closures",
    summary="List the hub's extra closed days",
    tag=TAG,
    response=s.Closure,
    many=True,
)
def list_closures(slug: str) -> Any:
    """Days closed beyond weekends and public holidays, by date."""
    return spaces.get_hub(slug).closures


@operation(
    "POST",
    "/hubs/<slug>/closures",
    summary="Close the hub on a day",
    tag=TAG,
    request=s.ClosureCreate,
    response=s.Closure,
    status=201,
    also=(200,),
)
def create_closure(slug: str) -> Any:
    """201 for a new closed day; 200 when the day was already closed (its reason is updated)."""
    hub = permissions.administered_hub(slug)
    body = read_body()
    existed = body.on_date in spaces.closed_days(hub)
    closure = spaces.add_closure(hub, body.on_date, body.reason)
    return closure, 200 if existed else 201


@operation(
    "DELETE",
    "/hubs/<slug>/closures/<isodate:on_date>",
    summary="Open the hub again on a closed day",
    tag=TAG,
    status=204,
)
def delete_closure(slug: str, on_date: date) -> Any:
    hub = permissions.administered_hub(slug)
    closure = next((c for c in hub.closures if c.on_date == on_date), None)
    if closure is None:
        raise NotFound(_("The hub is not closed on %(day)s.", day=on_date.isoformat()))
    spaces.remove_closure(closure)
    return None
