"""Tables of hub.security."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from hub.database import UTCDateTime, enum_column, utcnow
from hub.extensions import db
from hub.security.throttle import AttemptKind


class LoginAttempt(db.Model):
    """One failed login, or one password-reset request, for throttling.

    Kept in the database (not in a worker's memory) so that all web workers
    count together. Rows live at most a day (``throttle.LONGEST_WINDOW``) and are
    deleted when newer ones are written; a successful login deletes its email's.
    """

    __tablename__ = "login_attempts"
    __table_args__ = (
        sa.Index("ix_login_attempts_kind_email_created_at", "kind", "email", "created_at"),
        sa.Index("ix_login_attempts_kind_address_created_at", "kind", "address", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[AttemptKind] = mapped_column(enum_column(AttemptKind, "attempt_kind"))
    # Normalized (hub.accounts.service.normalize_email), known to Hub or not.
    email: Mapped[str] = mapped_column(sa.String(254))
    # The client's IP address (request.remote_addr behind PROXY_FIX); IPv6 fits in 45.
    address: Mapped[str] = mapped_column(sa.String(45))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
