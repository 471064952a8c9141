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
    # The mail outbox (hub.outbox, docs/mail.md): seconds per SMTP step, tries before a
    # mail is marked failed (waits 1, 2, 4 … minutes, at most MAIL_RETRY_MAX_MINUTES),
    # and how long sent mails are kept.
    "MAIL_TIMEOUT_SECONDS": 15,
    "MAIL_MAX_ATTEMPTS": 20,
    "MAIL_RETRY_MAX_MINUTES": 60,
    "MAIL_KEEP_SENT_DAYS": 14,
    # A busy (SQLite) or unreachable database answers 503 with this Retry-After.
    "DATABASE_RETRY_AFTER_SECONDS": 5,
    "PASSWORD_RESET_MAX_AGE": 3600,
    "PASSWORD_HASH_METHOD": "scrypt",
    "INVITATION_MAX_AGE": 7 * 24 * 3600,
    # HTTPS (docs/security.md): None means "when PUBLIC_URL starts with https://". On, it
    # makes the session and remember cookies Secure, generated URLs https, and sends HSTS.
    "HTTPS": None,
    # How many reverse proxies (nginx) stand in front and set X-Forwarded-For/-Proto;
    # 0 trusts no such header. Needed for the right client address and HTTPS detection.
    "PROXY_FIX": 0,
    # Host names the app answers to (Flask checks the Host header); None checks nothing.
    "TRUSTED_HOSTS": None,
    "SESSION_COOKIE_SECURE": False,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_SECURE": False,
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "WTF_CSRF_TIME_LIMIT": None,
    # Calendar subscription feeds (hub.calendar.feeds): the window of bookings a feed
    # holds, counted in days from local midnight today (back) and to the end of the
    # day this many days ahead.
    "CALENDAR_FEED_DAYS_BACK": 90,
    "CALENDAR_FEED_DAYS_AHEAD": 365,
    # Backups (hub.ops.backup, docs/backup.md): None means instance/backups. The nightly
    # job keeps the newest BACKUP_KEEP files there; PG_DUMP/PG_RESTORE are the programs
    # used for PostgreSQL (a name on PATH or a full path, of the server's major version).
    "BACKUP_DIR": None,
    "BACKUP_KEEP": 14,
    "PG_DUMP": "pg_dump",
    "PG_RESTORE": "pg_restore",
    # How long pg_dump or pg_restore may run before it is stopped and the backup or
    # restore fails (a hung server must not block the scheduler or a terminal forever).
    "BACKUP_TIMEOUT_SECONDS": 3600,
    # Operations (hub.ops, docs/deploy.md): log lines as "text" or "json" (one object a
    # line) and their level; the scheduler's heartbeat interval, and how old a heartbeat
    # may be before the scheduler counts as gone (its lock may then be taken over).
    "LOG_FORMAT": "text",
    "LOG_LEVEL": "INFO",
    "SCHEDULER_HEARTBEAT_SECONDS": 30,
    "SCHEDULER_STALE_SECONDS": 90,
    # Single sign-on with an OpenID Connect provider (hub.accounts.sso, docs/sso.md).
    # On when the client id, the secret and OIDC_DISCOVERY_URL or OIDC_ISSUER are set.
    "OIDC_DISCOVERY_URL": None,
    "OIDC_ISSUER": None,
    "OIDC_CLIENT_ID": None,
    "OIDC_CLIENT_SECRET": None,
    "OIDC_DISPLAY_NAME": "Microsoft Entra ID",
    "OIDC_SCOPE": "openid email profile",
    # Claims taken as a verified address without email_verified (Entra: preferred_username);
    # used only for addresses in OIDC_ALLOWED_DOMAINS.
    "OIDC_TRUSTED_EMAIL_CLAIMS": [],
    # When set, only addresses in these domains may log in with single sign-on.
    "OIDC_ALLOWED_DOMAINS": [],
    "OIDC_TIMEOUT_SECONDS": 10,
}

# Variables documented in the README; every one maps HUB_<NAME> -> config[NAME].
ENV_PREFIX = "HUB_"
# What a yes/no setting (or query parameter) accepts as yes; anything else is no.
TRUE_WORDS = frozenset({"1", "true", "yes", "on"})


def _coerce(raw: str, default: Any) -> Any:
    """Environment values are strings; give them the type of the default."""
    if isinstance(default, bool):
        return raw.strip().lower() in TRUE_WORDS
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

    _apply_https(app.config)
    _check_secret_key(app.config)
    _check_scheduler_timing(app.config)

    url = app.config.get("DATABASE_URL") or sqlite_url(Path(app.instance_path))
    app.config["SQLALCHEMY_DATABASE_URI"] = normalize_database_url(url)
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        app.config["SQLALCHEMY_ENGINE_OPTIONS"].setdefault("pool_pre_ping", True)


def _apply_https(config: Any) -> None:
    """HTTPS on (set, or implied by an https PUBLIC_URL): Secure cookies and https URLs."""
    https = config.get("HTTPS")
    if isinstance(https, str):  # from HUB_HTTPS, whose default None has no type
        https = https.strip().lower() in TRUE_WORDS
    if https is None:
        https = str(config.get("PUBLIC_URL") or "").startswith("https://")
    config["HTTPS"] = bool(https)
    if config["HTTPS"]:
        config["SESSION_COOKIE_SECURE"] = True
        config["REMEMBER_COOKIE_SECURE"] = True
        config["PREFERRED_URL_SCHEME"] = "https"
    hosts = config.get("TRUSTED_HOSTS")
    if isinstance(hosts, str):  # HUB_TRUSTED_HOSTS=hub.example.no,localhost
        config["TRUSTED_HOSTS"] = [h.strip() for h in hosts.split(",") if h.strip()]


def _check_secret_key(config: Any) -> None:
    """Refuse the published development key once Hub is served over HTTPS.

    Anyone who reads this file could otherwise sign a session as an administrator,
    or a password-reset link. Over plain http (development, `make run`) it is allowed.
    """
    if config["HTTPS"] and config.get("SECRET_KEY") in ("", None, DEFAULTS["SECRET_KEY"]):
        raise ValueError(
            "SECRET_KEY is the published development default (or empty) while HTTPS is on: "
            "set HUB_SECRET_KEY to a long random value (docs/deploy.md)."
        )


def _check_scheduler_timing(config: Any) -> None:
    """Refuse a staleness limit that one late heartbeat could exceed.

    With a limit of at most two beats, a scheduler whose heartbeat write waited a
    little (a busy SQLite, a slow network) would count as gone: /healthz would say
    degraded, and on SQLite a second scheduler could take its lock over.
    """
    beat = config["SCHEDULER_HEARTBEAT_SECONDS"]
    stale = config["SCHEDULER_STALE_SECONDS"]
    if beat <= 0:
        raise ValueError(f"SCHEDULER_HEARTBEAT_SECONDS must be at least 1, not {beat}.")
    if beat * 2 >= stale:
        raise ValueError(
            f"SCHEDULER_STALE_SECONDS ({stale}) must be more than twice "
            f"SCHEDULER_HEARTBEAT_SECONDS ({beat}), for example {beat * 3}: otherwise one "
            "late heartbeat makes a running scheduler count as gone."
        )


def sqlite_url(instance_path: Path) -> str:
    return f"sqlite:///{instance_path / 'hub.sqlite3'}"


def normalize_database_url(url: str) -> str:
    """Let people write postgresql:// and still get psycopg 3, not psycopg2."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url
