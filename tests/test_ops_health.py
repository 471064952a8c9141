"""/healthz: database and scheduler heartbeat, no session, never a 500."""

from __future__ import annotations

import logging
import socket
from datetime import timedelta

import pytest

from hub import create_app
from hub.database import utcnow
from hub.extensions import db
from hub.ops import scheduler_lock
from hub.ops.models import SchedulerLock


def beat(seconds_ago: float, released: bool = False) -> None:
    moment = utcnow() - timedelta(seconds=seconds_ago)
    db.session.merge(
        SchedulerLock(
            name=scheduler_lock.LOCK_NAME,
            holder="sched-host:42",
            acquired_at=moment - timedelta(hours=1),
            heartbeat_at=moment,
            released_at=moment if released else None,
        )
    )
    db.session.commit()


def test_healthy_database_and_scheduler(client):
    beat(5)
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert body["status"] == "ok"
    database, scheduler = body["checks"]["database"], body["checks"]["scheduler"]
    assert database["ok"] is True and 0 <= database["latency_ms"] < 5000
    assert scheduler["ok"] is True and 4 <= scheduler["age_seconds"] < 60
    assert scheduler["heartbeat_at"].endswith("Z") and scheduler["stale_after_seconds"] == 90
    assert "sched-host" not in response.get_data(as_text=True)  # no host names to the public


@pytest.mark.parametrize(
    ("setup", "error"),
    [
        (lambda: None, "no scheduler has run"),
        (lambda: beat(91), "the heartbeat is stale"),
        (lambda: beat(3, released=True), "the scheduler was stopped"),
    ],
)
@pytest.mark.parametrize(("query", "code"), [("", 200), ("?strict=1", 503)])
def test_a_missing_or_stale_scheduler_is_degraded_and_503_only_when_strict(
    client, setup, error, query, code
):
    setup()
    response = client.get(f"/healthz{query}")

    assert response.status_code == code
    body = response.get_json()
    assert body["status"] == "degraded"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["scheduler"]["ok"] is False
    assert body["checks"]["scheduler"]["error"] == error


def test_the_staleness_limit_is_configuration(client, app):
    beat(20)
    app.config["SCHEDULER_STALE_SECONDS"] = 10
    body = client.get("/healthz").get_json()
    assert body["status"] == "degraded" and body["checks"]["scheduler"]["stale_after_seconds"] == 10


def test_no_login_no_session_no_cookie_and_a_request_id(client, make_user, login):
    response = client.get("/healthz", headers={"X-Request-ID": "lb-check-1"})
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert response.headers["X-Request-ID"] == "lb-check-1"
    assert client.head("/healthz").status_code == 200

    login(make_user())  # a logged-in browser gets no new cookie either
    response = client.get("/healthz")
    assert "Set-Cookie" not in response.headers


def test_not_in_the_navigation(client, app):
    assert b"/healthz" not in client.get("/").data
    assert app.url_map.bind("hub.test").match("/healthz") == ("health.healthz", {})


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://hub@127.0.0.1:{port}/hub?connect_timeout=2",
        "sqlite:////nonexistent-hub-dir/{port}/hub.sqlite3",
    ],
    ids=["postgresql-closed-port", "sqlite-broken-path"],
)
def test_an_unreachable_database_is_503_not_500(url, caplog, monkeypatch):
    # Alembic's fileConfig (the migrations at session start) disables existing loggers.
    monkeypatch.setattr(logging.getLogger("hub.ops.health"), "disabled", False)
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "DATABASE_URL": url.format(port=_closed_port()),
            "MAIL_CAPTURE": True,
        }
    )
    try:
        with caplog.at_level("WARNING", logger="hub.ops.health"):
            response = app.test_client().get("/healthz?strict=1")
    finally:
        with app.app_context():
            db.engine.dispose()

    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "down"
    assert body["checks"]["database"] == {"ok": False, "error": "the database does not answer"}
    assert body["checks"]["scheduler"]["ok"] is False
    assert "Set-Cookie" not in response.headers
    assert "healthz: the database does not answer" in caplog.text  # the details are logged
