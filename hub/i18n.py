"""Which language and timezone a page is shown in."""

from __future__ import annotations

import contextlib

from flask import current_app, has_request_context, session
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from hub.extensions import db

LANG_SESSION_KEY = "lang"


def select_locale() -> str:
    """The person's saved choice, else the session's, else bokmål."""
    supported = current_app.config["LANGUAGES"]
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    language = _saved_language()
    if language in supported:
        return str(language)
    lang = session.get(LANG_SESSION_KEY)
    if lang in supported:
        return lang
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def _saved_language() -> str | None:
    """The signed-in person's language; None when the database cannot say.

    A page that tells the person the database is unavailable is translated too,
    and must not fail on the very query that is failing: then the session decides.
    """
    try:
        return current_user.language if current_user and current_user.is_authenticated else None
    except SQLAlchemyError:
        with contextlib.suppress(SQLAlchemyError):
            db.session.rollback()
        return None


def select_timezone() -> str:
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]
