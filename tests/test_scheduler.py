"""The scheduler process (`flask hub scheduler`) and `flask hub run-job`."""

from __future__ import annotations

import logging
import os
import queue
import signal
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger

from hub import create_app, jobs
from hub.booking import service
from hub.booking.models import BookingStatus
from hub.extensions import db
from hub.mail import sent_mail

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


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_scheduler_process_starts_logs_and_stops_cleanly(database_url, signum):
    env = {
        **os.environ,
        "HUB_DATABASE_URL": database_url,
        "HUB_SECRET_KEY": "test",
        "HUB_MAIL_CAPTURE": "1",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "hub", "hub", "scheduler"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(x) for x in process.stdout], daemon=True)
    reader.start()
    seen: list[str] = []
    try:
        while not any("scheduler started" in line for line in seen):
            seen.append(lines.get(timeout=30))
        process.send_signal(signum)
        returncode = process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        reader.join(timeout=5)
        process.stdout.close()
    while not lines.empty():
        seen.append(lines.get())
    output = "".join(seen)
    assert returncode == 0, output
    assert "release_no_shows" in output
    assert "scheduler stopped" in output
    assert "Traceback" not in output
