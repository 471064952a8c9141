"""API authentication, the caller's own endpoints, error format and the OpenAPI document."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from openapi_spec_validator import validate
from openapi_spec_validator.validation import OpenAPIV31SpecValidator

from hub.accounts import service as accounts
from hub.accounts.models import ApiToken, Role
from hub.api.openapi import openapi_path
from hub.extensions import db


def _token(user: Any) -> tuple[ApiToken, str]:
    token, secret = accounts.create_api_token(user, "test")
    db.session.commit()
    return token, secret


# --- 401 ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer hub_not-a-real-token"],
)
def test_missing_or_unknown_token_is_401_json(client, person, authorization):
    person()
    headers = {} if authorization is None else {"Authorization": authorization}

    response = client.get("/api/v1/hubs", headers=headers)

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.get_json()["error"]["status"] == 401


def test_revoked_token_is_401(client, person):
    user = person()
    token, secret = _token(user)
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200

    accounts.revoke_api_token(token)
    db.session.commit()

    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 401
    assert "Bearer" in response.headers["WWW-Authenticate"]


def test_token_of_deactivated_user_is_401(client, person):
    user = person()
    _token_row, secret = _token(user)
    user.active = False
    db.session.commit()

    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})

    assert response.status_code == 401


def test_session_cookie_does_not_authenticate_the_api(client, make_user, login):
    user = make_user()
    login(user)
    with client.session_transaction() as session:
        assert session.get("_user_id") == str(user.id)  # logged in for the HTML pages

    response = client.get("/api/v1/me")

    assert response.status_code == 401


def test_api_sets_no_cookie_and_records_token_use(client, person):
    user = person()
    token, secret = _token(user)

    response = client.get("/api/v1/me", headers={"Authorization": f"bearer {secret}"})

    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    db.session.refresh(token)
    assert token.last_used_at is not None


# --- /me and tokens -------------------------------------------------------------------


def test_me_returns_the_token_user_with_roles(api, person, make_hub):
    hub = make_hub(slug="narvik")
    user = person(hub=hub, role=Role.MEMBER, name="Kari Nordmann")

    response = api("GET", "/me", user)

    assert response.status_code == 200
    body = response.get_json()
    assert body["id"] == user.id and body["name"] == "Kari Nordmann"
    assert [(r["hub_slug"], r["role"]) for r in body["roles"]] == [("narvik", "member")]
    assert "password_hash" not in body


def test_create_list_and_revoke_own_tokens(api, client, person):
    user = person()

    created = api("POST", "/me/tokens", user, json={"name": "Power BI"})

    assert created.status_code == 201
    new = created.get_json()
    assert new["name"] == "Power BI" and new["secret"].startswith("hub_")
    assert new["secret"].startswith(new["prefix"])
    new_headers = {"Authorization": f"Bearer {new['secret']}"}
    assert client.get("/api/v1/me", headers=new_headers).status_code == 200
    listed = api("GET", "/me/tokens", user).get_json()
    assert {t["name"] for t in listed} == {"test", "Power BI"}
    assert all("secret" not in t for t in listed)

    revoked = api("DELETE", f"/me/tokens/{new['id']}", user)

    assert revoked.status_code == 204
    assert db.session.get(ApiToken, new["id"]).revoked_at is not None
    assert client.get("/api/v1/me", headers=new_headers).status_code == 401


@pytest.mark.parametrize("whose", ["someone_else", "unknown"])
def test_revoking_a_token_that_is_not_mine_is_404(api, person, whose):
    user, other = person(), person()
    other_token, _secret = _token(other)
    token_id = other_token.id if whose == "someone_else" else 999_999

    response = api("DELETE", f"/me/tokens/{token_id}", user)

    assert response.status_code == 404
    assert db.session.get(ApiToken, other_token.id).revoked_at is None


@pytest.mark.parametrize(
    ("body", "field"),
    [({}, "name"), ({"name": ""}, "name"), ({"name": "x", "scope": "all"}, "scope")],
)
def test_bad_token_request_is_422_and_creates_nothing(api, person, body, field):
    user = person()
    api("GET", "/me", user)  # creates the test token first
    before = db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken))

    response = api("POST", "/me/tokens", user, json=body)

    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == before


# --- error format ------------------------------------------------------------------


@pytest.mark.parametrize(
    "data", [b"", b"{not json", b"[1, 2]", b'"a string"', b"\xff\xfe"], ids=repr
)
def test_malformed_or_non_object_body_is_400_json(api, person, data):
    user = person()

    response = api("POST", "/me/tokens", user, data=data, content_type="application/json")

    assert response.status_code == 400
    assert response.get_json()["error"]["status"] == 400


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/no-such-thing", 404), ("DELETE", "/hubs", 405), ("GET", "/spaces/abc", 404)],
)
def test_routing_errors_are_json(api, person, method, path, status):
    response = api(method, path, person())

    assert response.status_code == status
    assert response.get_json()["error"]["status"] == status


# --- the OpenAPI document ------------------------------------------------------------------


def test_openapi_document_is_public_and_valid_openapi_3_1(client, app):
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    document = response.get_json()
    assert document["openapi"].startswith("3.1")
    validate(document, cls=OpenAPIV31SpecValidator)
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_openapi_document_matches_the_flask_routes_exactly(client, app):
    document = client.get("/api/v1/openapi.json").get_json()
    documented = {
        (path, method.upper()) for path, item in document["paths"].items() for method in item
    }
    routed = {
        (openapi_path(rule.rule.removeprefix("/api/v1")), method)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }

    assert documented == routed
    assert ("/hubs/{slug}/spaces", "GET") in routed


def test_every_protected_operation_documents_its_errors(client, app):
    document = client.get("/api/v1/openapi.json").get_json()
    for path, item in document["paths"].items():
        for method, op in item.items():
            if op.get("security") == []:
                assert path == "/openapi.json"
                continue
            assert {"401", "403", "404", "409", "422"} <= set(op["responses"]), (path, method)
            if "requestBody" in op:
                assert "400" in op["responses"], (path, method)
            success = [code for code in op["responses"] if code.startswith("2")]
            assert success, (path, method)
