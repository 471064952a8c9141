"""Log line formats (text, JSON) and the redaction of secrets in logged addresses.

Only the standard library and python-json-logger: the gunicorn master imports
this module for its own lines (gunicorn.conf.py), and must not load the app.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pythonjsonlogger.json import JsonFormatter as _BaseJsonFormatter

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s%(context)s: %(message)s"
REDACTED = "[secret]"
# Addresses that carry a secret: a calendar feed, a reset or invitation link, and the
# single sign-on answer (code and state in the query). Logs travel further than the app.
_SECRET_PATHS = re.compile(
    r"(^|\s|//[^/\s]+)"  # where a path starts: the text, a request line, a URL's host
    r"(?:(/feeds/)[^/?#\s]+?(\.ics)?(?=$|[?#\s])|(/password/reset/|/invitation/)[^/?#\s]+)"
)
_SECRET_PARAMS = re.compile(r"(?<=[?&])(code|state|token|id_token|session_state)=[^&#]*")


def redact_path(text: str | None) -> str | None:
    """``text`` (a path, a path with its query, a request line or a URL) without its secrets."""
    if not text:
        return text
    return _SECRET_PARAMS.sub(rf"\1={REDACTED}", _SECRET_PATHS.sub(_mask, text))


def _mask(match: re.Match[str]) -> str:
    if match.group(2):
        return f"{match.group(1)}{match.group(2)}{REDACTED}{match.group(3) or ''}"
    return f"{match.group(1)}{match.group(4)}{REDACTED}"


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
        "path": atom("U"),  # secrets already out: gunicorn.conf.py's RedactingLogger
        "query": atom("q"),
        "status": number("s"),
        "bytes": number("B"),
        "duration_ms": None if microseconds is None else round(microseconds / 1000, 1),
        "request_id": atom("{x-request-id}o"),
        "user_agent": atom("a"),
        "referer": atom("f"),
    }
