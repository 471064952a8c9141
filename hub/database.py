"""Declarative base, naming convention and column types shared by all domains."""

from __future__ import annotations

import enum
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


SQLITE_BEGIN_OPTION = "hub_sqlite_begin"


def begin_write(session: Session) -> None:
    """Start the unit of work as a writer before it reads what it will check.

    On SQLite a deferred transaction that read first and writes later can fail
    with "database is locked" when another writer got there in between (WAL
    snapshots cannot be upgraded); BEGIN IMMEDIATE takes the write lock up front
    and waits for it within the busy timeout. Call this before any flush: a
    read-only transaction already open is ended first. PostgreSQL needs nothing
    here (its exclusion constraint does the guarding).
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
