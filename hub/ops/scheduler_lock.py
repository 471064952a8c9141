"""One scheduler per database: the lock, its heartbeat, and when a lock may be taken over.

PostgreSQL: ``pg_try_advisory_lock`` on a dedicated connection held for the life
of the process. The server releases it when that session ends, even after
``kill -9`` or a lost machine (the session asks the server for TCP keepalives so
a dead client is noticed within about two minutes). The ``scheduler_locks`` row
only records the holder and the heartbeat.

SQLite: no advisory locks, so the ``scheduler_locks`` row is the lock. It is taken
in a ``BEGIN IMMEDIATE`` transaction (two starters cannot both win) and kept
alive by a heartbeat; a lock whose heartbeat is older than the staleness limit
belongs to a crashed process and is taken over.

On both, the heartbeat is what /healthz reads. ``may_take`` is the rule, kept
pure so it is tested with plain data. ``running_holder`` tells others (a restore)
whether a scheduler runs, without taking the lock.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from hub.database import SQLITE_BEGIN_OPTION, utcnow
from hub.ops.models import SchedulerLock

log = logging.getLogger("hub.scheduler")

LOCK_NAME = "scheduler"
# Fixed key of the PostgreSQL advisory lock: "HUBSCHED" in ASCII. Advisory locks are
# per database, so two installations on one server do not exclude each other.
ADVISORY_KEY = 0x4855425343484544

_table = SchedulerLock.__table__


# --- the rule (pure) -------------------------------------------------------------------


@dataclass(frozen=True)
class LockRow:
    holder: str
    acquired_at: datetime
    heartbeat_at: datetime
    released_at: datetime | None = None


def heartbeat_age(heartbeat_at: datetime, now: datetime) -> timedelta:
    """How old the heartbeat is; never negative (a clock a little ahead is fresh)."""
    return max(now - heartbeat_at, timedelta(0))


def is_stale(heartbeat_at: datetime, now: datetime, stale_after: timedelta) -> bool:
    return heartbeat_age(heartbeat_at, now) > stale_after


def may_take(row: LockRow | None, now: datetime, stale_after: timedelta) -> bool:
    """Whether a starting scheduler may take the lock described by ``row``.

    Free when nobody ever held it, when the holder released it on a clean stop,
    or when the holder's heartbeat is older than ``stale_after`` (it crashed).
    """
    return (
        row is None or row.released_at is not None or is_stale(row.heartbeat_at, now, stale_after)
    )


def is_running(row: LockRow | None, now: datetime, stale_after: timedelta) -> bool:
    """Whether the row shows a live scheduler: held, not released, heartbeat fresh."""
    return row is not None and not may_take(row, now, stale_after)


# --- errors ----------------------------------------------------------------------------


def describe_holder(row: LockRow | None, now: datetime) -> str:
    """The holder for messages: who, and how long ago it last showed it was alive."""
    if row is None:
        return "another process (no heartbeat recorded yet)"
    age = heartbeat_age(row.heartbeat_at, now).total_seconds()
    return f"{row.holder} (last heartbeat {age:.0f} s ago)"


class LockHeld(Exception):
    """Another scheduler holds the lock; this one must not start."""

    def __init__(
        self,
        row: LockRow | None,
        now: datetime,
        stale_after: timedelta,
        backend: str = "sqlite",
    ) -> None:
        self.row = row
        if backend == "postgresql":
            # The advisory lock belongs to the other session, whatever its heartbeat says.
            freed = (
                "The lock is that scheduler's database session: it is freed when that "
                "process stops or its connection ends, never because of an old heartbeat."
            )
        else:
            freed = (
                f"A lock whose heartbeat is older than {stale_after.total_seconds():.0f} s "
                "is taken over."
            )
        super().__init__(
            "Another scheduler is already running for this database: "
            f"{describe_holder(row, now)}. Run exactly one `flask hub scheduler` per "
            f"installation; stop the other one first. {freed}"
        )


class LockLost(Exception):
    """The lock is no longer ours (taken over, or the lock connection died)."""


# --- reading and writing the row -------------------------------------------------------


def default_holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def read_lock(connection: sa.Connection, name: str = LOCK_NAME) -> LockRow | None:
    row = connection.execute(
        sa.select(
            _table.c.holder, _table.c.acquired_at, _table.c.heartbeat_at, _table.c.released_at
        ).where(_table.c.name == name)
    ).first()
    return None if row is None else LockRow(*row)


def _read_lock_if_any(connection: sa.Connection, name: str) -> LockRow | None:
    """The row, or None when there is not even the table (an empty database)."""
    if not sa.inspect(connection).has_table(_table.name):
        return None
    return read_lock(connection, name)


# The advisory lock in pg_locks: a bigint key is shown as classid (high 32 bits),
# objid (low 32 bits) and objsubid 1.
_ADVISORY_HELD = sa.text(
    "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted "
    "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
    "AND classid = CAST(:high AS oid) AND objid = CAST(:low AS oid) AND objsubid = 1)"
).bindparams(high=ADVISORY_KEY >> 32, low=ADVISORY_KEY & 0xFFFFFFFF)


def running_holder(
    engine: sa.Engine,
    stale_after: timedelta,
    *,
    name: str = LOCK_NAME,
    now: datetime | None = None,
) -> str | None:
    """Who runs a scheduler against this database now (for a message), or None.

    Only looks: on PostgreSQL whether a session holds the advisory lock (read from
    pg_locks; trying the lock ourselves could turn away a scheduler starting at that
    moment), on SQLite whether the row is held with a fresh heartbeat.
    """
    now = now or utcnow()
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            if not connection.scalar(_ADVISORY_HELD):
                return None
            row = _read_lock_if_any(connection, name)
            return describe_holder(
                row if row is not None and row.released_at is None else None, now
            )
        row = _read_lock_if_any(connection, name)
        return describe_holder(row, now) if is_running(row, now, stale_after) else None


def _claim(connection: sa.Connection, exists: bool, name: str, holder: str, now: datetime) -> None:
    values = {"holder": holder, "acquired_at": now, "heartbeat_at": now, "released_at": None}
    if exists:
        connection.execute(_table.update().where(_table.c.name == name).values(**values))
    else:
        connection.execute(_table.insert().values(name=name, **values))


def _log_takeover(row: LockRow | None, now: datetime) -> None:
    if row is not None and row.released_at is None:
        age = heartbeat_age(row.heartbeat_at, now).total_seconds()
        log.warning(
            "took over the scheduler lock from %s, which stopped without releasing it "
            "(last heartbeat %.0f s ago)",
            row.holder,
            age,
        )


# --- the lock held by this process ----------------------------------------------------


class HeldLock:
    """The lock this process holds; ``heartbeat()`` every few seconds, ``release()`` once."""

    def __init__(
        self,
        engine: sa.Engine,
        name: str,
        holder: str,
        connection: sa.Connection | None = None,
    ) -> None:
        self.engine = engine
        self.name = name
        self.holder = holder
        self._connection = connection  # PostgreSQL: the session holding the advisory lock
        self.released = False

    def heartbeat(self, now: datetime | None = None) -> bool:
        """Record that the scheduler is alive.

        Returns False when the write could not be made this time (SQLite busy: try
        again next beat). Raises LockLost when the lock is no longer ours.
        """
        now = now or utcnow()
        if self._connection is not None:
            return self._heartbeat_postgresql(now)
        try:
            with self.engine.begin() as connection:
                updated = connection.execute(
                    _table.update()
                    .where(
                        _table.c.name == self.name,
                        _table.c.holder == self.holder,
                        _table.c.released_at.is_(None),
                    )
                    .values(heartbeat_at=now)
                ).rowcount
        except sa.exc.OperationalError as exc:
            log.warning("could not write the scheduler heartbeat, trying again: %s", exc)
            return False
        if updated != 1:
            raise LockLost(f"the scheduler lock {self.name!r} was taken over by another process")
        return True

    def _heartbeat_postgresql(self, now: datetime) -> bool:
        from sqlalchemy.dialects.postgresql import insert

        assert self._connection is not None
        values = {"holder": self.holder, "heartbeat_at": now, "released_at": None}
        statement = insert(_table).values(name=self.name, acquired_at=now, **values)
        try:
            # Upsert: the advisory lock says the row is ours even if someone deleted it.
            self._connection.execute(
                statement.on_conflict_do_update(index_elements=[_table.c.name], set_=values)
            )
            self._connection.commit()
        except sa.exc.SQLAlchemyError as exc:
            # The session that holds the advisory lock is in an unknown state: when the
            # connection is gone, so is the lock.
            raise LockLost(f"the connection holding the scheduler lock failed: {exc}") from exc
        return True

    def release(self) -> None:
        """Give the lock up on a clean stop and note when; safe to call twice."""
        if self.released:
            return
        self.released = True
        now = utcnow()
        mine = sa.and_(_table.c.name == self.name, _table.c.holder == self.holder)
        if self._connection is None:
            with self.engine.begin() as connection:
                connection.execute(_table.update().where(mine).values(released_at=now))
            return
        try:
            self._connection.rollback()
            self._connection.execute(_table.update().where(mine).values(released_at=now))
            self._connection.execute(
                sa.text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_KEY}
            )
            self._connection.commit()
        except sa.exc.SQLAlchemyError as exc:
            # A broken connection: the server has freed (or will free) the lock with it.
            log.warning("could not mark the scheduler lock released: %s", exc)
        finally:
            self._connection.close()  # NullPool: the session ends, and any lock with it
            self.engine.dispose()


def acquire(
    engine: sa.Engine,
    stale_after: timedelta,
    *,
    name: str = LOCK_NAME,
    holder: str | None = None,
    now: datetime | None = None,
) -> HeldLock:
    """Take the scheduler lock or raise LockHeld."""
    holder = holder or default_holder()
    if engine.dialect.name == "postgresql":
        return _acquire_postgresql(engine, stale_after, name, holder)
    now = now or utcnow()
    with engine.connect() as connection:
        connection.execution_options(**{SQLITE_BEGIN_OPTION: "IMMEDIATE"})
        with connection.begin():
            row = read_lock(connection, name)
            if not may_take(row, now, stale_after):
                raise LockHeld(row, now, stale_after)
            _claim(connection, row is not None, name, holder, now)
    _log_takeover(row, now)
    return HeldLock(engine, name, holder)


def _acquire_postgresql(
    engine: sa.Engine, stale_after: timedelta, name: str, holder: str
) -> HeldLock:
    # A session of its own, never returned to a pool: it holds the lock until it ends.
    options = " ".join(
        part
        for part in (
            engine.url.query.get("options"),
            "-c tcp_keepalives_idle=60 -c tcp_keepalives_interval=10 -c tcp_keepalives_count=3",
        )
        if isinstance(part, str)
    )
    lock_engine = sa.create_engine(
        engine.url,
        poolclass=NullPool,
        connect_args={"application_name": "hub-scheduler", "options": options},
    )
    connection = lock_engine.connect()
    try:
        got = connection.scalar(sa.text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_KEY})
        connection.commit()
        now = utcnow()
        row = read_lock(connection, name)
        if not got:
            raise LockHeld(
                row if row is not None and row.released_at is None else None,
                now,
                stale_after,
                backend="postgresql",
            )
        _claim(connection, row is not None, name, holder, now)
        connection.commit()
    except BaseException:
        connection.close()
        lock_engine.dispose()
        raise
    _log_takeover(row, now)
    return HeldLock(lock_engine, name, holder, connection)


class Heartbeat(threading.Thread):
    """Writes the heartbeat every ``every``; calls ``on_lost`` once if the lock is lost.

    A thread rather than a scheduler job, so it is not one of hub.jobs.JOBS and does
    not add two log lines per beat.
    """

    def __init__(self, lock: HeldLock, every: timedelta, on_lost: Callable[[], None]) -> None:
        super().__init__(name="scheduler-heartbeat", daemon=True)
        self.lock = lock
        self.every = every
        self.on_lost = on_lost
        self._stopping = threading.Event()

    def run(self) -> None:
        while not self._stopping.wait(self.every.total_seconds()):
            try:
                self.lock.heartbeat()
            except LockLost as exc:
                log.error("%s; stopping this scheduler", exc)
                self.on_lost()
                return
            except Exception:
                log.exception("could not write the scheduler heartbeat, trying again")

    def stop(self) -> None:
        self._stopping.set()
        if self.is_alive() and threading.current_thread() is not self:
            self.join(timeout=30)
