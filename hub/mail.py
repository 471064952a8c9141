"""Outgoing mail: SMTP when configured, .eml files in instance/outbox otherwise.

Tests set ``MAIL_CAPTURE = True`` and read ``sent_mail()``; nothing leaves the
machine from a test.

``send_mail`` sends at once and raises if the SMTP server fails. Notices about
a change in the database use ``send_after_commit``: the message is built now
(in the person's language, from the rows as they are) and sent only when the
unit of work commits, so a rolled-back change sends nothing and no SMTP round
trip happens while the transaction holds its locks. A failed send is logged as
a warning and does not undo the change (see docs/scheduler.md, known limits).
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterable
from email.message import EmailMessage, Message
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy.orm import Session, SessionTransaction

log = logging.getLogger(__name__)

CAPTURE_KEY = "hub.sent_mail"
PENDING_KEY = "hub.mail_after_commit"

# (filename, content type, data). The content type may carry parameters, e.g.
# "text/calendar; method=REQUEST; charset=utf-8".
Attachment = tuple[str, str, bytes]


def _split_content_type(content_type: str) -> tuple[str, str, dict[str, str]]:
    header = Message()
    header["Content-Type"] = content_type
    maintype, subtype = header.get_content_maintype(), header.get_content_subtype()
    params = {key.lower(): value for key, value in (header.get_params() or [])[1:]}
    return maintype, subtype, params


def build_message(
    to: str,
    subject: str,
    body: str,
    attachments: Iterable[Attachment] = (),
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="hub.invalid")
    message.set_content(body)
    for filename, content_type, data in attachments:
        maintype, subtype, params = _split_content_type(content_type)
        message.add_attachment(
            data, maintype=maintype, subtype=subtype, filename=filename, params=params
        )
    return message


def deliver(message: EmailMessage, app: Flask | None = None) -> None:
    """Capture, send by SMTP or write to the outbox, as configured. Raises on failure."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    config = app.config
    if config.get("MAIL_CAPTURE"):
        app.extensions.setdefault(CAPTURE_KEY, []).append(message)
    elif config.get("MAIL_SERVER"):
        with smtplib.SMTP(config["MAIL_SERVER"], int(config["MAIL_PORT"]), timeout=15) as smtp:
            if config.get("MAIL_USE_TLS"):
                smtp.starttls()
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
            smtp.send_message(message)
    else:
        outbox = Path(app.instance_path) / "outbox"
        outbox.mkdir(parents=True, exist_ok=True)
        name = message["Message-ID"].strip("<>").replace("@", "_")
        (outbox / f"{name}.eml").write_bytes(bytes(message))


def send_mail(
    to: str,
    subject: str,
    body: str,
    attachments: Iterable[Attachment] = (),
) -> EmailMessage:
    message = build_message(to, subject, body, attachments)
    deliver(message)
    return message


def deliver_or_warn(message: EmailMessage, app: Flask) -> bool:
    """Deliver; if the mail server fails, log a warning instead of raising."""
    try:
        deliver(message, app)
    except (smtplib.SMTPException, OSError) as exc:
        log.warning("could not send mail %r to %s: %s", message["Subject"], message["To"], exc)
        return False
    return True


def send_after_commit(
    to: str,
    subject: str,
    body: str,
    attachments: Iterable[Attachment] = (),
) -> EmailMessage:
    """Send when the current unit of work commits; at once if none is open.

    Nothing is sent if the transaction rolls back. Sending never raises: a
    failure is logged as a warning.
    """
    from hub.extensions import db

    message = build_message(to, subject, body, attachments)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    session = db.session()
    if session.in_transaction():
        session.info.setdefault(PENDING_KEY, []).append((message, app))
    else:
        deliver_or_warn(message, app)
    return message


def _send_pending(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint was released; the outer transaction may still roll back
    for message, app in session.info.pop(PENDING_KEY, []):
        deliver_or_warn(message, app)


def _drop_pending(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        # The outermost transaction ended; after a commit the list is already empty.
        session.info.pop(PENDING_KEY, None)


def _listen(event: str, handler: Any) -> None:
    if not sa.event.contains(Session, event, handler):
        sa.event.listen(Session, event, handler)


_listen("after_commit", _send_pending)
_listen("after_transaction_end", _drop_pending)


def sent_mail() -> list[EmailMessage]:
    return current_app.extensions.setdefault(CAPTURE_KEY, [])
