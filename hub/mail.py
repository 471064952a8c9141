"""Outgoing mail: SMTP when configured, .eml files in instance/outbox otherwise.

Tests set ``MAIL_CAPTURE = True`` and read ``sent_mail()``; nothing leaves the
machine from a test.
"""

from __future__ import annotations

import smtplib
from collections.abc import Iterable
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from flask import current_app

CAPTURE_KEY = "hub.sent_mail"


def build_message(
    to: str,
    subject: str,
    body: str,
    attachments: Iterable[tuple[str, str, bytes]] = (),
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="hub.invalid")
    message.set_content(body)
    for filename, mimetype, data in attachments:
        maintype, _, subtype = mimetype.partition("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return message


def send_mail(
    to: str,
    subject: str,
    body: str,
    attachments: Iterable[tuple[str, str, bytes]] = (),
) -> EmailMessage:
    message = build_message(to, subject, body, attachments)
    config = current_app.config
    if config.get("MAIL_CAPTURE"):
        current_app.extensions.setdefault(CAPTURE_KEY, []).append(message)
    elif config.get("MAIL_SERVER"):
        with smtplib.SMTP(config["MAIL_SERVER"], int(config["MAIL_PORT"]), timeout=15) as smtp:
            if config.get("MAIL_USE_TLS"):
                smtp.starttls()
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
            smtp.send_message(message)
    else:
        outbox = Path(current_app.instance_path) / "outbox"
        outbox.mkdir(parents=True, exist_ok=True)
        name = message["Message-ID"].strip("<>").replace("@", "_")
        (outbox / f"{name}.eml").write_bytes(bytes(message))
    return message


def sent_mail() -> list[EmailMessage]:
    return current_app.extensions.setdefault(CAPTURE_KEY, [])
