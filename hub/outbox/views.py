"""The system admin's page of mails that are not sent yet or could not be sent."""

from __future__ import annotations

from datetime import datetime

from babel.dates import format_datetime
from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from hub.accounts import permissions
from hub.accounts.service import get_or_404
from hub.outbox import service
from hub.outbox.models import OutboxMessage, OutboxStatus

bp = Blueprint("outbox", __name__, url_prefix="/admin/mail")


def _local_time(instant: datetime | None) -> str:
    """In the installation's default timezone: the outbox belongs to no one hub."""
    if instant is None:
        return "–"
    zone = current_app.config["BABEL_DEFAULT_TIMEZONE"]
    return format_datetime(instant, "short", tzinfo=zone, locale=get_locale())


@bp.get("/")
@login_required
def index() -> str:
    permissions.ensure(permissions.can_manage_installation(current_user))
    messages = service.unsent_messages()
    return render_template(
        "outbox/index.html",
        failed=[m for m in messages if m.status is OutboxStatus.FAILED],
        pending=[m for m in messages if m.status is OutboxStatus.PENDING],
        local_time=_local_time,
        title=_("Outgoing mail"),
    )


@bp.post("/<int:message_id>/send-again")
@login_required
def send_again(message_id: int) -> Response:
    permissions.ensure(permissions.can_manage_installation(current_user))
    message = get_or_404(OutboxMessage, message_id)
    if service.send_again(message):
        flash(
            _(
                "The mail to %(email)s is being sent again. If the mail server does not "
                "accept it, it is tried again automatically.",
                email=message.recipient,
            ),
            "success",
        )
    else:
        flash(_("This mail has not failed, so there is nothing to send again."), "info")
    return redirect(url_for(".index"), 303)
