"""Single sign-on with an OpenID Connect provider: the client and the email rule.

Authlib's Flask client does the protocol: discovery, the authorization code
flow with PKCE (S256), state and nonce kept in the signed session cookie, the
token request with the client secret, and the id_token's signature (the
provider's JWKS, refetched when an unknown key id appears). We add what Authlib
leaves to the caller: the expected issuer and audience (Authlib checks ``aud``
only when asked) and the rule that turns claims into a person of the hub.

Nobody is created here: a person must already have an account (an invitation),
and single sign-on only proves that they own its email address. The subject
(``sub``) is not stored; see docs/sso.md for why.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from authlib.integrations.flask_client import OAuth
from flask import Flask, current_app

from hub.accounts import service
from hub.accounts.models import User

CLIENT_NAME = "oidc"
_EXTENSION = "hub.sso"


def is_configured(app: Flask | None = None) -> bool:
    config = (app or current_app).config
    return bool(
        config.get("OIDC_CLIENT_ID")
        and config.get("OIDC_CLIENT_SECRET")
        and (config.get("OIDC_DISCOVERY_URL") or config.get("OIDC_ISSUER"))
    )


def discovery_url(config: Mapping[str, Any]) -> str:
    if config.get("OIDC_DISCOVERY_URL"):
        return str(config["OIDC_DISCOVERY_URL"])
    return str(config["OIDC_ISSUER"]).rstrip("/") + "/.well-known/openid-configuration"


def client() -> Any:
    """The app's OIDC client, registered on first use; None when SSO is not configured.

    Registered lazily so that an app without SSO never imports the provider's
    settings, and so a test can configure the provider after create_app.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if not is_configured(app):
        return None
    oauth = app.extensions.get(_EXTENSION)
    if oauth is None:
        config = app.config
        oauth = OAuth()
        oauth.init_app(app)
        oauth.register(
            CLIENT_NAME,
            client_id=config["OIDC_CLIENT_ID"],
            client_secret=config["OIDC_CLIENT_SECRET"],
            server_metadata_url=discovery_url(config),
            client_kwargs={
                "scope": config["OIDC_SCOPE"],
                "code_challenge_method": "S256",
                "default_timeout": config["OIDC_TIMEOUT_SECONDS"],
            },
        )
        app.extensions[_EXTENSION] = oauth
    return oauth.create_client(CLIENT_NAME)


def claims_options(oidc: Any) -> dict[str, Any]:
    """Issuer and audience the id_token must carry (exp, iat, nonce are checked anyway)."""
    issuer = current_app.config.get("OIDC_ISSUER") or oidc.load_server_metadata().get("issuer")
    return {
        "iss": {"essential": True, "values": [issuer]},
        "aud": {"essential": True, "values": [current_app.config["OIDC_CLIENT_ID"]]},
        "exp": {"essential": True},
    }


@dataclass(frozen=True)
class Outcome:
    """The person to log in, or why not (``reason`` is one of the REASONS)."""

    user: User | None
    email: str | None
    reason: str | None = None


# Why a verified id_token still does not log anyone in.
NO_EMAIL = "no_email"
NOT_VERIFIED = "not_verified"
DOMAIN_NOT_ALLOWED = "domain_not_allowed"
NO_ACCOUNT = "no_account"
INACTIVE = "inactive"


def _truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _domain(email: str) -> str:
    return email.rpartition("@")[2].lower()


def verified_email(claims: Mapping[str, Any], config: Mapping[str, Any]) -> tuple[str | None, str]:
    """The address the provider vouches for, and the reason when there is none.

    ``email`` counts when ``email_verified`` is true (or Entra ID's optional
    ``xms_edov``, "email domain owner verified"). Entra ID usually sends
    neither, so an operator may trust other claims (``preferred_username``, the
    UPN, whose domain the tenant has verified), but only for addresses in
    OIDC_ALLOWED_DOMAINS: without a domain list such claims are never trusted.
    When OIDC_ALLOWED_DOMAINS is set, every address must be in it.
    """
    allowed = {d.strip().lower().lstrip("@") for d in config.get("OIDC_ALLOWED_DOMAINS") or []}
    allowed.discard("")
    candidates: list[str] = []
    email = claims.get("email")
    verified = _truthy(claims.get("email_verified")) or _truthy(claims.get("xms_edov"))
    if isinstance(email, str) and "@" in email and verified:
        candidates.append(email)
    if allowed:
        for name in config.get("OIDC_TRUSTED_EMAIL_CLAIMS") or []:
            value = claims.get(name)
            if isinstance(value, str) and "@" in value:
                candidates.append(value)
    if not candidates:
        seen = any(
            isinstance(claims.get(n), str) and "@" in claims[n]
            for n in ("email", *(config.get("OIDC_TRUSTED_EMAIL_CLAIMS") or []))
        )
        return None, NOT_VERIFIED if seen else NO_EMAIL
    if allowed:
        inside = [c for c in candidates if _domain(c) in allowed]
        if not inside:
            return service.normalize_email(candidates[0]), DOMAIN_NOT_ALLOWED
        candidates = inside
    return service.normalize_email(candidates[0]), ""


def person_for(claims: Mapping[str, Any], config: Mapping[str, Any]) -> Outcome:
    """Map verified claims to an existing, active person; never creates one."""
    email, reason = verified_email(claims, config)
    if email is None or reason:
        return Outcome(None, email, reason)
    user = service.find_user_by_email(email)
    if user is None or user.deleted_at is not None:
        return Outcome(None, email, NO_ACCOUNT)
    if not user.active:
        return Outcome(None, email, INACTIVE)
    return Outcome(user, email)
