"""Real gunicorn for the fault tests: start it on a free loopback port, find its workers, stop it.

gunicorn runs with the project's own ``gunicorn.conf.py`` and ``hub:create_app()``,
configured only through the environment (HUB_BIND, HUB_WORKERS, HUB_DATABASE_URL...),
exactly as the systemd unit runs it. It is started in a new session, so stopping
kills the whole process group: the master and every worker, even respawned ones.

Also here: a tiny HTTP client that tells answers from cut connections, and the
booking checks the fault tests share (every 201 is in the database, no overlaps).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import random
import re
import signal
import socket
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from hub.booking.models import ACTIVE_STATUS_SQL

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "gunicorn.conf.py"
APP = "hub:create_app()"
# /healthz once it exists; the OpenAPI document answers 200 on any version of the app.
READY_PATHS = ("/healthz", "/api/v1/openapi.json")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def gunicorn_binary() -> str:
    import shutil
    import sys

    candidate = Path(sys.executable).parent / "gunicorn"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("gunicorn")
    if found is None:
        raise RuntimeError("gunicorn is not installed in this environment")
    return found


def app_environment(database_url: str, **extra: str) -> dict[str, str]:
    """The process environment without anyone's HUB_* settings, plus the ones for this run."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update(
        {
            "HUB_DATABASE_URL": database_url,
            "HUB_SECRET_KEY": "fault-test-secret",
            "HUB_MAIL_CAPTURE": "1",  # booking mail stays in memory
            "HUB_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
            "HUB_PUBLIC_URL": "http://127.0.0.1",
            "HUB_BABEL_DEFAULT_LOCALE": "en",
            "HUB_LOG_LEVEL": "warning",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    env.update(extra)
    return env


class Gunicorn:
    """One gunicorn master with its workers, serving the app on 127.0.0.1:<free port>."""

    def __init__(self, database_url: str, log_path: Path, *, workers: int = 3, **env: str) -> None:
        self.port = free_port()
        self.workers = workers
        self.log_path = log_path
        self.env = app_environment(
            database_url,
            HUB_BIND=f"127.0.0.1:{self.port}",
            HUB_WORKERS=str(workers),
            HUB_MAX_REQUESTS="0",  # never recycle: every worker change is one we caused
            HUB_ACCESS_LOG="-",
            **env,
        )
        self.process: subprocess.Popen[bytes] | None = None
        self._log: Any = None

    def start(self, timeout: float = 60.0) -> None:
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [gunicorn_binary(), "-c", str(CONFIG), APP],
            cwd=ROOT,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, killed as a whole in stop()
        )
        self.wait_ready(timeout)

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def wait_ready(self, timeout: float = 60.0, *, all_workers: bool = True) -> None:
        """Until the app answers (and, by default, every worker is up), or RuntimeError."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError(f"gunicorn exited:\n{self.tail()}")
            if self.answers() and (not all_workers or len(self.worker_pids()) >= self.workers):
                return
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not answer within {timeout:.0f} s:\n{self.tail()}")

    def answers(self) -> bool:
        for path in READY_PATHS:
            status, _body = request(self.port, "GET", path, timeout=5)
            if status == 200:
                return True
        return False

    def worker_pids(self) -> list[int]:
        """The master's children, from /proc (Linux)."""
        return children(self.pid)

    def stop(self) -> None:
        """SIGTERM to the whole group, SIGKILL after a few seconds; always reaps the master."""
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=10)
            # Whatever is left of the group (a worker stuck in a request), and the master.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=10)
        if self._log is not None:
            self._log.close()

    def tail(self, lines: int = 60) -> str:
        if self._log is not None and not self._log.closed:
            self._log.flush()
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def error_summary(self, limit: int = 60) -> str:
        """The gunicorn errors in short: "[ERROR]" lines, exception lines and our own frames."""
        if self._log is not None and not self._log.closed:
            self._log.flush()
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        pattern = re.compile(r"\[ERROR\]|^[\w.]+(Error|Exception|Shutdown)\b|File \"[^\"]*/hub/")
        lines = [line.strip() for line in text.splitlines() if pattern.search(line)]
        return "\n".join(lines[:limit])

    def log_lines(self, needle: str) -> list[str]:
        if self._log is not None and not self._log.closed:
            self._log.flush()
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return [line for line in text.splitlines() if needle in line]


@contextlib.contextmanager
def running_gunicorn(
    database_url: str, log_path: Path, *, workers: int = 3, **env: str
) -> Iterator[Gunicorn]:
    server = Gunicorn(database_url, log_path, workers=workers, **env)
    try:
        server.start()
        yield server
    finally:
        server.stop()


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid ...; comm may hold spaces, so split after the last ')'.
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(entry.name))
    return sorted(found)


# --- the client ---------------------------------------------------------------------


# What a request cut off by a killed worker or a dropped connection looks like.
CONNECTION_ERROR = 0


def request(
    port: int,
    method: str,
    path: str,
    *,
    body: Mapping[str, Any] | None = None,
    token: str | None = None,
    timeout: float = 30.0,
) -> tuple[int, Any]:
    """(status, parsed JSON or text); status CONNECTION_ERROR (0) with the error's text
    when the connection failed or was cut before a complete answer."""
    headers = {"Connection": "close"}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=data, headers=headers)
        response = conn.getresponse()
        raw = response.read()
        status = response.status
    except (OSError, http.client.HTTPException) as exc:
        return CONNECTION_ERROR, f"{type(exc).__name__}: {exc}"
    finally:
        conn.close()
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode(errors="replace")


# --- what must hold after the faults ------------------------------------------------


@dataclass
class Outcome:
    """What the clients saw: the booking ids they got a 201 for, and every status."""

    created: list[int]
    statuses: dict[int, int]
    samples: dict[int, list[str]]

    def count(self, status: int) -> int:
        return self.statuses.get(status, 0)


def missing_bookings(conn: sa.Connection, ids: list[int]) -> list[int]:
    """Of the 201'd ids, those not in the database as an active booking."""
    if not ids:
        return []
    active = set(
        conn.execute(sa.text(f"SELECT id FROM bookings WHERE {ACTIVE_STATUS_SQL}")).scalars()
    )
    return sorted(set(ids) - active)


def overlapping_pairs(conn: sa.Connection) -> list[tuple[int, int]]:
    """Pairs of active bookings of one space whose intervals overlap, by SQL."""
    rows = conn.execute(
        sa.text(
            "SELECT a.id, b.id FROM bookings a JOIN bookings b"
            " ON a.space_id = b.space_id AND a.id < b.id"
            " AND a.starts_at < b.ends_at AND b.starts_at < a.ends_at"
            f" WHERE a.{ACTIVE_STATUS_SQL} AND b.{ACTIVE_STATUS_SQL}"
        )
    )
    return [(int(a), int(b)) for a, b in rows]


# --- the booking load ---------------------------------------------------------------


def overlapping_bodies(hub: Any, space_ids: list[int], days: int) -> list[dict[str, Any]]:
    """Booking bodies for ``days`` open days from the day after tomorrow: every half hour
    of the opening hours, 30, 60 or 90 minutes long, so most of them clash with others.

    Needs an app context (reads the hub's opening hours).
    """
    from datetime import UTC, datetime, timedelta
    from zoneinfo import ZoneInfo

    from hub.spaces import opening
    from hub.spaces import service as spaces

    today = datetime.now(ZoneInfo(hub.timezone)).date()
    weekly, closed = spaces.weekly_hours(hub), spaces.closed_days(hub)
    bodies = []
    found = 0
    for n in range(2, 60):
        hours = opening.opening_interval(today + timedelta(days=n), weekly, hub.timezone, closed)
        if hours is None:
            continue
        found += 1
        opens, closes = hours
        start = opens
        while start < closes:
            for minutes in (30, 60, 90):
                end = start + timedelta(minutes=minutes)
                if end <= closes:
                    for space_id in space_ids:
                        bodies.append(
                            {
                                "space_id": space_id,
                                "start": start.astimezone(UTC).isoformat(),
                                "end": end.astimezone(UTC).isoformat(),
                            }
                        )
            start += timedelta(minutes=30)
        if found == days:
            return bodies
    raise AssertionError(f"fewer than {days} open days in the next 60")


class BookingLoad:
    """Client threads that POST random bookings from ``bodies`` until stopped.

    Each answer is recorded with the moments the request was sent and answered
    (monotonic seconds), so a test can see what happened before, during and after a
    fault.
    """

    def __init__(
        self, port: int, tokens: list[str], bodies: list[dict[str, Any]], clients: int
    ) -> None:
        self.port = port
        self.tokens = tokens
        self.bodies = bodies
        self.clients = clients
        self.events: list[tuple[float, float, int, Any]] = []  # (sent, answered, status, answer)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        for n in range(self.clients):
            thread = threading.Thread(target=self._client, args=(n,), name=f"booking-client-{n}")
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)

    def _client(self, n: int) -> None:
        rng = random.Random(n)
        while not self._stop.is_set():
            sent = time.monotonic()
            status, answer = request(
                self.port,
                "POST",
                "/api/v1/bookings",
                body=rng.choice(self.bodies),
                token=rng.choice(self.tokens),
            )
            with self._lock:
                self.events.append((sent, time.monotonic(), status, answer))

    def wait_for(self, status: int, count: int, timeout: float = 60.0) -> None:
        """Until ``count`` answers with ``status`` came (the load is flowing), or fail."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                seen = sum(1 for event in self.events if event[2] == status)
            if seen >= count:
                return
            time.sleep(0.05)
        raise AssertionError(f"fewer than {count} answers {status} in {timeout:.0f} s")

    def outcome(self) -> Outcome:
        with self._lock:
            events = list(self.events)
        statuses: Counter[int] = Counter(event[2] for event in events)
        samples: dict[int, list[str]] = {}
        for _sent, _answered, status, answer in events:
            if status not in (201, 409) and len(samples.setdefault(status, [])) < 5:
                samples[status].append(str(answer)[:400])
        created = [answer["id"] for _sent, _answered, status, answer in events if status == 201]
        return Outcome(created=created, statuses=dict(statuses), samples=samples)
