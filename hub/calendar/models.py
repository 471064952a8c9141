"""Feed tokens for subscriptions, and external calendars that block rooms."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.database import Timestamps, UTCDateTime, enum_column, utcnow
from hub.extensions import db

if TYPE_CHECKING:
    from hub.accounts.models import User
    from hub.spaces.models import Space


class FeedScope(enum.StrEnum):
    PERSONAL = "personal"  # the person's own bookings
    SPACE = "space"  # one space's busy times
    HUB = "hub"  # one hub's busy times
    ORGANIZATION = "organization"  # bookings billed to an organization (partner contact)


class FeedToken(db.Model):
    """A secret subscription URL. Only the SHA-256 of the secret is stored.

    The target column that matches the scope is set (none for a personal feed).
    Renewing revokes the old token and issues a new one, so an old URL stops at once.
    """

    __tablename__ = "feed_tokens"
    __table_args__ = (
        sa.CheckConstraint(
            "(scope = 'space') = (space_id IS NOT NULL) "
            "AND (scope = 'hub') = (hub_id IS NOT NULL) "
            "AND (scope = 'organization') = (organization_id IS NOT NULL)",
            name="target_matches_scope",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    scope: Mapped[FeedScope] = mapped_column(enum_column(FeedScope, "feed_scope"))
    space_id: Mapped[int | None] = mapped_column(sa.ForeignKey("spaces.id", ondelete="CASCADE"))
    hub_id: Mapped[int | None] = mapped_column(sa.ForeignKey("hubs.id", ondelete="CASCADE"))
    organization_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE")
    )
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class ExternalCalendar(Timestamps, db.Model):
    """An iCal URL a meeting room follows; its events block the room.

    The last good copy is kept (``content``) with the validators for a
    conditional GET; a failed fetch only records its error.
    """

    __tablename__ = "external_calendars"

    id: Mapped[int] = mapped_column(primary_key=True)
    space_id: Mapped[int] = mapped_column(
        sa.ForeignKey("spaces.id", ondelete="CASCADE"), unique=True
    )
    url: Mapped[str] = mapped_column(sa.String(2000))
    etag: Mapped[str | None] = mapped_column(sa.String(500))
    last_modified: Mapped[str | None] = mapped_column(sa.String(100))
    content: Mapped[str | None] = mapped_column(sa.Text)
    last_fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(sa.Text)

    space: Mapped[Space] = relationship()
    busy: Mapped[list[ExternalBusy]] = relationship(
        back_populates="calendar", cascade="all, delete-orphan"
    )


class ExternalBusy(db.Model):
    """One busy interval [starts_at, ends_at) from an external calendar, expanded."""

    __tablename__ = "external_busy"
    __table_args__ = (
        sa.CheckConstraint("ends_at > starts_at", name="interval_ordered"),
        sa.Index("ix_external_busy_space_id_starts_at", "space_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    calendar_id: Mapped[int] = mapped_column(
        sa.ForeignKey("external_calendars.id", ondelete="CASCADE"), index=True
    )
    space_id: Mapped[int] = mapped_column(sa.ForeignKey("spaces.id", ondelete="CASCADE"))
    uid: Mapped[str] = mapped_column(sa.String(500))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())

    calendar: Mapped[ExternalCalendar] = relationship(back_populates="busy")
