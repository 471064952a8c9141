"""One scheduler per database: the takeover rule and the lock on each backend.

The scheduler processes themselves are tested in test_scheduler.py.
"""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from hub.database import utcnow
from hub.extensions import db
from hub.ops import scheduler_lock
from hub.ops.models import SchedulerLock
from hub.ops.scheduler_lock import LockHeld, LockLost, LockRow, may_take

NOW = datetime(2030, 1, 7, 12, tzinfo=UTC)
STALE = timedelta(seconds=90)


def row(heartbeat_seconds_ago: float, released: bool = False) -> LockRow:
    beat = NOW - timedelta(seconds=heartbeat_seconds_ago)
    return LockRow("other:1", NOW - timedelta(hours=1), beat, beat if released else None)


# --- the rule --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lock", "free"),
    [
        (None, True),  # never taken
        (row(0), False),
        (row(89), False),
        (row(90), False),  # exactly the limit is still fresh
        (row(90.001), True),  # older: the holder crashed
        (row(5, released=True), True),  # a clean stop released it
        (row(-30), False),  # the holder's clock is a little ahead: fresh, not negative
    ],
)
def test_may_take_only_a_free_released_or_stale_lock(lock, free):
    assert may_take(lock, NOW, STALE) is free
    assert scheduler_lock.is_running(lock, NOW, STALE) is (lock is not None and not free)


def test_heartbeat_age_is_never_negative():
    assert scheduler_lock.heartbeat_age(NOW + timedelta(seconds=3), NOW) == timedelta(0)
    assert scheduler_lock.heartbeat_age(NOW - timedelta(seconds=3), NOW) == timedelta(seconds=3)


def test_lock_held_names_the_holder_and_the_heartbeat_age():
    message = str(LockHeld(row(12), NOW, STALE))
    assert "other:1 (last heartbeat 12 s ago)" in message
    assert "older than 90 s" in message


# --- the lock in the database ----------------------------------------------------------


def lock_row() -> SchedulerLock | None:
    db.session.commit()  # a fresh snapshot: other processes and threads write the row
    return db.session.get(SchedulerLock, scheduler_lock.LOCK_NAME)


def test_a_second_acquire_is_refused_until_the_first_releases(app):
    first = scheduler_lock.acquire(db.engine, STALE, holder="one:1")
    try:
        with pytest.raises(LockHeld, match=r"one:1 \(last heartbeat \d+ s ago\)"):
            scheduler_lock.acquire(db.engine, STALE, holder="two:2")
        assert first.heartbeat() is True
        assert lock_row().holder == "one:1" and lock_row().released_at is None
    finally:
        first.release()
    first.release()  # twice is harmless
    assert lock_row().released_at is not None

    second = scheduler_lock.acquire(db.engine, STALE, holder="two:2")
    try:
        assert lock_row().holder == "two:2" and lock_row().released_at is None
    finally:
        second.release()


def test_sqlite_takes_over_a_stale_lock_and_the_old_holder_loses_it(
    app, backend, caplog, monkeypatch
):
    if backend != "sqlite":
        pytest.skip("on PostgreSQL the advisory lock, not the heartbeat, decides")
    # Alembic's fileConfig (the migrations at session start) disables existing loggers.
    monkeypatch.setattr(scheduler_lock.log, "disabled", False)
    crashed = scheduler_lock.acquire(db.engine, STALE, holder="crashed:1", now=NOW)
    fresh = NOW + timedelta(seconds=60)
    with pytest.raises(LockHeld, match=r"crashed:1 \(last heartbeat 60 s ago\)"):
        scheduler_lock.acquire(db.engine, STALE, holder="new:2", now=fresh)

    later = NOW + timedelta(seconds=91)
    with caplog.at_level("WARNING", logger="hub.scheduler"):
        new = scheduler_lock.acquire(db.engine, STALE, holder="new:2", now=later)
    assert "took over the scheduler lock from crashed:1" in caplog.text
    assert "last heartbeat 91 s ago" in caplog.text
    assert lock_row().holder == "new:2" and lock_row().acquired_at == later

    # The old process wakes up: its next heartbeat finds the lock gone.
    with pytest.raises(LockLost, match="taken over"):
        crashed.heartbeat()
    crashed.release()  # releases nothing of the new holder's
    assert lock_row().holder == "new:2" and lock_row().released_at is None
    new.release()


def test_postgresql_lock_is_a_session_advisory_lock(app, backend):
    if backend != "postgresql":
        pytest.skip("advisory locks are PostgreSQL's")
    held = scheduler_lock.acquire(db.engine, STALE, holder="one:1")
    key = {"key": scheduler_lock.ADVISORY_KEY}
    try:
        with db.engine.connect() as other:
            assert other.scalar(sa.text("SELECT pg_try_advisory_lock(:key)"), key) is False
            # Even a stale-looking row does not let a second one in: the session decides.
            other.execute(
                sa.text("UPDATE scheduler_locks SET heartbeat_at = :old"),
                {"old": NOW - timedelta(days=1)},
            )
            other.commit()
        with pytest.raises(LockHeld, match="one:1"):
            scheduler_lock.acquire(db.engine, STALE, holder="two:2")
        # The row is the holder's to rewrite, even after someone deleted it.
        db.session.execute(sa.delete(SchedulerLock))
        db.session.commit()
        assert held.heartbeat() is True
        assert lock_row().holder == "one:1"
    finally:
        held.release()
    with db.engine.connect() as other:
        assert other.scalar(sa.text("SELECT pg_try_advisory_lock(:key)"), key) is True
        other.execute(sa.text("SELECT pg_advisory_unlock(:key)"), key)


def test_a_heartbeat_thread_beats_and_reports_a_lost_lock(app, backend):
    held = scheduler_lock.acquire(db.engine, STALE, holder="one:1")
    first_beat = lock_row().heartbeat_at
    lost = threading.Event()
    beat = scheduler_lock.Heartbeat(held, timedelta(seconds=0.05), lost.set)
    beat.start()
    try:
        for _ in range(100):
            if lock_row().heartbeat_at > first_beat:
                break
            threading.Event().wait(0.05)
        assert lock_row().heartbeat_at > first_beat
        if backend == "sqlite":
            # End the read above first: in WAL mode a read whose snapshot the heartbeat
            # has since moved past cannot turn into a write (SQLITE_BUSY at once).
            db.session.rollback()
            db.session.execute(sa.update(SchedulerLock).values(holder="thief:9"))
            db.session.commit()
            assert lost.wait(5)
            beat.join(timeout=5)
            assert not beat.is_alive()
    finally:
        beat.stop()
        held.release()


def test_postgresql_a_broken_lock_connection_is_a_lost_lock(app, backend):
    if backend != "postgresql":
        pytest.skip("advisory locks are PostgreSQL's")
    held = scheduler_lock.acquire(db.engine, STALE, holder="one:1")
    with db.engine.connect() as other:
        # What a restarted server or a cut network does to the session holding the lock.
        other.execute(
            sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = 'hub-scheduler' AND datname = current_database()"
            )
        )
        other.commit()
    with pytest.raises(LockLost, match="connection holding the scheduler lock failed"):
        held.heartbeat()
    held.release()  # no error: the lock went with the session
    second = scheduler_lock.acquire(db.engine, STALE, holder="two:2")
    second.release()


# --- how the lock is freed, and who runs -----------------------------------------------


def test_lock_held_says_how_the_lock_is_freed_on_each_backend():
    on_sqlite = str(LockHeld(row(12), NOW, STALE))
    on_postgresql = str(LockHeld(row(12), NOW, STALE, backend="postgresql"))

    assert "older than 90 s is taken over" in on_sqlite
    assert "other:1 (last heartbeat 12 s ago)" in on_postgresql
    assert "taken over" not in on_postgresql
    assert "freed when that process stops or its connection ends" in on_postgresql


def test_postgresql_refusal_does_not_promise_a_takeover(app, backend):
    if backend != "postgresql":
        pytest.skip("advisory locks are PostgreSQL's")
    held = scheduler_lock.acquire(db.engine, STALE, holder="one:1")
    try:
        with pytest.raises(LockHeld) as refused:
            scheduler_lock.acquire(db.engine, STALE, holder="two:2")
    finally:
        held.release()
    assert "taken over" not in str(refused.value)
    assert "its connection ends" in str(refused.value)


def test_running_holder_names_a_live_scheduler_without_taking_the_lock(app, backend):
    assert scheduler_lock.running_holder(db.engine, STALE) is None  # never started
    held = scheduler_lock.acquire(db.engine, STALE, holder="one:1")
    try:
        holder = scheduler_lock.running_holder(db.engine, STALE)
        assert holder is not None and re.fullmatch(r"one:1 \(last heartbeat \d+ s ago\)", holder)
        later = utcnow() + STALE + timedelta(seconds=1)
        if backend == "postgresql":
            # The session holds the advisory lock: an old heartbeat or no row changes nothing.
            assert "one:1" in scheduler_lock.running_holder(db.engine, STALE, now=later)
            db.session.execute(sa.delete(SchedulerLock))
            db.session.commit()
            assert scheduler_lock.running_holder(db.engine, STALE) == (
                "another process (no heartbeat recorded yet)"
            )
        else:
            # A heartbeat older than the limit is a crashed scheduler, not a running one.
            assert scheduler_lock.running_holder(db.engine, STALE, now=later) is None
        with pytest.raises(LockHeld):  # looking did not free it, nor take it
            scheduler_lock.acquire(db.engine, STALE, holder="two:2")
    finally:
        held.release()
    assert scheduler_lock.running_holder(db.engine, STALE) is None  # released on a clean stop
    second = scheduler_lock.acquire(db.engine, STALE, holder="two:2")  # looking took nothing
    second.release()


def test_scheduler_refuses_a_database_newer_than_the_code(app):
    """Older code over a newer database: `flask db upgrade` is not the remedy."""
    current = db.session.scalar(sa.text("SELECT version_num FROM alembic_version"))
    db.session.execute(sa.text("UPDATE alembic_version SET version_num = '9999_future'"))
    db.session.commit()
    try:
        result = app.test_cli_runner().invoke(args=["hub", "scheduler"])
    finally:
        db.session.execute(sa.text("UPDATE alembic_version SET version_num = :r"), {"r": current})
        db.session.commit()

    assert result.exit_code == 1
    assert "schema 9999_future" in result.stderr
    assert "the code is older than the database" in result.stderr
    assert "run `flask db upgrade`" not in result.stderr
