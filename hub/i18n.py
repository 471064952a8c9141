"""Which language and timezone a page is shown in."""

from __future__ import annotations

from flask import current_app, has_request_context, session
from flask_login import current_user

LANG_SESSION_KEY = "lang"


def select_locale() -> str:
    """The person's saved choice, else the session's, else bokmål."""
    supported = current_app.config["LANGUAGES"]
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.language in supported:
        return str(current_user.language)
    lang = session.get(LANG_SESSION_KEY)
    if lang in supported:
        return lang
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]
