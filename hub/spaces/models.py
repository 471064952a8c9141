"""Hubs, their spaces, opening hours, closed days and booking rules."""

from __future__ import annotations

import enum
import secrets
from datetime import date, time
from decimal import Decimal
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.database import Timestamps, enum_column, utcnow
from hub.extensions import db

if TYPE_CHECKING:
    from hub.accounts.models import Membership
    from hub.finance.models import CostItem, Funding


class Hub(Timestamps, db.Model):
    __tablename__ = "hubs"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    municipality: Mapped[str] = mapped_column(sa.String(100))
    address: Mapped[str] = mapped_column(sa.String(300), default="")
    timezone: Mapped[str] = mapped_column(sa.String(64), default="Europe/Oslo")
    description: Mapped[str | None] = mapped_column(sa.Text)
    contact_email: Mapped[str | None] = mapped_column(sa.String(254))

    # Booking rules; see hub.booking for how they are applied.
    booking_horizon_days: Mapped[int] = mapped_column(default=90)
    max_room_booking_minutes: Mapped[int] = mapped_column(default=480)
    max_future_bookings: Mapped[int] = mapped_column(default=30)
    min_notice_minutes: Mapped[int] = mapped_column(default=0)
    cancellation_deadline_minutes: Mapped[int] = mapped_column(default=0)
    checkin_grace_minutes: Mapped[int] = mapped_column(default=60)
    release_no_shows: Mapped[bool] = mapped_column(default=True)
    allow_non_member_bookings: Mapped[bool] = mapped_column(default=False)
    # Quota for organizations with a guest membership (or none): desk- and cell-days a week.
    guest_days_per_week: Mapped[int | None]
    # Usage: personal details older than this are anonymized; partners never see
    # another agency's figures for fewer people than the minimum group size.
    # (Both at least 1, checked by the service: adding a CHECK on SQLite would
    # rebuild the table, and with foreign keys on that cascades.)
    retention_months: Mapped[int] = mapped_column(default=13, server_default="13")
    min_group_size: Mapped[int] = mapped_column(default=5, server_default="5")

    opening_hours: Mapped[list[OpeningHours]] = relationship(
        back_populates="hub", cascade="all, delete-orphan", order_by="OpeningHours.weekday"
    )
    closures: Mapped[list[HubClosure]] = relationship(
        back_populates="hub", cascade="all, delete-orphan", order_by="HubClosure.on_date"
    )
    spaces: Mapped[list[Space]] = relationship(
        back_populates="hub", cascade="all, delete-orphan", order_by="Space.name"
    )
    memberships: Mapped[list[Membership]] = relationship(
        back_populates="hub", cascade="all, delete-orphan"
    )
    cost_items: Mapped[list[CostItem]] = relationship(
        back_populates="hub", cascade="all, delete-orphan"
    )
    funding: Mapped[list[Funding]] = relationship(
        back_populates="hub", cascade="all, delete-orphan"
    )

    def today(self) -> date:
        """Today's date on the hub's wall calendar (the clock read in its timezone)."""
        from hub.spaces.opening import local_day

        return local_day(utcnow(), self.timezone)

    def __repr__(self) -> str:
        return f"<Hub {self.slug}>"


class OpeningHours(db.Model):
    """Local opening hours for one weekday (0 = Monday); a missing weekday is closed."""

    __tablename__ = "opening_hours"
    __table_args__ = (
        sa.UniqueConstraint("hub_id", "weekday"),
        sa.CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        sa.CheckConstraint("closes_at > opens_at", name="opens_before_close"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hub_id: Mapped[int] = mapped_column(sa.ForeignKey("hubs.id", ondelete="CASCADE"))
    weekday: Mapped[int]
    opens_at: Mapped[time]
    closes_at: Mapped[time]

    hub: Mapped[Hub] = relationship(back_populates="opening_hours")


class HubClosure(db.Model):
    """A day the hub is closed beyond weekends and public holidays."""

    __tablename__ = "hub_closures"
    __table_args__ = (sa.UniqueConstraint("hub_id", "on_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hub_id: Mapped[int] = mapped_column(sa.ForeignKey("hubs.id", ondelete="CASCADE"))
    on_date: Mapped[date]
    reason: Mapped[str] = mapped_column(sa.String(200), default="")

    hub: Mapped[Hub] = relationship(back_populates="closures")


class SpaceKind(enum.StrEnum):
    DESK = "desk"
    CELL = "cell"
    MEETING_ROOM = "meeting_room"
    COMMON_AREA = "common_area"


def new_checkin_code() -> str:
    """Short, unguessable enough and easy to type from a printed sign (no 0/O, 1/I)."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(8))


class Space(Timestamps, db.Model):
    __tablename__ = "spaces"
    __table_args__ = (
        sa.UniqueConstraint("hub_id", "name"),
        sa.CheckConstraint("capacity >= 0", name="capacity_not_negative"),
        sa.CheckConstraint("area_m2 IS NULL OR area_m2 >= 0", name="area_not_negative"),
        sa.CheckConstraint("NOT (kind = 'common_area' AND bookable)", name="common_not_bookable"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hub_id: Mapped[int] = mapped_column(sa.ForeignKey("hubs.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    kind: Mapped[SpaceKind] = mapped_column(enum_column(SpaceKind, "space_kind"))
    capacity: Mapped[int] = mapped_column(default=1)
    area_m2: Mapped[Decimal | None] = mapped_column(sa.Numeric(8, 2))
    bookable: Mapped[bool] = mapped_column(default=True)
    active: Mapped[bool] = mapped_column(default=True)
    description: Mapped[str | None] = mapped_column(sa.Text)
    # For /s/<code>: the short link and QR code on the space's printed sign.
    checkin_code: Mapped[str] = mapped_column(sa.String(16), unique=True, default=new_checkin_code)
    requires_approval: Mapped[bool] = mapped_column(default=False)

    hub: Mapped[Hub] = relationship(back_populates="spaces")

    def __repr__(self) -> str:
        return f"<Space {self.name!r} ({self.kind})>"


# --- floor plans (hub.spaces.floorplan) -------------------------------------


class FloorPlan(Timestamps, db.Model):
    """A hub's plan image, kept in the database so every web worker serves the same file."""

    __tablename__ = "floor_plans"
    __table_args__ = (
        sa.CheckConstraint("width > 0 AND height > 0", name="size_positive"),
        sa.CheckConstraint(
            "content_type IN ('image/png', 'image/svg+xml')", name="known_content_type"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hub_id: Mapped[int] = mapped_column(sa.ForeignKey("hubs.id", ondelete="CASCADE"), unique=True)
    content_type: Mapped[str] = mapped_column(sa.String(32))
    # Deferred: pages ask whether a plan exists and how big it is, not for the bytes.
    data: Mapped[bytes] = mapped_column(sa.LargeBinary, deferred=True)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    width: Mapped[int]
    height: Mapped[int]

    hub: Mapped[Hub] = relationship()
    positions: Mapped[list[SpacePosition]] = relationship(
        back_populates="floor_plan", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def extension(self) -> str:
        return "svg" if self.content_type == "image/svg+xml" else "png"

    def __repr__(self) -> str:
        return f"<FloorPlan hub={self.hub_id} {self.content_type} {self.width}x{self.height}>"


class SpacePosition(db.Model):
    """Where a space is on its hub's floor plan, in percent of the image (0-100)."""

    __tablename__ = "space_positions"
    __table_args__ = (
        sa.CheckConstraint("x_percent >= 0 AND x_percent <= 100", name="x_in_range"),
        sa.CheckConstraint("y_percent >= 0 AND y_percent <= 100", name="y_in_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    floor_plan_id: Mapped[int] = mapped_column(
        sa.ForeignKey("floor_plans.id", ondelete="CASCADE"), index=True
    )
    space_id: Mapped[int] = mapped_column(
        sa.ForeignKey("spaces.id", ondelete="CASCADE"), unique=True
    )
    x_percent: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2))
    y_percent: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2))

    floor_plan: Mapped[FloorPlan] = relationship(back_populates="positions")
    space: Mapped[Space] = relationship()
