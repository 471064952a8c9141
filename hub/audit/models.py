"""Tables of hub.audit: one row per administrative change (see docs/audit.md)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from hub.database import UTCDateTime, enum_column, utcnow
from hub.extensions import db


class AuditAction(enum.StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    DELETED = "deleted"
    ISSUED = "issued"
    CREDITED = "credited"


class AuditEvent(db.Model):
    """Who changed what, and when; written in the transaction of the change itself.

    ``actor_label`` keeps the actor as text (the email at the time, or a label
    such as "job issue_statements"), so the row still reads after the user row
    is deleted (``actor_user_id`` is then NULL). ``changes`` maps a field name
    to ``[old, new]`` as JSON values; secrets are never stored, only
    ``"[redacted]"`` in their place. ``summary`` names the changed thing
    (its name, number or email) in words that need no translation.
    """

    __tablename__ = "audit_events"
    __table_args__ = (
        sa.Index("ix_audit_events_at", "at", "id"),
        sa.Index("ix_audit_events_hub_id_at", "hub_id", "at"),
        sa.Index("ix_audit_events_entity", "entity_type", "entity_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor_user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    actor_label: Mapped[str] = mapped_column(sa.String(254))
    hub_id: Mapped[int | None] = mapped_column(sa.ForeignKey("hubs.id", ondelete="SET NULL"))
    action: Mapped[AuditAction] = mapped_column(enum_column(AuditAction, "audit_action"))
    entity_type: Mapped[str] = mapped_column(sa.String(40))
    entity_id: Mapped[int | None]
    summary: Mapped[str] = mapped_column(sa.String(300), default="")
    changes: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)

    def __repr__(self) -> str:
        return f"<AuditEvent {self.action} {self.entity_type}#{self.entity_id}>"


# The capture listeners live beside the table and are registered with it.
from hub.audit import capture  # noqa: E402, F401
