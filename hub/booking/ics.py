"""One booking (or several) as an iCalendar object for email attachments (iMIP).

``base_event`` is the one VEVENT builder; the subscription feeds
(``hub.calendar.feeds``) use it too, so emails and feeds never disagree on a
booking's UID, SEQUENCE, times or location.

Everything comes from the rows, never from the clock: the UID from the id, DTSTAMP
and LAST-MODIFIED from ``updated_at``, SEQUENCE from ``booking.sequence``. The
same rows always give the same bytes. Times are written in UTC (``...Z``), so no
VTIMEZONE is needed and no client can misread them.

``icalendar``'s ``Event.new()`` and ``Calendar.new()`` would invent a random UID
and a DTSTAMP of "now"; the components are therefore built property by property.
The library writes CRLF line ends and folds at 75 octets without splitting a
multi-byte character such as Æ, Ø or Å.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from email.utils import parseaddr
from typing import Literal
from urllib.parse import urlsplit

from flask import current_app
from icalendar import Calendar, Event, vCalAddress

from hub.booking.models import Booking, BookingStatus
from hub.spaces.models import SpaceKind

Method = Literal["REQUEST", "CANCEL"]

PRODID = "-//Hub//Hub//NB"
FILENAME = "booking.ics"


def content_type(method: Method) -> str:
    """The attachment's MIME type, iMIP style, so mail clients update or remove the event."""
    return f"text/calendar; method={method}; charset=utf-8"


def uid_host() -> str:
    """The host part of every UID: PUBLIC_URL's host name, so UIDs are unique per installation."""
    return urlsplit(current_app.config["PUBLIC_URL"]).hostname or "hub.invalid"


def booking_uid(booking: Booking, host: str | None = None) -> str:
    return f"booking-{booking.id}@{host or uid_host()}"


def bookings_url() -> str:
    """The person's bookings page (hub.booking.views.my_bookings); no page per booking exists."""
    return current_app.config["PUBLIC_URL"].rstrip("/") + "/bookings"


def summary(booking: Booking) -> str:
    if booking.space.kind == SpaceKind.MEETING_ROOM and booking.title:
        return booking.title
    return f"{booking.space.name} – {booking.hub.name}"


def location(booking: Booking) -> str:
    hub = booking.hub
    return ", ".join(part for part in (booking.space.name, hub.name, hub.address) if part)


def _utc(instant: datetime) -> datetime:
    return instant.astimezone(UTC)


def _organizer() -> vCalAddress:
    name, address = parseaddr(current_app.config["MAIL_FROM"])
    organizer = vCalAddress(f"mailto:{address}")
    if name:
        organizer.params["cn"] = name
    return organizer


def event_status(booking: Booking) -> str:
    """STATUS of an active booking: TENTATIVE while it awaits approval."""
    return "TENTATIVE" if booking.status == BookingStatus.PENDING else "CONFIRMED"


def _status(booking: Booking, method: Method) -> str:
    if method == "CANCEL":
        return "CANCELLED"
    return event_status(booking)


def base_event(
    booking: Booking,
    *,
    summary: str,
    url: str,
    status: str,
    transp: str = "OPAQUE",
    host: str | None = None,
) -> Event:
    """The one builder of a booking's VEVENT, shared by emails (iMIP) and feeds.

    Property by property, everything from the row: UID from the id, DTSTAMP and
    LAST-MODIFIED from ``updated_at`` (never "now"), SEQUENCE from the row, the
    interval in UTC. Callers choose what differs: the summary (feeds hide other
    people's meetings), the URL, the status and the transparency; iMIP adds the
    ORGANIZER and ATTENDEE on top (feeds have none: clients would treat the
    events as invitations).
    """
    event = Event()
    event.add("uid", booking_uid(booking, host))
    event.add("dtstamp", _utc(booking.updated_at))
    event.add("created", _utc(booking.created_at))
    event.add("last-modified", _utc(booking.updated_at))
    event.add("sequence", booking.sequence)
    event.add("dtstart", _utc(booking.starts_at))
    event.add("dtend", _utc(booking.ends_at))
    event.add("summary", summary)
    event.add("location", location(booking))
    event.add("url", url)
    event.add("status", status)
    event.add("transp", transp)
    return event


def booking_event(booking: Booking, method: Method) -> Event:
    event = base_event(
        booking,
        summary=summary(booking),
        url=bookings_url(),
        status=_status(booking, method),
    )
    event.add("organizer", _organizer())
    user = booking.user
    if user is not None:
        attendee = vCalAddress(f"mailto:{user.email}")
        attendee.params["cn"] = user.name
        attendee.params["cutype"] = "INDIVIDUAL"
        attendee.params["role"] = "REQ-PARTICIPANT"
        attendee.params["partstat"] = "ACCEPTED"
        event.add("attendee", attendee)
    return event


def new_calendar() -> Calendar:
    """An empty VCALENDAR with our PRODID (not ``Calendar.new()``, which invents values)."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    return calendar


def bookings_calendar(bookings: Sequence[Booking], method: Method) -> bytes:
    """A VCALENDAR with one VEVENT per booking, in the order given."""
    calendar = new_calendar()
    calendar.add("method", method)
    for booking in bookings:
        calendar.add_component(booking_event(booking, method))
    return calendar.to_ical()


def booking_calendar(booking: Booking, method: Method) -> bytes:
    return bookings_calendar([booking], method)
