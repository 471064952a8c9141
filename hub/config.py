"""Configuration defaults and the HUB_* environment overrides.

Order of precedence (last wins): these defaults, ``instance/config.py``,
``HUB_*`` environment variables, the ``test_config`` passed to ``create_app``.
Nothing here is read at import time; ``load_config`` runs inside ``create_app``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from flask import Flask

DEFAULTS: dict[str, Any] = {
    "SECRET_KEY": "dev-only-change-me",
    # None means "SQLite in the instance folder"; see sqlite_url().
    "DATABASE_URL": None,
    "SQLITE_BUSY_TIMEOUT_MS": 5000,
    "BABEL_DEFAULT_LOCALE": "nb",
    "BABEL_DEFAULT_TIMEZONE": "Europe/Oslo",
    "LANGUAGES": ["nb", "nn", "en"],
    "PUBLIC_URL": "http://127.0.0.1:5000",
    "MAIL_SERVER": None,
    "MAIL_PORT": 587,
    "MAIL_USERNAME": None,
    "MAIL_PASSWORD": None,
    "MAIL_USE_TLS": True,
    "MAIL_FROM": "Hub <noreply@hub.invalid>",
    "PASSWORD_RESET_MAX_AGE": 3600,
    "PASSWORD_HASH_METHOD": "scrypt",
    "INVITATION_MAX_AGE": 7 * 24 * 3600,
    "SESSION_COOKIE_SECURE": False,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "WTF_CSRF_TIME_LIMIT": None,
    # Calendar subscription feeds (hub.calendar.feeds): the window of bookings a feed
    # holds, counted in days from local midnight today (back) and to the end of the
    # day this many days ahead.
    "CALENDAR_FEED_DAYS_BACK": 90,
    "CALENDAR_FEED_DAYS_AHEAD": 365,
}

# Variables documented in the README; every one maps HUB_<NAME> -> config[NAME].
ENV_PREFIX = "HUB_"


def _coerce(raw: str, default: Any) -> Any:
    """Environment values are strings; give them the type of the default."""
    if isinstance(default, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, list):
        return json.loads(raw) if raw.strip().startswith("[") else raw.split(",")
    return raw


def load_config(app: Flask, test_config: dict[str, Any] | None) -> None:
    app.config.from_mapping(DEFAULTS)
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        for key, raw in os.environ.items():
            if key.startswith(ENV_PREFIX):
                name = key.removeprefix(ENV_PREFIX)
                app.config[name] = _coerce(raw, app.config.get(name, DEFAULTS.get(name, "")))
    else:
        app.config.from_mapping(test_config)

    url = app.config.get("DATABASE_URL") or sqlite_url(Path(app.instance_path))
    app.config["SQLALCHEMY_DATABASE_URI"] = normalize_database_url(url)
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        app.config["SQLALCHEMY_ENGINE_OPTIONS"].setdefault("pool_pre_ping", True)


def sqlite_url(instance_path: Path) -> str:
    return f"sqlite:///{instance_path / 'hub.sqlite3'}"


def normalize_database_url(url: str) -> str:
    """Let people write postgresql:// and still get psycopg 3, not psycopg2."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url
