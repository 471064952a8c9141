"""Counting failed logins and reset requests in the database, for ``throttle``'s rule.

The counts live in the ``login_attempts`` table so every web worker (and every
machine) sees the same numbers. Services flush; the caller commits. A failed
login is answered 422, which the request boundary rolls back, so the login view
commits the recorded failure itself.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from hub.accounts.service import normalize_email
from hub.database import begin_write, utcnow
from hub.extensions import db
from hub.security.models import LoginAttempt
from hub.security.throttle import (
    LONGEST_WINDOW,
    POLICIES,
    AttemptKind,
    Count,
    Policy,
    longest_wait,
)


def _count(
    kind: AttemptKind, column: sa.ColumnElement[str], value: str, policy: Policy, now: datetime
) -> Count:
    failures, latest = db.session.execute(
        sa.select(sa.func.count(), sa.func.max(LoginAttempt.created_at)).where(
            LoginAttempt.kind == kind,
            column == value,
            LoginAttempt.created_at > now - policy.window,
        )
    ).one()
    return Count(policy, int(failures), latest)


def wait_before(
    kind: AttemptKind, email: str, address: str | None, now: datetime | None = None
) -> timedelta:
    """How long this email, from this address, must wait before trying (zero: go ahead).

    Known and unknown emails are counted alike, so the answer says nothing about
    whether an account exists.
    """
    # A failure (or, after a login, a clearing) is written next: on SQLite, be the
    # writer from the start so concurrent workers wait instead of failing.
    begin_write(db.session())
    now = now or utcnow()
    by_email, by_address = POLICIES[kind]
    counts = [_count(kind, LoginAttempt.email, normalize_email(email), by_email, now)]
    if address:
        counts.append(_count(kind, LoginAttempt.address, address, by_address, now))
    return longest_wait(counts, now)


def record(
    kind: AttemptKind, email: str, address: str | None, now: datetime | None = None
) -> LoginAttempt:
    """Count one failed login (or one reset request); rows past every window go."""
    now = now or utcnow()
    forget_old(now)
    attempt = LoginAttempt(
        kind=kind, email=normalize_email(email)[:254], address=(address or "")[:45], created_at=now
    )
    db.session.add(attempt)
    db.session.flush()
    return attempt


def forget_old(now: datetime | None = None) -> int:
    """Delete the attempts past every window: typed emails and addresses are kept no longer."""
    cutoff = (now or utcnow()) - LONGEST_WINDOW
    result = db.session.execute(sa.delete(LoginAttempt).where(LoginAttempt.created_at <= cutoff))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def clear(kind: AttemptKind, email: str) -> None:
    """Forget the email's failures (after a successful login); the address's other rows stay."""
    db.session.execute(
        sa.delete(LoginAttempt).where(
            LoginAttempt.kind == kind, LoginAttempt.email == normalize_email(email)
        )
    )
    db.session.flush()
