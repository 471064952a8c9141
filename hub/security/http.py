"""The web side of throttling: the 429 answer with Retry-After and a readable wait."""

from __future__ import annotations

import math
from datetime import timedelta

from flask import make_response
from flask_babel import format_timedelta
from flask_babel import gettext as _
from werkzeug.wrappers import Response

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
