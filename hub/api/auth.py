"""Bearer-token authentication for the API; the session cookie is never used here.

flask_login's ``current_user`` reads ``g._login_user`` and only falls back to
the session (and the user loader) when that is unset. Before every API view we
set it ourselves: first to the anonymous user, so a browser's session cookie
can never authenticate an API call (the API is CSRF-exempt, so accepting the
cookie would let any web page act for a logged-in person), then to the token's
user. Nothing is written to the session, so no cookie is set. ``login_user``
is not used because it stores the user in the session; a ``request_loader``
is not used because flask_login tries the session cookie before it.
"""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, g, request

from hub.accounts.service import user_for_api_token
from hub.api import bp
from hub.api.operations import current_operation


@bp.before_request
def authenticate_bearer_token() -> None:
    g._login_user = current_app.login_manager.anonymous_user()
    op = current_operation()
    if op is not None and op.public:
        return
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret:
        abort(401)
    user = user_for_api_token(secret)
    if user is None:
        abort(401)
    g._login_user = user


@bp.teardown_request
def forget_user(_exc: BaseException | None) -> Any:
    """Leave nothing behind for a later request that shares the app context (tests)."""
    g.pop("_login_user", None)
