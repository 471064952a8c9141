"""A person's own data: everything we hold about them, and deleting their account.

Deleting keeps the ``users`` row, anonymized, instead of removing it: issued
statements, closed periods, events, usage imports and the audit log point to
it, and those are records of the hub, not of the person. Bookings stay (usage
and the cost split are computed from them) but no longer name anyone. What is
removed, cleared and kept is listed in docs/privacy.md.

The personal rows are changed with set-based statements, like the retention
job (``hub.usage.retention``): they bypass the usage roll-up, whose counts must
stay as they are, and the audit log's change capture, which would otherwise
copy the old name and email into the audit log at the moment they are erased.
One audit event without personal details records that an account was deleted.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from email.utils import getaddresses
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from werkzeug.security import check_password_hash

from hub.accounts import service
from hub.accounts.models import ApiToken, HubRole, Organization, User, user_projects
from hub.booking import notify
from hub.booking.models import ACTIVE_STATUSES, Booking, BookingSeries, BookingStatus
from hub.calendar.models import FeedToken
from hub.database import utc_iso, utcnow
from hub.errors import Conflict, FieldErrors, NotFound, PermissionDenied
from hub.extensions import db
from hub.finance.models import ClosedPeriod, Statement
from hub.outbox.models import OutboxMessage, OutboxStatus
from hub.security.models import LoginAttempt
from hub.spaces.models import Hub, Space
from hub.usage.models import Event, PresenceDay, UsageImport, UsageRecord

FORMAT = "hub-personal-data"
FORMAT_VERSION = 1
DELETED_NAME = "Deleted user"


def deleted_email(user_id: int) -> str:
    """Keeps the unique email index; ``.invalid`` can never be delivered (RFC 2606)."""
    return f"deleted-{user_id}@invalid"


def _iso(value: datetime | None) -> str | None:
    return utc_iso(value) if value else None


def _day(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _org(org: Organization | None) -> dict[str, Any] | None:
    if org is None:
        return None
    return {"id": org.id, "name": org.name, "org_number": org.org_number}


# --- export ----------------------------------------------------------------


def export_personal_data(user: User, now: datetime | None = None) -> dict[str, Any]:
    """Everything the hub holds about this person, as JSON values (instants in UTC).

    Secrets are never included: no password or token hashes, no feed secrets.
    """
    uid = user.id
    hubs = {h.id: h for h in db.session.scalars(sa.select(Hub))}
    orgs: dict[int, Organization] = {}

    def org_name(org_id: int | None) -> str | None:
        if org_id is None:
            return None
        if org_id not in orgs:
            org = db.session.get(Organization, org_id)
            if org is None:
                return None
            orgs[org_id] = org
        return orgs[org_id].name

    def hub_ref(hub_id: int | None) -> dict[str, Any] | None:
        hub = hubs.get(hub_id) if hub_id is not None else None
        return {"id": hub.id, "slug": hub.slug, "name": hub.name} if hub else None

    spaces = {s.id: s for s in db.session.scalars(sa.select(Space))}

    def space_name(space_id: int | None) -> str | None:
        space = spaces.get(space_id) if space_id is not None else None
        return space.name if space else None

    bookings = db.session.scalars(
        sa.select(Booking).where(Booking.user_id == uid).order_by(Booking.starts_at, Booking.id)
    )
    series = db.session.scalars(
        sa.select(BookingSeries).where(BookingSeries.user_id == uid).order_by(BookingSeries.id)
    )
    presence = db.session.scalars(
        sa.select(PresenceDay)
        .where(PresenceDay.user_id == uid, PresenceDay.sources > 0)
        .order_by(PresenceDay.day, PresenceDay.id)
    )
    records = db.session.scalars(
        sa.select(UsageRecord).where(UsageRecord.user_id == uid).order_by(UsageRecord.seen_at)
    )
    feeds = db.session.scalars(
        sa.select(FeedToken).where(FeedToken.user_id == uid).order_by(FeedToken.id)
    )
    events = db.session.scalars(
        sa.select(Event).where(Event.created_by_id == uid).order_by(Event.on_date, Event.id)
    )
    imports = db.session.scalars(
        sa.select(UsageImport).where(UsageImport.created_by_id == uid).order_by(UsageImport.id)
    )
    statements = db.session.scalars(
        sa.select(Statement).where(Statement.issued_by_id == uid).order_by(Statement.id)
    )
    closed = db.session.scalars(
        sa.select(ClosedPeriod).where(ClosedPeriod.closed_by_id == uid).order_by(ClosedPeriod.id)
    )
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "generated_at": _iso(now or utcnow()),
        "profile": {
            "id": user.id,
            "email": user.email,
            "name": user.name,
            "language": str(user.language),
            "share_name": user.share_name,
            "active": user.active,
            "is_system_admin": user.is_system_admin,
            "has_password": user.has_password,
            "card_id": user.card_id,
            "last_login_at": _iso(user.last_login_at),
            "created_at": _iso(user.created_at),
            "updated_at": _iso(user.updated_at),
        },
        "home_organization": _org(user.home_organization),
        "project_organizations": [_org(o) for o in user.project_organizations],
        "hub_roles": [
            {
                "hub": hub_ref(role.hub_id),
                "role": str(role.role),
                "organization": org_name(role.organization_id),
                "created_at": _iso(role.created_at),
            }
            for role in sorted(user.roles, key=lambda r: r.id)
        ],
        "bookings": [
            {
                "id": b.id,
                "hub": hub_ref(b.hub_id),
                "space": space_name(b.space_id),
                "organization": org_name(b.organization_id),
                "starts_at": _iso(b.starts_at),
                "ends_at": _iso(b.ends_at),
                "status": str(b.status),
                "source": str(b.source),
                "title": b.title,
                "participants": b.participants,
                "series_id": b.series_id,
                "checked_in_at": _iso(b.checked_in_at),
                "checked_out_at": _iso(b.checked_out_at),
                "cancelled_at": _iso(b.cancelled_at),
                "released_at": _iso(b.released_at),
                # Released by the no-show job: booked, not checked in in time.
                "no_show": b.status == BookingStatus.RELEASED,
                "created_at": _iso(b.created_at),
                "updated_at": _iso(b.updated_at),
            }
            for b in bookings
        ],
        "booking_series": [
            {
                "id": s.id,
                "space": space_name(s.space_id),
                "rrule": s.rrule,
                "first_date": _day(s.first_date),
                "until": _day(s.until),
            }
            for s in series
        ],
        "presence_days": [
            {
                "hub": hub_ref(p.hub_id),
                "day": _day(p.day),
                "organization": org_name(p.organization_id),
            }
            for p in presence
        ],
        "usage_records": [
            {
                "hub": hub_ref(r.hub_id),
                "space": space_name(r.space_id),
                "organization": org_name(r.organization_id),
                "day": _day(r.day),
                "seen_at": _iso(r.seen_at),
                "import_id": r.import_id,
            }
            for r in records
        ],
        "api_tokens": [
            {
                "id": t.id,
                "name": t.name,
                "prefix": t.prefix,
                "created_at": _iso(t.created_at),
                "last_used_at": _iso(t.last_used_at),
                "revoked_at": _iso(t.revoked_at),
            }
            for t in sorted(user.api_tokens, key=lambda t: t.id)
        ],
        "calendar_feeds": [
            {
                "id": f.id,
                "scope": str(f.scope),
                "hub": hub_ref(f.hub_id),
                "space": space_name(f.space_id),
                "organization": org_name(f.organization_id),
                "created_at": _iso(f.created_at),
                "last_used_at": _iso(f.last_used_at),
                "revoked_at": _iso(f.revoked_at),
            }
            for f in feeds
        ],
        "created_by_you": {
            "events": [
                {
                    "id": e.id,
                    "hub": hub_ref(e.hub_id),
                    "kind": str(e.kind),
                    "title": e.title,
                    "on_date": _day(e.on_date),
                }
                for e in events
            ],
            "usage_imports": [
                {
                    "id": i.id,
                    "hub": hub_ref(i.hub_id),
                    "filename": i.filename,
                    "status": str(i.status),
                    "created_at": _iso(i.created_at),
                }
                for i in imports
            ],
            "statements_issued": [
                {
                    "id": s.id,
                    "hub": hub_ref(s.hub_id),
                    "number": s.number,
                    "issued_at": _iso(s.issued_at),
                }
                for s in statements
            ],
            "periods_closed": [
                {
                    "hub": hub_ref(c.hub_id),
                    "period_first": _day(c.period_first),
                    "period_last": _day(c.period_last),
                    "closed_at": _iso(c.closed_at),
                }
                for c in closed
            ],
        },
        "audit_events_by_you": _audit_events(uid),
    }


def _audit_events(user_id: int) -> list[dict[str, Any]]:
    """The changes this person made, as the audit log records them."""
    from hub.audit.models import AuditEvent

    rows = db.session.scalars(
        sa.select(AuditEvent)
        .where(AuditEvent.actor_user_id == user_id)
        .order_by(AuditEvent.at, AuditEvent.id)
    )
    return [
        {
            "at": _iso(e.at),
            "action": str(e.action),
            "entity_type": e.entity_type,
            "entity_id": e.entity_id,
            # A role or profile of someone else names them: that is their data, not yours.
            "summary": None if _about_someone_else(e, user_id) else e.summary,
        }
        for e in rows
    ]


def _about_someone_else(event: Any, user_id: int) -> bool:
    from hub.audit.service import is_about

    return event.entity_type in ("user", "hub_role") and not is_about(event, user_id)


# --- deletion --------------------------------------------------------------


def is_last_system_admin(user: User) -> bool:
    if not (user.is_system_admin and user.active):
        return False
    others = db.session.scalar(
        sa.select(sa.func.count(User.id)).where(
            User.is_system_admin.is_(True),
            User.active.is_(True),
            User.deleted_at.is_(None),
            User.id != user.id,
        )
    )
    return not others


def check_confirmation(user: User, values: Mapping[str, Any]) -> None:
    """The person proves it is them: the current password, or (no password) their email."""
    errors = FieldErrors()
    if user.has_password:
        password = values.get("password") or ""
        if not check_password_hash(user.password_hash or "", password):
            errors.add("password", _("The password is wrong."))
    else:
        typed = service.normalize_email(str(values.get("confirm_email") or ""))
        if typed != service.normalize_email(user.email):
            errors.add("confirm_email", _("Write the email address of your account."))
    errors.raise_if_any()


def check_email_confirmation(user: User, values: Mapping[str, Any]) -> None:
    """The API asks for the account's email in the body, whatever the password."""
    typed = service.normalize_email(str(values.get("confirm_email") or ""))
    if typed != service.normalize_email(user.email):
        raise_field("confirm_email", _("Write the email address of your account."))


def raise_field(field: str, message: str) -> None:
    errors = FieldErrors()
    errors.add(field, message)
    errors.raise_if_any()


def future_bookings(user: User, now: datetime | None = None) -> list[Booking]:
    """Active bookings that have not started: deleting the account cancels them."""
    return list(
        db.session.scalars(
            sa.select(Booking)
            .where(
                Booking.user_id == user.id,
                Booking.status.in_(ACTIVE_STATUSES),
                Booking.starts_at > (now or utcnow()),
            )
            .order_by(Booking.starts_at)
        )
    )


def delete_account(user: User, actor: User, now: datetime | None = None) -> list[Booking]:
    """Delete the person's account; returns the future bookings that were cancelled.

    Refused (409) for the last active system administrator, who would leave
    nobody able to administer the installation. Future bookings are cancelled
    so their places are free again, and the person gets one email that removes
    them from their calendar (built now, sent on commit). Then every row that
    names the person is anonymized or removed, and the user row itself is
    anonymized in place. Statements and other financial rows are not touched.
    """
    if user.deleted_at is not None:
        raise NotFound(_("Not found."))
    if actor.id != user.id and not actor.is_system_admin:
        raise PermissionDenied(_("You can only delete your own account."))
    if is_last_system_admin(user):
        raise Conflict(
            _(
                "You are the last system administrator. Make someone else a system "
                "administrator before you delete your account."
            )
        )
    from hub.audit.capture import current_actor

    # Who does it, read before the user row stops counting as signed in.
    actor_id, actor_label = current_actor()
    now = now or utcnow()
    cancelled = future_bookings(user, now)
    for booking in cancelled:
        # As hub.booking.service.cancel_booking, without the cancellation deadline:
        # a deleted account must not keep holding places.
        booking.status = BookingStatus.CANCELLED
        booking.cancelled_at = now
        booking.sequence += 1
    # The roll-up takes the cancelled bookings out while they still name the person.
    db.session.flush()
    notify.booking_cancelled(cancelled)
    _anonymize_rows(user, now)
    _record_deletion(user.id, now, actor_id, actor_label)
    db.session.flush()
    return cancelled


def _anonymize_rows(user: User, now: datetime) -> None:
    from hub.audit.service import forget_user

    uid = user.id
    # Roles one at a time, so the audit log says in each hub that the person left.
    for role in db.session.scalars(sa.select(HubRole).where(HubRole.user_id == uid)):
        db.session.delete(role)
    db.session.flush()
    # Entries *about* the person lose their email, name and card id; entries of
    # changes they made to others as an administrator keep their label (docs/audit.md).
    forget_user(uid, user.email)
    fetch = {"synchronize_session": "fetch"}
    for statement in (
        sa.update(BookingSeries).where(BookingSeries.user_id == uid).values(user_id=None),
        sa.update(Booking).where(Booking.user_id == uid).values(user_id=None, title=None),
        sa.update(UsageRecord).where(UsageRecord.user_id == uid).values(user_id=None),
        sa.update(PresenceDay).where(PresenceDay.user_id == uid).values(user_id=None),
    ):
        db.session.execute(statement.execution_options(**fetch))
    # Uploaded usage files name people by email or card id; the parsed lines stay.
    for upload in _imports_naming(user):
        upload.content = ""
    # Mails to the person already sent or given up (the cancellation above still goes).
    for message in _mail_to(user.email):
        if message.status is not OutboxStatus.PENDING:
            db.session.delete(message)
    for model in (ApiToken, FeedToken):
        db.session.execute(
            sa.delete(model).where(model.user_id == uid).execution_options(**fetch)  # type: ignore[attr-defined]
        )
    db.session.execute(sa.delete(user_projects).where(user_projects.c.user_id == uid))
    # Failed logins typed with the address (kept 24 h for throttling) go too.
    db.session.execute(sa.delete(LoginAttempt).where(LoginAttempt.email == user.email.lower()))
    db.session.execute(
        sa.update(User)
        .where(User.id == uid)
        .values(
            email=deleted_email(uid),
            name=DELETED_NAME,
            password_hash=None,
            card_id=None,
            active=False,
            is_system_admin=False,
            share_name=False,
            last_login_at=None,
            deleted_at=now,
            updated_at=now,
        )
        .execution_options(**fetch)
    )
    db.session.flush()
    # Loaded objects (the user, the cancelled bookings) still hold old values.
    db.session.expire_all()


FIELD_SEPARATORS = re.compile(r'[,;\t\r\n"]')


def _imports_naming(user: User) -> list[UsageImport]:
    """Uploaded files with the person's email or card id as a whole field of a line."""
    wanted = {user.email.lower(), *([user.card_id.lower()] if user.card_id else [])}
    mentions = [sa.func.lower(UsageImport.content).contains(v, autoescape=True) for v in wanted]
    candidates = db.session.scalars(
        sa.select(UsageImport).where(UsageImport.content != "", sa.or_(*mentions))
    )
    return [
        upload
        for upload in candidates
        if wanted & {f.strip().lower() for f in FIELD_SEPARATORS.split(upload.content)}
    ]


def _mail_to(email: str) -> list[OutboxMessage]:
    """Outbox messages addressed to ``email`` (as a whole address, any case)."""
    candidates = db.session.scalars(
        sa.select(OutboxMessage).where(
            sa.func.lower(OutboxMessage.recipient).contains(email.lower(), autoescape=True)
        )
    )
    return [
        message
        for message in candidates
        if email.lower() in {a.lower() for _, a in getaddresses([message.recipient])}
    ]


def _record_deletion(user_id: int, now: datetime, actor_id: int | None, label: str) -> None:
    """One audit event, without the name or email that were just erased."""
    from hub.audit.models import AuditAction, AuditEvent

    if actor_id == user_id:
        label = f"user #{user_id}"  # not the email being erased
    db.session.add(
        AuditEvent(
            at=now,
            actor_user_id=actor_id,
            actor_label=label,
            action=AuditAction.DELETED,
            entity_type="user",
            entity_id=user_id,
            summary=f"#{user_id}: account deleted and anonymized",
            changes={},
        )
    )
