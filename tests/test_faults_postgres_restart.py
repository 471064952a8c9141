"""PostgreSQL restarted in the middle of a booking load: the app recovers on its own.

Not the machine's shared PostgreSQL (other tests use it): a private throwaway
cluster (``initdb`` + ``pg_ctl``, run as the ``postgres`` OS user when we are root)
on a free loopback port, with the schema from the real migrations. Real gunicorn
serves it; client threads POST bookings (most of them clashing) while the test
stops PostgreSQL (``-m fast``), waits, and starts it again.

What must hold: requests succeed again within a few seconds of PostgreSQL being
back, without restarting gunicorn or any worker (``pool_pre_ping`` replaces the
dead pooled connections); while it is down the answers are 503 or cut
connections, never 500; every 201'd booking is in the database, and no two
active bookings of a space overlap.

Without ``initdb`` this skips with the reason, except under CI=true, where it fails.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from flask_migrate import upgrade
from gunicorn_support import (
    CONNECTION_ERROR,
    BookingLoad,
    free_port,
    missing_bookings,
    overlapping_bodies,
    overlapping_pairs,
    request,
    running_gunicorn,
)

from hub import create_app
from hub.accounts import service as accounts
from hub.extensions import db
from hub.spaces import service as spaces

pytestmark = pytest.mark.faults

WORKERS = 3
CLIENTS = 6
PEOPLE = 8
OUTAGE_SECONDS = 1.5
RECOVERY_SECONDS = 5.0  # the first 201 after PostgreSQL is back comes within this
AFTER_SECONDS = 6.0  # how long the load keeps going once PostgreSQL is back


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def _skip_or_fail(reason: str) -> None:
    if _in_ci():
        pytest.fail(f"{reason} (CI=true makes this a failure)")
    pytest.skip(reason)


def postgres_bindir() -> Path | None:
    """Where initdb and pg_ctl are: on PATH, else the newest /usr/lib/postgresql/<v>/bin."""
    found = shutil.which("initdb")
    candidates = [Path(found).parent] if found else []
    versions = glob.glob("/usr/lib/postgresql/*/bin")
    candidates += sorted(
        (Path(p) for p in versions),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
        reverse=True,
    )
    for folder in candidates:
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return folder
    return None


class PrivateCluster:
    """A throwaway PostgreSQL cluster in a temporary directory, on 127.0.0.1:<free port>.

    PostgreSQL refuses to run as root, so as root every command runs as the
    ``postgres`` OS user (``runuser``), and the directory belongs to that user.
    """

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="hub-faults-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "postgres.log"
        self.as_root = os.geteuid() == 0
        if self.as_root:
            owner = pwd.getpwnam("postgres")
            os.chown(self.root, owner.pw_uid, owner.pw_gid)

    def _run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        command = [str(self.bindir / args[0]), *args[1:]]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, cwd=self.root
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}{done.stderr}\n"
                f"server log:\n{self.log_tail()}"
            )
        return done

    def init(self) -> None:
        self._run(
            "initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
            "--no-sync", "--no-instructions",
        )  # fmt: skip

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} "
            "-c fsync=off -c full_page_writes=off -c shared_buffers=16MB -c max_connections=40"
        )
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60",
                  "-o", options, "start")  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def destroy(self) -> None:
        """Stop it however it is, then remove the directory; never raises."""
        pid_file = self.data / "postmaster.pid"
        if pid_file.exists():
            with contextlib.suppress(RuntimeError, subprocess.SubprocessError, OSError):
                self.stop("immediate")
        if pid_file.exists():
            with contextlib.suppress(OSError, ValueError):
                os.kill(int(pid_file.read_text().split()[0]), signal.SIGKILL)
                time.sleep(0.5)
        shutil.rmtree(self.root, ignore_errors=True)

    def log_tail(self, lines: int = 30) -> str:
        if not self.log.exists():
            return ""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


@pytest.fixture
def private_postgres() -> Iterator[PrivateCluster]:
    bindir = postgres_bindir()
    if bindir is None:
        _skip_or_fail("initdb/pg_ctl not found (on PATH or in /usr/lib/postgresql/*/bin)")
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            _skip_or_fail("running as root and there is no 'postgres' OS user to run initdb as")
    cluster = PrivateCluster(bindir)  # type: ignore[arg-type]
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        cluster.destroy()


def _app_config(url: str) -> dict[str, object]:
    return {
        "TESTING": True,
        "DATABASE_URL": url,
        "SECRET_KEY": "test-secret",
        "MAIL_CAPTURE": True,
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    }


def _seed(url: str) -> tuple[list[str], list[dict[str, object]]]:
    """The schema from the real migrations, then a hub with four rooms and some people."""
    app = create_app(_app_config(url))
    with app.app_context():
        upgrade()
        hub = spaces.create_hub(
            {
                "slug": "restart-test",
                "name": "Restart test",
                "municipality": "Lyngdal",
                "max_future_bookings": 100_000,
            }
        )
        rooms = [
            spaces.create_space(
                hub, {"name": f"Møterom {n}", "kind": "meeting_room", "capacity": 6}
            )
            for n in range(4)
        ]
        org = accounts.create_organization({"name": "Etat", "kind": "state_agency"})
        tokens = []
        for n in range(PEOPLE):
            user = accounts.create_user(
                {"email": f"p{n}@example.no", "name": f"P {n}", "home_organization_id": org.id}
            )
            tokens.append(accounts.create_api_token(user, "faults")[1])
        db.session.commit()
        bodies = overlapping_bodies(hub, [r.id for r in rooms], days=10)
        db.session.remove()
        db.engine.dispose()
    return tokens, bodies


def test_postgres_restart_during_booking_load(private_postgres: PrivateCluster, tmp_path: Path):
    cluster = private_postgres
    with psycopg.connect(cluster.url(), autocommit=True, connect_timeout=10) as admin:
        admin.execute('CREATE DATABASE "hub"')
    url = cluster.url("hub")
    tokens, bodies = _seed(url)

    with running_gunicorn(url, tmp_path / "gunicorn.log", workers=WORKERS) as server:
        master, workers_before = server.pid, server.worker_pids()
        load = BookingLoad(server.port, tokens, bodies, CLIENTS)
        load.start()
        try:
            load.wait_for(201, 3)
            went_down = time.monotonic()
            cluster.stop("fast")
            time.sleep(OUTAGE_SECONDS)
            cluster.start()
            came_back = time.monotonic()
            time.sleep(AFTER_SECONDS)
        finally:
            load.stop()
        after, _answer = request(server.port, "GET", "/api/v1/openapi.json")
        same_master = server.alive() and server.pid == master
        workers_after = server.worker_pids()
        log_errors = server.error_summary()

    outcome = load.outcome()
    events = sorted(load.events, key=lambda event: event[1])  # (sent, answered, status, _)
    before = [s for _sent, at, s, _a in events if at < went_down]
    during = [s for _sent, at, s, _a in events if went_down <= at < came_back]
    recovered_at = next(
        (at for _s, at, s, _a in events if at >= came_back and s in (201, 409)), None
    )
    # Once PostgreSQL accepts connections again, every request sent from then on succeeds.
    sent_after = [s for sent, _at, s, _a in events if sent >= came_back]
    statuses = [s for _sent, _at, s, _a in events]
    summary = (
        f"{len(events)} requests; statuses {_counts(statuses)} (0 = connection cut); "
        f"answered before the stop {_counts(before)}, while down {_counts(during)}; "
        f"first success {_seconds(recovered_at, came_back)} after PostgreSQL was back; "
        f"sent after it was back {_counts(sent_after)}; samples {outcome.samples}"
    )
    print(summary)

    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.connect() as conn:
            missing = missing_bookings(conn, outcome.created)
            overlaps = overlapping_pairs(conn)
    finally:
        engine.dispose()

    # Nothing lost or doubled, and the app came back by itself...
    assert 201 in before, f"{summary}\n{log_errors}"
    assert not missing, f"201'd bookings not in the database: {missing}; {summary}"
    assert not overlaps, f"overlapping active bookings: {overlaps}"
    assert recovered_at is not None and recovered_at - came_back < RECOVERY_SECONDS, summary
    assert len(sent_after) >= 3 and set(sent_after) <= {201, 409}, summary
    assert same_master and workers_after == workers_before, (workers_before, workers_after)
    assert after == 200
    # ...and while the database was away, clients were told to retry (503), never 500.
    assert 500 not in outcome.statuses, f"{summary}\n{log_errors}"
    unexpected = set(outcome.statuses) - {201, 409, 503, CONNECTION_ERROR}
    assert not unexpected, f"{summary}\n{log_errors}"


def _counts(statuses: list[int]) -> dict[int, int]:
    counted: dict[int, int] = {}
    for status in statuses:
        counted[status] = counted.get(status, 0) + 1
    return dict(sorted(counted.items()))


def _seconds(at: float | None, since: float) -> str:
    return "never" if at is None else f"{at - since:.2f} s"
