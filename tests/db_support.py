"""Small helpers for tests that look at the database (imported by test modules)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from hub.extensions import db

PASSWORD = "correct-horse-battery"


def config_for(url: str, **overrides: Any) -> dict[str, Any]:
    """The configuration every test app starts from; overrides win."""
    return {
        "TESTING": True,
        "DATABASE_URL": url,
        "SECRET_KEY": "test-secret",
        "WTF_CSRF_ENABLED": False,
        "MAIL_CAPTURE": True,
        "SERVER_NAME": "hub.test",
        "PUBLIC_URL": "http://hub.test",
        # Tests read the English msgids; tests of the Norwegian texts choose nb or nn.
        "BABEL_DEFAULT_LOCALE": "en",
        # scrypt is deliberately slow; tests only need a hash that verifies.
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        **overrides,
    }


def count(model: Any) -> int:
    """Rows in a table, to show that bad input changed nothing."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))
