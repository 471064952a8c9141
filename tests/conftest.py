"""Fixtures: an app per test on each database backend, and factories for test data.

Every test that asks for ``app`` (or anything built on it) runs twice: once on
SQLite and once on PostgreSQL. PostgreSQL comes from HUB_TEST_POSTGRES_URL
(default postgresql://postgres@127.0.0.1:5432/test); each test run creates its
own fresh database there and drops it at the end. Without a reachable server the
PostgreSQL half skips with the reason, unless CI=true or HUB_REQUIRE_POSTGRES=1.
"""

from __future__ import annotations

import functools
import os
import uuid
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
from db_support import PASSWORD, config_for
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade

from hub import create_app
from hub.accounts import service as accounts
from hub.accounts.models import HubRole, Organization, Role, User
from hub.extensions import db
from hub.spaces import service as spaces
from hub.spaces.models import Hub, Space

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"


def _required(env_name: str) -> bool:
    return os.environ.get("CI", "").lower() == "true" or os.environ.get(env_name) == "1"


def _skip_or_fail(env_name: str, reason: str) -> None:
    if _required(env_name):
        pytest.fail(f"{reason} ({env_name}=1 or CI=true makes this a failure)")
    pytest.skip(reason)


def _with_database(url: str, name: str) -> str:
    parts = sa.make_url(url).set(database=name)
    return parts.render_as_string(hide_password=False)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A migrated, empty database for this test session on one backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'hub-test.sqlite3'}"
        _migrate(url)
        yield url
        return
    server_url = os.environ.get("HUB_TEST_POSTGRES_URL", DEFAULT_PG_URL)
    plain = (
        sa.make_url(server_url).set(drivername="postgresql").render_as_string(hide_password=False)
    )
    try:
        admin = psycopg.connect(plain, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        _skip_or_fail("HUB_REQUIRE_POSTGRES", f"PostgreSQL not reachable at {server_url}: {exc}")
    name = f"hub_test_{uuid.uuid4().hex[:12]}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = _with_database(server_url, name)
    try:
        _migrate(url)
        yield url
    finally:
        with psycopg.connect(plain, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _migrate(url: str) -> None:
    """Build the schema with the real Alembic migrations, as production does."""
    app = create_app(config_for(url))
    with app.app_context():
        upgrade()
        db.engine.dispose()


def _empty_all_tables() -> None:
    tables = list(reversed(db.metadata.sorted_tables))
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in tables)
        db.session.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            db.session.execute(table.delete())
    db.session.commit()


@pytest.fixture
def app_config() -> dict[str, Any]:
    """Override per test module to change configuration."""
    return {}


@pytest.fixture
def app(database_url: str, app_config: dict[str, Any]) -> Iterator[Flask]:
    app = create_app(config_for(database_url, **app_config))
    with app.app_context():
        try:
            yield app
        finally:
            db.session.rollback()
            _empty_all_tables()
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def backend(app: Flask) -> str:
    return db.engine.dialect.name


class FreshRequestClient(FlaskClient):
    """Each request starts with an empty ``g``, as in production.

    The ``app`` fixture keeps one app context open for the whole test (so tests
    can use ``db.session``), and Flask reuses it for requests; without this,
    Flask-Login's user and Flask-Babel's locale would leak between requests.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        from flask import g

        g.__dict__.clear()
        return super().open(*args, **kwargs)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    app.test_client_class = FreshRequestClient
    return app.test_client()


@pytest.fixture
def commit(app: Flask) -> Callable[[], None]:
    """Commit like a request boundary would, so later requests see the data."""
    return db.session.commit


# --- factories: each returns a callable that makes one object ----------------


@pytest.fixture
def make_org(app: Flask) -> Callable[..., Organization]:
    counter = iter(range(1, 10_000))

    def make(**values: Any) -> Organization:
        n = next(counter)
        data = {"name": f"Virksomhet {n}", "kind": "state_agency"} | values
        org = accounts.create_organization(data)
        db.session.commit()
        return org

    return make


@pytest.fixture
def make_hub(app: Flask) -> Callable[..., Hub]:
    counter = iter(range(1, 10_000))

    def make(**values: Any) -> Hub:
        n = next(counter)
        data = {"slug": f"hub-{n}", "name": f"Hub {n}", "municipality": "Lyngdal"} | values
        hub = spaces.create_hub(data)
        db.session.commit()
        return hub

    return make


@pytest.fixture
def make_space(app: Flask) -> Callable[..., Space]:
    counter = iter(range(1, 10_000))

    def make(hub: Hub, **values: Any) -> Space:
        data = {"name": f"Plass {next(counter)}", "kind": "desk", "capacity": 1} | values
        space = spaces.create_space(hub, data)
        db.session.commit()
        return space

    return make


@pytest.fixture
def make_user(app: Flask, make_org: Callable[..., Organization]) -> Callable[..., User]:
    counter = iter(range(1, 10_000))

    def make(
        *,
        hub: Hub | None = None,
        role: Role | str | None = None,
        organization: Organization | None = None,
        password: str = PASSWORD,
        **values: Any,
    ) -> User:
        n = next(counter)
        org = values.pop("home_organization", None) or make_org()
        data = {
            "email": f"person{n}@example.no",
            "name": f"Person {n}",
            "home_organization_id": org.id,
            "language": "en",  # tests read the English msgids, like config_for
        }
        user = accounts.create_user(data | values, password=password)
        if hub is not None and role is not None:
            org_id = organization.id if organization is not None else None
            accounts.grant_role(user, hub, role, org_id)
        db.session.commit()
        return user

    return make


@pytest.fixture
def login(client: FlaskClient) -> Callable[[User], None]:
    def do_login(user: User, password: str = PASSWORD) -> None:
        response = client.post("/login", data={"email": user.email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)

    return do_login


@pytest.fixture
def system_admin(make_user: Callable[..., User]) -> User:
    return make_user(is_system_admin=True, name="Systemadministrator")


@pytest.fixture
def hub_admin(make_user: Callable[..., User], make_hub: Callable[..., Hub]) -> Callable[..., User]:
    def make(hub: Hub | None = None) -> User:
        return make_user(hub=hub or make_hub(), role=Role.ADMIN)

    return make


# --- the JSON API ----------------------------------------------------------


@pytest.fixture
def api(client: FlaskClient) -> Callable[..., Any]:
    """``api(method, path, user=None, json=...)``: calls /api/v1 with a Bearer token for user."""
    tokens: dict[int, str] = {}

    def call(method: str, path: str, user: User | None = None, **kwargs: Any) -> Any:
        headers = kwargs.pop("headers", {})
        if user is not None:
            if user.id not in tokens:
                tokens[user.id] = accounts.create_api_token(user, "test")[1]
                db.session.commit()
            headers["Authorization"] = f"Bearer {tokens[user.id]}"
        return client.open(f"/api/v1{path}", method=method, headers=headers, **kwargs)

    return call


@pytest.fixture
def person(make_user: Callable[..., User]) -> Callable[..., User]:
    """Makes a user without a password: API tests need none, and hashing one is slow."""
    return functools.partial(make_user, password=None)


# Fixtures shared by the usage tests (a small busy hub).
pytest_plugins = ["usage_support"]

__all__ = ["PASSWORD", "HubRole", "date"]
