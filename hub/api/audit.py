"""The JSON API for the audit log: GET /audit-events (admins only)."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_login import current_user
from pydantic import Field, model_validator

from hub.accounts import permissions
from hub.api import bp  # noqa: F401
from hub.api import schemas as s
from hub.api.operations import operation, read_query
from hub.audit import service
from hub.audit.capture import ENTITY_TYPES
from hub.audit.models import AuditAction
from hub.errors import ValidationFailed
from hub.extensions import db
from hub.spaces.models import Hub

TAG = "audit"

EntityType = Literal[ENTITY_TYPES]  # type: ignore[valid-type]


class AuditQuery(s.Query):
    """``GET /audit-events``: every parameter is optional."""

    hub: str | None = Field(default=None, max_length=64, description="A hub's slug.")
    entity_type: EntityType | None = None  # type: ignore[valid-type]
    actor: str | None = Field(
        default=None, max_length=254, description="Part of the actor's label, any case."
    )
    from_: date | None = Field(
        default=None, alias="from", description="First day, inclusive, in Europe/Oslo."
    )
    to: date | None = Field(default=None, description="Last day, inclusive, in Europe/Oslo.")
    limit: int = Field(default=service.PAGE_SIZE, ge=1, le=500)
    offset: int = Field(default=0, ge=0, le=s.INT32)

    @model_validator(mode="after")
    def _ordered(self) -> AuditQuery:
        if self.from_ is not None and self.to is not None and self.to < self.from_:
            raise ValueError("to must not be before from")
        return self


class AuditEventOut(s.Out):
    """One change: who made it, when, to what, and the changed fields."""

    id: int
    at: s.Instant
    actor_user_id: int | None = Field(
        description="The acting user; null for jobs, commands, or a user since deleted."
    )
    actor: str = Field(
        validation_alias="actor_label",
        description="The actor's email at the time, or e.g. 'job issue_statements'.",
    )
    hub_id: int | None = Field(
        description="Null for installation-wide changes (organizations, users), "
        "and once the hub is deleted."
    )
    action: AuditAction
    entity_type: str = Field(examples=list(ENTITY_TYPES))
    entity_id: int | None
    summary: str = Field(description="Names the changed thing: its name, number or email.")
    changes: dict[str, list[Any]] = Field(
        description="Field name -> [old, new] (null when there is none). Secrets are never "
        'stored; their values read "[redacted]".',
        examples=[{"capacity": [4, 6]}],
    )


@operation(
    "GET",
    "/audit-events",
    summary="List audit events",
    tag=TAG,
    response=AuditEventOut,
    many=True,
)
def list_audit_events() -> Any:
    """Administrative changes and issued and credited statements, newest first.

    System administrators see every event; hub administrators the events of the hubs
    they administer (a ``hub`` they do not administer is 403); anyone else 403.
    Query parameters (all optional): ``hub`` (slug), ``entity_type``, ``actor`` (part
    of the label, any case), ``from`` and ``to`` (dates, inclusive, Europe/Oslo),
    ``limit`` (1-500, default 50) and ``offset``: fetch the next page until one
    comes back shorter than ``limit``.
    """
    permissions.ensure(service.can_view_audit(current_user))
    query = read_query(AuditQuery)
    visible = service.visible_hub_ids(current_user)
    hub_id = None
    if query.hub is not None:
        hub = db.session.scalar(sa.select(Hub).where(Hub.slug == query.hub))
        if hub is None:
            raise ValidationFailed(
                {"hub": [_("No hub with the address %(slug)s.", slug=query.hub)]}
            )
        permissions.ensure(visible is None or hub.id in visible)
        hub_id = hub.id
    wanted = service.AuditFilter(
        hub_id=hub_id,
        entity_type=query.entity_type,
        actor=(query.actor or "").strip() or None,
        date_from=query.from_,
        date_to=query.to,
        timezone=current_app.config["BABEL_DEFAULT_TIMEZONE"],
    )
    return service.list_events(visible, wanted, limit=query.limit, offset=query.offset)
