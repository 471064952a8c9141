"""Load benchmark: 50 clients against gunicorn for a fixed time, on SQLite and PostgreSQL.

    python -m bench.load                              # 60 s per database, 50 clients, 4 workers
    python -m bench.load --duration 15 --backend sqlite      # a quick look
    python -m bench.load --clients 20 --workers 2 --duration 30

Per database, on a scratch database made with the real migrations (a SQLite file
in a temporary directory, or a PostgreSQL database ``hub_bench_load`` created and
dropped here): a realistic hub dataset (5 hubs with 20 spaces each, 15
organizations, 300 people with an API token and a calendar feed each, a few
thousand bookings over the last 60 and next 30 days with the usage roll-up built
from them), then gunicorn with ``gunicorn.conf.py`` (``HUB_WORKERS`` workers,
``HUB_MAX_REQUESTS=0`` so no worker is recycled and its peak memory is its own)
on 127.0.0.1 and a free port.

The clients (threads, ``http.client``, one connection per request as sync workers
close them) pick a request at random: 80 % views (the availability API for a
week, the HTML availability page of a hub, an iCal feed: personal or hub, sent with
``If-None-Match`` once any client has its ETag, so 200 or 304), 15 % bookings (``POST
/api/v1/bookings``, 201 or 409 expected) and 5 % usage reports (hub usage by
organization/space/kind/day and occupancy, as a hub administrator). A warm-up
runs first and is not counted. Printed per database: throughput, p50/p95/p99
latency overall and per class, errors by kind (5xx, connection errors,
unexpected 4xx and anything else; a 409 on a booking is not an error) and the
peak memory (VmHWM) of each worker, read just before gunicorn is stopped.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bench.common import (
    BACKENDS,
    ROOT,
    app_config,
    machine_summary,
    make_hub,
    percentile,
    postgres_available,
    scratch_database,
    table,
)

HUBS = 5
DESKS, CELLS, ROOMS = 10, 4, 5  # + 1 common area that is not bookable: 20 spaces per hub
ORGS = 15
PEOPLE = 300
DAYS_BACK, DAYS_AHEAD = 60, 30
SEED = 20261124
TIMEZONE = "Europe/Oslo"

# (class, weight in percent); the views add up to 80.
MIX = (
    ("availability API", 35),
    ("availability page", 25),
    ("iCal feed", 20),
    ("booking", 15),
    ("report", 5),
)
REPORT_QUERIES = (
    "usage?group_by=organization",
    "usage?group_by=space",
    "usage?group_by=kind",
    "usage?group_by=day",
    "occupancy",
)


@dataclass
class Person:
    hub_index: int
    token: str


@dataclass
class Dataset:
    hub_slugs: list[str]
    # Per hub: (space_id, kind) of its bookable spaces.
    spaces: list[list[tuple[int, str]]]
    people: list[Person]
    admin_tokens: list[str]  # one hub administrator per hub
    feed_secrets: list[str]
    bookings: int


# --- the data ---------------------------------------------------------------------


def seed(url: str, *, fresh_tokens: bool = False) -> Dataset:
    """Frame through the services, bookings bulk-loaded, the roll-up rebuilt.

    ``fresh_tokens``: leave every token never used, so its first use in the run writes
    ``last_used_at`` (the burst after all tokens were just issued).
    """
    from bench import seed as bulk
    from hub import create_app
    from hub.accounts import service as accounts
    from hub.calendar import tokens as feeds
    from hub.database import begin_write, utcnow
    from hub.extensions import db
    from hub.usage import rollup

    rng = random.Random(SEED)
    app = create_app(app_config(url))
    with app.app_context():
        orgs = [
            accounts.create_organization(
                {"name": f"Etat {n:02d}", "short_name": f"E{n:02d}", "kind": "state_agency"}
            )
            for n in range(ORGS)
        ]
        hubs, hub_spaces = [], []
        for h in range(HUBS):
            hub, made = make_hub(
                {"slug": f"hub-{h}", "name": f"Hub {h}", "municipality": "Lyngdal"},
                DESKS,
                CELLS,
                ROOMS,
            )
            for org in orgs[h::HUBS] + orgs[(h + 1) % HUBS :: HUBS]:
                accounts.create_membership(
                    hub,
                    {"organization_id": org.id, "kind": "partner", "starts_on": date(2024, 1, 1)},
                )
            hubs.append(hub)
            hub_spaces.append(made)
        people, users, secrets = [], [], []
        for n in range(PEOPLE):
            hub_index = n % HUBS
            user = accounts.create_user(
                {
                    "email": f"person{n}@example.org",
                    "name": f"Person {n}",
                    "home_organization_id": orgs[n % ORGS].id,
                    "share_name": rng.random() < 0.5,
                }
            )
            accounts.grant_role(user, hubs[hub_index], "member")
            api_token, secret = accounts.create_api_token(user, "bench")
            people.append(Person(hub_index, secret))
            users.append((user.id, user.home_organization_id, hub_index))
            if n % 2:
                feed, secret = feeds.issue(user, "hub", hub=hubs[hub_index])
            else:
                feed, secret = feeds.issue(user, "personal")
            secrets.append(secret)
            if not fresh_tokens:
                # A system in use: each token was last marked used some time within the
                # window that marks it again (5 minutes for API tokens, a day for feeds).
                now = utcnow()
                api_token.last_used_at = now - rng.random() * accounts.TOKEN_USE_RESOLUTION
                feed.last_used_at = now - rng.random() * feeds.USE_RESOLUTION
        admin_tokens = []
        for h, hub in enumerate(hubs):
            admin = accounts.create_user(
                {
                    "email": f"admin{h}@example.org",
                    "name": f"Admin {h}",
                    "home_organization_id": orgs[h].id,
                }
            )
            accounts.grant_role(admin, hub, "admin")
            admin_tokens.append(accounts.create_api_token(admin, "bench")[1])
        hub_ids = [hub.id for hub in hubs]
        slugs = [hub.slug for hub in hubs]
        db.session.commit()

        columns = (*bulk.COLUMNS, "checked_in_at")
        rows = list(_bookings(rng, hub_ids, hub_spaces, users))
        written = bulk.load_rows(db.engine, columns, rows)
        session = db.session()
        begin_write(session)
        today = datetime.now(ZoneInfo(TIMEZONE)).date()
        for hub_id in hub_ids:
            rollup.rebuild(
                session,
                hub_id,
                today - timedelta(days=DAYS_BACK + 1),
                today + timedelta(days=DAYS_AHEAD + 1),
            )
        session.commit()
        db.session.remove()
        bulk.settle(db.engine)
        db.engine.dispose()
    return Dataset(slugs, hub_spaces, people, admin_tokens, secrets, written)


def _open_days(first: date, last: date) -> Iterator[tuple[date, tuple[datetime, datetime]]]:
    from hub.spaces import opening

    day = first
    while day <= last:
        hours = opening.opening_interval(day, opening.DEFAULT_WEEKLY_HOURS, TIMEZONE)
        if hours is not None:
            yield day, hours
        day += timedelta(days=1)


def _bookings(
    rng: random.Random,
    hub_ids: list[int],
    hub_spaces: list[list[tuple[int, str]]],
    users: list[tuple[int, int, int]],
) -> Iterator[tuple[Any, ...]]:
    """Non-overlapping rows: a desk or cell is taken for the day or half of it now and
    then, a meeting room has 0-2 meetings a day. Past ones are mostly checked in."""
    now = datetime.now(UTC)
    today = now.astimezone(ZoneInfo(TIMEZONE)).date()
    created = now - timedelta(days=DAYS_BACK + 10)
    members = [[(u, o) for u, o, h in users if h == index] for index in range(len(hub_ids))]
    quarter = timedelta(minutes=15)
    for _day, (opens, closes) in _open_days(
        today - timedelta(days=DAYS_BACK), today + timedelta(days=DAYS_AHEAD)
    ):
        for index, hub_id in enumerate(hub_ids):
            for space_id, kind in hub_spaces[index]:
                intervals = []
                if kind == "meeting_room":
                    at = opens + quarter * rng.choice((0, 4, 8))
                    for _ in range(rng.choice((0, 1, 1, 2))):
                        end = at + quarter * rng.choice((2, 4, 6, 8))
                        if end > closes:
                            break
                        intervals.append((at, end))
                        at = end + quarter * rng.choice((0, 4, 8))
                elif rng.random() < 0.35:
                    middle = opens + (closes - opens) / 2
                    intervals.append(
                        rng.choice(((opens, closes), (opens, middle), (middle, closes)))
                    )
                for start, end in intervals:
                    user_id, org_id = rng.choice(members[index])
                    past = end < now
                    roll = rng.random()
                    status = "cancelled" if roll < 0.08 else "confirmed"
                    if past and status == "confirmed" and roll > 0.9:
                        status = "released"
                    checked_in = start + timedelta(minutes=5) if past and roll < 0.75 else None
                    if status != "confirmed":
                        checked_in = None
                    yield (
                        hub_id,
                        space_id,
                        user_id,
                        org_id,
                        start,
                        end,
                        status,
                        "web",
                        0,
                        created,
                        created,
                        checked_in,
                    )


# --- the requests -----------------------------------------------------------------


@dataclass
class Call:
    kind: str
    method: str
    path: str
    token: str | None = None
    body: bytes | None = None
    etag: str | None = None  # sent as If-None-Match


class Picker:
    """Draws requests in the proportions of MIX, from one client's own random stream."""

    def __init__(self, data: Dataset, rng: random.Random, etags: dict[str, str]) -> None:
        self.data = data
        self.rng = rng
        self.etags = etags  # feed path -> last ETag, shared by all clients
        self.kinds = [kind for kind, _ in MIX]
        self.weights = [weight for _, weight in MIX]
        self.today = datetime.now(ZoneInfo(TIMEZONE)).date()
        self.open_days = [
            hours
            for _day, hours in _open_days(
                self.today + timedelta(days=1), self.today + timedelta(days=28)
            )
        ]

    def next(self) -> Call:
        rng, data = self.rng, self.data
        kind = rng.choices(self.kinds, self.weights)[0]
        person = rng.choice(data.people)
        slug = data.hub_slugs[person.hub_index]
        monday = self.today - timedelta(days=self.today.weekday())
        week = (monday + timedelta(weeks=rng.choice((-1, 0, 0, 1, 2)))).isoformat()
        if kind == "availability API":
            return Call(
                kind, "GET", f"/api/v1/hubs/{slug}/availability?date={week}&days=7", person.token
            )
        if kind == "availability page":
            return Call(kind, "GET", f"/hubs/{slug}/availability?view=week&date={week}")
        if kind == "iCal feed":
            # Calendar clients poll with the ETag of their last copy: 304 when unchanged.
            path = f"/feeds/{rng.choice(data.feed_secrets)}.ics"
            return Call(kind, "GET", path, etag=self.etags.get(path))
        if kind == "report":
            h = rng.randrange(len(data.hub_slugs))
            query = rng.choice(REPORT_QUERIES)
            sep = "&" if "?" in query else "?"
            first = (self.today - timedelta(days=DAYS_BACK)).isoformat()
            path = f"/api/v1/hubs/{data.hub_slugs[h]}/{query}{sep}from={first}"
            return Call(kind, "GET", path, data.admin_tokens[h])
        space_id, space_kind = rng.choice(data.spaces[person.hub_index])
        opens, closes = rng.choice(self.open_days)
        if space_kind == "meeting_room":
            quarter = timedelta(minutes=15)
            start = opens + quarter * rng.randrange(0, 28)
            end = min(closes, start + quarter * rng.choice((2, 4, 6, 8)))
        else:
            middle = opens + (closes - opens) / 2
            start, end = rng.choice(((opens, closes), (opens, middle), (middle, closes)))
        zone = ZoneInfo(TIMEZONE)
        body = {
            "space_id": space_id,
            "start": start.astimezone(zone).isoformat(),
            "end": end.astimezone(zone).isoformat(),
        }
        return Call(kind, "POST", "/api/v1/bookings", person.token, json.dumps(body).encode())


@dataclass
class Results:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    statuses: dict[str, Counter[int]] = field(default_factory=dict)
    errors: Counter[str] = field(default_factory=Counter)
    samples: list[str] = field(default_factory=list)
    wall: float = 0.0

    def add(self, kind: str, status: int, elapsed: float, answer: bytes) -> None:
        self.latencies.setdefault(kind, []).append(elapsed)
        self.statuses.setdefault(kind, Counter())[status] += 1
        error = error_kind(kind, status)
        if error is not None:
            self.errors[error] += 1
            if len(self.samples) < 8:
                text = answer[:200].decode(errors="replace").replace("\n", " ")
                self.samples.append(f"{kind} {status}: {text}")


def error_kind(kind: str, status: int) -> str | None:
    """None for an expected answer; 409 is a normal outcome of a booking."""
    if status == 0:
        return "connection error"
    if status >= 500:
        return "5xx"
    if 200 <= status < 300 or status == 304 or (kind == "booking" and status == 409):
        return None
    if 400 <= status < 500:
        return "unexpected 4xx"
    return "other"


def send(port: int, call: Call, timeout: float = 60) -> tuple[int, bytes, str | None]:
    """(status, body, ETag); status 0 when the connection failed or was cut."""
    headers = {"Connection": "close"}
    if call.etag is not None:
        headers["If-None-Match"] = call.etag
    if call.token is not None:
        headers["Authorization"] = f"Bearer {call.token}"
    if call.body is not None:
        headers["Content-Type"] = "application/json"
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(call.method, call.path, body=call.body, headers=headers)
        response = conn.getresponse()
        return response.status, response.read(), response.getheader("ETag")
    except (OSError, http.client.HTTPException) as exc:
        return 0, f"{type(exc).__name__}: {exc}".encode(), None
    finally:
        conn.close()


def run_clients(port: int, data: Dataset, clients: int, seconds: float, seed: int) -> Results:
    """``clients`` threads, each sending one request after the other until the time is up."""
    results = Results()
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    etags: dict[str, str] = {}

    def client(n: int) -> None:
        picker = Picker(data, random.Random(seed * 1000 + n), etags)
        while time.monotonic() < deadline:
            call = picker.next()
            began = time.perf_counter()
            status, answer, etag = send(port, call)
            elapsed = time.perf_counter() - began
            with lock:
                results.add(call.kind, status, elapsed, answer)
                if etag is not None and call.kind == "iCal feed":
                    etags[call.path] = etag

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    results.wall = time.perf_counter() - began
    return results


# --- gunicorn ---------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Gunicorn:
    """``gunicorn -c gunicorn.conf.py 'hub:create_app()'`` configured by HUB_* variables,
    in its own process group (stopped as a whole)."""

    def __init__(self, url: str, workers: int, log: Path) -> None:
        self.port = free_port()
        self.workers = workers
        self.log = log
        env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
        env |= {
            "HUB_DATABASE_URL": url,
            "HUB_SECRET_KEY": "bench-only-secret",
            "HUB_MAIL_CAPTURE": "1",  # booking mail stays in memory
            "HUB_PUBLIC_URL": "http://127.0.0.1",
            "HUB_BIND": f"127.0.0.1:{self.port}",
            "HUB_WORKERS": str(workers),
            "HUB_MAX_REQUESTS": "0",
            "HUB_LOG_LEVEL": "warning",
        }
        binary = Path(sys.executable).parent / "gunicorn"
        self._log = log.open("wb")
        self.process = subprocess.Popen(
            [str(binary), "-c", str(ROOT / "gunicorn.conf.py"), "hub:create_app()"],
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{self.tail()}")
            ready = any(
                send(self.port, Call("", "GET", path), timeout=5)[0] == 200
                for path in ("/healthz", "/api/v1/openapi.json")
            )
            if ready and len(self.worker_pids()) >= self.workers:
                return
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer within {timeout:.0f} s:\n{self.tail()}")

    def worker_pids(self) -> list[int]:
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                with contextlib.suppress(OSError):
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                    if int(fields[1]) == self.process.pid:
                        found.append(int(entry.name))
        return sorted(found)

    def cpu_seconds(self) -> float:
        """User + system CPU time of the workers so far (the master does no request work)."""
        ticks = 0
        for pid in self.worker_pids():
            with contextlib.suppress(OSError):
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                ticks += int(fields[11]) + int(fields[12])
        return ticks / os.sysconf("SC_CLK_TCK")

    def peak_memory_kib(self) -> dict[int, int]:
        """VmHWM (peak resident set) of each worker, in KiB."""
        peaks = {}
        for pid in self.worker_pids():
            with contextlib.suppress(OSError):
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        peaks[pid] = int(line.split()[1])
        return peaks

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)  # any worker left behind
        self._log.close()

    def tail(self, lines: int = 40, *, skip_access: bool = False) -> str:
        if not self._log.closed:
            self._log.flush()
        text = self.log.read_text(errors="replace").splitlines()
        if skip_access:
            text = [line for line in text if not line.startswith("127.0.0.1 - ")]
        return "\n".join(text[-lines:])


# --- one backend ------------------------------------------------------------------


@dataclass
class Run:
    backend: str
    data: Dataset
    results: Results
    memory_kib: dict[int, int]
    seed_seconds: float
    load_before: str
    load_after: str
    worker_cpu_seconds: float  # CPU time the workers used during the measured run


def bench_backend(backend: str, args: argparse.Namespace) -> Run:
    with scratch_database(backend, "hub_bench_load") as scratch:
        began = time.perf_counter()
        data = seed(scratch.url, fresh_tokens=args.fresh_tokens)
        seeded = time.perf_counter() - began
        print(
            f"  seeded in {seeded:.0f} s: {len(data.hub_slugs)} hubs, "
            f"{sum(len(s) for s in data.spaces)} bookable spaces, {len(data.people)} people, "
            f"{data.bookings:,} bookings"
        )
        sys.stdout.flush()
        with tempfile.TemporaryDirectory(prefix="hub_bench_load_") as folder:
            server = Gunicorn(scratch.url, args.workers, Path(folder) / "gunicorn.log")
            try:
                server.wait_ready()
                if args.warmup > 0:
                    run_clients(server.port, data, args.clients, args.warmup, seed=1)
                load_before, cpu_before = _loadavg(), server.cpu_seconds()
                results = run_clients(server.port, data, args.clients, args.duration, seed=2)
                load_after, cpu = _loadavg(), server.cpu_seconds() - cpu_before
                memory = server.peak_memory_kib()
                if results.errors:
                    print("  gunicorn log, last lines other than the access log:")
                    print(server.tail(10, skip_access=True))
            finally:
                server.stop()
    return Run(backend, data, results, memory, seeded, load_before, load_after, cpu)


def _loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def report(runs: list[Run], args: argparse.Namespace) -> str:
    rows = []
    for run in runs:
        res = run.results
        everything = [x for values in res.latencies.values() for x in values]
        rows.append(_row(run.backend, "all", everything, res.wall, res, None))
        for kind, _weight in MIX:
            rows.append(_row("", kind, res.latencies.get(kind, []), res.wall, res, kind))
    lines = [
        f"Load: {args.clients} clients for {args.duration:.0f} s (after {args.warmup:.0f} s "
        f"warm-up), gunicorn {args.workers} sync workers, one connection per request",
        "",
        table(
            [
                "database",
                "class",
                "requests",
                "req/s",
                "p50 ms",
                "p95 ms",
                "p99 ms",
                "outcomes",
            ],
            rows,
        ),
        "",
    ]
    for run in runs:
        res = run.results
        errors = ", ".join(f"{kind} {n}" for kind, n in sorted(res.errors.items())) or "none"
        peaks = sorted(run.memory_kib.values())
        memory = ", ".join(f"{kib / 1024:.0f}" for kib in peaks) or "?"
        requests = sum(len(v) for v in res.latencies.values())
        cpu_ms = run.worker_cpu_seconds * 1000 / requests if requests else 0.0
        lines.append(
            f"{run.backend}: errors: {errors}; peak memory per worker (VmHWM, MiB): {memory}; "
            f"worker CPU {run.worker_cpu_seconds:.1f} s = {cpu_ms:.0f} ms per request; "
            f"load average {run.load_before} before, {run.load_after} after the measured run"
        )
        lines.extend(f"  {sample}" for sample in res.samples)
    return "\n".join(lines)


def _row(
    backend: str, kind: str, latencies: list[float], wall: float, res: Results, only: str | None
) -> list[Any]:
    statuses: Counter[int] = Counter()
    for name, counted in res.statuses.items():
        if only is None or name == only:
            statuses.update(counted)
    outcomes = " ".join(f"{status or 'conn'}:{n}" for status, n in sorted(statuses.items()))
    if not latencies:
        return [backend, kind, 0, None, None, None, None, outcomes]
    ms = [x * 1000 for x in latencies]
    return [
        backend,
        kind,
        len(latencies),
        len(latencies) / wall,
        percentile(ms, 0.50),
        percentile(ms, 0.95),
        percentile(ms, 0.99),
        outcomes,
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.load", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--duration", type=float, default=60.0, help="measured seconds per database"
    )
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds of load not counted")
    parser.add_argument("--clients", type=int, default=50, help="concurrent client threads")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--backend", choices=(*BACKENDS, "both"), default="both")
    parser.add_argument(
        "--fresh-tokens",
        action="store_true",
        help="tokens never used before the run (each first use writes last_used_at)",
    )
    args = parser.parse_args(argv)
    if args.duration <= 0 or args.clients < 1 or args.workers < 1 or args.warmup < 0:
        parser.error("--duration, --clients and --workers take positive numbers")
    backends = list(BACKENDS) if args.backend == "both" else [args.backend]
    skipped = []
    if "postgresql" in backends and (reason := postgres_available()):
        backends.remove("postgresql")
        skipped.append(f"postgresql skipped: {reason}")

    print("Hub load benchmark")
    for line in machine_summary() + skipped:
        print("  " + line)
    runs = []
    for backend in backends:
        print(f"\n[load] {backend}: seeding, starting gunicorn, {args.duration:.0f} s of load ...")
        sys.stdout.flush()
        runs.append(bench_backend(backend, args))
    print()
    print(report(runs, args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
