"""CSRF: every non-API POST route refuses a request without the token, before its view runs.

The routes are enumerated from ``app.url_map``, so routes added later are covered
without touching this file. Exempt is exactly the API (Bearer tokens, never the
session cookie); the calendar feeds are read-only (GET/HEAD).
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask import url_for

from hub.accounts import service as accounts
from hub.accounts.models import Role
from hub.calendar import tokens as feed_tokens
from hub.extensions import csrf, db

PASSWORD = "correct-horse-battery"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


@pytest.fixture
def app_config():
    return {"WTF_CSRF_ENABLED": True}


def csrf_token_from(page: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'type="hidden" name="csrf_token" value="([^"]+)"', page
    )
    assert match, page
    return match.group(1)


def log_in_with_token(client, user) -> None:
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302, response.get_data(as_text=True)


def row_counts() -> dict[str, int]:
    db.session.rollback()
    return {
        table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table))
        for table in db.metadata.sorted_tables
    }


def protected_post_rules(app):
    exempt = {bp.name for bp in csrf._exempt_blueprints}
    return [
        rule
        for rule in app.url_map.iter_rules()
        if "POST" in (rule.methods or set())
        and rule.endpoint != "static"
        and rule.endpoint.partition(".")[0] not in exempt
    ]


@pytest.fixture
def world(make_user, make_hub, make_space, make_org):
    """A little of everything, so that a view that ran would change some row."""
    hub = make_hub(slug="lyngdal")
    space = make_space(hub)
    org = make_org(name="Statens vegvesen")
    admin = make_user(is_system_admin=True, email="admin@example.no")
    member = make_user(hub=hub, role=Role.MEMBER, organization=org, email="kari@example.no")
    accounts.create_api_token(admin, "laptop")
    feed_tokens.issue(admin, "personal")
    db.session.commit()
    return {"hub": hub, "space": space, "admin": admin, "member": member}


def test_exempt_is_exactly_the_api(app):
    assert {bp.name for bp in csrf._exempt_blueprints} == {"api"}
    assert csrf._exempt_views == set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            assert rule.endpoint.startswith("api."), rule.rule
        if rule.rule.startswith("/feeds/"):
            assert rule.methods <= SAFE_METHODS, rule.rule  # read-only: nothing to forge


def test_every_post_route_refuses_a_missing_csrf_token(app, client, world):
    log_in_with_token(client, world["admin"])
    rules = protected_post_rules(app)
    assert len(rules) > 50
    assert {r.endpoint for r in rules} >= {"accounts.login", "accounts.logout", "booking.book"}
    values_for = {"slug": world["hub"].slug}
    before = row_counts()
    problems = []

    for rule in rules:
        values = {
            name: values_for.get(name, 1 if type(conv).__name__ == "IntegerConverter" else "x")
            for name, conv in rule._converters.items()
        }
        url = url_for(rule.endpoint, **values)
        response = client.post(url, data={"name": "Forged", "email": "forged@example.no"})
        body = response.get_data(as_text=True)
        if response.status_code != 400 or "CSRF" not in body:
            problems.append(f"{rule.endpoint} {url}: {response.status_code}")
        if row_counts() != before:
            problems.append(f"{rule.endpoint} {url}: changed the database")

    assert problems == []
    # still logged in: the refused logout did not run either
    assert client.get("/profile").status_code == 200


def test_a_wrong_token_is_refused_and_the_right_one_accepted(app, client, world):
    log_in_with_token(client, world["admin"])
    page = client.get("/profile/tokens").get_data(as_text=True)
    good = csrf_token_from(page)
    before = row_counts()

    wrong = client.post("/profile/tokens", data={"name": "Forged", "csrf_token": good[:-2] + "xx"})

    assert wrong.status_code == 400
    assert row_counts() == before
    right = client.post("/profile/tokens", data={"name": "Mine", "csrf_token": good})
    assert right.status_code == 200
    assert row_counts()["api_tokens"] == before["api_tokens"] + 1


def test_the_api_ignores_the_session_cookie(app, client, world):
    """Why the API may be exempt: a logged-in browser's cookie does not authenticate it."""
    log_in_with_token(client, world["admin"])

    response = client.post("/api/v1/me/tokens", json={"name": "Forged"})

    assert response.status_code == 401
    assert client.get("/api/v1/me").status_code == 401


@pytest.mark.parametrize(
    ("referrer", "status"),
    [(None, 400), ("https://evil.example/login", 400), ("https://hub.test/login", 302)],
)
def test_over_https_the_referrer_must_be_this_site(app, client, world, referrer, status):
    """Flask-WTF's WTF_CSRF_SSL_STRICT (on by default): a second check besides the token."""
    https = "https://hub.test"
    token = csrf_token_from(client.get("/login", base_url=https).get_data(as_text=True))
    headers = {"Referer": referrer} if referrer else {}

    response = client.post(
        "/login",
        base_url=https,
        headers=headers,
        data={"email": world["admin"].email, "password": PASSWORD, "csrf_token": token},
    )

    assert response.status_code == status
