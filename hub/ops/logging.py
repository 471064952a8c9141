"""Log lines for operators: text or JSON (LOG_FORMAT), with the request they belong to.

``init_app`` gives every request an id (the incoming ``X-Request-ID`` when it is
sane, otherwise a new one), echoes it on the response, and configures the root
logger from LOG_FORMAT and LOG_LEVEL, except under TESTING, where pytest's
caplog owns logging (a test that wants the real setup calls ``configure_logging``
with ``force=True``). The formatters are in ``hub.ops.logformat``, which the
scheduler and gunicorn (gunicorn.conf.py) use too, so one installation writes
one kind of line.
"""

from __future__ import annotations

import logging
import re
import sys
import uuid
from typing import IO, Any

import sqlalchemy as sa
from flask import Flask, Response, g, has_request_context, request, session
from flask.logging import default_handler

from hub.ops.logformat import JsonFormatter, TextFormatter, redact_path

REQUEST_ID_HEADER = "X-Request-ID"
# An incoming id is kept only if it is short and plain: it goes into every log line
# and back into a response header.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:@+=/-]{1,128}")
# Chatty libraries shown from WARNING up unless LOG_LEVEL is DEBUG. (`flask db upgrade`
# still prints its steps: Alembic's env.py sets its own levels.)
QUIETER = ("apscheduler", "alembic")


def init_app(app: Flask) -> None:
    app.before_request(_assign_request_id)
    app.after_request(_echo_request_id)
    configure_logging(app)


# --- the request id --------------------------------------------------------------------


def current_request_id() -> str | None:
    """The id of the request being handled (made on first use), or None outside one."""
    if not has_request_context():
        return None
    request_id = g.get("request_id")
    if request_id is None:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = incoming if _SANE_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        g.request_id = request_id
    return request_id


def _assign_request_id() -> None:
    current_request_id()


def _echo_request_id(response: Response) -> Response:
    response.headers[REQUEST_ID_HEADER] = current_request_id() or ""
    return response


def request_context() -> dict[str, Any]:
    """request_id, method, path and user_id of the current request; empty outside one.

    The user is the one the request already loaded, else the id its session claims:
    logging must never query the database (it may be the thing that is failing).
    """
    if not has_request_context():
        return {}
    context: dict[str, Any] = {
        "request_id": current_request_id(),
        "method": request.method,
        "path": redact_path(request.path),
    }
    user = g.get("_login_user")
    if user is not None:  # loaded by Flask-Login or by an API token
        user_id = _identity(user)
    else:  # not loaded yet: the id the session claims (no query)
        raw = session.get("_user_id")
        user_id = int(raw) if isinstance(raw, str) and raw.isdigit() else None
    if user_id is not None:
        context["user_id"] = user_id
    return context


def _identity(user: Any) -> int | None:
    """The loaded user's primary key, read without touching its (maybe expired) columns."""
    state = sa.inspect(user, raiseerr=False)  # None for the anonymous user
    identity = state.identity if state is not None else None
    return identity[0] if identity else None


class RequestContextFilter(logging.Filter):
    """Puts the request context on every record that passes the handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in request_context().items():
            if not hasattr(record, key):
                setattr(record, key, value)
        return True


# --- setup -----------------------------------------------------------------------------


def make_formatter(log_format: str) -> logging.Formatter:
    if log_format.strip().lower() == "json":
        return JsonFormatter()
    return TextFormatter()


def configure_logging(app: Flask, *, force: bool = False, stream: IO[str] | None = None) -> None:
    """One handler on the root logger, in LOG_FORMAT at LOG_LEVEL; safe to call again.

    Under TESTING nothing is done unless ``force``: pytest's caplog owns logging.
    Handlers installed by others (caplog, gunicorn's own loggers) are left alone.
    """
    if app.testing and not force:
        return
    log_format = str(app.config.get("LOG_FORMAT") or "text")
    if log_format.strip().lower() not in {"text", "json"}:
        raise ValueError(f"LOG_FORMAT must be 'text' or 'json', not {log_format!r}")
    level = str(app.config.get("LOG_LEVEL") or "INFO").strip().upper()
    if not isinstance(logging.getLevelName(level), int):
        raise ValueError(
            f"LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, not {level!r}"
        )

    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_hub", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(make_formatter(log_format))
    handler.addFilter(RequestContextFilter())
    handler._hub = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    # Below DEBUG these repeat what hub.jobs and hub.scheduler already say.
    for name in QUIETER:
        logging.getLogger(name).setLevel(max(logging.getLevelName(level), logging.WARNING))
    # Flask's own handler on app.logger would print every app log line a second time.
    app.logger.removeHandler(default_handler)
