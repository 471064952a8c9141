"""Single sign-on with an OpenID Connect provider (Entra ID and others).

GET /login/sso sends the browser to the provider; the provider sends it back
to GET /login/sso/callback with a code, which Authlib exchanges and verifies.
Every failure (the person declined, a stale or forged state, a bad token, the
provider unreachable) goes back to the login page with a message, never a 500.
"""

from __future__ import annotations

import logging

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.base_client import OAuthError
from flask import Blueprint, abort, current_app, flash, redirect, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user
from joserfc.errors import JoseError
from werkzeug.wrappers import Response

from hub.accounts import sso
from hub.database import utcnow

bp = Blueprint("sso", __name__)
log = logging.getLogger(__name__)

PROTOCOL_ERRORS = (
    OAuthError,
    AuthlibBaseError,
    JoseError,
    requests.RequestException,
    ValueError,
    KeyError,
    TypeError,
)


@bp.app_context_processor
def _sso_button() -> dict[str, object]:
    """The login page shows the SSO button only when a provider is configured."""
    return {
        "sso_enabled": sso.is_configured(),
        "sso_display_name": current_app.config.get("OIDC_DISPLAY_NAME") or _("single sign-on"),
    }


def _redirect_uri() -> str:
    """From PUBLIC_URL: the provider wants exactly the registered address, proxy or not."""
    return current_app.config["PUBLIC_URL"].rstrip("/") + url_for("sso.callback")


def _back_to_login(message: str) -> Response:
    flash(message, "error")
    return redirect(url_for("accounts.login"))


@bp.get("/login/sso")
def start() -> Response:
    oidc = sso.client()
    if oidc is None:
        abort(404)
    if current_user.is_authenticated:
        return redirect(url_for("spaces.hub_list"))
    try:
        return oidc.authorize_redirect(_redirect_uri())  # type: ignore[no-any-return]
    except (*PROTOCOL_ERRORS, RuntimeError) as exc:
        log.warning("SSO: cannot reach the provider: %r", exc)
        return _back_to_login(
            _(
                "Single sign-on is not available just now. Try again later, or log in "
                "with your password."
            )
        )


@bp.get("/login/sso/callback")
def callback() -> Response:
    oidc = sso.client()
    if oidc is None:
        abort(404)
    try:
        token = oidc.authorize_access_token(claims_options=sso.claims_options(oidc))
    except OAuthError as exc:
        log.warning("SSO: provider or state error: %s %s", exc.error, exc.description)
        if exc.error == "access_denied":
            return _back_to_login(_("Single sign-on was cancelled or refused."))
        return _back_to_login(_("Single sign-on did not work. Please try again."))
    except PROTOCOL_ERRORS as exc:
        log.warning("SSO: the token was refused: %r", exc)
        return _back_to_login(_("Single sign-on did not work. Please try again."))
    claims = token.get("userinfo")
    if not claims:
        log.warning("SSO: no id_token in the token response")
        return _back_to_login(_("Single sign-on did not work. Please try again."))
    outcome = sso.person_for(claims, current_app.config)
    if outcome.user is None:
        log.info(
            "SSO refused (%s) for %s from %s", outcome.reason, outcome.email, claims.get("iss")
        )
        return _back_to_login(_refusal(outcome))
    user = outcome.user
    # A new session for the new identity: nothing from before the login is kept.
    session.clear()
    login_user(user)
    user.last_login_at = utcnow()
    flash(_("You are logged in."), "success")
    return redirect(url_for("spaces.hub_list"))


def _refusal(outcome: sso.Outcome) -> str:
    if outcome.reason == sso.NO_ACCOUNT:
        return _(
            "There is no account for %(email)s. Ask your hub host for an invitation.",
            email=outcome.email,
        )
    if outcome.reason == sso.INACTIVE:
        return _("The account for %(email)s is deactivated.", email=outcome.email)
    if outcome.reason == sso.DOMAIN_NOT_ALLOWED:
        return _(
            "%(email)s cannot log in with single sign-on here. Log in with your password.",
            email=outcome.email,
        )
    return _(
        "The sign-in service did not confirm your email address, so we cannot tell who "
        "you are. Log in with your password, or ask your hub host."
    )
