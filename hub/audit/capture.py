"""Capture of administrative changes: every writer, no call to remember.

Mapper events on the administrated models (``AUDITED``) see each row the unit
of work inserts, updates or deletes, including rows deleted as orphans of a
collection, which the session's ``new``/``dirty``/``deleted`` never show. For
each one with a change in a tracked column they insert one ``audit_events`` row
on the flush's own connection, so the audit row commits or rolls back with the
change (a savepoint that rolls back takes it too). Mapper events run after the
row's statement, so an inserted row already has its id.

Who acted is resolved once per flush in ``before_flush`` (where reading is
still allowed): the logged-in person of a web or API request, else the label
given with ``acting_as`` (the CLI command, the scheduled job), else "system".

Secrets are never stored: password hashes, token hashes, secrets, feed URLs
and check-in codes are recorded as changed with ``REDACTED`` in place of the
values. High-volume and personal rows (bookings, usage facts, tokens, the
sync state of external calendars, last_login_at) are not audited at all.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from typing import Any

import sqlalchemy as sa
from flask import g, has_request_context
from sqlalchemy import event
from sqlalchemy.orm import Mapper, Session, object_session

from hub.accounts.models import HubRole, Membership, Organization, User
from hub.audit.models import AuditAction, AuditEvent
from hub.calendar.models import ExternalCalendar
from hub.database import utcnow
from hub.finance.models import ClosedPeriod, CostItem, FinancingModel, Funding
from hub.money import format_nok
from hub.spaces.models import Hub, HubClosure, OpeningHours, Space

REDACTED = "[redacted]"
SYSTEM = "system"
ANONYMOUS = "anonymous request"
# Column names that mark a secret in any audited model, present or future.
SECRET_WORDS = ("password", "token", "secret", "hash", "url", "checkin_code")
NEVER_TRACKED = frozenset({"id", "created_at", "updated_at"})
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

_acting_as: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "audit_acting_as", default=None
)

Values = Mapping[str, Any]
Lookup = Callable[[sa.Table, str, Any], Any]


@contextmanager
def acting_as(label: str) -> Iterator[None]:
    """Name the actor of changes made outside a logged-in request, e.g. "job issue_statements"."""
    token = _acting_as.set(label[:254])
    try:
        yield
    finally:
        _acting_as.reset(token)


def current_actor() -> tuple[int | None, str]:
    """(user id, label) of whoever is making the change now.

    Only a user flask_login already loaded (``g._login_user``) counts, so this
    never queries: a request that changes data has checked its user's rights.
    """
    if has_request_context():
        user = g.get("_login_user")
        if user is not None and getattr(user, "is_authenticated", False):
            return user.id, user.email
    label = _acting_as.get()
    if label:
        return None, label
    return None, ANONYMOUS if has_request_context() else SYSTEM


@dataclass(frozen=True)
class Audited:
    """How one model is audited."""

    entity_type: str
    label: Callable[[Values, Lookup], str]
    # Track only these columns (None: every column but NEVER_TRACKED and ignore).
    only: frozenset[str] | None = None
    ignore: frozenset[str] = frozenset()
    redact: frozenset[str] = frozenset()
    # The hub the row belongs to; default: its hub_id column.
    hub: Callable[[Values, Lookup], Any] | None = None

    def is_secret(self, name: str) -> bool:
        return name in self.redact or any(word in name for word in SECRET_WORDS)


def _user_email(values: Values, lookup: Lookup) -> str:
    user_id = values.get("user_id")
    return str(lookup(User.__table__, "email", user_id) or f"#{user_id}")


def _org_name(org_id: Any, lookup: Lookup) -> str:
    return str(lookup(Organization.__table__, "name", org_id) or f"#{org_id}")


def _role_label(values: Values, lookup: Lookup) -> str:
    text = f"{_user_email(values, lookup)}: {_plain(values.get('role'))}"
    if values.get("organization_id"):
        text += f" ({_org_name(values['organization_id'], lookup)})"
    return text


def _hours_label(values: Values, _lookup: Lookup) -> str:
    weekday = values.get("weekday")
    day = WEEKDAYS[weekday] if isinstance(weekday, int) and 0 <= weekday <= 6 else "?"
    return f"{day} {_plain(values.get('opens_at'))}–{_plain(values.get('closes_at'))}"


def _named(key: str) -> Callable[[Values, Lookup], str]:
    return lambda values, _lookup: str(values.get(key) or "")


def _with_amount(key: str) -> Callable[[Values, Lookup], str]:
    def label(values: Values, _lookup: Lookup) -> str:
        return f"{values.get(key) or ''} ({format_nok(values.get('amount_ore'))})"

    return label


def _space_hub(values: Values, lookup: Lookup) -> Any:
    return lookup(Space.__table__, "hub_id", values.get("space_id"))


AUDITED: dict[type, Audited] = {
    Organization: Audited("organization", _named("name")),
    User: Audited(
        "user",
        _named("email"),
        # Admin-relevant facts only: not last_login_at, language or name sharing.
        only=frozenset(
            {
                "email",
                "name",
                "home_organization_id",
                "is_system_admin",
                "active",
                "card_id",
                "password_hash",
            }
        ),
        redact=frozenset({"card_id"}),
    ),
    HubRole: Audited("hub_role", _role_label),
    Membership: Audited(
        "membership",
        lambda v, lookup: f"{_org_name(v.get('organization_id'), lookup)}: {_plain(v.get('kind'))}",
    ),
    Hub: Audited("hub", _named("name"), hub=lambda values, _lookup: values.get("id")),
    Space: Audited("space", _named("name")),
    OpeningHours: Audited("opening_hours", _hours_label),
    HubClosure: Audited(
        "hub_closure",
        lambda v, _lookup: f"{_plain(v.get('on_date'))} {v.get('reason') or ''}".strip(),
    ),
    CostItem: Audited("cost_item", _with_amount("description")),
    Funding: Audited("funding", _with_amount("source")),
    FinancingModel: Audited("financing_model", lambda v, _lookup: str(v.get("year") or "")),
    ClosedPeriod: Audited(
        "closed_period",
        lambda v, _lookup: f"{_plain(v.get('period_first'))} – {_plain(v.get('period_last'))}",
        ignore=frozenset({"closed_at"}),
    ),
    ExternalCalendar: Audited(
        "external_calendar",
        lambda v, lookup: str(lookup(Space.__table__, "name", v.get("space_id")) or ""),
        # The sync state the job writes every quarter hour is not an admin change.
        only=frozenset({"space_id", "url"}),
        hub=_space_hub,
    ),
}

ENTITY_TYPES: tuple[str, ...] = (*(a.entity_type for a in AUDITED.values()), "statement")


def _plain(value: Any) -> Any:
    """A JSON value for the changes column."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return REDACTED
    return str(value)


# --- the listeners -----------------------------------------------------------


@event.listens_for(Session, "before_flush")
def _resolve_actor(session: Session, _context: Any, _instances: Any) -> None:
    with session.no_autoflush:
        actor_id, label = current_actor()
    session.info["audit_actor"] = (actor_id, label)
    session.info["audit_at"] = utcnow()


def _lookup_on(connection: sa.Connection) -> Lookup:
    cache: dict[tuple[str, str, Any], Any] = {}

    def lookup(table: sa.Table, column: str, row_id: Any) -> Any:
        if row_id is None:
            return None
        key = (table.name, column, row_id)
        if key not in cache:
            query = sa.select(table.c[column]).where(table.c.id == row_id)
            cache[key] = connection.execute(query).scalar()
        return cache[key]

    return lookup


def _write(
    connection: sa.Connection, target: Any, action: AuditAction, changes: dict[str, list[Any]]
) -> None:
    audited = AUDITED[type(target)]
    state = sa.inspect(target)
    session = object_session(target)
    info = session.info if session is not None else {}
    actor_id, label = info.get("audit_actor") or (None, SYSTEM)
    deleted_users = info.get("audit_deleted_users", set())
    values = dict(state.dict)
    entity_id = state.identity[0] if state.identity else values.get("id")
    values.setdefault("id", entity_id)
    lookup = _lookup_on(connection)
    table = type(target).__table__
    if audited.hub is not None:
        hub_id = audited.hub(values, lookup)
    elif "hub_id" not in table.c:
        hub_id = None  # organizations and users belong to the whole installation
    elif "hub_id" in values:
        hub_id = values["hub_id"]
    else:
        hub_id = lookup(table, "hub_id", entity_id)
    if action is AuditAction.DELETED and isinstance(target, Hub):
        hub_id = None  # the row it would point at is gone
    for column in ("name", "email", "user_id", "organization_id", "space_id", "weekday"):
        if column in table.c and column not in values and entity_id is not None:
            values[column] = lookup(table, column, entity_id)
    summary = audited.label(values, lookup) or f"#{entity_id}"
    connection.execute(
        AuditEvent.__table__.insert(),
        {
            "at": info.get("audit_at") or utcnow(),
            "actor_user_id": None if actor_id in deleted_users else actor_id,
            "actor_label": label,
            "hub_id": hub_id,
            "action": action,
            "entity_type": audited.entity_type,
            "entity_id": entity_id,
            "summary": summary[:300],
            "changes": changes,
        },
    )


def _tracked(audited: Audited, model: type) -> list[str]:
    names = [column.key for column in model.__table__.columns]  # type: ignore[attr-defined]
    if audited.only is not None:
        return [name for name in names if name in audited.only]
    return [name for name in names if name not in NEVER_TRACKED | audited.ignore]


def _shown(audited: Audited, name: str, value: Any) -> Any:
    if value is not None and audited.is_secret(name):
        return REDACTED
    return _plain(value)


def _present(audited: Audited, target: Any) -> dict[str, Any]:
    """The tracked fields the row has a value for, as the log shows them."""
    values = sa.inspect(target).dict
    return {
        name: _shown(audited, name, values[name])
        for name in _tracked(audited, type(target))
        if values.get(name) is not None
    }


def _after_insert(mapper: Mapper[Any], connection: sa.Connection, target: Any) -> None:
    present = _present(AUDITED[type(target)], target)
    changes = {name: [None, value] for name, value in present.items()}
    _write(connection, target, AuditAction.CREATED, changes)


def _after_update(mapper: Mapper[Any], connection: sa.Connection, target: Any) -> None:
    audited = AUDITED[type(target)]
    state = sa.inspect(target)
    changes: dict[str, list[Any]] = {}
    for name in _tracked(audited, type(target)):
        history = state.attrs[name].history
        if not history.has_changes():
            continue
        old = history.deleted[0] if history.deleted else None
        new = history.added[0] if history.added else None
        if old == new or _plain(old) == _plain(new):
            continue
        changes[name] = [_shown(audited, name, old), _shown(audited, name, new)]
    if changes:
        _write(connection, target, AuditAction.UPDATED, changes)


def _after_delete(mapper: Mapper[Any], connection: sa.Connection, target: Any) -> None:
    state = sa.inspect(target)
    session = object_session(target)
    if isinstance(target, User) and session is not None and state.identity:
        # An audit row may not point at a user deleted in this flush.
        session.info.setdefault("audit_deleted_users", set()).add(state.identity[0])
    present = _present(AUDITED[type(target)], target)
    changes = {name: [value, None] for name, value in present.items()}
    _write(connection, target, AuditAction.DELETED, changes)


@event.listens_for(Session, "after_transaction_end")
def _forget_deleted_users(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        session.info.pop("audit_deleted_users", None)


def _keep_old_value(_target: Any, value: Any, _old: Any, _initiator: Any) -> Any:
    return value


for _model, _audited in AUDITED.items():
    event.listen(_model, "after_insert", _after_insert)
    event.listen(_model, "after_update", _after_update)
    event.listen(_model, "after_delete", _after_delete)
    # Load the old value before a tracked column is set, even on an expired row.
    for _name in _tracked(_audited, _model):
        event.listen(
            getattr(_model, _name), "set", _keep_old_value, active_history=True, retval=True
        )
