"""A meeting room's external busy calendar in the API.

The room follows an iCal URL; the scheduled job ``sync_external_calendars``
fetches it every 15 minutes and its events block the room. Only the hub's
administrators see or change it (the URL of a published calendar is often a
secret). See docs/calendar-external.md.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from pydantic import Field

from hub.api import schemas as s
from hub.api.operations import operation, read_body
from hub.api.spaces import admin_space
from hub.calendar import external
from hub.calendar.models import ExternalCalendar
from hub.database import utcnow
from hub.errors import NotFound
from hub.spaces.models import Space

TAG = "spaces"
RULE = "/spaces/<id:space_id>/external-calendar"


class ExternalCalendarFollow(s.Body):
    url: str = Field(
        max_length=external.URL_MAX_LENGTH,
        description="An http:// or https:// iCal address (webcal:// is read as https://).",
    )


class ExternalCalendarStatus(s.Out):
    space_id: int
    url: str
    last_success_at: s.Instant | None = Field(description="The last fetch that worked.")
    last_fetched_at: s.Instant | None = Field(description="The last attempt, good or not.")
    last_error: str | None = Field(
        description="Why the last attempt failed; null when it worked. The last good copy "
        "and its busy times are kept meanwhile."
    )
    busy_count: int = Field(description="Busy intervals kept from the calendar.")


def _status(calendar: ExternalCalendar) -> dict[str, Any]:
    return {
        "space_id": calendar.space_id,
        "url": calendar.url,
        "last_success_at": calendar.last_success_at,
        "last_fetched_at": calendar.last_fetched_at,
        "last_error": calendar.last_error,
        "busy_count": external.busy_count(calendar),
    }


def _followed(space: Space) -> ExternalCalendar:
    calendar = external.calendar_of(space)
    if calendar is None:
        raise NotFound(_("This space does not follow an external calendar."))
    return calendar


@operation(
    "PUT",
    RULE,
    summary="Follow an external calendar",
    tag=TAG,
    request=ExternalCalendarFollow,
    response=ExternalCalendarStatus,
    status=201,
    also=(200,),
)
def follow_external_calendar(space_id: int) -> Any:
    """A meeting room follows ``url``: 201 when it starts following, 200 when the URL changed.

    Nothing is fetched here; the job fetches within 15 minutes, or call
    ``POST .../external-calendar/fetch``. A new URL drops the busy times of the old
    one. 422 (field ``url``) for a space that is not a meeting room, or an address
    that is not http(s) or longer than 2000 characters. The hub's administrators.
    """
    space = admin_space(space_id)
    body = read_body()
    is_new = external.calendar_of(space) is None
    calendar = external.follow(space, body.url)
    return _status(calendar), 201 if is_new else 200


@operation(
    "GET",
    RULE,
    summary="Status of a room's external calendar",
    tag=TAG,
    response=ExternalCalendarStatus,
)
def get_external_calendar(space_id: int) -> Any:
    """The URL, the last fetch and its error, and how many busy intervals are kept.

    404 when the space follows no calendar. The hub's administrators.
    """
    return _status(_followed(admin_space(space_id)))


@operation(
    "DELETE",
    RULE,
    summary="Stop following an external calendar",
    tag=TAG,
    status=204,
)
def unfollow_external_calendar(space_id: int) -> Any:
    """The calendar and its busy intervals are removed; 204 also when there was none."""
    external.unfollow(admin_space(space_id))
    return None


@operation(
    "POST",
    RULE + "/fetch",
    summary="Fetch a room's external calendar now",
    tag=TAG,
    response=ExternalCalendarStatus,
)
def fetch_external_calendar(space_id: int) -> Any:
    """Fetches at once and returns the status: 200 either way, ``last_error`` says why not.

    A failed fetch keeps the last good copy and its busy times. 404 when the space
    follows no calendar. The hub's administrators.
    """
    calendar = _followed(admin_space(space_id))
    now: datetime = utcnow()
    external.fetch(calendar, now)
    return _status(calendar)
