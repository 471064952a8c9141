"""The scheduler process (`flask hub scheduler`) and `flask hub run-job`."""

from __future__ import annotations

import logging
import os
import queue
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
import time_machine
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger

from hub import create_app, jobs
from hub.booking import service
from hub.booking.models import BookingStatus
from hub.extensions import db
from hub.mail import sent_mail
from hub.ops import scheduler_lock
from hub.ops.models import SchedulerLock

START = datetime(2030, 1, 7, 7, tzinfo=UTC)
BEFORE = datetime(2030, 1, 6, 12, tzinfo=UTC)
REPO = Path(__file__).resolve().parent.parent


def run(app, *args):
    return app.test_cli_runner().invoke(args=["hub", *args])


def test_build_scheduler_registers_every_job_in_utc_without_starting(app):
    scheduler = jobs.build_scheduler(app)

    assert isinstance(scheduler, BlockingScheduler) and not scheduler.running
    assert scheduler.timezone.utcoffset(datetime(2030, 7, 1)) == timedelta(0)
    scheduled = {job.id: job for job in scheduler.get_jobs()}
    assert (
        list(scheduled)
        == list(jobs.JOBS)
        == [
            "release_no_shows",
            "anonymize_usage",
            "issue_statements",
            "send_statements",
            "sync_external_calendars",
            "send_mail",
            "backup_database",
            "forget_login_attempts",
        ]
    )
    job = scheduled["release_no_shows"]
    assert job.func is jobs.run_job and job.args == (app, "release_no_shows")
    assert isinstance(job.trigger, IntervalTrigger)
    assert job.trigger.interval == timedelta(minutes=5)
    assert job.max_instances == 1 and job.coalesce is True


def test_scheduler_list_shows_the_jobs(app):
    result = run(app, "scheduler", "--list")
    assert result.exit_code == 0, result.output
    assert "release_no_shows: interval[0:05:00]" in result.output


def test_scheduler_refuses_a_database_that_is_not_migrated(tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}",
            "MAIL_CAPTURE": True,
        }
    )
    try:
        result = run(app, "scheduler")
    finally:
        with app.app_context():
            db.engine.dispose()
    assert result.exit_code == 1
    assert "flask db upgrade" in result.output


def test_scheduler_rejects_unknown_options(app):
    result = run(app, "scheduler", "--now")
    assert result.exit_code == 2 and "No such option" in result.output


def test_run_job_runs_once_prints_the_result_and_is_idempotent(
    app, make_hub, make_space, make_user, caplog, monkeypatch
):
    # Alembic's fileConfig (the migrations at session start) disables existing loggers.
    monkeypatch.setattr(logging.getLogger("hub.jobs"), "disabled", False)
    hub = make_hub(checkin_grace_minutes=15)
    booking = service.create_booking(
        make_user(email="kari@example.no"),
        make_space(hub),
        START,
        START + timedelta(hours=8),
        now=BEFORE,
    )
    db.session.commit()

    with (
        time_machine.travel(START + timedelta(minutes=20), tick=False),
        caplog.at_level(logging.INFO, logger="hub.jobs"),
    ):
        first = run(app, "run-job", "release_no_shows")
        second = run(app, "run-job", "release_no_shows")

    assert first.exit_code == 0 and first.output == "release_no_shows: 1\n"
    assert second.exit_code == 0 and second.output == "release_no_shows: 0\n"
    db.session.expire_all()
    assert booking.status == BookingStatus.RELEASED
    assert [m["To"] for m in sent_mail()] == ["kari@example.no"]
    assert "job release_no_shows started" in caplog.text
    assert "job release_no_shows done: 1" in caplog.text


def test_run_job_with_an_unknown_id_lists_the_known_ones(app):
    result = run(app, "run-job", "nope")
    assert result.exit_code == 1
    assert "Unknown job 'nope'" in result.output and "release_no_shows" in result.output


def test_a_failing_job_rolls_back_and_exits_1(app, make_hub, monkeypatch):
    from hub.spaces.models import Hub

    hub = make_hub(name="Før")

    def broken() -> int:
        db.session.get(Hub, hub.id).name = "Etter"
        db.session.flush()
        raise RuntimeError("disk full")

    monkeypatch.setitem(jobs.JOBS, "broken", (broken, {"trigger": "interval", "minutes": 1}))
    result = run(app, "run-job", "broken")

    assert result.exit_code == 1 and "disk full" in result.output
    db.session.expire_all()
    assert db.session.get(Hub, hub.id).name == "Før"


class SchedulerProcess:
    """`flask hub scheduler` in a subprocess, its output read by a thread."""

    def __init__(self, database_url: str, **env_vars: str) -> None:
        # A missed nightly backup is caught up a minute after the start: never into the repo.
        self.backups = tempfile.TemporaryDirectory()
        env = {
            **os.environ,
            "HUB_BACKUP_DIR": self.backups.name,
            "HUB_DATABASE_URL": database_url,
            "HUB_SECRET_KEY": "test",
            "HUB_MAIL_CAPTURE": "1",
            **env_vars,
        }
        self.process = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "hub", "hub", "scheduler"],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert self.process.stdout is not None
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        stdout = self.process.stdout
        self.reader = threading.Thread(target=lambda: [self.lines.put(x) for x in stdout])
        self.reader.daemon = True
        self.reader.start()

    @property
    def holder(self) -> str:
        return f"{socket.gethostname()}:{self.process.pid}"

    def wait_for(self, text: str, timeout: float = 30) -> None:
        while not any(text in line for line in self.seen):
            self.seen.append(self.lines.get(timeout=timeout))

    def output(self) -> str:
        self.reader.join(timeout=5)
        while not self.lines.empty():
            self.seen.append(self.lines.get())
        return "".join(self.seen)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.reader.join(timeout=5)
        assert self.process.stdout is not None
        self.process.stdout.close()
        self.backups.cleanup()


@pytest.fixture
def start_scheduler(app, database_url):
    """Starts scheduler processes; kills any still running at the end of the test.

    Asks for ``app`` so the lock row they leave is cleared with the other tables.
    """
    started: list[SchedulerProcess] = []

    def start(**env_vars: str) -> SchedulerProcess:
        started.append(SchedulerProcess(database_url, **env_vars))
        return started[-1]

    yield start
    for process in started:
        process.close()


def lock_is_free() -> bool:
    """Whether a scheduler could start now (the test process takes the lock and gives it back)."""
    db.session.commit()
    try:
        lock = scheduler_lock.acquire(db.engine, timedelta(seconds=90), holder="test:0")
    except scheduler_lock.LockHeld:
        return False
    lock.release()
    return True


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_scheduler_process_starts_logs_refuses_a_second_and_stops_cleanly(start_scheduler, signum):
    first = start_scheduler()
    first.wait_for("scheduler started")
    assert not lock_is_free()

    if signum == signal.SIGTERM:  # one second process is enough (they cost seconds)
        second = start_scheduler()
        assert second.process.wait(timeout=30) == 1
        refusal = second.output()
        assert "Another scheduler is already running for this database" in refusal
        assert f"{first.holder} (last heartbeat" in refusal
        assert "Traceback" not in refusal

    first.process.send_signal(signum)
    returncode = first.process.wait(timeout=30)
    output = first.output()
    assert returncode == 0, output
    assert "release_no_shows" in output
    assert "scheduler stopped" in output
    assert "Traceback" not in output
    assert lock_is_free()  # released on a clean stop: the next one starts at once


def test_postgresql_frees_the_lock_of_a_killed_scheduler(
    start_scheduler, backend, caplog, monkeypatch
):
    if backend != "postgresql":
        pytest.skip("on SQLite a killed scheduler's lock is taken over once its heartbeat is stale")
    first = start_scheduler()
    first.wait_for("scheduler started")
    first.process.kill()  # kill -9: no clean stop
    first.process.wait(timeout=30)

    monkeypatch.setattr(logging.getLogger("hub.scheduler"), "disabled", False)  # see run-job
    with caplog.at_level(logging.WARNING, logger="hub.scheduler"):
        assert lock_is_free()
    assert f"took over the scheduler lock from {first.holder}" in caplog.text


def test_a_scheduler_that_loses_its_lock_stops_with_status_1(start_scheduler, backend):
    if backend != "sqlite":
        pytest.skip("on PostgreSQL only a broken lock connection loses the lock")
    scheduler = start_scheduler(HUB_SCHEDULER_HEARTBEAT_SECONDS="1")
    scheduler.wait_for("scheduler started")
    # What a takeover after a long stall looks like to the old holder.
    db.session.execute(sa.update(SchedulerLock).values(holder="thief:9"))
    db.session.commit()

    assert scheduler.process.wait(timeout=30) == 1
    output = scheduler.output()
    assert "was taken over by another process; stopping this scheduler" in output
    assert "Stopped: this scheduler lost its lock" in output
    assert "Traceback" not in output
    db.session.commit()
    assert db.session.get(SchedulerLock, scheduler_lock.LOCK_NAME).holder == "thief:9"


@pytest.mark.parametrize(
    ("newest", "caught_up"),
    [(None, True), (timedelta(hours=26), True), (timedelta(hours=20), False)],
    ids=["no-backup-yet", "missed-a-night", "fresh"],
)
def test_a_missed_nightly_backup_is_made_soon_after_the_start(
    app, tmp_path, monkeypatch, newest, caught_up
):
    """The job store is in memory: a night the scheduler was down would leave no backup."""
    monkeypatch.setitem(app.config, "BACKUP_DIR", str(tmp_path))
    now = datetime(2030, 1, 7, 7, 0, tzinfo=UTC)
    if newest is not None:
        (tmp_path / f"hub-{now - newest:%Y%m%dT%H%M%SZ}.sqlite3").write_bytes(b"x")
    scheduler = jobs.build_scheduler(app)

    assert jobs.catch_up(scheduler, app, now) == (["backup_database_catch_up"] if caught_up else [])
    job = scheduler.get_job("backup_database_catch_up")
    if caught_up:
        assert job.args == (app, "backup_database")
        assert job.trigger.run_date == now + timedelta(minutes=1)
    else:
        assert job is None
