"""Bookings of spaces and the series that recurring bookings belong to.

No two active bookings of one space may overlap. The database guarantees it
for every writer (see migrations/versions/0002_bookings.py): on PostgreSQL an
exclusion constraint over ``tstzrange(starts_at, ends_at, '[)')``, on SQLite
triggers that abort an overlapping insert or update. Cancelled, released and
declined rows are kept and never block.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.database import Timestamps, UTCDateTime, enum_column
from hub.extensions import db

if TYPE_CHECKING:
    from hub.accounts.models import Organization, User
    from hub.spaces.models import Hub, Space


class BookingStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for an admin's approval; blocks the slot
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    RELEASED = "released"  # no-show, freed by the release job
    DECLINED = "declined"


ACTIVE_STATUSES = (BookingStatus.PENDING, BookingStatus.CONFIRMED)
ACTIVE_STATUS_SQL = "status IN ('pending', 'confirmed')"


class BookingSource(enum.StrEnum):
    WEB = "web"
    API = "api"
    DROP_IN = "drop_in"
    ADMIN = "admin"
    IMPORT = "import"


class BookingSeries(Timestamps, db.Model):
    """A weekly recurrence (RRULE semantics) that produced one booking per date."""

    __tablename__ = "booking_series"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    space_id: Mapped[int] = mapped_column(sa.ForeignKey("spaces.id", ondelete="RESTRICT"))
    rrule: Mapped[str] = mapped_column(sa.String(200))
    first_date: Mapped[date]
    until: Mapped[date]

    bookings: Mapped[list[Booking]] = relationship(
        back_populates="series", order_by="Booking.starts_at"
    )


class Booking(Timestamps, db.Model):
    __tablename__ = "bookings"
    __table_args__ = (
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        sa.CheckConstraint(
            "participants IS NULL OR participants > 0", name="participants_positive"
        ),
        sa.Index("ix_bookings_space_time", "space_id", "starts_at", "ends_at"),
        sa.Index("ix_bookings_hub_time", "hub_id", "starts_at"),
        sa.Index("ix_bookings_user_time", "user_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # RESTRICT: bookings are history; a booked space is deactivated, never deleted.
    hub_id: Mapped[int] = mapped_column(sa.ForeignKey("hubs.id", ondelete="RESTRICT"))
    space_id: Mapped[int] = mapped_column(sa.ForeignKey("spaces.id", ondelete="RESTRICT"))
    # None once personal details are anonymized after the retention period.
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    # The organization the booking is billed to (home organization or a project).
    organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="RESTRICT"), index=True
    )
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[BookingStatus] = mapped_column(
        enum_column(BookingStatus, "booking_status"), default=BookingStatus.CONFIRMED
    )
    source: Mapped[BookingSource] = mapped_column(
        enum_column(BookingSource, "booking_source"), default=BookingSource.WEB
    )
    participants: Mapped[int | None]
    title: Mapped[str | None] = mapped_column(sa.String(200))
    series_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("booking_series.id", ondelete="SET NULL"), index=True
    )
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    checked_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # iCalendar SEQUENCE: grows with every material change (time, space, status).
    sequence: Mapped[int] = mapped_column(default=0)

    hub: Mapped[Hub] = relationship()
    space: Mapped[Space] = relationship()
    user: Mapped[User | None] = relationship()
    organization: Mapped[Organization] = relationship()
    series: Mapped[BookingSeries | None] = relationship(back_populates="bookings")

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    def __repr__(self) -> str:
        when = f"{self.starts_at:%Y-%m-%d %H:%M}Z"
        return f"<Booking {self.id} space={self.space_id} {when} {self.status}>"
