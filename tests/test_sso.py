"""Single sign-on against a real, minimal OpenID Connect provider run inside the test.

The provider is a small Flask app on a free loopback port (werkzeug's server in
a thread): discovery, JWKS, /authorize (remembers the nonce and the PKCE
challenge, redirects back with a code and the state) and /token (checks the
client's secret, the code, the redirect URI and the PKCE verifier, and returns
an RS256 id_token). Switches on the provider make it misbehave.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from flask import Flask, jsonify, redirect, request
from joserfc import jwt
from joserfc.jwk import RSAKey
from werkzeug.serving import make_server

from hub.accounts import sso
from hub.accounts.models import User
from hub.extensions import db

CLIENT_ID = "hub-test-client"
CLIENT_SECRET = "s3cret-for-tests"


class Provider:
    """State and switches of the test provider."""

    def __init__(self) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": "test-key", "use": "sig"})
        self.other_key = RSAKey.generate_key(2048, parameters={"kid": "test-key", "use": "sig"})
        self.codes: dict[str, dict[str, Any]] = {}
        self.url = ""
        self.reset()

    def reset(self) -> None:
        self.codes.clear()
        self.claims: dict[str, Any] = {}  # overrides of the id_token's claims
        self.error: str | None = None  # /authorize answers with this error
        self.sign_with_other_key = False
        self.authorize_params: dict[str, str] = {}
        self.token_requests = 0

    def app(self) -> Flask:
        app = Flask("test-oidc-provider")

        @app.get("/.well-known/openid-configuration")
        def discovery() -> Any:
            return jsonify(
                issuer=self.url,
                authorization_endpoint=f"{self.url}/authorize",
                token_endpoint=f"{self.url}/token",
                jwks_uri=f"{self.url}/jwks",
                response_types_supported=["code"],
                subject_types_supported=["public"],
                id_token_signing_alg_values_supported=["RS256"],
                token_endpoint_auth_methods_supported=["client_secret_basic"],
                code_challenge_methods_supported=["S256"],
            )

        @app.get("/jwks")
        def jwks() -> Any:
            return jsonify(keys=[self.key.as_dict(private=False)])

        @app.get("/authorize")
        def authorize() -> Any:
            args = request.args
            self.authorize_params = args.to_dict()
            target = args["redirect_uri"]
            if self.error:
                return redirect(f"{target}?error={self.error}&state={args['state']}")
            assert args["client_id"] == CLIENT_ID and args["response_type"] == "code"
            code = secrets.token_urlsafe(16)
            self.codes[code] = {
                "nonce": args.get("nonce"),
                "challenge": args.get("code_challenge"),
                "method": args.get("code_challenge_method"),
                "redirect_uri": target,
            }
            return redirect(f"{target}?code={code}&state={args['state']}")

        @app.post("/token")
        def token() -> Any:
            self.token_requests += 1
            auth = request.authorization
            if auth is None or (auth.username, auth.password) != (CLIENT_ID, CLIENT_SECRET):
                return jsonify(error="invalid_client"), 401
            grant = self.codes.pop(request.form.get("code", ""), None)
            if grant is None or request.form.get("redirect_uri") != grant["redirect_uri"]:
                return jsonify(error="invalid_grant"), 400
            verifier = request.form.get("code_verifier", "")
            digest = hashlib.sha256(verifier.encode()).digest()
            challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
            if grant["method"] != "S256" or challenge != grant["challenge"]:
                return jsonify(error="invalid_grant", error_description="PKCE"), 400
            now = int(time.time())
            claims = {
                "iss": self.url,
                "sub": "subject-1",
                "aud": CLIENT_ID,
                "iat": now,
                "exp": now + 300,
                "nonce": grant["nonce"],
                "email": "kari@example.no",
                "email_verified": True,
            } | self.claims
            claims = {k: v for k, v in claims.items() if v is not None}
            key = self.other_key if self.sign_with_other_key else self.key
            id_token = jwt.encode({"alg": "RS256", "kid": "test-key"}, claims, key)
            return jsonify(
                access_token="at-" + secrets.token_urlsafe(8),
                token_type="Bearer",
                expires_in=300,
                id_token=id_token,
            )

        return app


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    state = Provider()
    server = make_server("127.0.0.1", 0, state.app())
    state.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
    thread.daemon = True
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def app_config(provider: Provider) -> dict[str, Any]:
    provider.reset()
    return {
        "OIDC_ISSUER": provider.url,
        "OIDC_CLIENT_ID": CLIENT_ID,
        "OIDC_CLIENT_SECRET": CLIENT_SECRET,
        "OIDC_DISPLAY_NAME": "Testleverandør",
        "OIDC_TIMEOUT_SECONDS": 5,
    }


def sso_login(client: Any) -> Any:
    """Drive the flow: hub -> provider -> back to the hub's callback (not followed further)."""
    start = client.get("/login/sso")
    assert start.status_code == 302, start.get_data(as_text=True)
    at_provider = requests.get(start.location, allow_redirects=False, timeout=5)
    assert at_provider.status_code == 302
    back = urlsplit(at_provider.headers["Location"])
    assert back.path == "/login/sso/callback"
    return client.get(f"{back.path}?{back.query}")


def flashed(client: Any, response: Any) -> str:
    assert response.status_code == 302
    assert urlsplit(response.location).path == "/login"
    return client.get("/login").get_data(as_text=True)


def test_login_with_a_verified_email(client, make_user, provider):
    user = make_user(email="Kari@Example.no")
    with client.session_transaction() as session:
        session["from_before_login"] = "x"
    response = sso_login(client)
    assert response.status_code == 302
    assert urlsplit(response.location).path == "/"
    assert client.get("/profile").status_code == 200
    assert db.session.get(User, user.id).last_login_at is not None
    # The request carried PKCE (S256), a nonce and a state; the token was fetched once.
    params = provider.authorize_params
    assert params["code_challenge_method"] == "S256" and params["nonce"] and params["state"]
    assert params["redirect_uri"] == "http://hub.test/login/sso/callback"
    assert params["scope"] == "openid email profile"
    assert provider.token_requests == 1
    with client.session_transaction() as session:
        # A new session: nothing from before the login, no leftover OIDC state.
        assert "from_before_login" not in session
        assert not [k for k in session if k.startswith("_state_")]


def test_login_page_shows_the_button_only_when_configured(app, client):
    page = client.get("/login").get_data(as_text=True)
    assert "Log in with Testleverandør" in page and 'href="/login/sso"' in page
    app.config["OIDC_CLIENT_ID"] = None
    assert "/login/sso" not in client.get("/login").get_data(as_text=True)
    assert client.get("/login/sso").status_code == 404
    assert client.get("/login/sso/callback?code=x&state=y").status_code == 404


def test_unknown_email_creates_no_account(client, make_user, provider):
    make_user(email="someone.else@example.no")
    provider.claims = {"email": "ola@example.no"}
    page = flashed(client, sso_login(client))
    assert "There is no account for ola@example.no. Ask your hub host for an invitation." in page
    assert db.session.query(User).filter_by(email="ola@example.no").count() == 0
    assert client.get("/profile").status_code == 302


@pytest.mark.parametrize("verified", [False, None, "false"])
def test_unverified_email_is_refused(client, make_user, provider, verified):
    make_user(email="kari@example.no")
    provider.claims = {"email_verified": verified}
    page = flashed(client, sso_login(client))
    assert "did not confirm your email address" in page
    assert client.get("/profile").status_code == 302


def test_inactive_person_is_refused(client, make_user):
    make_user(email="kari@example.no", active=False)
    page = flashed(client, sso_login(client))
    assert "The account for kari@example.no is deactivated." in page
    assert client.get("/profile").status_code == 302


@pytest.mark.parametrize(
    "switch",
    [
        {"claims": {"nonce": "not-the-nonce"}},
        {"claims": {"aud": "another-client"}},
        {"claims": {"aud": ["another-client"], "azp": CLIENT_ID}},
        {"claims": {"iss": "https://evil.example"}},
        {"claims": {"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200}},
        {"claims": {"nonce": None}},
        {"sign_with_other_key": True},
    ],
    ids=["nonce", "audience", "audience-with-azp", "issuer", "expired", "no-nonce", "signature"],
)
def test_a_bad_id_token_is_refused(client, make_user, provider, switch):
    make_user(email="kari@example.no")
    for name, value in switch.items():
        setattr(provider, name, value)
    page = flashed(client, sso_login(client))
    assert "Single sign-on did not work. Please try again." in page
    assert client.get("/profile").status_code == 302


def test_provider_error_goes_back_to_login(client, make_user, provider):
    make_user(email="kari@example.no")
    provider.error = "access_denied"
    page = flashed(client, sso_login(client))
    assert "Single sign-on was cancelled or refused." in page
    assert provider.token_requests == 0


def test_forged_or_replayed_state_is_refused(client, make_user, provider):
    make_user(email="kari@example.no")
    start = client.get("/login/sso")
    at_provider = requests.get(start.location, allow_redirects=False, timeout=5)
    back = urlsplit(at_provider.headers["Location"])
    code = parse_qs(back.query)["code"][0]
    page = flashed(client, client.get(f"{back.path}?code={code}&state=forged"))
    assert "Single sign-on did not work" in page
    # The real state still works once, and a replay of it does not.
    assert client.get(f"{back.path}?{back.query}").status_code == 302
    assert client.get("/profile").status_code == 200
    client.post("/logout")
    page = flashed(client, client.get(f"{back.path}?{back.query}"))
    assert "Single sign-on did not work" in page


def test_unreachable_provider_is_a_message_not_a_500(app, client):
    with socket_on_free_port() as port:
        app.config["OIDC_ISSUER"] = f"http://127.0.0.1:{port}"
        response = client.get("/login/sso")
    page = flashed(client, response)
    assert "Single sign-on is not available just now." in page


class socket_on_free_port:
    """A port nothing listens on: bound, then closed on exit."""

    def __enter__(self) -> int:
        import socket

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        return int(self.sock.getsockname()[1])

    def __exit__(self, *_exc: object) -> None:
        self.sock.close()


# --- the email rule, as plain data -----------------------------------------


ENTRA = {"OIDC_TRUSTED_EMAIL_CLAIMS": ["preferred_username"], "OIDC_ALLOWED_DOMAINS": ["nav.no"]}


@pytest.mark.parametrize(
    ("claims", "config", "expected"),
    [
        ({"email": "A@Nav.no", "email_verified": True}, {}, ("a@nav.no", "")),
        ({"email": "a@nav.no", "email_verified": "true"}, {}, ("a@nav.no", "")),
        ({"email": "a@nav.no", "xms_edov": True}, {}, ("a@nav.no", "")),
        ({"email": "a@nav.no"}, {}, (None, sso.NOT_VERIFIED)),
        ({"name": "A"}, {}, (None, sso.NO_EMAIL)),
        # Entra ID: the UPN is trusted only with a domain list, and only inside it.
        ({"preferred_username": "a@nav.no"}, ENTRA, ("a@nav.no", "")),
        (
            {"preferred_username": "a@nav.no"},
            {"OIDC_TRUSTED_EMAIL_CLAIMS": ["preferred_username"]},
            (None, sso.NOT_VERIFIED),
        ),
        ({"preferred_username": "a@gmail.com"}, ENTRA, ("a@gmail.com", sso.DOMAIN_NOT_ALLOWED)),
        (
            {"email": "a@gmail.com", "email_verified": True},
            {"OIDC_ALLOWED_DOMAINS": ["nav.no"]},
            ("a@gmail.com", sso.DOMAIN_NOT_ALLOWED),
        ),
        (
            {"email": "a@gmail.com", "preferred_username": "a@nav.no"},
            ENTRA,
            ("a@nav.no", ""),
        ),
    ],
)
def test_verified_email_rule(claims, config, expected):
    assert sso.verified_email(claims, config) == expected


def test_trusted_claim_logs_in_with_a_domain_list(app, client, make_user, provider):
    app.config.update(ENTRA)
    make_user(email="kari@nav.no")
    provider.claims = {"email": None, "email_verified": None, "preferred_username": "Kari@nav.no"}
    assert sso_login(client).status_code == 302
    assert client.get("/profile").status_code == 200


def test_discovery_url_without_issuer_checks_the_documents_issuer(app, client, make_user, provider):
    app.config.update(
        OIDC_ISSUER=None,
        OIDC_DISCOVERY_URL=f"{provider.url}/.well-known/openid-configuration",
    )
    make_user(email="kari@example.no")
    provider.claims = {"iss": "https://evil.example"}
    assert "Single sign-on did not work" in flashed(client, sso_login(client))
    provider.claims = {}
    assert sso_login(client).status_code == 302
    assert client.get("/profile").status_code == 200
