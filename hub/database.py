"""Declarative base, naming convention and column types shared by all domains."""

from __future__ import annotations

import enum
import logging
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    return datetime.now(UTC)


def utc_iso(value: datetime) -> str:
    """An instant as the API and exports write it: ISO 8601 in UTC with ``Z``."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """An instant: always timezone-aware UTC in Python, whatever the backend.

    SQLite has no timezone type, so it stores naive UTC; PostgreSQL stores
    timestamptz. Naive datetimes are refused so local times never sneak in.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an instant is required")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def enum_column(enum_cls: type[enum.StrEnum], name: str) -> sa.Enum:
    """Our one style for enums: VARCHAR plus a CHECK constraint, values stored."""
    return sa.Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        validate_strings=True,
        length=32,
        values_callable=lambda cls: [member.value for member in cls],
    )


class Timestamps:
    """created_at/updated_at in UTC; updated_at also feeds ETags and iCal LAST-MODIFIED."""

    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False
    )


def money() -> Any:
    """Money columns hold integer øre."""
    return sa.BigInteger()


log = logging.getLogger(__name__)

SQLITE_BEGIN_OPTION = "hub_sqlite_begin"
# How long a bookkeeping write may wait for the write lock before it is skipped.
ASIDE_WAIT_MS = 200
ASIDE_KEY = "hub.write_aside"


def begin_write(session: Session) -> None:
    """Start the unit of work as a writer before it reads what it will check.

    On SQLite a deferred transaction that read first and writes later can fail
    with "database is locked" when another writer got there in between (WAL
    snapshots cannot be upgraded); BEGIN IMMEDIATE takes the write lock up front
    and waits for it within the busy timeout. Call this before any flush: a
    read-only transaction already open is ended first. PostgreSQL needs nothing
    here (its exclusion constraint does the guarding).

    No retry of our own: the busy timeout (SQLITE_BUSY_TIMEOUT_MS) is SQLite's
    retry. Past it, "database is locked" (OperationalError) reaches the request
    boundary as 503 with Retry-After (hub.web), and nothing was written.
    """
    bind = session.get_bind()
    if bind.dialect.name != "sqlite":
        return
    if session.in_transaction():
        options = session.connection().get_execution_options()
        if options.get(SQLITE_BEGIN_OPTION) == "IMMEDIATE":
            return  # already the writer
        if session.new or session.dirty or session.deleted:
            raise RuntimeError("begin_write() must come before any change in the unit of work")
        session.commit()
    session.connection(execution_options={SQLITE_BEGIN_OPTION: "IMMEDIATE"})


def write_aside(session: Session, statement: sa.Executable) -> None:
    """Make a bookkeeping write the request can do without, after its unit of work.

    When a token was last used is worth recording, but not worth a reader's request:
    on SQLite the one write lock may be busy with bookings, and a GET that waited for
    it would end as a 503 (or, written beside a read still open, leave that read
    unable to become a writer). So the write is queued until the session's
    transaction has ended, goes in its own short transaction, waits at most
    ASIDE_WAIT_MS, and is skipped when it cannot be made; the next use records it.
    """
    if session.in_transaction():
        session.info.setdefault(ASIDE_KEY, []).append(statement)
    else:
        _write_now(session.get_bind(), statement)


def _write_queued(session: Session, transaction: Any) -> None:
    if transaction.parent is None:  # the outermost transaction, committed or rolled back
        for statement in session.info.pop(ASIDE_KEY, []):
            _write_now(session.get_bind(), statement)


def _write_now(engine: Any, statement: sa.Executable) -> bool:
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "sqlite":
                # Set per connection and put back below: the pool hands it on.
                waited = connection.exec_driver_sql("PRAGMA busy_timeout").scalar()
                connection.exec_driver_sql(f"PRAGMA busy_timeout = {ASIDE_WAIT_MS}")
                try:
                    connection.execute(statement)
                finally:
                    connection.exec_driver_sql(f"PRAGMA busy_timeout = {int(waited or 0)}")
            else:
                connection.execute(sa.text(f"SET LOCAL lock_timeout = '{ASIDE_WAIT_MS}ms'"))
                connection.execute(statement)
    except sa.exc.OperationalError as exc:
        log.info("skipped a bookkeeping write, the database is busy: %s", exc.orig)
        return False
    return True


sa.event.listen(Session, "after_transaction_end", _write_queued)
