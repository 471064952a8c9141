"""Emails to the person who booked, each with the booking as an iMIP .ics attachment.

Booked (confirmed or awaiting approval) and approved send METHOD:REQUEST;
cancelled, declined and released send METHOD:CANCEL with the same UID and a
higher SEQUENCE, so the person's mail client adds, updates or removes the event.
Checking out early sends a REQUEST with the new end. Several bookings made or
cancelled in one action (several days, a weekly series) give ONE email that
lists the dates, with one attachment holding one VEVENT per booking.

Callers (pages, API handlers, jobs) call these after the service has succeeded.
The message is built at once, in the person's language and from the rows as they
are, and sent when the unit of work commits (``hub.mail.send_after_commit``):
a change that rolls back sends nothing, and a mail server that is down is logged
as a warning without failing the booking.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from itertools import groupby
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from hub import mail
from hub.booking import ics
from hub.booking.models import Booking, BookingStatus


def when(booking: Booking, locale: str) -> str:
    """The booking's interval in the hub's local time, e.g. "mandag 7. januar 2030 08:00–16:00"."""
    zone = ZoneInfo(booking.hub.timezone)
    start, end = booking.starts_at.astimezone(zone), booking.ends_at.astimezone(zone)
    pattern = "EEEE d MMMM y" if locale == "en" else "EEEE d. MMMM y"
    text = (
        f"{format_date(start, pattern, locale=locale)} {format_time(start, 'HH:mm', locale=locale)}"
    )
    if end.date() != start.date():
        text += f" – {format_date(end, pattern, locale=locale)}"
        return f"{text} {format_time(end, 'HH:mm', locale=locale)}"
    return f"{text}–{format_time(end, 'HH:mm', locale=locale)}"


def _send(
    bookings: Sequence[Booking],
    template: str,
    method: ics.Method,
    subject: Callable[[Booking], str],
    **context: object,
) -> None:
    """One email to the person who made ``bookings`` (all theirs), with one attachment."""
    if not bookings:
        return
    first = bookings[0]
    user = first.user
    if user is None:  # anonymized after the retention period
        return
    locale = str(user.language)
    with force_locale(locale):
        title = subject(first)
        body = render_template(
            template,
            booking=first,
            bookings=bookings,
            user=user,
            dates=[when(b, locale) for b in bookings],
            url=ics.bookings_url(),
            **context,
        )
    mail.send_after_commit(
        to=user.email,
        subject=title,
        body=body,
        attachments=[
            (ics.FILENAME, ics.content_type(method), ics.bookings_calendar(bookings, method))
        ],
    )


def _per_person(bookings: Iterable[Booking]) -> list[list[Booking]]:
    """Group by person (an admin may act on several people's bookings), each by time."""
    ordered = sorted(bookings, key=lambda b: (b.user_id or 0, b.starts_at, b.id))
    return [list(group) for _key, group in groupby(ordered, key=lambda b: b.user_id)]


def booking_created(bookings: Iterable[Booking]) -> None:
    """Booked: confirmed, or waiting for an administrator's approval."""
    for group in _per_person(bookings):
        pending = any(b.status == BookingStatus.PENDING for b in group)

        def subject(b: Booking, pending: bool = pending) -> str:
            if pending:
                return _(
                    "Booking awaiting approval: %(space)s, %(hub)s",
                    space=b.space.name,
                    hub=b.hub.name,
                )
            return _("Booking confirmed: %(space)s, %(hub)s", space=b.space.name, hub=b.hub.name)

        _send(group, "mail/booking_created.txt", "REQUEST", subject, pending=pending)


def booking_cancelled(bookings: Iterable[Booking]) -> None:
    for group in _per_person(bookings):
        _send(
            group,
            "mail/booking_cancelled.txt",
            "CANCEL",
            lambda b: _(
                "Booking cancelled: %(space)s, %(hub)s", space=b.space.name, hub=b.hub.name
            ),
        )


def booking_released(booking: Booking) -> None:
    _send(
        [booking],
        "mail/booking_released.txt",
        "CANCEL",
        lambda b: _("Your booking of %(space)s was released", space=b.space.name),
    )


def booking_decided(booking: Booking) -> None:
    approved = booking.status == BookingStatus.CONFIRMED

    def subject(b: Booking) -> str:
        if approved:
            return _("Your booking of %(space)s is approved", space=b.space.name)
        return _("Your booking of %(space)s was declined", space=b.space.name)

    _send(
        [booking],
        "mail/booking_decided.txt",
        "REQUEST" if approved else "CANCEL",
        subject,
        approved=approved,
    )


def booking_checked_out(booking: Booking) -> None:
    """Checked out early: the calendar event gets the new end."""
    _send(
        [booking],
        "mail/booking_checked_out.txt",
        "REQUEST",
        lambda b: _("Checked out of %(space)s, %(hub)s", space=b.space.name, hub=b.hub.name),
        end=booking.ends_at.astimezone(ZoneInfo(booking.hub.timezone)).strftime("%H:%M"),
    )
