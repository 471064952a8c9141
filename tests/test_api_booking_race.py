"""No double booking over HTTP: concurrent POST /api/v1/bookings against a real server.

A threaded werkzeug server runs the app on 127.0.0.1 (a free port) against the
session's database, on SQLite and PostgreSQL. Requests come from a thread pool
and from separate OS processes, each as its own person with its own token:
exactly one gets 201, every other one 409 with the clashing interval, none 5xx.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import Flask
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from hub import create_app
from hub.accounts import service as accounts
from hub.booking.models import ACTIVE_STATUSES, Booking
from hub.extensions import db
from hub.spaces import opening
from hub.spaces import service as spaces

RACERS = 12

# Run by each racing process: wait for the agreed moment, POST once, print the status.
PROCESS_SCRIPT = """
import sys, time, urllib.error, urllib.request
url, token, body, start_at = sys.argv[1], sys.argv[2], sys.argv[3].encode(), float(sys.argv[4])
request = urllib.request.Request(url, data=body, method="POST", headers={
    "Authorization": "Bearer " + token, "Content-Type": "application/json"})
time.sleep(max(0.0, start_at - time.time()))
try:
    with urllib.request.urlopen(request, timeout=60) as response:
        print(response.status)
except urllib.error.HTTPError as error:
    with error:
        print(error.code)
"""


class QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


@dataclass
class Server:
    app: Flask
    url: str


@pytest.fixture
def server(app: Flask, database_url: str) -> Iterator[Server]:
    """The app served for real by a threaded server; the ``app`` fixture empties the tables."""
    served = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "test-secret",
            "WTF_CSRF_ENABLED": False,
            "MAIL_CAPTURE": True,
            "PUBLIC_URL": "http://127.0.0.1",
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        }
    )
    http: BaseWSGIServer = make_server(
        "127.0.0.1", 0, served, threaded=True, request_handler=QuietHandler
    )
    # Request threads are joined by server_close(), so none still holds a database
    # connection (returned after the response is sent) when the engine is disposed.
    http.daemon_threads = False
    thread = threading.Thread(target=http.serve_forever, name="hub-test-server", daemon=True)
    thread.start()
    try:
        yield Server(app=served, url=f"http://127.0.0.1:{http.server_port}/api/v1")
    finally:
        http.shutdown()
        thread.join(timeout=30)
        http.server_close()
        with served.app_context():
            db.engine.dispose()


def next_open_day(hub: Any) -> tuple[datetime, datetime]:
    """Opening hours (UTC) of the first open day at least two days from now."""
    today = datetime.now(ZoneInfo(hub.timezone)).date()
    weekly, closed = spaces.weekly_hours(hub), spaces.closed_days(hub)
    for n in range(2, 30):
        hours = opening.opening_interval(today + timedelta(days=n), weekly, hub.timezone, closed)
        if hours is not None:
            return hours
    raise AssertionError("no open day within four weeks")


def tokens_for(make_user: Any, count: int) -> list[str]:
    secrets = []
    for _ in range(count):
        user = make_user(password=None)
        secrets.append(accounts.create_api_token(user, "race")[1])
    db.session.commit()
    return secrets


def booking_body(space: Any, hours: tuple[datetime, datetime]) -> bytes:
    start, end = (t.astimezone(UTC).isoformat() for t in hours)
    return json.dumps({"space_id": space.id, "start": start, "end": end}).encode()


def post(url: str, token: str, body: bytes) -> tuple[int, Any]:
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        with error:
            text = error.read()
        try:
            return error.code, json.loads(text)
        except ValueError:
            return error.code, text.decode(errors="replace")


def active_bookings(space_id: int) -> list[Booking]:
    db.session.commit()  # end any read snapshot so the server's writes are visible
    return list(
        db.session.scalars(
            sa.select(Booking).where(
                Booking.space_id == space_id, Booking.status.in_(ACTIVE_STATUSES)
            )
        )
    )


def test_concurrent_requests_for_one_slot_exactly_one_wins(server, make_hub, make_space, make_user):
    hub = make_hub(slug="regionlab-lister")
    desk = make_space(hub, name="Pult 1", kind="desk")
    hours = next_open_day(hub)
    body = booking_body(desk, hours)
    tokens = tokens_for(make_user, RACERS)
    barrier = threading.Barrier(RACERS)

    def race(token: str) -> tuple[int, Any]:
        barrier.wait(timeout=30)
        return post(f"{server.url}/bookings", token, body)

    with ThreadPoolExecutor(max_workers=RACERS) as pool:
        results = list(pool.map(race, tokens))

    statuses = sorted(status for status, _body in results)
    assert statuses == [201] + [409] * (RACERS - 1), results
    expected = {
        "start": hours[0].astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "end": hours[1].astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    for status, answer in results:
        if status == 409:
            assert answer["error"]["conflicts"] == [expected]
        else:
            assert (answer["start"], answer["end"]) == (expected["start"], expected["end"])
    [winner] = active_bookings(desk.id)
    assert winner.id == next(answer["id"] for status, answer in results if status == 201)


def test_two_processes_racing_for_one_slot_exactly_one_wins(
    server, make_hub, make_space, make_user
):
    hub = make_hub(slug="sentrumsgarden")
    room = make_space(hub, name="Møterom Narvik", kind="meeting_room", capacity=8)
    opens, _closes = next_open_day(hub)
    body = booking_body(room, (opens + timedelta(hours=1), opens + timedelta(hours=2)))
    tokens = tokens_for(make_user, 2)
    start_at = time.time() + 2.0  # both processes are up by then, and fire together

    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                PROCESS_SCRIPT,
                f"{server.url}/bookings",
                token,
                body.decode(),
                str(start_at),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for token in tokens
    ]
    outcomes = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        outcomes.append(out.strip() or f"error: {err[-500:]}")

    assert sorted(outcomes) == ["201", "409"]
    assert len(active_bookings(room.id)) == 1
