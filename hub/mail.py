"""Outgoing mail: built here, stored in the outbox (hub.outbox), delivered from there.

Every mail is a row of ``mail_outbox`` written in the current unit of work
(``send_mail`` and ``send_after_commit`` do the same now; both names stay so
callers read as before). Right after the commit the just-committed messages are
sent at once (no SMTP round trip while the transaction holds its locks); what
fails stays pending and the ``send_mail`` job retries it with backoff. See
docs/mail.md.

``deliver`` is the transport: SMTP when MAIL_SERVER is set, .eml files in
instance/outbox otherwise. Tests set ``MAIL_CAPTURE = True`` and read
``sent_mail()``: capture happens at delivery, so a captured mail is one that was
really "sent". Nothing leaves the machine from a test.
"""

from __future__ import annotations

import email
import email.policy
import smtplib
from collections.abc import Iterable
from email.message import EmailMessage, Message
from email.parser import BytesHeaderParser
from email.utils import formatdate, make_msgid
from pathlib import Path

from flask import Flask, current_app

CAPTURE_KEY = "hub.sent_mail"

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


ADDRESS_HEADERS = ("From", "Sender", "To", "Cc")


def as_bytes(message: EmailMessage) -> bytes:
    """The RFC 5322 bytes of ``message``, with CRLF line ends as SMTP sends them.

    An address with letters beyond ASCII (``post@bærum.kommune.no``) is kept as UTF-8,
    as ``smtplib.send_message`` does; it is then sent with SMTPUTF8.
    """
    addresses = (str(value) for name in ADDRESS_HEADERS for value in message.get_all(name, []))
    utf8 = not all(address.isascii() for address in addresses)
    return message.as_bytes(policy=message.policy.clone(linesep="\r\n", utf8=utf8))


def _addresses(headers: Message, *names: str) -> list[str]:
    found = []
    for name in names:
        for value in headers.get_all(name, []):
            for address in getattr(value, "addresses", ()):
                # Raw UTF-8 in headers comes back surrogate-escaped; make it text again.
                spec = address.addr_spec.encode("utf-8", "surrogateescape").decode("utf-8")
                if spec:
                    found.append(spec)
    return found


def _envelope(raw: bytes) -> tuple[str, list[str]]:
    """Envelope sender and recipients from the message's own headers (as send_message)."""
    headers = BytesHeaderParser(policy=email.policy.default).parsebytes(raw)
    senders = _addresses(headers, "Sender") or _addresses(headers, "From")
    return (senders[0] if senders else ""), _addresses(headers, "To", "Cc")


def deliver(message: EmailMessage | bytes, app: Flask | None = None) -> None:
    """Capture, send by SMTP or write to instance/outbox, as configured. Raises on failure."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    raw = message if isinstance(message, bytes) else as_bytes(message)
    config = app.config
    if config.get("MAIL_CAPTURE"):
        # Parsed back from the bytes that would have been sent (LF ends, as built).
        captured = email.message_from_bytes(
            raw.replace(b"\r\n", b"\n"), policy=email.policy.default
        )
        app.extensions.setdefault(CAPTURE_KEY, []).append(captured)
    elif config.get("MAIL_SERVER"):
        sender, recipients = _envelope(raw)
        timeout = float(config.get("MAIL_TIMEOUT_SECONDS") or 15)
        with smtplib.SMTP(config["MAIL_SERVER"], int(config["MAIL_PORT"]), timeout=timeout) as smtp:
            if config.get("MAIL_USE_TLS"):
                smtp.starttls()
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
            international = not all(a.isascii() for a in (sender, *recipients))
            options = ("SMTPUTF8", "BODY=8BITMIME") if international else ()
            smtp.sendmail(sender, recipients, raw, mail_options=options)
    else:
        folder = Path(app.instance_path) / "outbox"
        folder.mkdir(parents=True, exist_ok=True)
        headers = BytesHeaderParser(policy=email.policy.default).parsebytes(raw)
        name = str(headers["Message-ID"] or make_msgid()).strip("<>").replace("@", "_")
        (folder / f"{name}.eml").write_bytes(raw)


def send_mail(
    to: str,
    subject: str,
    body: str,
    attachments: Iterable[Attachment] = (),
) -> EmailMessage:
    """Build a mail and put it in the outbox; it goes when the unit of work commits."""
    from hub.outbox import service as outbox  # the outbox delivers through this module

    message = build_message(to, subject, body, attachments)
    outbox.enqueue(message)
    return message


def send_after_commit(
    to: str,
    subject: str,
    body: str,
    attachments: Iterable[Attachment] = (),
) -> EmailMessage:
    """The same as ``send_mail`` (kept for the callers that say when it goes).

    A rolled-back change sends nothing; a failed send is retried by the job.
    """
    return send_mail(to, subject, body, attachments)


def sent_mail() -> list[EmailMessage]:
    return current_app.extensions.setdefault(CAPTURE_KEY, [])
