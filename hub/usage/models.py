"""Usage facts: the daily roll-up the reports read, presence, events and imports.

The roll-up tables (``usage_days``, ``usage_hours``, ``presence_days``) hold
counts only, keyed by hub and local day. They are kept current by
``hub.usage.rollup`` whenever a booking is written, with additive upserts that
commute, so concurrent writers on PostgreSQL never lose a count. They carry no
personal detail except ``presence_days.user_id``, which the retention job
clears; the figures therefore stay the same after anonymization.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.database import Timestamps, UTCDateTime, enum_column, utcnow
from hub.extensions import db

if TYPE_CHECKING:
    from hub.accounts.models import Organization, User
    from hub.spaces.models import Hub, Space


class UsageDay(db.Model):
    """Booked and used units of one space by one organization on one local day.

    Desk and cell use is counted in half days (a day is 2), every kind also in
    minutes, so sums stay exact integers.
    """

    __tablename__ = "usage_days"
    __table_args__ = (sa.Index("ix_usage_days_hub_day", "hub_id", "day"),)

    hub_id: Mapped[int] = mapped_column(
        sa.ForeignKey("hubs.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(primary_key=True)
    space_id: Mapped[int] = mapped_column(
        sa.ForeignKey("spaces.id", ondelete="CASCADE"), primary_key=True
    )
    organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    bookings: Mapped[int] = mapped_column(default=0)
    booked_half_days: Mapped[int] = mapped_column(default=0)
    booked_minutes: Mapped[int] = mapped_column(default=0)
    used_half_days: Mapped[int] = mapped_column(default=0)
    used_minutes: Mapped[int] = mapped_column(default=0)
    no_shows: Mapped[int] = mapped_column(default=0)


class UsageHour(db.Model):
    """Booked and used minutes per space kind in one local clock hour (the heatmap)."""

    __tablename__ = "usage_hours"

    hub_id: Mapped[int] = mapped_column(
        sa.ForeignKey("hubs.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(primary_key=True)
    hour: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    booked_minutes: Mapped[int] = mapped_column(default=0)
    used_minutes: Mapped[int] = mapped_column(default=0)


class PresenceDay(db.Model):
    """A person of an organization was in the hub that local day.

    ``sources`` counts what says so (confirmed bookings, imported lines); a
    row with zero sources is no presence. ``user_id`` is cleared after the
    retention period and the row stays, so person-days remain countable.
    """

    __tablename__ = "presence_days"
    __table_args__ = (
        sa.UniqueConstraint("hub_id", "day", "organization_id", "user_id"),
        sa.Index("ix_presence_days_hub_day", "hub_id", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hub_id: Mapped[int] = mapped_column(sa.ForeignKey("hubs.id", ondelete="CASCADE"))
    day: Mapped[date]
    organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE")
    )
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    sources: Mapped[int] = mapped_column(default=0)


class EventKind(enum.StrEnum):
    FAGLUNSJ = "faglunsj"
    FAGSAMLING = "fagsamling"
    WORKSHOP = "workshop"
    MEETING = "meeting"
    OTHER = "other"


class Event(Timestamps, db.Model):
    """A gathering in the hub with attendance per organization."""

    __tablename__ = "events"
    __table_args__ = (sa.Index("ix_events_hub_date", "hub_id", "on_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hub_id: Mapped[int] = mapped_column(sa.ForeignKey("hubs.id", ondelete="CASCADE"))
    space_id: Mapped[int | None] = mapped_column(sa.ForeignKey("spaces.id", ondelete="SET NULL"))
    kind: Mapped[EventKind] = mapped_column(enum_column(EventKind, "event_kind"))
    title: Mapped[str] = mapped_column(sa.String(200))
    on_date: Mapped[date]
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    hub: Mapped[Hub] = relationship()
    space: Mapped[Space | None] = relationship()
    attendance: Mapped[list[EventAttendance]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="EventAttendance.id"
    )

    @property
    def total_attendees(self) -> int:
        return sum(row.attendees for row in self.attendance)


class EventAttendance(db.Model):
    __tablename__ = "event_attendance"
    __table_args__ = (
        sa.UniqueConstraint("event_id", "organization_id"),
        sa.CheckConstraint("attendees > 0", name="attendees_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        sa.ForeignKey("events.id", ondelete="CASCADE"), index=True
    )
    organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="RESTRICT")
    )
    attendees: Mapped[int]

    event: Mapped[Event] = relationship(back_populates="attendance")
    organization: Mapped[Organization] = relationship()


class ImportStatus(enum.StrEnum):
    PREVIEWED = "previewed"  # checked and reported; nothing counted yet
    IMPORTED = "imported"
    DISCARDED = "discarded"


class UsageImport(db.Model):
    """One uploaded file of access-card or manual presence lines, and what became of it."""

    __tablename__ = "usage_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    hub_id: Mapped[int] = mapped_column(sa.ForeignKey("hubs.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(sa.String(200))
    content: Mapped[str] = mapped_column(sa.Text, deferred=True)
    status: Mapped[ImportStatus] = mapped_column(
        enum_column(ImportStatus, "import_status"), default=ImportStatus.PREVIEWED
    )
    good_lines: Mapped[int] = mapped_column(default=0)
    bad_lines: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    imported_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    hub: Mapped[Hub] = relationship()
    created_by: Mapped[User | None] = relationship()


class UsageRecord(db.Model):
    """An imported fact: a person was in the hub (or in one space) on a local day."""

    __tablename__ = "usage_records"
    __table_args__ = (sa.Index("ix_usage_records_hub_day", "hub_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = mapped_column(
        sa.ForeignKey("usage_imports.id", ondelete="CASCADE"), index=True
    )
    hub_id: Mapped[int] = mapped_column(sa.ForeignKey("hubs.id", ondelete="CASCADE"))
    space_id: Mapped[int | None] = mapped_column(sa.ForeignKey("spaces.id", ondelete="SET NULL"))
    organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="RESTRICT")
    )
    # None once personal details are anonymized after the retention period.
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    day: Mapped[date]
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
