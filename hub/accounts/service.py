"""Operations on organizations, users, roles, memberships and API tokens.

Services validate, change and flush; the caller's boundary (request, CLI
command, job) commits. Every rule violation is a ValidationFailed naming the
field, raised before anything is changed.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask import current_app, render_template, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.security import check_password_hash, generate_password_hash

from hub import mail
from hub.accounts import membership_rules, orgnr
from hub.accounts.models import (
    ApiToken,
    HubRole,
    Language,
    Membership,
    MembershipKind,
    Organization,
    OrganizationKind,
    Role,
    User,
)
from hub.database import utcnow, write_aside
from hub.errors import Conflict, FieldErrors, NotFound
from hub.extensions import db
from hub.security.passwords import needs_rehash
from hub.service_input import checked_enum, picked
from hub.spaces.models import Hub

MIN_PASSWORD_LENGTH = 10
TOKEN_PREFIX = "hub_"
TOKEN_USE_RESOLUTION = timedelta(minutes=5)


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def get_or_404(model: type[Any], ident: int) -> Any:
    obj = db.session.get(model, ident)
    if obj is None:
        raise NotFound(_("Not found."))
    return obj


# --- organizations ---------------------------------------------------------

ORG_FIELDS = frozenset({"name", "short_name", "kind", "org_number", "home_office", "contact_email"})


def create_organization(values: Mapping[str, Any]) -> Organization:
    return _save_organization(Organization(), values)


def update_organization(org: Organization, values: Mapping[str, Any]) -> Organization:
    return _save_organization(org, values)


def _save_organization(org: Organization, values: Mapping[str, Any]) -> Organization:
    changes = {k: _blank_to_none(v) for k, v in picked(values, ORG_FIELDS, strip=False).items()}
    errors = FieldErrors()
    name = changes.get("name", org.name)
    if not name:
        errors.add("name", _("Name is required."))
    elif db.session.scalar(
        sa.select(Organization.id).where(
            sa.func.lower(Organization.name) == name.lower(), Organization.id != org.id
        )
    ):
        errors.add("name", _("An organization with this name already exists."))
    if "kind" in changes or org.kind is None:
        changes["kind"] = checked_enum(OrganizationKind, changes.get("kind"), "kind", errors)
    if changes.get("org_number"):
        raw = str(changes["org_number"])
        digits = orgnr.normalize(raw)
        if not orgnr.is_valid(raw):
            errors.add(
                "org_number",
                _(
                    "%(value)s is not a valid organisation number: it must have nine "
                    "digits and a correct check digit.",
                    value=raw,
                ),
            )
        elif db.session.scalar(
            sa.select(Organization.id).where(
                Organization.org_number == digits, Organization.id != org.id
            )
        ):
            errors.add("org_number", _("Another organization has this organisation number."))
        changes["org_number"] = digits
    if changes.get("contact_email"):
        changes["contact_email"] = _checked_email(changes["contact_email"], "contact_email", errors)
    errors.raise_if_any()
    for key, value in changes.items():
        setattr(org, key, value)
    db.session.add(org)
    db.session.flush()
    return org


# --- users -----------------------------------------------------------------

USER_FIELDS = frozenset(
    {"email", "name", "home_organization_id", "language", "share_name", "active", "is_system_admin"}
    | {"card_id"}
)
CARD_ID_MAX_LENGTH = 64


def normalize_email(email: str) -> str:
    return email.strip().lower()


def _checked_email(raw: str, field: str, errors: FieldErrors) -> str | None:
    try:
        return normalize_email(validate_email(raw, check_deliverability=False).normalized)
    except EmailNotValidError:
        errors.add(field, _("%(value)s is not a valid email address.", value=raw))
        return None


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(
        sa.select(User).where(sa.func.lower(User.email) == normalize_email(email))
    )


def create_user(values: Mapping[str, Any], password: str | None = None) -> User:
    user = User(language=Language.NB, share_name=False, active=True, is_system_admin=False)
    return _save_user(user, values, password=password)


def update_user(user: User, values: Mapping[str, Any]) -> User:
    return _save_user(user, values)


def _save_user(user: User, values: Mapping[str, Any], password: str | None = None) -> User:
    if user.deleted_at is not None:
        # An anonymized row stays for the records that point to it; it must never
        # become somebody again (the person can be invited anew under their email).
        raise Conflict(_("This account has been deleted and cannot be changed."))
    changes = picked(values, USER_FIELDS, strip=False)
    for key in ("email", "name"):
        if key in changes:
            changes[key] = _blank_to_none(changes[key])
    errors = FieldErrors()
    if "email" in changes or user.email is None:
        email = changes.get("email")
        if not email:
            errors.add("email", _("Email is required."))
        else:
            normalized = _checked_email(email, "email", errors)
            existing = find_user_by_email(normalized) if normalized else None
            if existing is not None and existing.id != user.id:
                errors.add("email", _("A user with this email already exists."))
            changes["email"] = normalized
    if ("name" in changes or user.name is None) and not changes.get("name", user.name):
        errors.add("name", _("Name is required."))
    if "home_organization_id" in changes or user.home_organization_id is None:
        org_id = changes.get("home_organization_id")
        if not org_id or db.session.get(Organization, int(org_id)) is None:
            errors.add("home_organization_id", _("Choose the person's home organization."))
    if "language" in changes:
        changes["language"] = checked_enum(Language, changes["language"], "language", errors)
    if "card_id" in changes:
        changes["card_id"] = _checked_card_id(changes["card_id"], user, errors)
    if password is not None:
        _check_password(password, errors)
    projects = None
    if values.get("project_organization_ids") is not None:
        ids = {int(i) for i in values["project_organization_ids"]}
        projects = list(db.session.scalars(sa.select(Organization).where(Organization.id.in_(ids))))
        if len(projects) != len(ids):
            errors.add("project_organization_ids", _("Choose organizations from the list."))
    errors.raise_if_any()
    for key, value in changes.items():
        setattr(user, key, value)
    if projects is not None:
        user.project_organizations = projects
    if password is not None:
        user.password_hash = hash_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def _checked_card_id(value: Any, user: User, errors: FieldErrors) -> str | None:
    """The access-card id trimmed, None when blank; unique among people."""
    card_id = _blank_to_none(value)
    if card_id is None:
        return None
    if not isinstance(card_id, str):
        errors.add("card_id", _("Give the card id as text."))
    elif len(card_id) > CARD_ID_MAX_LENGTH:
        errors.add("card_id", _("Write at most %(max)d characters.", max=CARD_ID_MAX_LENGTH))
    elif db.session.scalar(
        sa.select(User.id).where(
            User.card_id == card_id, User.id != user.id if user.id else sa.true()
        )
    ):
        errors.add("card_id", _("This card id is already used by another person."))
    return card_id


PROFILE_FIELDS = frozenset({"name", "language", "share_name"})


def update_profile(user: User, values: Mapping[str, Any]) -> User:
    """The person's own settings; email, organization and rights are for admins."""
    return _save_user(user, picked(values, PROFILE_FIELDS, strip=False))


def list_users(hub_ids: Iterable[int] | None = None) -> list[User]:
    """Everyone, or only the people with a role in one of these hubs; by name.

    Deleted (anonymized) accounts are left out: they are no longer anybody.
    """
    query = sa.select(User).where(User.deleted_at.is_(None)).order_by(User.name, User.email)
    if hub_ids is not None:
        with_role = sa.select(HubRole.user_id).where(HubRole.hub_id.in_(list(hub_ids)))
        query = query.where(User.id.in_(with_role))
    return list(db.session.scalars(query))


def list_organizations() -> list[Organization]:
    return list(db.session.scalars(sa.select(Organization).order_by(Organization.name)))


def _check_password(password: str, errors: FieldErrors, field: str = "password") -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        errors.add(
            field,
            _("The password must have at least %(n)d characters.", n=MIN_PASSWORD_LENGTH),
        )


def set_password(user: User, password: str, field: str = "password") -> None:
    errors = FieldErrors()
    _check_password(password, errors, field)
    errors.raise_if_any()
    user.password_hash = hash_password(password)
    db.session.flush()


def change_password(user: User, current: str, new: str) -> None:
    """A logged-in person changes their own password; the current one is checked first."""
    errors = FieldErrors()
    if user.password_hash is None or not check_password_hash(user.password_hash, current or ""):
        errors.add("current_password", _("The current password is wrong."))
    _check_password(new or "", errors)
    errors.raise_if_any()
    user.password_hash = hash_password(new)
    db.session.flush()


@functools.cache
def _dummy_hash(method: str) -> str:
    """A hash made with the configured method, so a wrong email costs what a wrong password does."""
    return generate_password_hash("timing-equalizer", method=method)


def hash_password(password: str) -> str:
    """scrypt by default (PASSWORD_HASH_METHOD); tests choose a cheap method."""
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def authenticate(email: str, password: str) -> User | None:
    """The user for these credentials, or None; same work whether or not the email exists."""
    user = find_user_by_email(email) if email else None
    if user is None or user.password_hash is None or not user.active:
        check_password_hash(_dummy_hash(current_app.config["PASSWORD_HASH_METHOD"]), password)
        return None
    if not check_password_hash(user.password_hash, password):
        return None
    if needs_rehash(user.password_hash, current_app.config["PASSWORD_HASH_METHOD"]):
        # The only moment the plain password is at hand: move old hashes to the current KDF.
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    return user


# --- emailed links: password reset and invitation ---------------------------


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"hub-{purpose}")


def _password_fingerprint(user: User) -> str:
    """Changes when the password does, so a used link stops working."""
    return hashlib.sha256((user.password_hash or "unset").encode()).hexdigest()[:16]


def make_password_link_token(user: User, purpose: str) -> str:
    return _serializer(purpose).dumps({"uid": user.id, "fp": _password_fingerprint(user)})


def user_for_password_link(token: str, purpose: str) -> User | None:
    max_age_key = "INVITATION_MAX_AGE" if purpose == "invitation" else "PASSWORD_RESET_MAX_AGE"
    try:
        data = _serializer(purpose).loads(token, max_age=current_app.config[max_age_key])
    except BadSignature:  # includes SignatureExpired
        return None
    user = db.session.get(User, data.get("uid"))
    if user is None or not user.active:
        return None
    if not hmac.compare_digest(data.get("fp", ""), _password_fingerprint(user)):
        return None
    return user


def send_password_reset(email: str) -> None:
    """Mail a reset link if the address is known; say nothing either way."""
    user = find_user_by_email(email)
    if user is None or not user.active:
        return
    token = make_password_link_token(user, "reset")
    link = url_for("accounts.reset_password", token=token, _external=True)
    with force_locale(str(user.language)):
        mail.send_mail(
            to=user.email,
            subject=_("Reset your password for Hub"),
            body=render_template("mail/password_reset.txt", user=user, link=link),
        )


def invite_user(
    hub: Hub,
    values: Mapping[str, Any],
    role: Role | str,
    organization_id: int | None = None,
    invited_by: User | None = None,
) -> User:
    """Give a person a role in a hub; new people get a link to choose a password."""
    errors = FieldErrors()
    role_value = checked_enum(Role, role, "role", errors)
    errors.raise_if_any()
    user = find_user_by_email(str(values.get("email") or ""))
    is_new = user is None
    if user is None:
        user = create_user(values)
    grant_role(user, hub, role_value, organization_id)
    with force_locale(str(user.language)):
        if is_new:
            token = make_password_link_token(user, "invitation")
            link = url_for("accounts.accept_invitation", token=token, _external=True)
        else:
            link = url_for("spaces.hub_detail", slug=hub.slug, _external=True)
        mail.send_mail(
            to=user.email,
            subject=_("You have been invited to %(hub)s", hub=hub.name),
            body=render_template(
                "mail/invitation.txt",
                user=user,
                hub=hub,
                link=link,
                is_new=is_new,
                invited_by=invited_by,
            ),
        )
    return user


# --- roles -----------------------------------------------------------------


def grant_role(
    user: User, hub: Hub, role: Role | str, organization_id: int | None = None
) -> HubRole:
    """Idempotent: granting a role the person already has returns the existing one."""
    errors = FieldErrors()
    role_value = checked_enum(Role, role, "role", errors)
    if role_value == Role.PARTNER_CONTACT:
        org = db.session.get(Organization, organization_id) if organization_id else None
        if org is None:
            errors.add("organization_id", _("A partner contact speaks for an organization."))
    else:
        organization_id = None
    errors.raise_if_any()
    for existing in user.roles:
        if (
            existing.hub_id == hub.id
            and existing.role == role_value
            and existing.organization_id == organization_id
        ):
            return existing
    hub_role = HubRole(user=user, hub=hub, role=role_value, organization_id=organization_id)
    db.session.add(hub_role)
    db.session.flush()
    return hub_role


def revoke_role(hub_role: HubRole) -> None:
    hub_role.user.roles.remove(hub_role)
    db.session.flush()


def roles_in_hub(hub: Hub) -> list[HubRole]:
    return list(
        db.session.scalars(
            sa.select(HubRole)
            .join(User, HubRole.user_id == User.id)
            .where(HubRole.hub_id == hub.id)
            .order_by(User.name, HubRole.role)
        )
    )


# --- memberships -----------------------------------------------------------

MEMBERSHIP_FIELDS = frozenset(
    {"organization_id", "kind", "starts_on", "ends_on", "agreement_reference", "notes"}
    | set(membership_rules.TERM_FIELDS)
)


def create_membership(hub: Hub, values: Mapping[str, Any]) -> Membership:
    return _save_membership(Membership(hub_id=hub.id, carries_residual=False), values)


def update_membership(membership: Membership, values: Mapping[str, Any]) -> Membership:
    return _save_membership(membership, values)


def delete_membership(membership: Membership) -> None:
    _ensure_books_open(membership, {})
    db.session.delete(membership)
    db.session.flush()


def _ensure_books_open(m: Membership, merged: Mapping[str, Any]) -> None:
    """Terms count on every day of the membership; changed dates on the days they move.

    Either way, days in a closed financing period must keep their figures.
    """
    from hub.finance.statements import ensure_open

    if m.id is None:
        if isinstance(merged.get("starts_on"), date):
            ensure_open(m.hub_id, merged["starts_on"], merged.get("ends_on"))
        return
    changed = {f for f in MEMBERSHIP_FIELDS if f in merged and merged[f] != getattr(m, f)}
    if not merged or changed - {"starts_on", "ends_on", "agreement_reference", "notes"}:
        ensure_open(m.hub_id, m.starts_on, m.ends_on)  # deleted, or terms changed
        if merged and isinstance(merged.get("starts_on"), date):
            ensure_open(m.hub_id, merged["starts_on"], merged.get("ends_on"))
        return
    if "starts_on" in changed:
        old, new = m.starts_on, merged["starts_on"]
        ensure_open(m.hub_id, min(old, new), max(old, new))
    if "ends_on" in changed:
        old_end, new_end = m.ends_on, merged["ends_on"]
        if old_end is None or new_end is None:
            ensure_open(m.hub_id, min(d for d in (old_end, new_end) if d is not None))
        else:
            ensure_open(m.hub_id, min(old_end, new_end), max(old_end, new_end))


def _save_membership(m: Membership, values: Mapping[str, Any]) -> Membership:
    changes = {
        k: _blank_to_none(v) for k, v in picked(values, MEMBERSHIP_FIELDS, strip=False).items()
    }
    if "carries_residual" in changes:
        changes["carries_residual"] = bool(changes["carries_residual"])
    merged = {f: getattr(m, f) for f in MEMBERSHIP_FIELDS} | changes
    errors = FieldErrors()
    org_id = merged.get("organization_id")
    if not org_id or db.session.get(Organization, int(org_id)) is None:
        errors.add("organization_id", _("Choose an organization."))
    kind = checked_enum(MembershipKind, merged.get("kind"), "kind", errors)
    starts_on, ends_on = merged.get("starts_on"), merged.get("ends_on")
    if not isinstance(starts_on, date):
        errors.add("starts_on", _("Give the first day of the membership."))
    elif isinstance(ends_on, date) and ends_on < starts_on:
        errors.add("ends_on", _("The last day cannot be before the first day."))
    for field in membership_rules.negative_terms(merged):
        errors.add(field, _("The amount cannot be negative."))
    for field, message in (
        ("weight", _("The weight must be a number, zero or more.")),
        ("dedicated_area_m2", _("The area must be a number of square metres, zero or more.")),
    ):
        value = merged.get(field)
        if value is None:
            continue
        try:
            number = Decimal(str(value).replace(",", "."))
        except ArithmeticError:
            number = Decimal(-1)
        if not number.is_finite() or number < 0:
            errors.add(field, message)
        else:
            changes[field] = number if field in changes else value
    if kind is not None:
        for field in membership_rules.terms_not_allowed(kind.value, merged):
            errors.add(
                field,
                _("A membership of this kind does not use this term; leave it empty."),
            )
    if kind is not None and org_id and isinstance(starts_on, date) and "ends_on" not in errors:
        overlapping = db.session.scalars(
            sa.select(Membership).where(
                Membership.hub_id == m.hub_id,
                Membership.organization_id == int(org_id),
                Membership.kind == kind,
                Membership.id != m.id if m.id else sa.true(),
            )
        )
        for other in overlapping:
            if membership_rules.ranges_overlap(starts_on, ends_on, other.starts_on, other.ends_on):
                errors.add(
                    "starts_on",
                    _(
                        "The organization already has a membership of this kind from "
                        "%(start)s that overlaps these dates.",
                        start=other.starts_on.isoformat(),
                    ),
                )
                break
    errors.raise_if_any()
    changes["kind"] = kind
    _ensure_books_open(m, merged | changes)
    for key, value in changes.items():
        setattr(m, key, value)
    db.session.add(m)
    db.session.flush()
    return m


def memberships_of(hub: Hub) -> list[Membership]:
    return list(
        db.session.scalars(
            sa.select(Membership)
            .join(Organization)
            .where(Membership.hub_id == hub.id)
            .order_by(Membership.kind, Organization.name, Membership.starts_on)
        )
    )


# --- API tokens ------------------------------------------------------------


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_api_token(user: User, name: str) -> tuple[ApiToken, str]:
    """Returns the token row and its secret; the secret is never stored or shown again."""
    errors = FieldErrors()
    name = (name or "").strip()
    if not name:
        errors.add("name", _("Give the token a name so you can recognise it later."))
    elif len(name) > 100:
        errors.add("name", _("The name can have at most %(n)d characters.", n=100))
    errors.raise_if_any()
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user=user, name=name, token_hash=hash_token(secret), prefix=secret[:10])
    db.session.add(token)
    db.session.flush()
    return token, secret


def revoke_api_token(token: ApiToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db.session.flush()


def user_for_api_token(secret: str) -> User | None:
    """Look up by hash, then compare in constant time."""
    digest = hash_token(secret)
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == digest))
    if token is None or token.revoked_at is not None:
        return None
    if not hmac.compare_digest(token.token_hash, digest) or not token.user.active:
        return None
    now = utcnow()
    # Precise to a few minutes is enough, and spares a write on every API call.
    if token.last_used_at is None or now - token.last_used_at > TOKEN_USE_RESOLUTION:
        write_aside(
            db.session(),
            sa.update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now),
        )
    return token.user
