"""Log lines for operators: text or JSON (LOG_FORMAT), with the request they belong to.

``init_app`` gives every request an id (the incoming ``X-Request-ID`` when it is
sane, otherwise a new one), echoes it on the response, and configures the root
logger from LOG_FORMAT and LOG_LEVEL, except under TESTING, where pytest's
caplog owns logging (a test that wants the real setup calls ``configure_logging``
with ``force=True``). The scheduler and gunicorn (gunicorn.conf.py) use the same
formatters, so one installation writes one kind of line.
"""

from __future__ import annotations

import logging
import re
import sys
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import IO, Any

import sqlalchemy as sa
from flask import Flask, Response, g, has_request_context, request, session
from flask.logging import default_handler
from pythonjsonlogger.json import JsonFormatter as _BaseJsonFormatter

REQUEST_ID_HEADER = "X-Request-ID"
# An incoming id is kept only if it is short and plain: it goes into every log line
# and back into a response header.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:@+=/-]{1,128}")
# Chatty libraries shown from WARNING up unless LOG_LEVEL is DEBUG. (`flask db upgrade`
# still prints its steps: Alembic's env.py sets its own levels.)
QUIETER = ("apscheduler", "alembic")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s%(context)s: %(message)s"


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
        "path": request.path,
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


# --- formatters ------------------------------------------------------------------------


def _utc_iso(created: float) -> str:
    stamp = datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds")
    return stamp.replace("+00:00", "Z")


class TextFormatter(logging.Formatter):
    """``2026-11-24T12:00:00.123Z INFO hub.jobs [id GET /path user=3]: message``."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return _utc_iso(record.created)

    def format(self, record: logging.LogRecord) -> str:
        request_id = getattr(record, "request_id", None)
        if request_id is None:
            record.context = ""
        else:
            user_id = getattr(record, "user_id", None)
            user = "" if user_id is None else f" user={user_id}"
            method, path = getattr(record, "method", "-"), getattr(record, "path", "-")
            record.context = f" [{request_id} {method} {path}{user}]"
        return super().format(record)


class JsonFormatter(_BaseJsonFormatter):
    """One JSON object a line: time (UTC ISO), level, logger, message, then the rest.

    The rest is the request context (request_id, method, path, user_id), any
    ``extra=`` fields, ``exc_info``, and for gunicorn's access log the request's
    fields instead of one Apache-style string.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        super().__init__("%(levelname)s %(name)s %(message)s", **kwargs)

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        log_data["time"] = _utc_iso(record.created)
        super().add_fields(log_data, record, message_dict)
        if record.name == "gunicorn.access" and isinstance(record.args, Mapping):
            log_data.update(_access_fields(record.args))


def _access_fields(atoms: Mapping[str, Any]) -> dict[str, Any]:
    """gunicorn's access-log atoms (see its docs, "access_log_format") as named fields."""

    def atom(key: str) -> Any:
        value = atoms[key]  # gunicorn's wrapper gives "-" for a missing one
        return None if value in ("-", "") else value

    def number(key: str) -> int | None:
        value = atom(key)
        return int(value) if isinstance(value, str | int) and str(value).isdigit() else None

    microseconds = number("D")
    return {
        "remote_addr": atom("h"),
        "forwarded_for": atom("{x-forwarded-for}i"),
        "method": atom("m"),
        "path": atom("U"),
        "query": atom("q"),
        "status": number("s"),
        "bytes": number("B"),
        "duration_ms": None if microseconds is None else round(microseconds / 1000, 1),
        "request_id": atom("{x-request-id}o"),
        "user_agent": atom("a"),
        "referer": atom("f"),
    }


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
