"""Operations on a hub's events (arrangementer) and their attendance per organization.

``values`` use the field names of forms, API and YAML: ``kind``, ``title``,
``on_date``, ``space_id`` and ``attendance``, a list of
``{"organization_id": ..., "attendees": ...}``. Problems with a row are keyed
``attendance.<index>.<field>``. Given ``attendance`` replaces the whole list.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from hub.accounts.models import Organization
from hub.errors import FieldErrors, NotFound
from hub.extensions import db
from hub.service_input import checked_enum, picked
from hub.spaces.models import Hub, Space
from hub.usage.models import Event, EventAttendance, EventKind

if TYPE_CHECKING:
    from hub.accounts.models import User

EVENT_FIELDS = frozenset({"kind", "title", "on_date", "space_id", "attendance"})
TITLE_MAX = 200
# More people than this at one gathering is a typing mistake (and keeps the column safe).
MAX_ATTENDEES = 100_000
MAX_ID = 2**63 - 1


def list_events(hub: Hub, first: date | None = None, last: date | None = None) -> list[Event]:
    """The hub's events from ``first`` through ``last`` (both inclusive), newest first."""
    query = (
        sa.select(Event)
        .where(Event.hub_id == hub.id)
        .options(
            selectinload(Event.space),
            selectinload(Event.attendance).selectinload(EventAttendance.organization),
        )
        .order_by(Event.on_date.desc(), Event.id.desc())
    )
    if first is not None:
        query = query.where(Event.on_date >= first)
    if last is not None:
        query = query.where(Event.on_date <= last)
    return list(db.session.scalars(query))


def event_years(hub: Hub) -> list[int]:
    """The years from the first to the last event of the hub, newest first."""
    first, last = db.session.execute(
        sa.select(sa.func.min(Event.on_date), sa.func.max(Event.on_date)).where(
            Event.hub_id == hub.id
        )
    ).one()
    if first is None or last is None:
        return []
    return list(range(last.year, first.year - 1, -1))


def get_event(hub: Hub, event_id: int) -> Event:
    event = db.session.get(Event, event_id) if _is_id(event_id) else None
    if event is None or event.hub_id != hub.id:
        raise NotFound(_("No such event."))
    return event


def create_event(hub: Hub, values: Mapping[str, Any], actor: User | None) -> Event:
    event = Event(hub_id=hub.id, created_by_id=actor.id if actor is not None else None)
    return _save_event(event, hub, {"attendance": []} | dict(values))


def update_event(event: Event, values: Mapping[str, Any]) -> Event:
    """Change the given fields; ``attendance``, when given, replaces every row."""
    return _save_event(event, event.hub, values)


def delete_event(event: Event) -> None:
    db.session.delete(event)
    db.session.flush()


# --- validation --------------------------------------------------------------------


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_ID


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _save_event(event: Event, hub: Hub, values: Mapping[str, Any]) -> Event:
    changes = picked(values, EVENT_FIELDS)
    merged = {f: getattr(event, f) for f in EVENT_FIELDS - {"attendance"}} | changes
    errors = FieldErrors()
    changes["kind"] = checked_enum(EventKind, merged.get("kind"), "kind", errors)
    title = merged.get("title")
    if not isinstance(title, str) or not title:
        errors.add("title", _("Give the event a title, for example 'Lunch talk on AI'."))
    elif len(title) > TITLE_MAX:
        errors.add("title", _("Write at most %(max)d characters.", max=TITLE_MAX))
    on_date = merged.get("on_date")
    if not isinstance(on_date, date) or isinstance(on_date, datetime):
        errors.add("on_date", _("Give the date of the event."))
    space_id = merged.get("space_id")
    if space_id is None or space_id == "":
        if "space_id" in changes:
            changes["space_id"] = None
    elif not _is_id(space_id) or not _space_of_hub(hub, space_id):
        errors.add("space_id", _("Choose a room in this hub."))
    rows = _checked_attendance(changes["attendance"], errors) if "attendance" in changes else None
    errors.raise_if_any()

    for key in ("kind", "title", "on_date", "space_id"):
        if key in changes:
            setattr(event, key, changes[key])
    if rows is not None:
        _replace_attendance(event, rows)
    db.session.add(event)
    db.session.flush()
    return event


def _space_of_hub(hub: Hub, space_id: int) -> bool:
    space = db.session.get(Space, space_id)
    return space is not None and space.hub_id == hub.id


def _checked_attendance(rows: Any, errors: FieldErrors) -> list[tuple[int, int]]:
    """``(organization_id, attendees)`` per row; every problem goes into ``errors``."""
    if not isinstance(rows, list | tuple):
        errors.add("attendance", _("Give the attendance as a list of organizations."))
        return []
    wanted = {
        row.get("organization_id")
        for row in rows
        if isinstance(row, Mapping) and _is_id(row.get("organization_id"))
    }
    known = (
        set(db.session.scalars(sa.select(Organization.id).where(Organization.id.in_(wanted))))
        if wanted
        else set()
    )
    checked: list[tuple[int, int]] = []
    seen: set[int] = set()
    for index, row in enumerate(rows):
        prefix = f"attendance.{index}"
        if not isinstance(row, Mapping):
            errors.add(prefix, _("Give an organization and a number of people."))
            continue
        org_id, attendees = row.get("organization_id"), row.get("attendees")
        if org_id in (None, ""):
            errors.add(f"{prefix}.organization_id", _("Choose an organization."))
        elif not _is_id(org_id) or org_id not in known:
            errors.add(f"{prefix}.organization_id", _("Choose one of the listed values."))
        elif org_id in seen:
            errors.add(
                f"{prefix}.organization_id",
                _("This organization is already listed; give its people in one row."),
            )
        if not _is_count(attendees) or attendees < 1:
            errors.add(f"{prefix}.attendees", _("Give a whole number of people, one or more."))
        elif attendees > MAX_ATTENDEES:
            errors.add(f"{prefix}.attendees", _("That is more people than one event can have."))
        if _is_id(org_id) and org_id in known:
            seen.add(org_id)
            if _is_count(attendees):
                checked.append((org_id, attendees))
    return checked


def _replace_attendance(event: Event, rows: list[tuple[int, int]]) -> None:
    """Keep the row of an organization that stays, so the unique rule never sees two."""
    existing = {row.organization_id: row for row in event.attendance}
    kept: list[EventAttendance] = []
    for org_id, attendees in rows:
        row = existing.get(org_id) or EventAttendance(organization_id=org_id)
        row.attendees = attendees
        kept.append(row)
    event.attendance = kept
