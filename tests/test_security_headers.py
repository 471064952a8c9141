"""Security headers on every response, HTTPS and proxy settings, cookies, and a CSP-clean UI."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from werkzeug.middleware.proxy_fix import ProxyFix

from hub import create_app
from hub.extensions import db
from hub.security.models import LoginAttempt

TEMPLATES = Path(__file__).resolve().parent.parent / "hub" / "templates"
HSTS = "max-age=31536000; includeSubDomains"
ALWAYS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


@pytest.fixture
def app_config(request):
    """Tests choose their configuration with indirect parametrization."""
    return getattr(request, "param", {})


def assert_security_headers(response) -> None:
    for name, value in ALWAYS.items():
        assert response.headers.get(name) == value, name
    csp = response.headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["base-uri"] == "'self'"
    assert directives["form-action"] == "'self'"
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/login", 200),  # an HTML page
        ("/api/v1/openapi.json", 200),  # the API
        ("/api/v1/me", 401),  # an API error
        ("/no/such/page", 404),  # an HTML error
        ("/static/css/app.css", 200),  # a static file
    ],
)
def test_security_headers_on_every_kind_of_response(client, path, status):
    with client.get(path) as response:
        assert response.status_code == status
        assert_security_headers(response)
        assert "Strict-Transport-Security" not in response.headers  # plain http


def test_security_headers_on_a_server_error(app, client):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def boom():
        raise RuntimeError("boom")

    app.add_url_rule("/test-boom", "test_boom", boom)

    response = client.get("/test-boom")

    assert response.status_code == 500
    assert_security_headers(response)


# --- HTTPS and the reverse proxy ------------------------------------------------------


def test_hsts_only_on_secure_requests(client):
    assert (
        client.get("/login", base_url="https://hub.test").headers["Strict-Transport-Security"]
        == HSTS
    )
    assert "Strict-Transport-Security" not in client.get("/login").headers


@pytest.mark.parametrize(
    ("app_config", "proto", "hsts"),
    [
        ({"PROXY_FIX": 1}, "https", True),
        ({"PROXY_FIX": 1}, None, False),
        ({"PROXY_FIX": 1}, "http", False),
        ({}, "https", False),  # without PROXY_FIX the header is not trusted
    ],
    indirect=["app_config"],
)
def test_hsts_behind_a_proxy(client, proto, hsts):
    headers = {"X-Forwarded-Proto": proto} if proto else {}

    response = client.get("/login", headers=headers)

    assert ("Strict-Transport-Security" in response.headers) is hsts
    if hsts:
        assert response.headers["Strict-Transport-Security"] == HSTS


@pytest.mark.parametrize(
    ("app_config", "recorded"),
    [({"PROXY_FIX": 1}, "203.0.113.5"), ({}, "127.0.0.1")],
    indirect=["app_config"],
)
def test_client_address_comes_from_the_proxy_only_with_proxy_fix(client, recorded):
    client.post(
        "/login",
        data={"email": "kari@example.no", "password": "wrong-password"},
        headers={"X-Forwarded-For": "203.0.113.5"},
    )

    assert db.session.scalars(sa.select(LoginAttempt.address)).all() == [recorded]


@pytest.mark.parametrize("app_config", [{"TRUSTED_HOSTS": ["hub.test"]}], indirect=True)
def test_trusted_hosts_refuse_a_foreign_host_header(client):
    assert client.get("/login").status_code == 200
    foreign = client.get("/login", headers={"Host": "evil.example"})

    assert foreign.status_code == 400
    assert_security_headers(foreign)


# --- cookies ---------------------------------------------------------------------


def session_cookie(response) -> str:
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert len(cookies) == 1, response.headers.getlist("Set-Cookie")
    return cookies[0]


@pytest.mark.parametrize(
    ("app_config", "secure"),
    [({"PUBLIC_URL": "https://hub.test"}, True), ({"HTTPS": True}, True), ({}, False)],
    indirect=["app_config"],
)
def test_session_cookie_flags(client, make_user, secure):
    user = make_user(email="kari@example.no")

    response = client.post(
        "/login",
        data={"email": user.email, "password": "correct-horse-battery"},
        base_url="https://hub.test" if secure else "http://hub.test",
    )

    assert response.status_code == 302
    cookie = session_cookie(response)
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert ("Secure" in cookie.split("; ")) is secure


def make(monkeypatch, tmp_path, **env):
    monkeypatch.setenv("HUB_DATABASE_URL", f"sqlite:///{tmp_path}/config.db")
    monkeypatch.setenv("HUB_SECRET_KEY", "a-random-production-key")  # required over HTTPS
    for name in ("HUB_HTTPS", "HUB_PUBLIC_URL", "HUB_PROXY_FIX", "HUB_TRUSTED_HOSTS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(f"HUB_{name}", value)
    return create_app()


@pytest.mark.parametrize(
    ("env", "https"),
    [
        ({}, False),
        ({"PUBLIC_URL": "https://hub.example.no"}, True),
        ({"HTTPS": "true"}, True),
        ({"PUBLIC_URL": "https://hub.example.no", "HTTPS": "false"}, False),
    ],
)
def test_https_setting_from_the_environment(monkeypatch, tmp_path, env, https):
    config = make(monkeypatch, tmp_path, **env).config

    assert config["HTTPS"] is https
    assert config["SESSION_COOKIE_SECURE"] is https
    assert config["REMEMBER_COOKIE_SECURE"] is https
    assert config["PREFERRED_URL_SCHEME"] == ("https" if https else "http")
    for prefix in ("SESSION", "REMEMBER"):
        assert config[f"{prefix}_COOKIE_HTTPONLY"] is True
        assert config[f"{prefix}_COOKIE_SAMESITE"] == "Lax"


def test_proxy_fix_and_trusted_hosts_from_the_environment(monkeypatch, tmp_path):
    plain = make(monkeypatch, tmp_path)
    assert not isinstance(plain.wsgi_app, ProxyFix)
    assert plain.config["TRUSTED_HOSTS"] is None

    app = make(monkeypatch, tmp_path, PROXY_FIX="2", TRUSTED_HOSTS="hub.example.no, localhost")

    assert isinstance(app.wsgi_app, ProxyFix)
    assert (app.wsgi_app.x_for, app.wsgi_app.x_proto, app.wsgi_app.x_host) == (2, 2, 0)
    assert app.config["TRUSTED_HOSTS"] == ["hub.example.no", "localhost"]


# --- templates stay within the CSP, and their POST forms carry the CSRF token -------------

INLINE = [
    (re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.I), "inline <script>"),
    (re.compile(r"<style\b", re.I), "<style> element"),
    (re.compile(r"\sstyle\s*=", re.I), "style= attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "on*= event handler"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
]


def templates() -> list[Path]:
    found = sorted(TEMPLATES.rglob("*.html"))
    assert len(found) > 30
    return found


def test_templates_have_no_inline_script_style_or_handlers():
    problems = [
        f"{path.relative_to(TEMPLATES)}:{text[: m.start()].count(chr(10)) + 1}: {what}"
        for path in templates()
        for text in [path.read_text()]
        for pattern, what in INLINE
        for m in pattern.finditer(text)
    ]
    assert problems == []


def test_the_inline_scan_would_catch_offenders():
    offenders = [
        "<script>alert(1)</script>",
        '<div style="color: red">',
        '<button onclick="go()">',
        '<a href="javascript:go()">',
        "<style>p {}</style>",
    ]
    for snippet in offenders:
        assert any(pattern.search(snippet) for pattern, _ in INLINE), snippet
    assert not any(p.search('<script src="/static/js/copy.js" defer></script>') for p, _ in INLINE)


FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.I | re.S)


def test_every_post_form_carries_the_csrf_token():
    posts, missing = 0, []
    for path in templates():
        for match in FORM.finditer(path.read_text()):
            attributes, body = match.groups()
            method = re.search(r"method\s*=\s*[\"']?(\w+)", attributes, re.I)
            if method is None or method.group(1).lower() != "post":
                continue
            posts += 1
            if "csrf_token()" not in body and "hidden_tag()" not in body:
                missing.append(f"{path.relative_to(TEMPLATES)}: <form{attributes}>")
    assert missing == []
    assert posts > 30


def test_every_form_states_its_method():
    """A form whose method is computed could be a POST the scan above does not see."""
    for path in templates():
        for match in FORM.finditer(path.read_text()):
            method = re.search(r"method\s*=\s*[\"']?(\w+)", match.group(1), re.I)
            assert method is None or method.group(1).lower() in {"get", "post"}, path
