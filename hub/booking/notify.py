"""Emails to the person who booked: booked, cancelled, released."""

from __future__ import annotations

from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from hub import mail
from hub.booking.models import Booking


def _send(booking: Booking, subject: str, template: str) -> None:
    user = booking.user
    if user is None:
        return
    with force_locale(str(user.language)):
        mail.send_mail(
            to=user.email,
            subject=subject,
            body=render_template(template, booking=booking, user=user),
        )


def booking_released(booking: Booking) -> None:
    with force_locale(str(booking.user.language) if booking.user else "nb"):
        subject = _("Your booking of %(space)s was released", space=booking.space.name)
    _send(booking, subject, "mail/booking_released.txt")


def booking_decided(booking: Booking) -> None:
    approved = booking.status == "confirmed"
    with force_locale(str(booking.user.language) if booking.user else "nb"):
        if approved:
            subject = _("Your booking of %(space)s is approved", space=booking.space.name)
        else:
            subject = _("Your booking of %(space)s was declined", space=booking.space.name)
    _send(booking, subject, "mail/booking_decided.txt")
