"""Log lines for operators: text or JSON with the request context; X-Request-ID; gunicorn."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import sqlalchemy as sa
from gunicorn.glogging import SafeAtoms

from hub import create_app
from hub.extensions import db
from hub.ops import logging as ops_logging

REPO = Path(__file__).resolve().parent.parent
log = logging.getLogger("hub.test_ops_logging")


@pytest.fixture
def configured(app, monkeypatch):
    """The real setup (which TESTING skips) writing to a buffer; undone afterwards."""
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", list(root.handlers))
    monkeypatch.setattr(root, "level", root.level)
    # Alembic's fileConfig (the migrations at session start) disables existing loggers.
    monkeypatch.setattr(log, "disabled", False)
    buffer = io.StringIO()

    def configure(log_format: str, level: str = "INFO") -> io.StringIO:
        app.config.update(LOG_FORMAT=log_format, LOG_LEVEL=level)
        ops_logging.configure_logging(app, force=True, stream=buffer)
        return buffer

    yield configure
    for name in ops_logging.QUIETER:
        logging.getLogger(name).setLevel(logging.NOTSET)


def lines(buffer: io.StringIO) -> list[str]:
    return [line for line in buffer.getvalue().splitlines() if line]


def test_testing_apps_leave_logging_alone(app):
    assert not any(getattr(h, "_hub", False) for h in logging.getLogger().handlers)


def test_json_lines_carry_time_level_logger_message_and_the_request(
    app, client, configured, make_user, login
):
    buffer = configured("json")

    @app.get("/_log_something")
    def log_something() -> str:
        log.warning("booked %s", "Plass 1", extra={"space_id": 7})
        return "ok"

    user = make_user()
    login(user)
    response = client.get("/_log_something?x=1", headers={"X-Request-ID": "abc-123"})
    log.info("outside a request")

    assert response.headers["X-Request-ID"] == "abc-123"
    inside, outside = (json.loads(line) for line in lines(buffer)[-2:])
    assert list(inside)[:4] == ["time", "level", "logger", "message"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", inside["time"])
    assert inside | {"time": None} == {
        "time": None,
        "level": "WARNING",
        "logger": "hub.test_ops_logging",
        "message": "booked Plass 1",
        "space_id": 7,
        "request_id": "abc-123",
        "method": "GET",
        "path": "/_log_something",
        "user_id": user.id,
    }
    assert outside["message"] == "outside a request" and "request_id" not in outside


def test_json_lines_hold_the_traceback(configured):
    buffer = configured("json")
    try:
        raise RuntimeError("disk full")
    except RuntimeError:
        log.exception("job failed")
    line = json.loads(lines(buffer)[-1])
    assert line["level"] == "ERROR" and "RuntimeError: disk full" in line["exc_info"]


def test_text_lines_name_the_request_and_the_level_filters(app, client, configured):
    buffer = configured("text", level="warning")

    @app.get("/_log_text")
    def log_text() -> str:
        log.info("not shown")
        log.warning("shown")
        return "ok"

    request_id = client.get("/_log_text").headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    (line,) = lines(buffer)
    assert re.fullmatch(
        rf"\S+Z WARNING hub\.test_ops_logging \[{request_id} GET /_log_text\]: shown", line
    )


def test_the_request_context_never_queries_the_database(app, client, login, make_user):
    """Logging a database outage must not need the database: an expired user is not reloaded."""
    queries: list[str] = []

    @app.get("/_log_context")
    def log_context() -> dict:
        from flask_login import current_user

        user_id = current_user.id
        db.session.expire(current_user._get_current_object())
        sa.event.listen(db.engine, "before_cursor_execute", record)
        try:
            context = ops_logging.request_context()
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", record)
        return {"logged": context.get("user_id"), "expected": user_id}

    def record(_conn, _cursor, statement, *_args) -> None:
        queries.append(statement)

    user = make_user()
    login(user)
    answer = client.get("/_log_context").get_json()
    assert answer["logged"] == answer["expected"] == user.id
    assert queries == []


@pytest.mark.parametrize(
    ("incoming", "kept"),
    [
        ("7f3c2a9e-lb", True),
        ("Root=1-67891233-abcdef012345678912345678", True),
        ("x" * 129, False),
        ("two words", False),
        ("", False),
    ],
)
def test_an_incoming_request_id_is_kept_only_if_it_is_plain(client, incoming, kept):
    echoed = client.get("/healthz", headers={"X-Request-ID": incoming}).headers["X-Request-ID"]
    assert (echoed == incoming) is kept
    if not kept:
        assert re.fullmatch(r"[0-9a-f]{32}", echoed)


@pytest.mark.parametrize(
    ("config", "message"),
    [({"LOG_FORMAT": "xml"}, "LOG_FORMAT"), ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL")],
)
def test_a_bad_setting_stops_the_start(config, message, tmp_path):
    with pytest.raises(ValueError, match=message):
        create_app({"SECRET_KEY": "x", "DATABASE_URL": f"sqlite:///{tmp_path}/x.db", **config})


def test_the_json_formatter_spells_out_gunicorns_access_line():
    atoms = SafeAtoms(
        {
            "h": "127.0.0.1",
            "m": "GET",
            "U": "/healthz",
            "q": "strict=1",
            "s": "503",
            "B": 120,
            "D": 2345,
            "a": "kube-probe/1.29",
            "f": "-",
            "{x-request-id}o": "abc",
            "{x-forwarded-for}i": "203.0.113.9",
        }
    )
    record = logging.LogRecord("gunicorn.access", logging.INFO, __file__, 1, "%(m)s", atoms, None)
    line = json.loads(ops_logging.JsonFormatter().format(record))
    assert line["logger"] == "gunicorn.access" and line["message"] == "GET"
    assert {k: line[k] for k in ("method", "path", "query", "status", "bytes", "duration_ms")} == {
        "method": "GET",
        "path": "/healthz",
        "query": "strict=1",
        "status": 503,
        "bytes": 120,
        "duration_ms": 2.3,
    }
    assert line["request_id"] == "abc" and line["forwarded_for"] == "203.0.113.9"
    assert line["referer"] is None and line["user_agent"] == "kube-probe/1.29"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


SECRET = "aVeryS3cretFeedToken_0123456789abcdefghijklm"


def test_gunicorn_with_the_repo_config_writes_json_for_itself_and_the_app(tmp_path):
    """One worker on a free loopback port, HUB_LOG_FORMAT=json: every line is JSON."""
    url = f"sqlite:///{tmp_path / 'hub.sqlite3'}"  # not migrated: /healthz still answers
    port = _free_port()
    env = {
        **os.environ,
        "HUB_DATABASE_URL": url,
        "HUB_SECRET_KEY": "test",
        "HUB_LOG_FORMAT": "json",
        "HUB_BIND": f"127.0.0.1:{port}",
        "HUB_WORKERS": "1",
    }
    out, err = tmp_path / "stdout", tmp_path / "stderr"
    with out.open("w") as stdout, err.open("w") as stderr:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
            cwd=REPO,
            env=env,
            stdout=stdout,
            stderr=stderr,
        )
        try:
            response = None
            deadline = time.monotonic() + 30
            while response is None and time.monotonic() < deadline:
                try:
                    request = urllib.request.Request(
                        f"http://127.0.0.1:{port}/healthz", headers={"X-Request-ID": "gun-1"}
                    )
                    response = urllib.request.urlopen(request, timeout=5)
                except OSError:
                    time.sleep(0.2)
            assert response is not None, err.read_text()
            assert response.status == 200 and response.headers["X-Request-ID"] == "gun-1"
            feed = urllib.request.Request(
                f"http://127.0.0.1:{port}/feeds/{SECRET}.ics?x=1",
                headers={"X-Request-ID": "gun-2", "Referer": f"http://h/password/reset/{SECRET}"},
            )
            with contextlib.suppress(urllib.error.HTTPError):  # no tables: 503
                urllib.request.urlopen(feed, timeout=5)
        finally:
            server.terminate()
            server.wait(timeout=30)
    with create_app({"TESTING": True, "DATABASE_URL": url}).app_context():
        db.engine.dispose()

    records = [json.loads(line) for text in (out, err) for line in text.read_text().splitlines()]
    access = [r for r in records if r["logger"] == "gunicorn.access"]
    assert [(r["path"], r["request_id"]) for r in access] == [
        ("/healthz", "gun-1"),
        ("/feeds/[secret].ics", "gun-2"),
    ]
    assert access[0]["status"] == 200 and access[1]["referer"] == "http://h/password/reset/[secret]"
    assert SECRET not in out.read_text() + err.read_text()  # nor in the app's own lines
    assert any(
        r["logger"] == "gunicorn.error" and "Booting worker" in r["message"] for r in records
    )
    # The app's own warning (no scheduler_locks table yet) came out of the worker as JSON.
    assert any(r["logger"] == "hub.ops.health" and r["request_id"] == "gun-1" for r in records)


@pytest.mark.parametrize(
    ("logged", "shown"),
    [
        ("/feeds/abc_DEF-1.ics", "/feeds/[secret].ics"),
        ("GET /feeds/abc.ics?x=1 HTTP/1.1", "GET /feeds/[secret].ics?x=1 HTTP/1.1"),
        ("/password/reset/Im.tok-en", "/password/reset/[secret]"),
        (
            "https://hub.example.no/invitation/abc?x=1",
            "https://hub.example.no/invitation/[secret]?x=1",
        ),
        (
            "/login/sso/callback?state=s1&code=c1&x=1",
            "/login/sso/callback?state=[secret]&code=[secret]&x=1",
        ),
        ("/api/v1/me/feeds/12", "/api/v1/me/feeds/12"),  # an id, not a secret
        (
            "/hubs/regionlab-lister/availability?view=week",
            "/hubs/regionlab-lister/availability?view=week",
        ),
    ],
)
def test_secrets_in_addresses_are_not_logged(logged, shown):
    assert ops_logging.redact_path(logged) == shown


def test_the_gunicorn_master_does_not_load_the_app():
    """gunicorn.conf.py imports the formats; a reload must not keep old app code in the master."""
    code = (
        "import runpy, sys; runpy.run_path('gunicorn.conf.py');"
        "print(sorted(m for m in ('flask', 'sqlalchemy', 'hub.config') if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert loaded.stdout.strip() == "[]"
