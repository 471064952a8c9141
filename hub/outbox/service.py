"""The mail outbox: every outgoing mail is a row first, sent (and retried) from there.

``enqueue`` adds the row to the current unit of work. When that unit commits,
the messages it added are tried at once (the fast path, in
``_send_committed``), each marked sent or backed off in a small transaction of
its own; nothing is sent while the change's transaction holds its locks, and a
rolled-back change sends nothing. What the fast path could not send stays
pending; ``send_due`` (the ``send_mail`` job, every minute) retries it with
exponential backoff and marks it failed after MAIL_MAX_ATTEMPTS tries. A system
admin sees pending and failed mails and may send a failed one again.

Two senders never try one message at the same time: a sender claims a message
by moving its ``next_attempt_at`` a lease ahead (the fast path's claim is made
when the row is written; the job's under ``FOR UPDATE SKIP LOCKED`` on
PostgreSQL and SQLite's single writer lock) and sends outside any transaction.
A process that dies between the mail server's "accepted" and the mark "sent"
sends that one message again after the lease: at least once, never lost.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import datetime, timedelta
from email.message import EmailMessage

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from hub import mail
from hub.database import SQLITE_BEGIN_OPTION, begin_write, utcnow
from hub.extensions import db
from hub.outbox.models import OutboxMessage, OutboxStatus

# One logger for everything about outgoing mail, so operators follow one name.
log = logging.getLogger("hub.mail")

AFTER_COMMIT_KEY = "hub.outbox.after_commit"
FIRST_RETRY = timedelta(minutes=1)
# How long a sender owns a message it is trying; longer than any SMTP exchange
# (MAIL_TIMEOUT_SECONDS per step), so nobody else tries it meanwhile.
LEASE = timedelta(minutes=5)
# The server refused this message (not the connection): the job goes on with the next.
MESSAGE_ERRORS = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError)
# The server (or the way to it) failed, not this message.
SERVER_ERRORS = (smtplib.SMTPException, OSError)


def enqueue(message: EmailMessage) -> OutboxMessage:
    """Put ``message`` in the outbox as part of the current unit of work.

    No flush: the row is written with the rest of the change, at its commit.
    """
    now = utcnow()
    row = OutboxMessage(
        recipient=str(message["To"] or "")[:1000],
        subject=str(message["Subject"] or "")[:1000],
        message=mail.as_bytes(message),
        status=OutboxStatus.PENDING,
        attempts=0,
        next_attempt_at=now + LEASE,  # the fast path's claim; the job waits for it
        created_at=now,
    )
    db.session.add(row)
    db.session.info.setdefault(AFTER_COMMIT_KEY, []).append((row, row.message))
    return row


def retry_delay(attempts: int) -> timedelta:
    """1, 2, 4 … minutes after the 1st, 2nd, 3rd … failed try, capped."""
    cap = timedelta(minutes=int(current_app.config["MAIL_RETRY_MAX_MINUTES"]))
    return min(FIRST_RETRY * 2 ** min(attempts - 1, 30), cap)


def send_due(now: datetime | None = None) -> int:
    """Send the pending messages whose time has come, oldest first; commit after each.

    Returns how many were sent. When the mail server cannot be reached the run
    stops after that one try: the others keep their attempts for when it is back.
    """
    now = now or utcnow()
    _forget_old_sent(now)
    sent = 0
    while (claimed := _claim_next(now)) is not None:
        ident, raw = claimed
        error = _attempt(ident, raw, now)
        if error is None:
            sent += 1
        elif isinstance(error, SERVER_ERRORS) and not isinstance(error, MESSAGE_ERRORS):
            break  # the server is down: the others keep their tries for later
    return sent


def send_again(row: OutboxMessage) -> bool:
    """A system admin sends a failed message again (tried at once after the commit)."""
    if row.status is not OutboxStatus.FAILED:
        return False
    row.status = OutboxStatus.PENDING
    row.attempts = 0
    row.next_attempt_at = utcnow() + LEASE
    db.session.info.setdefault(AFTER_COMMIT_KEY, []).append((row, row.message))
    db.session.flush()
    return True


def unsent_messages(limit: int = 500) -> list[OutboxMessage]:
    """Failed and pending messages for the admin's list, failed first, oldest first."""
    failed_first = sa.case((OutboxMessage.status == OutboxStatus.FAILED, 0), else_=1)
    return list(
        db.session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.status != OutboxStatus.SENT)
            .order_by(failed_first, OutboxMessage.created_at, OutboxMessage.id)
            .limit(limit)
        )
    )


# --- sending -----------------------------------------------------------------------


def _claim_next(now: datetime) -> tuple[int, bytes] | None:
    """Take the oldest due message and move it a lease ahead, in a short transaction."""
    session = db.session()
    begin_write(session)
    row = session.scalars(
        sa.select(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.created_at, OutboxMessage.id)
        .limit(1)
        .with_for_update(skip_locked=True)  # PostgreSQL; SQLite has one writer anyway
    ).first()
    if row is None:
        session.commit()
        return None
    row.next_attempt_at = now + LEASE
    claimed = (row.id, row.message)
    session.commit()
    return claimed


def _attempt(ident: int, raw: bytes, now: datetime) -> Exception | None:
    """Deliver a claimed message outside any transaction, then record the outcome."""
    try:
        mail.deliver(raw)
    except Exception as exc:  # whatever it was, the mail waits and the admin sees the error
        _record(ident, now, exc)
        return exc
    _record(ident, now, None)
    return None


def _record(ident: int, now: datetime, error: Exception | None) -> None:
    """Mark the message sent, or count the failed try and set the next (own transaction)."""
    with Session(db.engine) as session:
        session.connection(execution_options={SQLITE_BEGIN_OPTION: "IMMEDIATE"})
        row = session.get(OutboxMessage, ident)
        if row is None:
            return
        row.attempts += 1
        if error is None:
            row.status = OutboxStatus.SENT
            row.sent_at = now
            row.next_attempt_at = None
            row.last_error = None
        else:
            row.last_error = f"{type(error).__name__}: {error}"[:1000]
            if row.attempts >= int(current_app.config["MAIL_MAX_ATTEMPTS"]):
                row.status = OutboxStatus.FAILED
                row.next_attempt_at = None
            else:
                row.next_attempt_at = now + retry_delay(row.attempts)
            log.warning(
                "could not send mail %s %r to %s (try %d): %s",
                ident,
                row.subject,
                row.recipient,
                row.attempts,
                row.last_error,
            )
        session.commit()


def _forget_old_sent(now: datetime) -> None:
    """Sent mails hold links and personal details: keep them MAIL_KEEP_SENT_DAYS only."""
    cutoff = now - timedelta(days=int(current_app.config["MAIL_KEEP_SENT_DAYS"]))
    begin_write(db.session())
    db.session.execute(
        sa.delete(OutboxMessage).where(
            OutboxMessage.status == OutboxStatus.SENT, OutboxMessage.sent_at < cutoff
        )
    )
    db.session.commit()


# --- the fast path: right after the commit ------------------------------------------


def _send_committed(session: Session) -> None:
    """Try the messages the just-committed unit of work added; never raise."""
    if session.in_nested_transaction():
        return  # a savepoint was released; the outer transaction may still roll back
    queued = session.info.pop(AFTER_COMMIT_KEY, [])
    for row, raw in queued:
        identity = sa.inspect(row).identity
        if identity is None:  # not written after all (e.g. in a rolled-back savepoint)
            continue
        try:
            _attempt(identity[0], raw, utcnow())
        except SQLAlchemyError as exc:
            # Sent or not, the row stays pending and the job takes it after the lease.
            log.warning("mail %s stays in the outbox for the job: %s", identity[0], exc)


def _drop_queued(session: Session, transaction: sa.orm.SessionTransaction) -> None:
    if transaction.parent is None:
        # The outermost transaction ended; after a commit the list is already empty.
        session.info.pop(AFTER_COMMIT_KEY, None)


def _listen(event: str, handler: object) -> None:
    if not sa.event.contains(Session, event, handler):
        sa.event.listen(Session, event, handler)


_listen("after_commit", _send_committed)
_listen("after_transaction_end", _drop_queued)
