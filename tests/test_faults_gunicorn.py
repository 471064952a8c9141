"""Workers killed with SIGKILL in the middle of a booking load lose nothing and break nothing.

Real gunicorn (``gunicorn.conf.py``, ``hub:create_app()``, 3 sync workers) on a
free loopback port serves the session's test database, on SQLite and on
PostgreSQL. Client threads POST bookings, most of which clash with others, while
this test SIGKILLs a random worker every 0.3-0.5 s; the master respawns them.

What must hold afterwards: every booking a client got a 201 for is in the
database and active; no two active bookings of a space overlap (checked in SQL);
no answer was a 5xx (a request cut off by a kill is a connection error, counted
apart and allowed); the master is still up with all its workers and answers.
"""

from __future__ import annotations

import os
import random
import signal
import time
from pathlib import Path

import pytest
from gunicorn_support import (
    CONNECTION_ERROR,
    BookingLoad,
    missing_bookings,
    overlapping_bodies,
    overlapping_pairs,
    request,
    running_gunicorn,
)

from hub.accounts import service as accounts
from hub.extensions import db

pytestmark = pytest.mark.faults

WORKERS = 3
CLIENTS = 6
KILLS = 7
PEOPLE = 8


def test_workers_killed_during_booking_load(
    app, database_url, make_hub, make_space, make_user, tmp_path: Path, backend
):
    hub = make_hub(slug="kill-test", max_future_bookings=100_000)
    space_ids = [
        make_space(hub, name=f"Møterom {n}", kind="meeting_room", capacity=6).id for n in range(4)
    ]
    tokens = [
        accounts.create_api_token(make_user(password=None), "faults")[1] for _ in range(PEOPLE)
    ]
    db.session.commit()
    bodies = overlapping_bodies(hub, space_ids, days=10)
    rng = random.Random(20261124)
    killed: list[int] = []

    with running_gunicorn(database_url, tmp_path / "gunicorn.log", workers=WORKERS) as server:
        load = BookingLoad(server.port, tokens, bodies, CLIENTS)
        load.start()
        began = time.monotonic()
        try:
            load.wait_for(201, 3)  # the load is flowing before the first kill
            for _ in range(KILLS):
                pids = server.worker_pids()
                if pids:
                    victim = rng.choice(pids)
                    os.kill(victim, signal.SIGKILL)
                    killed.append(victim)
                time.sleep(rng.uniform(0.3, 0.5))
            # The master respawns every worker; then the load runs a moment on the new ones.
            server.wait_ready(timeout=30)
            time.sleep(1.0)
        finally:
            load.stop()
        load_seconds = time.monotonic() - began

        after, _answer = request(server.port, "GET", "/api/v1/openapi.json")
        alive, workers_after = server.alive(), server.worker_pids()
        kill_lines = server.log_lines("was sent SIGKILL")
        log_tail = server.tail()
        log_errors = server.error_summary()

    outcome = load.outcome()
    summary = (
        f"{backend}: {sum(outcome.statuses.values())} requests in {load_seconds:.1f} s, "
        f"{len(killed)} workers killed; statuses {dict(sorted(outcome.statuses.items()))} "
        f"(0 = connection cut); errors {outcome.samples}"
    )
    print(summary)

    db.session.commit()  # a fresh snapshot: the server's writes are visible
    with db.engine.connect() as conn:
        missing = missing_bookings(conn, outcome.created)
        overlaps = overlapping_pairs(conn)

    assert len(killed) == KILLS, summary
    assert len(kill_lines) == KILLS, log_tail
    assert outcome.count(201) > 0, summary
    assert not missing, f"201'd bookings not in the database: {missing}; {summary}"
    assert not overlaps, f"overlapping active bookings: {overlaps}"
    assert len(outcome.created) == len(set(outcome.created)), summary
    assert alive and len(workers_after) == WORKERS and not set(workers_after) & set(killed)
    assert after == 200
    server_errors = {s: n for s, n in outcome.statuses.items() if s >= 500}
    assert not server_errors, f"{summary}\n{log_errors}"
    unexpected = set(outcome.statuses) - {201, 409, CONNECTION_ERROR}
    assert not unexpected, f"{summary}\n{log_errors}"
