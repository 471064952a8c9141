"""Benchmark 1: POST /api/v1/bookings against gunicorn, beside a bare insert on the same stack.

For each backend: a scratch database (migrated with the real migrations), one
hub with 200 meeting rooms, a handful of users in partner organizations with a
member role and an API token each. gunicorn serves ``bench.bare_app:make_app()``
(the real app plus the two bare endpoints) with 4 sync workers on 127.0.0.1 and
a free port. Every request books a different free 15-minute slot (room x day x
quarter, drawn at random from open days within the booking horizon), so there
are no conflicts and every answer must be 201; anything else is counted as an
error and shown.

Order: a warm-up on each endpoint, then the measured requests in the order
row, bare booking, booking, booking, bare booking, row (half of the requests in
each pass), so that drift on the machine or a growing table weighs on all three
alike. The figures are taken at the client: throughput is requests / wall time
of the passes (201 answers only), latencies are per request.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from bench.common import ROOT, Scratch, app_config, percentile, scratch_database, table

BOOKING_PATH = "/api/v1/bookings"
BARE_ROW_PATH = "/bench/bare-row"
BARE_BOOKING_PATH = "/bench/bare-booking"
ENDPOINTS = {
    "bare row": BARE_ROW_PATH,
    "bare booking": BARE_BOOKING_PATH,
    "booking API": BOOKING_PATH,
}
ROOMS = 200
USERS = 8
ORGS = 4
SLOT = timedelta(minutes=15)
HORIZON_DAYS = 90


@dataclass
class Settings:
    requests: int = 2000
    concurrency: int = 16
    workers: int = 4
    worker_class: str = "sync"
    threads: int = 1
    warmup: int = 64
    # The WSGI app gunicorn serves; another factory (which must also call
    # bench.bare_app.add_bench_routes) lets a candidate change be measured the same way.
    app: str = "bench.bare_app:make_app()"


@dataclass
class Seeded:
    hub_id: int
    timezone: str
    room_ids: list[int]
    tokens: list[str]
    bare_user_id: int
    bare_org_id: int


@dataclass
class Sample:
    latencies: list[float] = field(default_factory=list)
    wall: float = 0.0
    statuses: Counter[int] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.latencies)

    @property
    def failed(self) -> int:
        return self.count - self.statuses.get(201, 0)


# --- the scratch data -------------------------------------------------------------


def seed(url: str) -> Seeded:
    from bench.bare_app import create_bench_tables
    from hub import create_app
    from hub.accounts import service as accounts
    from hub.extensions import db
    from hub.spaces import service as spaces

    app = create_app(app_config(url))
    with app.app_context():
        hub = spaces.create_hub(
            {
                "slug": "bench-hub",
                "name": "Benchmark hub",
                "municipality": "Lyngdal",
                "booking_horizon_days": HORIZON_DAYS,
                # A handful of users make thousands of bookings; the per-person cap is not
                # what is measured (its count query still runs on every booking).
                "max_future_bookings": 1_000_000,
            }
        )
        rooms = [
            spaces.create_space(
                hub, {"name": f"Møterom {n:03d}", "kind": "meeting_room", "capacity": 10}
            )
            for n in range(1, ROOMS + 1)
        ]
        orgs = [
            accounts.create_organization({"name": f"Etat {n}", "kind": "state_agency"})
            for n in range(1, ORGS + 1)
        ]
        for org in orgs:
            accounts.create_membership(
                hub,
                {"organization_id": org.id, "kind": "partner", "starts_on": date(2020, 1, 1)},
            )
        tokens = []
        for n in range(USERS):
            user = accounts.create_user(
                {
                    "email": f"bench{n}@example.org",
                    "name": f"Bench {n}",
                    "home_organization_id": orgs[n % ORGS].id,
                }
            )
            accounts.grant_role(user, hub, "member")
            tokens.append(accounts.create_api_token(user, "bench")[1])
        bare_user = accounts.create_user(
            {"email": "bare@example.org", "name": "Bare", "home_organization_id": orgs[0].id}
        )
        seeded = Seeded(
            hub_id=hub.id,
            timezone=hub.timezone,
            room_ids=[r.id for r in rooms],
            tokens=tokens,
            bare_user_id=bare_user.id,
            bare_org_id=orgs[0].id,
        )
        db.session.commit()
        with db.engine.begin() as conn:
            create_bench_tables(conn)
        db.engine.dispose()
    return seeded


def free_slots(seeded: Seeded, count: int, rng: random.Random) -> list[dict[str, Any]]:
    """``count`` distinct room quarters on open days from tomorrow, inside the horizon.

    Times are sent in the hub's local time with their offset, as a client would.
    """
    from hub.spaces import opening

    zone = ZoneInfo(seeded.timezone)
    today = datetime.now(UTC).astimezone(zone).date()
    quarters: list[tuple[int, datetime]] = []
    for offset in range(1, HORIZON_DAYS - 5):
        hours = opening.opening_interval(
            today + timedelta(days=offset), opening.DEFAULT_WEEKLY_HOURS, seeded.timezone
        )
        if hours is None:
            continue
        start = hours[0]
        while start + SLOT <= hours[1]:
            quarters.append((offset, start))
            start += SLOT
    total = len(quarters) * len(seeded.room_ids)
    if count > total:
        raise SystemExit(f"only {total} free slots in the horizon; ask for fewer requests")
    picks = rng.sample(range(total), count)
    bodies = []
    for pick in picks:
        room = seeded.room_ids[pick % len(seeded.room_ids)]
        _day, start = quarters[pick // len(seeded.room_ids)]
        bodies.append(
            {
                "space_id": room,
                "start": start.astimezone(zone).isoformat(),
                "end": (start + SLOT).astimezone(zone).isoformat(),
            }
        )
    return bodies


# --- gunicorn ---------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def gunicorn_binary() -> str:
    candidate = ROOT / ".venv" / "bin" / "gunicorn"
    if candidate.exists():
        return str(candidate)
    import shutil
    import sys

    found = shutil.which("gunicorn", path=str(Path(sys.executable).parent))
    if not found:
        raise SystemExit('gunicorn is missing: .venv/bin/pip install "gunicorn>=22,<28"')
    return found


class Server:
    """gunicorn as a subprocess on 127.0.0.1; stopped with SIGTERM (then SIGKILL) by its pid."""

    def __init__(self, scratch: Scratch, seeded: Seeded, settings: Settings, log: Path) -> None:
        self.port = free_port()
        self.log = log
        env = {
            **os.environ,
            "HUB_DATABASE_URL": scratch.url,
            "HUB_SECRET_KEY": "bench-only-secret",
            # Mail (if the API sends any) stays in memory: no SMTP, no files in instance/.
            "HUB_MAIL_CAPTURE": "1",
            "HUB_BENCH_HUB_ID": str(seeded.hub_id),
            "HUB_BENCH_BARE_USER_ID": str(seeded.bare_user_id),
            "HUB_BENCH_BARE_ORG_ID": str(seeded.bare_org_id),
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        }
        command = [
            gunicorn_binary(),
            "--workers",
            str(settings.workers),
            "--worker-class",
            settings.worker_class,
            "--bind",
            f"127.0.0.1:{self.port}",
            "--timeout",
            "60",
            "--graceful-timeout",
            "5",
            "--log-level",
            "warning",
        ]
        if settings.worker_class == "gthread":
            command += ["--threads", str(settings.threads)]
        command.append(settings.app)
        self._log_file = log.open("wb")
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=self._log_file, stderr=subprocess.STDOUT
        )

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited early:\n{self.tail()}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/bench/ping")
                if conn.getresponse().status == 200:
                    conn.close()
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer within {timeout:.0f}s:\n{self.tail()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._log_file.close()

    def tail(self, lines: int = 40) -> str:
        if not self._log_file.closed:
            self._log_file.flush()
        text = self.log.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])


# --- the load client --------------------------------------------------------------


def run_load(
    port: int,
    path: str,
    bodies: Sequence[dict[str, Any]],
    tokens: Sequence[str],
    concurrency: int,
) -> Sample:
    """POST each body once, ``concurrency`` requests in flight; one connection per request
    (gunicorn's sync workers close every connection)."""
    sample = Sample()
    lock = threading.Lock()
    next_index = iter(range(len(bodies)))
    encoded = [json.dumps(b).encode() for b in bodies]

    def worker() -> None:
        while True:
            with lock:
                index = next(next_index, None)
            if index is None:
                return
            headers = {
                "Content-Type": "application/json",
                "Authorization": f"Bearer {tokens[index % len(tokens)]}",
            }
            began = time.perf_counter()
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                conn.request("POST", path, body=encoded[index], headers=headers)
                response = conn.getresponse()
                payload = response.read()
                status = response.status
                conn.close()
            except OSError as exc:
                status, payload = 0, f"{type(exc).__name__}: {exc}".encode()
            elapsed = time.perf_counter() - began
            with lock:
                sample.latencies.append(elapsed)
                sample.statuses[status] += 1
                if status != 201 and len(sample.errors) < 5:
                    sample.errors.append(f"{status} {payload[:300].decode(errors='replace')}")

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sample.wall = time.perf_counter() - began
    return sample


def merge(samples: Sequence[Sample]) -> Sample:
    total = Sample()
    for s in samples:
        total.latencies += s.latencies
        total.wall += s.wall
        total.statuses.update(s.statuses)
        total.errors += s.errors
    return total


# --- one backend -----------------------------------------------------------------


def bench_backend(backend: str, settings: Settings) -> dict[str, Any]:
    rng = random.Random(20261124)
    with scratch_database(backend, "hub_bench") as scratch:
        seeded = seed(scratch.url)
        half = settings.requests // 2
        order = [*ENDPOINTS, *reversed(ENDPOINTS)]  # row, bare, API, API, bare, row
        needed = settings.warmup * len(ENDPOINTS) + half * len(order)
        bodies = free_slots(seeded, needed, rng)
        taken = 0

        def take(n: int) -> list[dict[str, Any]]:
            nonlocal taken
            chunk = bodies[taken : taken + n]
            taken += n
            return chunk

        with tempfile.TemporaryDirectory(prefix="hub_bench_gunicorn_") as folder:
            server = Server(scratch, seeded, settings, Path(folder) / "gunicorn.log")
            try:
                server.wait_ready()
                warm = {
                    name: run_load(
                        server.port,
                        path,
                        take(settings.warmup),
                        seeded.tokens,
                        settings.concurrency,
                    )
                    for name, path in ENDPOINTS.items()
                }
                passes: dict[str, list[Sample]] = {name: [] for name in ENDPOINTS}
                for name in order:
                    passes[name].append(
                        run_load(
                            server.port,
                            ENDPOINTS[name],
                            take(half),
                            seeded.tokens,
                            settings.concurrency,
                        )
                    )
            finally:
                server.stop()
            log_tail = server.tail(20)
        stored = _count_rows(scratch.url)

    results = {name: merge(samples) for name, samples in passes.items()}
    expected = sum(
        results[n].statuses.get(201, 0) + warm[n].statuses.get(201, 0)
        for n in ("bare booking", "booking API")
    )
    return {
        "backend": backend,
        "results": results,
        "warmup_failed": {n: s.failed for n, s in warm.items()},
        "warmup_errors": {n: s.errors for n, s in warm.items() if s.errors},
        "stored": stored,
        "expected": expected,
        "log_tail": log_tail,
    }


def _count_rows(url: str) -> int:
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            return int(conn.exec_driver_sql("SELECT count(*) FROM bookings").scalar_one())
    finally:
        engine.dispose()


# --- report ----------------------------------------------------------------------


def _throughput(sample: Sample) -> float:
    """Successful (201) requests per second of wall time."""
    return sample.statuses.get(201, 0) / sample.wall if sample.wall else 0.0


def report(runs: Sequence[dict[str, Any]], settings: Settings) -> str:
    worker = settings.worker_class + (
        f", {settings.threads} threads" if settings.worker_class == "gthread" else ""
    )
    head = (
        f"POST throughput: gunicorn {settings.workers} workers ({worker}), "
        f"{settings.concurrency} client threads, {settings.requests} measured requests "
        f"per endpoint (+{settings.warmup} warm-up), one new connection per request"
    )
    if settings.app != Settings.app:
        head += f"\nServed app: {settings.app}"
    rows = []
    notes: list[str] = []
    checks: list[str] = []
    for run in runs:
        results = run["results"]
        floor = results["bare row"]
        floor_booking = results["bare booking"]
        for name, sample in results.items():
            rps = _throughput(sample)
            ratio_row = ratio_booking = None
            if name == "booking API" and _throughput(floor) and _throughput(floor_booking):
                ratio_row = f"{100 * rps / _throughput(floor):.0f} %"
                ratio_booking = f"{100 * rps / _throughput(floor_booking):.0f} %"
            rows.append(
                [
                    run["backend"],
                    name,
                    sample.count,
                    sample.failed,
                    rps,
                    1000 * percentile(sample.latencies, 0.50),
                    1000 * percentile(sample.latencies, 0.95),
                    ratio_row,
                    ratio_booking,
                ]
            )
            for error in sample.errors:
                notes.append(f"  {run['backend']} {name}: {error}")
        for name, errors in run["warmup_errors"].items():
            for error in errors:
                notes.append(f"  {run['backend']} {name} (warm-up): {error}")
        checks.append(
            f"  {run['backend']}: {run['stored']:,} bookings in the table, "
            f"{run['expected']:,} booking requests answered 201"
            + ("" if run["stored"] == run["expected"] else "  <-- MISMATCH")
        )
    text = [
        head,
        "",
        table(
            [
                "database",
                "endpoint",
                "requests",
                "errors",
                "req/s",
                "p50 ms",
                "p95 ms",
                "booking/row",
                "booking/bare booking",
            ],
            rows,
        ),
    ]
    text += ["", "Check (bare booking + booking API, warm-up included):", *checks]
    if notes:
        text += ["", "Errors (non-201 answers, first ones):", *notes]
    return "\n".join(text)
