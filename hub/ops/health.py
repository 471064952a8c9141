"""/healthz: the database and the scheduler's last heartbeat, for load balancers and monitoring.

No login, no session, no cookie, no template: two tiny queries on a connection of
its own, so it answers even when the rest of the app cannot. Status codes:

- 200 ``ok``: the database answers and the scheduler's heartbeat is fresh;
- 200 ``degraded``: the database answers but the scheduler is stopped or silent
  (web workers can serve; a load balancer must not take them out for this);
- 503 ``degraded`` with ``?strict=1`` (for monitoring that should page someone);
- 503 ``down``: the database does not answer.

Details of failures go to the log, not to the (public) response.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, current_app, jsonify, request

from hub.config import TRUE_WORDS
from hub.database import utcnow
from hub.extensions import db
from hub.ops import scheduler_lock

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    strict = request.args.get("strict", "").strip().lower() in TRUE_WORDS
    stale_after = timedelta(seconds=current_app.config["SCHEDULER_STALE_SECONDS"])
    database, row, row_ok = _probe()
    scheduler = _scheduler_report(row, row_ok, stale_after)
    if not database["ok"]:
        status, code = "down", 503
    elif not scheduler["ok"]:
        status, code = "degraded", 503 if strict else 200
    else:
        status, code = "ok", 200
    response = jsonify(
        status=status, checks={"database": database, "scheduler": scheduler}, time=_iso(utcnow())
    )
    response.headers["Cache-Control"] = "no-store"
    return response, code


def _probe() -> tuple[dict[str, Any], scheduler_lock.LockRow | None, bool]:
    """SELECT 1 (timed) and the heartbeat row, on a pooled connection, never the session."""
    started = time.perf_counter()
    try:
        with db.engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
            latency_ms = round((time.perf_counter() - started) * 1000, 1)
            try:
                row, row_ok = scheduler_lock.read_lock(connection), True
            except sa.exc.SQLAlchemyError:
                log.warning("healthz: could not read the scheduler heartbeat", exc_info=True)
                row, row_ok = None, False
            connection.rollback()
    except Exception:  # any failure to reach the database is a 503, never a 500
        log.warning("healthz: the database does not answer", exc_info=True)
        return {"ok": False, "error": "the database does not answer"}, None, False
    return {"ok": True, "latency_ms": latency_ms}, row, row_ok


def _scheduler_report(
    row: scheduler_lock.LockRow | None, row_ok: bool, stale_after: timedelta
) -> dict[str, Any]:
    now = utcnow()
    report: dict[str, Any] = {
        "ok": scheduler_lock.is_running(row, now, stale_after),
        "heartbeat_at": None,
        "age_seconds": None,
        "stale_after_seconds": int(stale_after.total_seconds()),
    }
    if row is not None:
        age = scheduler_lock.heartbeat_age(row.heartbeat_at, now)
        report["heartbeat_at"] = _iso(row.heartbeat_at)
        report["age_seconds"] = round(age.total_seconds(), 1)
        if row.released_at is not None:
            report["stopped_at"] = _iso(row.released_at)
    if not report["ok"]:
        if not row_ok:
            report["error"] = "the heartbeat could not be read"
        elif row is None:
            report["error"] = "no scheduler has run"
        elif row.released_at is not None:
            report["error"] = "the scheduler was stopped"
        else:
            report["error"] = "the heartbeat is stale"
    return report


def _iso(moment: Any) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")
