"""The web side of throttling: the 429 answer with Retry-After and a readable wait."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import make_response, request
from flask_babel import format_timedelta
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from hub.extensions import db
from hub.security import service as attempts
from hub.security.throttle import AttemptKind, retry_after_seconds


def wait_text(wait: timedelta) -> str:
    """'30 seconds', '2 minutes': whole minutes rounded up, so it is never too early."""
    seconds = retry_after_seconds(wait)
    if seconds >= 60:
        wait = timedelta(minutes=math.ceil(seconds / 60))
    else:
        wait = timedelta(seconds=max(seconds, 1))
    return format_timedelta(wait, threshold=1)


def too_many_attempts_message(kind: AttemptKind, wait: timedelta) -> str:
    """The same words whether or not the email belongs to anyone."""
    if kind == AttemptKind.RESET:
        return _(
            "Too many requests for a new password. Wait %(wait)s and try again.",
            wait=wait_text(wait),
        )
    return _(
        "Too many failed attempts to log in. Wait %(wait)s and try again, "
        "or ask for a new password.",
        wait=wait_text(wait),
    )


def too_many_attempts(page: str, wait: timedelta) -> Response:
    """429 with Retry-After in whole seconds (RFC 9110), around an already rendered page."""
    response = make_response(page, 429)
    response.headers["Retry-After"] = str(max(retry_after_seconds(wait), 1))
    return response


def password_throttled(email: str, form: Any, render: Callable[[], str]) -> Response | None:
    """The 429 page when this email must wait before its password is checked again.

    The same count for the login form and for the pages that ask a logged-in person
    for their current password (change it, delete the account): a stolen session
    does not give unlimited guesses. None: go ahead and check.
    """
    wait = attempts.wait_before(AttemptKind.LOGIN, email, request.remote_addr)
    if not wait:
        return None
    form.form_errors.append(too_many_attempts_message(AttemptKind.LOGIN, wait))
    return too_many_attempts(render(), wait)


def count_wrong_password(email: str) -> None:
    """Count one wrong password for this email and this client address."""
    attempts.record(AttemptKind.LOGIN, email, request.remote_addr)
    # The 422 answer rolls the request back, but the failure must count.
    db.session.commit()
