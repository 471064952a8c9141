"""Scheduled jobs: thin wrappers that call domain services inside an app context.

They run only in the one scheduler process (`flask hub scheduler`), never in
web workers. Every job has an explicit id, is registered with
``replace_existing=True`` and is safe to run twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from apscheduler.schedulers.base import BaseScheduler
from flask import Flask

from hub.extensions import db

log = logging.getLogger(__name__)


def release_no_shows() -> int:
    """Free places nobody checked in to, and tell the people who booked them."""
    from hub.booking import notify, service

    released = service.release_no_shows()
    db.session.commit()
    for booking in released:
        notify.booking_released(booking)
    return len(released)


# id -> (function, trigger arguments)
JOBS: dict[str, tuple[Callable[[], int], dict[str, object]]] = {
    "release_no_shows": (release_no_shows, {"trigger": "interval", "minutes": 5}),
}


def run_job(app: Flask, job_id: str) -> int:
    """Run one job in its own app context and transaction; roll back on error."""
    func, _trigger = JOBS[job_id]
    with app.app_context():
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
            **trigger,
        )
