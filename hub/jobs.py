"""Scheduled jobs: thin wrappers that call domain services inside an app context.

They run only in the one scheduler process (`flask hub scheduler`, built by
``build_scheduler``), never in web workers: ``create_app`` does not start a
scheduler. Every job has an explicit id, is registered with
``replace_existing=True`` and is safe to run twice. ``flask hub run-job ID``
runs one job once. See docs/scheduler.md.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MISSED, JobEvent
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from hub.extensions import db

log = logging.getLogger(__name__)


def release_no_shows() -> int:
    """Free places nobody checked in to, and tell the people who booked them."""
    from hub.booking import notify, service

    released = service.release_no_shows()
    for booking in released:
        notify.booking_released(booking)  # sent when the release commits
    db.session.commit()
    return len(released)


def anonymize_usage() -> int:
    """Clear personal details in usage older than each hub's retention period."""
    from hub.usage import retention

    anonymized = retention.anonymize_expired()
    db.session.commit()
    return anonymized


def issue_statements() -> int:
    """Issue the due period's statements of hubs that issue automatically."""
    from hub.finance import delivery

    issued = delivery.issue_due()
    db.session.commit()
    return len(issued)


def send_statements() -> int:
    """Email issued statements to partner contacts; retry the ones that failed."""
    from hub.finance import delivery

    sent = delivery.send_due()
    db.session.commit()
    return sent


def sync_external_calendars() -> int:
    """Fetch the external calendars meeting rooms follow; their events block the rooms."""
    from hub.calendar import external
    from hub.database import utcnow

    synced = external.sync_all(utcnow())  # commits each calendar on its own
    db.session.commit()
    return synced


def send_mail() -> int:
    """Send what waits in the mail outbox; retry what failed, with backoff."""
    from hub.outbox import service

    return service.send_due()  # commits each message on its own


def forget_login_attempts() -> int:
    """Delete failed logins older than the throttle's longest window (24 hours)."""
    from hub.security import service

    forgotten = service.forget_old()
    db.session.commit()
    return forgotten


def backup_database() -> int:
    """Back up into BACKUP_DIR, keep the newest BACKUP_KEEP; returns the backup's bytes.

    Commits nothing: the SQLite backup API and pg_dump read a consistent snapshot
    beside the web workers (docs/backup.md).
    """
    from hub.ops import backup

    return backup.nightly()


# id -> (function, trigger arguments)
JOBS: dict[str, tuple[Callable[[], int], dict[str, object]]] = {
    "release_no_shows": (release_no_shows, {"trigger": "interval", "minutes": 5}),
    "anonymize_usage": (anonymize_usage, {"trigger": "cron", "hour": 3, "minute": 15}),
    "issue_statements": (issue_statements, {"trigger": "cron", "hour": 5, "minute": 30}),
    "send_statements": (send_statements, {"trigger": "interval", "minutes": 10}),
    "sync_external_calendars": (sync_external_calendars, {"trigger": "interval", "minutes": 15}),
    "send_mail": (send_mail, {"trigger": "interval", "minutes": 1}),
    "backup_database": (backup_database, {"trigger": "cron", "hour": 2, "minute": 30}),
    "forget_login_attempts": (forget_login_attempts, {"trigger": "cron", "hour": 3, "minute": 45}),
}


def run_job(app: Flask, job_id: str) -> int:
    """Run one job in its own app context and transaction; roll back on error."""
    from hub.audit.capture import acting_as

    func, _trigger = JOBS[job_id]
    with app.app_context(), acting_as(f"job {job_id}"):
        log.info("job %s started", job_id)
        try:
            result = func()
            log.info("job %s done: %s", job_id, result)
            return result
        except Exception:
            db.session.rollback()
            log.exception("job %s failed", job_id)
            raise
        finally:
            db.session.remove()


def register_jobs(scheduler: BaseScheduler, app: Flask) -> None:
    for job_id, (_func, trigger) in JOBS.items():
        scheduler.add_job(
            run_job,
            args=[app, job_id],
            id=job_id,
            name=job_id,
            replace_existing=True,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=60,
            **trigger,
        )


def _log_problem(event: JobEvent) -> None:
    if event.code == EVENT_JOB_MISSED:
        log.warning("job %s missed its run at %s", event.job_id, event.scheduled_run_time)
    # Failures are logged with their traceback by run_job itself.


# A nightly backup older than this when the scheduler starts was missed (the machine
# or the scheduler was down at 02:30); it is made a minute after the start.
BACKUP_OVERDUE = timedelta(hours=25)
CATCH_UP_DELAY = timedelta(minutes=1)


def catch_up(scheduler: BaseScheduler, app: Flask, now: datetime) -> list[str]:
    """Schedule, once and soon, the nightly backup a stopped scheduler missed.

    The job store is in memory, so a run missed while no scheduler ran is not
    remembered; a night without a backup is the one that matters. The other daily
    jobs catch up by themselves at their next run. Returns the ids scheduled.
    """
    from hub.ops import backup

    with app.app_context():
        newest = backup.newest_backup_time(backup.backup_dir())
    if newest is not None and now - newest < BACKUP_OVERDUE:
        return []
    log.warning(
        "the last nightly backup is %s: making one at %s",
        "missing" if newest is None else f"from {newest:%Y-%m-%d %H:%M} UTC",
        f"{now + CATCH_UP_DELAY:%H:%M} UTC",
    )
    scheduler.add_job(
        run_job,
        trigger="date",
        run_date=now + CATCH_UP_DELAY,
        args=(app, "backup_database"),
        id="backup_database_catch_up",
        replace_existing=True,
        misfire_grace_time=None,
    )
    return ["backup_database_catch_up"]


def build_scheduler(app: Flask) -> BlockingScheduler:
    """The scheduler of `flask hub scheduler`, with every job registered, not started."""
    scheduler = BlockingScheduler(timezone=UTC)
    register_jobs(scheduler, app)
    scheduler.add_listener(_log_problem, EVENT_JOB_MISSED | EVENT_JOB_ERROR)
    return scheduler
