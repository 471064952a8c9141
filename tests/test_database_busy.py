"""A busy or unreachable database answers 503 with Retry-After, never 500, and writes nothing."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
import time_machine
from flask import Flask, flash
from flask_login import current_user

from hub.accounts import service as accounts
from hub.accounts.models import ApiToken, Role
from hub.booking.models import Booking
from hub.extensions import db
from hub.mail import send_mail, sent_mail
from hub.outbox.models import OutboxMessage

# Friday 4 January 2030 at 09:00 in Oslo; Monday 7 January is a normal workday.
NOW = datetime(2030, 1, 4, 8, 0, tzinfo=UTC)
RETRY_AFTER = "7"


@pytest.fixture
def app_config() -> dict[str, Any]:
    # SQLite's own retry (the busy timeout) kept short so the tests stay quick.
    return {"SQLITE_BUSY_TIMEOUT_MS": 100, "DATABASE_RETRY_AFTER_SECONDS": int(RETRY_AFTER)}


@pytest.fixture(autouse=True)
def frozen_time() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def desk(make_hub: Any, make_space: Any) -> Any:
    hub = make_hub(slug="regionlab-lister", name="RegionLab Lister")
    return make_space(hub, name="Pult 1", kind="desk")


@pytest.fixture
def member(make_user: Any, desk: Any) -> Any:
    return make_user(hub=desk.hub, role=Role.MEMBER)


def bookings() -> list[Booking]:
    db.session.commit()  # end the test's snapshot
    return list(db.session.scalars(sa.select(Booking)))


def assert_unavailable(response: Any, json: bool) -> None:
    assert response.status_code == 503, response.get_data(as_text=True)
    assert response.headers["Retry-After"] == RETRY_AFTER
    if json:
        assert response.get_json()["error"]["status"] == 503
    else:
        assert "Temporarily unavailable" in response.get_data(as_text=True)
        assert "Content-Security-Policy" in response.headers


# --- SQLite: another writer holds the lock --------------------------------------------


class WriteLock:
    """SQLite's write lock held by another connection (BEGIN IMMEDIATE), as a busy writer."""

    def __init__(self, path: str) -> None:
        self.connection = sqlite3.connect(path, isolation_level=None, timeout=0)

    def hold(self) -> None:
        db.session.commit()  # what the test made so far is in
        self.connection.execute("BEGIN IMMEDIATE")

    def release(self) -> None:
        if self.connection.in_transaction:
            self.connection.execute("ROLLBACK")


@pytest.fixture
def write_lock(app: Flask, backend: str) -> Iterator[WriteLock]:
    if backend != "sqlite":
        pytest.skip("the write lock is SQLite's; PostgreSQL locks rows")
    lock = WriteLock(db.engine.url.database or "")
    yield lock
    lock.release()
    lock.connection.close()


def test_api_booking_under_a_held_lock_is_503_then_201(api, member, desk, write_lock):
    api("GET", "/me", member)  # the token is made (and committed) before the lock
    write_lock.hold()
    body = {"space_id": desk.id, "start": "2030-01-07T07:00:00Z", "end": "2030-01-07T15:00:00Z"}
    response = api("POST", "/bookings", member, json=body)

    assert_unavailable(response, json=True)
    write_lock.release()
    assert bookings() == []
    assert api("POST", "/bookings", member, json=body).status_code == 201
    assert len(bookings()) == 1


def test_booking_form_under_a_held_lock_is_503_then_booked(
    app, client, login, member, desk, write_lock
):
    login(member)
    path = f"/hubs/{desk.hub.slug}/book/{desk.id}"
    form = {
        "part": "day",
        "first_day": "2030-01-07",
        "organization_id": member.home_organization_id,
    }
    write_lock.hold()

    response = client.post(path, data=form)

    assert_unavailable(response, json=False)
    assert "Booked" not in client.get("/").get_data(as_text=True)  # no false "Booked" flash
    write_lock.release()
    assert bookings() == []
    assert client.post(path, data=form).status_code == 302
    assert len(bookings()) == 1


def test_pages_are_read_while_the_lock_is_held(client, login, member, desk, write_lock):
    login(member)
    write_lock.hold()
    assert client.get("/").status_code == 200
    assert client.get(f"/hubs/{desk.hub.slug}").status_code == 200
    assert client.get(f"/hubs/{desk.hub.slug}/book/{desk.id}").status_code == 200


def test_api_reads_with_a_token_are_200_while_the_lock_is_held(api, member, desk, write_lock):
    """Recording when a token was last used is bookkeeping: it never holds up a read."""
    api("GET", "/me", member)  # the token is made and committed before the lock
    db.session.execute(sa.update(ApiToken).values(last_used_at=None))
    write_lock.hold()

    assert api("GET", "/me", member).status_code == 200
    assert api("GET", f"/hubs/{desk.hub.slug}/availability", member).status_code == 200
    write_lock.release()
    db.session.commit()
    assert db.session.scalar(sa.select(ApiToken.last_used_at)) is None  # skipped, not waited

    assert api("GET", "/me", member).status_code == 200
    db.session.commit()
    assert db.session.scalar(sa.select(ApiToken.last_used_at)) == NOW  # the next use records it


def test_a_mail_under_the_lock_is_503_and_sends_nothing(app, client, make_user, write_lock):
    user = make_user(email="kari@example.no")
    write_lock.hold()
    response = client.post("/password/forgot", data={"email": user.email})

    assert_unavailable(response, json=False)
    write_lock.release()
    db.session.commit()
    assert db.session.scalars(sa.select(OutboxMessage)).all() == []
    assert sent_mail() == []


def test_a_write_first_met_at_the_commit_is_503(app, client, write_lock):
    def view() -> str:
        send_mail("kari@example.no", "Hei", "Tekst")  # not flushed: written at the commit
        flash("Saved the greeting")
        return "ok"

    app.add_url_rule("/_test/write", "write", view, methods=["POST"])
    write_lock.hold()
    response = client.post("/_test/write")

    assert_unavailable(response, json=False)  # from finish_transaction, with the headers
    assert "Saved the greeting" not in client.get("/").get_data(as_text=True)
    write_lock.release()
    db.session.commit()
    assert db.session.scalars(sa.select(OutboxMessage)).all() == []
    assert sent_mail() == []


# --- any backend: the handler's rules ----------------------------------------------------


def _raise(exc: Exception) -> Callable[..., Any]:
    def view(*_args: Any) -> Any:
        raise exc

    return view


def _dbapi(cls: type[sa.exc.DBAPIError], invalidated: bool = False) -> sa.exc.DBAPIError:
    return cls("SELECT 1", {}, Exception("boom"), connection_invalidated=invalidated)


@pytest.mark.parametrize(
    "exc",
    [
        _dbapi(sa.exc.OperationalError),
        _dbapi(sa.exc.InterfaceError, invalidated=True),
        sa.exc.TimeoutError("QueuePool limit of size 5 overflow 10 reached"),
    ],
    ids=["operational", "disconnect", "pool-timeout"],
)
@pytest.mark.parametrize("prefix", ["/api/v1", ""])
def test_database_unavailable_is_503(app, client, exc, prefix):
    app.add_url_rule(f"{prefix}/_test/fails", "fails", _raise(exc))
    assert_unavailable(client.get(f"{prefix}/_test/fails"), json=bool(prefix))


def test_the_page_needs_no_database_to_say_so(app, client, login, make_user, monkeypatch):
    app.add_url_rule("/_test/fails", "fails", _raise(_dbapi(sa.exc.OperationalError)))
    login(make_user())
    # The menu asks the database what the person may see; here it cannot answer either.
    monkeypatch.setattr(
        "hub.accounts.permissions.can_view_any_usage",
        _raise(_dbapi(sa.exc.OperationalError)),
    )
    response = client.get("/_test/fails")

    assert_unavailable(response, json=False)
    assert "try again in a moment" in response.get_data(as_text=True)


@pytest.mark.parametrize("prefix", ["/api/v1", ""])
def test_a_database_gone_for_every_query_is_still_503(app, client, login, make_user, prefix):
    """As when PostgreSQL shuts down mid-request: the message and its log line need no query."""

    def refuse(*_args: Any) -> None:
        raise _dbapi(sa.exc.OperationalError)

    def view() -> str:
        assert current_user.is_authenticated  # loaded before the outage, as in a real request
        sa.event.listen(db.engine, "before_cursor_execute", refuse)
        raise _dbapi(sa.exc.OperationalError)

    app.add_url_rule(f"{prefix}/_test/gone", "gone", view)
    login(make_user())
    try:
        response = client.get(f"{prefix}/_test/gone")
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", refuse)
    assert_unavailable(response, json=bool(prefix))


def test_other_database_errors_stay_errors(app, client):
    app.add_url_rule("/_test/fails", "fails", _raise(_dbapi(sa.exc.ProgrammingError)))
    with pytest.raises(sa.exc.ProgrammingError):  # a bug: a 500 (raised under TESTING)
        client.get("/_test/fails")


# --- PostgreSQL: the connection is dropped ---------------------------------------------


def _terminate_app_connections(backend: str) -> int:
    """Kill every server connection of the app's database, as a restart would."""
    if backend != "postgresql":
        pytest.skip("dropped server connections are PostgreSQL's; SQLite is a file")
    url = db.engine.url
    admin_url = url.set(drivername="postgresql", database="postgres")
    with psycopg.connect(admin_url.render_as_string(hide_password=False), autocommit=True) as admin:
        return len(
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = %s AND pid <> pg_backend_pid()",
                [url.database],
            ).fetchall()
        )


@pytest.fixture
def me(client: Any, member: Any) -> Callable[[], Any]:
    """GET /api/v1/me with a token made beforehand (the test itself must not query)."""
    headers = {"Authorization": f"Bearer {accounts.create_api_token(member, 'test')[1]}"}
    db.session.commit()
    return lambda: client.get("/api/v1/me", headers=headers)


def test_a_dropped_idle_connection_is_replaced_before_use(me, backend):
    assert me().status_code == 200
    db.session.commit()  # the connection goes back to the pool
    assert _terminate_app_connections(backend) >= 1

    assert me().status_code == 200  # pool_pre_ping reconnects


def test_a_connection_dropped_mid_request_is_503_then_the_next_request_works(me, backend):
    assert me().status_code == 200
    db.session.execute(sa.text("SELECT 1"))  # the request below goes on with this connection
    assert _terminate_app_connections(backend) >= 1

    assert_unavailable(me(), json=True)
    assert me().status_code == 200
