"""Request plumbing shared by every page: transactions, errors, headers, navigation."""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from flask import (
    Flask,
    Response,
    current_app,
    has_request_context,
    jsonify,
    make_response,
    render_template,
    request,
    session,
)
from flask_babel import format_decimal, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import escape
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException, SecurityError

from hub.errors import Conflict, DomainError, ValidationFailed
from hub.extensions import db, login_manager
from hub.forms import form_errors
from hub.money import format_nok
from hub.ops.logformat import redact_path
from hub.spaces import labels

log = logging.getLogger(__name__)


def wants_json() -> bool:
    return request.path.startswith("/api/")


def init_app(app: Flask) -> None:
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"

    @login_manager.user_loader
    def load_user(user_id: str) -> Any:
        from hub.accounts.models import User

        user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
        return user if user is not None and user.active else None

    app.after_request(finish_transaction)
    app.after_request(security_headers)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(SecurityError, handle_untrusted_host)
    app.register_error_handler(DomainError, handle_domain_error)
    for db_error in (sa_exc.DBAPIError, sa_exc.TimeoutError):
        app.register_error_handler(db_error, handle_database_unavailable)
    app.context_processor(navigation)
    app.jinja_env.globals.update(current_locale_code=current_locale_code, form_errors=form_errors)
    app.jinja_env.filters["nok"] = format_nok
    app.jinja_env.filters["format_decimal"] = format_decimal
    app.jinja_env.globals.update(
        space_kind_labels=labels.SPACE_KIND_LABELS,
        space_kind_plurals=labels.SPACE_KIND_PLURALS,
        weekday_labels=labels.WEEKDAY_LABELS,
    )


def current_locale_code() -> str:
    locale = get_locale()
    return str(locale) if locale else "nb"


def finish_transaction(response: Response) -> Response:
    """The request is the unit of work: commit on success, roll back on any error."""
    if response.status_code < 400:
        try:
            db.session.commit()
        except (sa_exc.DBAPIError, sa_exc.TimeoutError) as exc:
            if not database_unavailable(exc):
                raise
            # After-request functions are not covered by error handlers; this one runs
            # after security_headers, so the replacement gets them here.
            return security_headers(handle_database_unavailable(exc))
    else:
        db.session.rollback()
    return response


def security_headers(response: Response) -> Response:
    """On every response (pages, API, errors, static files); see docs/security.md."""
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if has_request_context() and request.is_secure:
        # Only over HTTPS (browsers ignore it on http); behind nginx this needs PROXY_FIX.
        response.headers.setdefault(
            "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
        )
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
        "frame-ancestors 'none'",
    )
    return response


ERROR_TITLES = {
    400: _l("Bad request"),
    401: _l("Please log in"),
    403: _l("You do not have access to this page"),
    404: _l("Page not found"),
    405: _l("Method not allowed"),
    409: _l("Conflict"),
    422: _l("The input could not be used"),
    500: _l("Something went wrong"),
    503: _l("Temporarily unavailable"),
}


def error_response(status: int, message: str, **extra: Any) -> tuple[Response | str, int]:
    if wants_json():
        body: dict[str, Any] = {"error": {"status": status, "message": message, **extra}}
        return jsonify(body), status
    title = ERROR_TITLES.get(status, _l("Error"))
    return render_template("error.html", status=status, title=title, message=message), status


def handle_http_error(exc: HTTPException) -> Any:
    status = exc.code or 500
    if status == 401 and wants_json():
        response, code = error_response(401, _("A valid Bearer token is required."))
        response.headers["WWW-Authenticate"] = 'Bearer realm="hub"'
        return response, code
    messages = {
        403: _("You do not have the rights to do this."),
        404: _("We could not find what you were looking for."),
        405: _("This address does not accept that method."),
        500: _("The error has been logged. Please try again later."),
    }
    return error_response(status, messages.get(status, exc.description or ""))


def database_unavailable(exc: Exception) -> bool:
    """Busy (SQLite's lock held past the busy timeout), gone, or no connection to be had."""
    if isinstance(exc, sa_exc.OperationalError | sa_exc.TimeoutError):
        return True
    return isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated


def handle_database_unavailable(exc: Exception) -> Response:
    """503 with Retry-After, never 500: nothing of the request was saved; try again soon."""
    if not database_unavailable(exc):
        raise exc  # any other database error is a bug: the usual 500
    with contextlib.suppress(sa_exc.SQLAlchemyError):  # the connection may be gone already
        db.session.rollback()
    session.pop("_flashes", None)  # a "Saved" flashed before the failure is not true
    log.warning(
        "database unavailable for %s %s: %s", request.method, redact_path(request.path), exc
    )
    message = _(
        "The database is busy or briefly unavailable, so nothing was changed. "
        "Please try again in a moment."
    )
    try:
        response = make_response(error_response(503, message))
    except sa_exc.SQLAlchemyError:
        # The page around the message (who is signed in, the menu) needs the database.
        title = escape(ERROR_TITLES[503])
        body = f"<!doctype html><title>{title}</title><h1>{title}</h1><p>{escape(message)}</p>"
        response = make_response(body, 503)
    response.headers["Retry-After"] = str(int(current_app.config["DATABASE_RETRY_AFTER_SECONDS"]))
    return response


def handle_untrusted_host(exc: SecurityError) -> Any:
    """A Host header outside TRUSTED_HOSTS: plain 400, as no URL can be built for it."""
    return Response("Bad request: unknown host.", 400, content_type="text/plain; charset=utf-8")


def handle_domain_error(exc: DomainError) -> Any:
    if isinstance(exc, ValidationFailed):
        return error_response(422, _("Some fields are not valid."), fields=exc.errors)
    if isinstance(exc, Conflict):
        return error_response(409, exc.message, **exc.detail)
    return error_response(exc.status, str(exc))


def navigation() -> dict[str, Any]:
    """Navigation entries for the header, filtered by what the person may do."""
    from hub.accounts import permissions

    items: list[tuple[str, str]] = [("spaces.hub_list", _("Hubs"))]
    if not has_request_context():  # e-mails rendered by jobs have no navigation
        return {"nav_items": items}
    if current_user.is_authenticated:
        items.append(("booking.my_bookings", _("My bookings")))
    if current_user.is_authenticated and permissions.can_view_any_usage(current_user):
        items.append(("usage.index", _("Usage")))
    if permissions.is_partner_contact(current_user):
        # statements.index lists the person's hubs, or goes straight to the only one
        items.append(("statements.index", _("Statements")))
    if current_user.is_authenticated and permissions.can_open_admin(current_user):
        items.append(("accounts_admin.index", _("Administration")))
    return {"nav_items": items}
