"""Tables of hub.outbox."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from hub.database import UTCDateTime, enum_column, utcnow
from hub.extensions import db


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for its first try or for the next one
    SENT = "sent"  # the mail server accepted it
    FAILED = "failed"  # gave up after MAIL_MAX_ATTEMPTS; a system admin may send it again


class OutboxMessage(db.Model):
    """One outgoing mail, stored as the exact bytes that will be sent.

    The row is written in the same unit of work as the change it tells about, so
    a rolled-back change sends nothing and a committed one cannot lose its mail.
    The message is built at once (in the person's language) and kept whole, so a
    retry an hour later sends exactly what was built.
    """

    __tablename__ = "mail_outbox"
    __table_args__ = (
        # The job's question: which pending messages are due, oldest first.
        sa.Index("ix_mail_outbox_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(sa.String(1000))
    subject: Mapped[str] = mapped_column(sa.String(1000))
    message: Mapped[bytes] = mapped_column(sa.LargeBinary)
    status: Mapped[OutboxStatus] = mapped_column(
        enum_column(OutboxStatus, "mail_outbox_status"), default=OutboxStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
