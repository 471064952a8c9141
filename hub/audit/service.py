"""Reading the audit log, and the events services record by hand.

Most events are captured by ``hub.audit.capture`` without any call. Issuing
and crediting a statement are recorded here explicitly (``statement_issued``,
``statement_credited``) because they are the business events, not a row edit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from hub.accounts import permissions
from hub.audit.capture import ENTITY_TYPES, acting_as, current_actor
from hub.audit.models import AuditAction, AuditEvent
from hub.extensions import db
from hub.money import format_nok

if TYPE_CHECKING:
    from hub.accounts.models import User
    from hub.finance.models import Statement

__all__ = [
    "ENTITY_TYPES",
    "AuditFilter",
    "acting_as",
    "forget_user",
    "list_events",
    "record",
    "statement_credited",
    "statement_issued",
    "visible_hub_ids",
]

PAGE_SIZE = 50
ERASED = "[erased]"
# Fields of a user event that identify the person; erased by forget_user.
PERSONAL = frozenset({"email", "name", "card_id"})


def record(
    action: AuditAction,
    entity_type: str,
    entity_id: int | None,
    *,
    hub_id: int | None,
    summary: str,
    changes: dict[str, list[Any]],
) -> AuditEvent:
    """Add one event to the current unit of work (it commits or rolls back with it)."""
    actor_id, label = current_actor()
    event = AuditEvent(
        actor_user_id=actor_id,
        actor_label=label,
        hub_id=hub_id,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        summary=summary[:300],
        changes=changes,
    )
    db.session.add(event)
    db.session.flush()
    return event


def _statement_summary(statement: Statement) -> str:
    return f"{statement.number} · {statement.organization.name} · {format_nok(statement.total_ore)}"


def statement_issued(statement: Statement) -> AuditEvent:
    return record(
        AuditAction.ISSUED,
        "statement",
        statement.id,
        hub_id=statement.hub_id,
        summary=_statement_summary(statement),
        changes={
            "number": [None, statement.number],
            "kind": [None, statement.kind.value],
            "organization_id": [None, statement.organization_id],
            "period_first": [None, statement.period_first.isoformat()],
            "period_last": [None, statement.period_last.isoformat()],
            "total_ore": [None, statement.total_ore],
        },
    )


def statement_credited(statement: Statement, note: Statement, reason: str = "") -> AuditEvent:
    """One event on the credited statement, naming the credit note that cancels it."""
    changes: dict[str, list[Any]] = {
        "credited_by": [None, note.number],
        "organization_id": [None, statement.organization_id],
        "total_ore": [None, note.total_ore],
    }
    if reason:
        changes["reason"] = [None, reason]
    return record(
        AuditAction.CREDITED,
        "statement",
        statement.id,
        hub_id=statement.hub_id,
        summary=f"{_statement_summary(statement)} → {note.number}",
        changes=changes,
    )


# --- reading -----------------------------------------------------------------


def visible_hub_ids(user: User | None) -> set[int] | None:
    """None: every event (system admins); else the hubs whose events the person may read."""
    if permissions.can_manage_installation(user):
        return None
    return permissions.admin_hub_ids(user)


def can_view_audit(user: User | None) -> bool:
    return permissions.can_open_admin(user)


@dataclass(frozen=True)
class AuditFilter:
    hub_id: int | None = None
    entity_type: str | None = None
    actor: str | None = None  # part of the actor's label, any case
    date_from: date | None = None  # inclusive, local dates in ``timezone``
    date_to: date | None = None
    timezone: str = "Europe/Oslo"


def _local_midnight(day: date, timezone: str) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(timezone))


def list_events(
    visible: Iterable[int] | None, wanted: AuditFilter, *, limit: int, offset: int = 0
) -> Sequence[AuditEvent]:
    """Events newest first; ``visible`` None means all, else only those hubs' events."""
    query = sa.select(AuditEvent)
    if visible is not None:
        query = query.where(AuditEvent.hub_id.in_(sorted(visible)))
    if wanted.hub_id is not None:
        query = query.where(AuditEvent.hub_id == wanted.hub_id)
    if wanted.entity_type:
        query = query.where(AuditEvent.entity_type == wanted.entity_type)
    if wanted.actor:
        escaped = wanted.actor.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(sa.func.lower(AuditEvent.actor_label).like(f"%{escaped}%", escape="\\"))
    if wanted.date_from is not None:
        query = query.where(AuditEvent.at >= _local_midnight(wanted.date_from, wanted.timezone))
    if wanted.date_to is not None:
        end = _local_midnight(wanted.date_to + timedelta(days=1), wanted.timezone)
        query = query.where(AuditEvent.at < end)
    query = query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit).offset(offset)
    return db.session.scalars(query).all()


# --- erasure -----------------------------------------------------------------


def forget_user(user_id: int, *personal: str) -> int:
    """Erase a person's details where they are the *subject* of events.

    For "delete my account": call it in the transaction that anonymizes the
    user row, with the values to erase (the old email, name). Events about that user lose every
    email, name and card id; summaries naming the person lose those values.
    Events the person made as an administrator keep their actor label (see
    docs/audit.md). Returns the number of events changed.
    """
    db.session.flush()
    words = [value for value in personal if value]
    conditions = [sa.and_(AuditEvent.entity_type == "user", AuditEvent.entity_id == user_id)]
    conditions += [AuditEvent.summary.contains(word, autoescape=True) for word in words]
    changed = 0
    for event in db.session.scalars(sa.select(AuditEvent).where(sa.or_(*conditions))):
        summary, changes = event.summary, event.changes
        for word in words:
            summary = summary.replace(word, f"user #{user_id}")
        if event.entity_type == "user" and event.entity_id == user_id:
            summary = f"user #{user_id}"
            changes = {
                name: [
                    ERASED if value is not None and (name in PERSONAL or value in words) else value
                    for value in pair
                ]
                for name, pair in changes.items()
            }
        if (summary, changes) != (event.summary, event.changes):
            event.summary, event.changes = summary, changes
            changed += 1
    db.session.flush()
    return changed
