"""Reading the audit log, and the events services record by hand.

Most events are captured by ``hub.audit.capture`` without any call. Issuing
and crediting a statement are recorded here explicitly (``statement_issued``,
``statement_credited``) because they are the business events, not a row edit.
"""

from __future__ import annotations

import re
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
    "is_about",
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


def forget_user(user_id: int, *emails: str) -> int:
    """Erase a person's details from the events *about* them; returns how many changed.

    For "delete my account", in the transaction that anonymizes the user row, with
    the emails to erase (the current one; earlier ones are found in the person's
    own events). Only events about the person are touched: their user events
    (summary, and every email, name and card id in the changes) and the events of
    their roles (the email in the summary, as a whole address). The actor label
    of such an event becomes ``user #id`` when the person made it themselves.
    Events the person made as an administrator about others keep their actor
    label (docs/audit.md), and no other event's text is rewritten: a name or a
    number may well appear in other people's events by coincidence.
    """
    db.session.flush()
    mine = f"user #{user_id}"
    candidates = db.session.scalars(
        sa.select(AuditEvent)
        .where(
            sa.or_(
                sa.and_(AuditEvent.entity_type == "user", AuditEvent.entity_id == user_id),
                AuditEvent.entity_type == "hub_role",  # whose user_id is in the changes
            )
        )
        .order_by(AuditEvent.id)
    )
    events = [event for event in candidates if is_about(event, user_id)]
    known = {email.lower() for email in emails if email}
    for event in events:  # earlier addresses, from the person's own email changes
        if event.entity_type == "user":
            known.update(v.lower() for v in event.changes.get("email", []) if isinstance(v, str))
    changed = 0
    for event in events:
        if event.entity_type == "user":
            summary, changes = (
                mine,
                {name: _erased(name, pair) for name, pair in event.changes.items()},
            )
        else:
            summary, changes = erase_addresses(event.summary, known, mine), event.changes
        label = mine if event.actor_user_id == user_id else event.actor_label
        if (summary, changes, label) != (event.summary, event.changes, event.actor_label):
            event.summary, event.changes, event.actor_label = summary, changes, label
            changed += 1
    db.session.flush()
    return changed


def is_about(event: AuditEvent, user_id: int) -> bool:
    """Whether the event is about this person: their account, or one of their roles."""
    if event.entity_type == "user":
        return event.entity_id == user_id
    return event.entity_type == "hub_role" and user_id in event.changes.get("user_id", [])


def _erased(name: str, pair: list[Any]) -> list[Any]:
    return [ERASED if value is not None and name in PERSONAL else value for value in pair]


def erase_addresses(text: str, emails: Iterable[str], replacement: str) -> str:
    """``text`` with each of ``emails`` replaced where it stands as a whole address."""
    for email in emails:
        text = re.sub(rf"(?<![\w.+-]){re.escape(email)}(?![\w.-])", replacement, text, flags=re.I)
    return text
