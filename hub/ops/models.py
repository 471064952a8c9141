"""Tables of hub.ops."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from hub.database import Base, UTCDateTime


class SchedulerLock(Base):
    """Who runs the scheduler, and its heartbeat (read by /healthz).

    On SQLite this row *is* the lock: a second scheduler refuses while the
    heartbeat is fresh. On PostgreSQL an advisory lock excludes the second one and
    this row only records the holder and the heartbeat. ``released_at`` is set on
    a clean stop, so the row stays to tell when the scheduler was last seen.
    """

    __tablename__ = "scheduler_locks"

    name: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(sa.String(255))  # "host:pid"
    acquired_at: Mapped[datetime] = mapped_column(UTCDateTime())
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime())
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
