"""Many bookings, fast: the data behind the availability benchmark.

The frame (organizations, people, hubs with opening hours and spaces) is made
with the services, as an administrator would. The bookings are generated here,
deterministically (a fixed random seed, so SQLite and PostgreSQL get the same
rows), and bulk-loaded with the driver: ``COPY`` on PostgreSQL, one
``executemany`` in one transaction on SQLite.

What one hub-week looks like (Mon-Fri, inside opening hours 08-16 Oslo time):
each desk and cell is free, booked for the day, or booked by two people for the
morning and the afternoon; each meeting room has 0-4 meetings of 30-120 minutes
on the 15-minute grid. That is about 200-250 bookings per hub-week. Statuses:
mostly confirmed, some cancelled, released (no-shows) and pending. Rows never
overlap within a space, whatever their status, so the overlap guard would accept
every one of them.

Order of the rows: the first ``small`` rows are the target hub's weeks, starting
with the target week and moving outwards; the rest of the ``big`` rows fill the
other weeks of the target hub and then the other hubs, over about four years.
So the target hub-week holds the same bookings at both sizes.

SQLite: the two overlap triggers check every inserted row against the table,
so the benchmark drops them on its scratch database before the bulk load and
recreates them, with the exact SQL the migration stored, right after. The rows
are non-overlapping by construction. PostgreSQL keeps its exclusion constraint
during COPY but skips the foreign-key triggers for that one transaction
(``session_replication_role = replica``; the ids come from the frame just made),
which makes the load about a third faster.
"""

from __future__ import annotations

import io
import random
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import islice
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from bench.common import make_hub

HUBS = 20
DESKS, CELLS, ROOMS = 15, 10, 10
ORGS = 30
USERS = 600
FIRST_MONDAY = date(2023, 1, 2)
WEEKS = 240  # 2023-01-02 to 2027-08: a million rows reach all 20 hubs
TARGET_WEEK = 150  # 2025-11-17: the hub-week the benchmark reads
TIMEZONE = "Europe/Oslo"
SEED = 20261124

COLUMNS = (
    "hub_id",
    "space_id",
    "user_id",
    "organization_id",
    "starts_at",
    "ends_at",
    "status",
    "source",
    "sequence",
    "created_at",
    "updated_at",
)


@dataclass
class Frame:
    hub_ids: list[int]
    hub_slugs: list[str]
    # Per hub: (space_id, kind) of its bookable spaces.
    spaces: list[list[tuple[int, str]]]
    users: list[tuple[int, int]]  # (user_id, home organization id)
    viewer_id: int  # a member of the target hub (sees names people share)

    @property
    def target_monday(self) -> date:
        return FIRST_MONDAY + timedelta(weeks=TARGET_WEEK)


def make_frame() -> Frame:
    """Organizations, people and hubs, through the services (inside an app context)."""
    from hub.accounts import service as accounts
    from hub.extensions import db
    from hub.spaces.models import Hub

    rng = random.Random(SEED)
    orgs = [
        accounts.create_organization(
            {"name": f"Etat {n:02d}", "short_name": f"E{n:02d}", "kind": "state_agency"}
        )
        for n in range(1, ORGS + 1)
    ]
    users = []
    for n in range(USERS):
        user = accounts.create_user(
            {
                "email": f"person{n}@example.org",
                "name": f"Person {n}",
                "home_organization_id": orgs[n % ORGS].id,
                "share_name": rng.random() < 0.5,
            }
        )
        users.append(user)
    hub_ids, slugs, hub_spaces = [], [], []
    for h in range(HUBS):
        hub, made = make_hub(
            {"slug": f"hub-{h:02d}", "name": f"Hub {h:02d}", "municipality": "Lyngdal"},
            DESKS,
            CELLS,
            ROOMS,
        )
        hub_ids.append(hub.id)
        slugs.append(hub.slug)
        hub_spaces.append(made)
    viewer = users[0]
    accounts.grant_role(viewer, db.session.get(Hub, hub_ids[0]), "member")
    db.session.commit()
    return Frame(
        hub_ids=hub_ids,
        hub_slugs=slugs,
        spaces=hub_spaces,
        users=[(u.id, u.home_organization_id) for u in users],
        viewer_id=viewer.id,
    )


# --- the rows ----------------------------------------------------------------------


def _cells() -> Iterator[tuple[int, int]]:
    """(hub index, week index): the target hub outwards from the target week, then the rest."""
    weeks = sorted(range(WEEKS), key=lambda w: (abs(w - TARGET_WEEK), w))
    for week in weeks:
        yield 0, week
    for hub in range(1, HUBS):
        for week in range(WEEKS):
            yield hub, week


def _status(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.85:
        return "confirmed"
    if roll < 0.93:
        return "cancelled"
    if roll < 0.98:
        return "released"
    return "pending"


class _Clock:
    """UTC opening (08:00-16:00 local) per date, computed once per date."""

    def __init__(self) -> None:
        self.zone = ZoneInfo(TIMEZONE)
        self._cache: dict[date, datetime] = {}

    def opens(self, day: date) -> datetime:
        if day not in self._cache:
            local = datetime(day.year, day.month, day.day, 8, 0, tzinfo=self.zone)
            self._cache[day] = local.astimezone(UTC)
        return self._cache[day]


def generate(frame: Frame) -> Iterator[tuple[int, int, int, int, datetime, datetime, str]]:
    """(hub_id, space_id, user_id, organization_id, starts_at, ends_at, status), endlessly
    for as many rows as the weeks hold; deterministic."""
    rng = random.Random(SEED)
    clock = _Clock()
    minute = timedelta(minutes=1)
    for hub_index, week in _cells():
        hub_id = frame.hub_ids[hub_index]
        monday = FIRST_MONDAY + timedelta(weeks=week)
        for weekday in range(5):
            opens = clock.opens(monday + timedelta(days=weekday))
            for space_id, kind in frame.spaces[hub_index]:
                if kind == "meeting_room":
                    # Up to four meetings, each 30-120 minutes, in 08:00-16:00 on the grid.
                    at = rng.choice((0, 15, 30, 60, 90))
                    for _ in range(rng.choice((0, 1, 2, 2, 3, 3, 4))):
                        length = rng.choice((30, 45, 60, 60, 90, 120))
                        if at + length > 480:
                            break
                        user_id, org_id = rng.choice(frame.users)
                        yield (
                            hub_id,
                            space_id,
                            user_id,
                            org_id,
                            opens + at * minute,
                            opens + (at + length) * minute,
                            _status(rng),
                        )
                        at += length + rng.choice((0, 15, 30, 60))
                    continue
                roll = rng.random()
                if roll < 0.45:
                    parts = [(0, 480)]
                elif roll < 0.65:
                    parts = [(0, 240), (240, 480)]
                elif roll < 0.75:
                    parts = [(0, 240)] if rng.random() < 0.5 else [(240, 480)]
                else:
                    parts = []
                for begin, end in parts:
                    user_id, org_id = rng.choice(frame.users)
                    yield (
                        hub_id,
                        space_id,
                        user_id,
                        org_id,
                        opens + begin * minute,
                        opens + end * minute,
                        _status(rng),
                    )


CREATED = datetime(2026, 1, 1, tzinfo=UTC)


def _sqlite_instant(value: datetime) -> str:
    # UTCDateTime on SQLite: naive UTC text, always with microseconds (text order = time order).
    return value.strftime("%Y-%m-%d %H:%M:%S.%f")


def load(engine: sa.Engine, rows: Iterator[tuple], count: int) -> int:
    """Append ``count`` generated rows to bookings; returns how many were written."""
    batch = islice(rows, count)
    if engine.dialect.name == "postgresql":
        return _copy_postgresql(engine, batch)
    return _executemany_sqlite(engine, batch)


def _copy_postgresql(engine: sa.Engine, rows: Iterator[tuple]) -> int:
    created = CREATED.isoformat()
    return _copy_lines(
        engine,
        COLUMNS,
        (
            f"{hub_id}\t{space_id}\t{user_id}\t{org_id}\t{start.isoformat()}\t"
            f"{end.isoformat()}\t{status}\tweb\t0\t{created}\t{created}\n"
            for hub_id, space_id, user_id, org_id, start, end, status in rows
        ),
    )


def _copy_lines(engine: sa.Engine, columns: Sequence[str], lines: Iterable[str]) -> int:
    """COPY text lines into bookings in one transaction; returns how many were written."""
    written = 0
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        # Skip the foreign-key triggers for this load only (the ids come from the frame);
        # the exclusion constraint is not a trigger and still checks every row.
        cursor.execute("SET LOCAL session_replication_role = replica")
        statement = f"COPY bookings ({', '.join(columns)}) FROM STDIN"
        with cursor.copy(statement) as copy:  # type: ignore[attr-defined]
            buffer = io.StringIO()
            for line in lines:
                buffer.write(line)
                written += 1
                if written % 50_000 == 0:
                    copy.write(buffer.getvalue())
                    buffer = io.StringIO()
            copy.write(buffer.getvalue())
        raw.commit()
    finally:
        raw.close()
    return written


def _executemany_sqlite(engine: sa.Engine, rows: Iterator[tuple]) -> int:
    created = _sqlite_instant(CREATED)
    return _insert_sqlite(
        engine,
        COLUMNS,
        (
            (
                hub_id,
                space_id,
                user_id,
                org_id,
                _sqlite_instant(start),
                _sqlite_instant(end),
                status,
                "web",
                0,
                created,
                created,
            )
            for hub_id, space_id, user_id, org_id, start, end, status in rows
        ),
    )


def _insert_sqlite(engine: sa.Engine, columns: Sequence[str], params: Iterable[tuple]) -> int:
    """One executemany into bookings in one transaction, the overlap triggers dropped meanwhile."""
    raw = engine.raw_connection()
    try:
        dbapi = raw.driver_connection
        triggers = dbapi.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'bookings'"
        ).fetchall()
        placeholders = ", ".join("?" for _ in columns)
        insert = f"INSERT INTO bookings ({', '.join(columns)}) VALUES ({placeholders})"
        # Our engine listener put the connection in autocommit mode; one explicit transaction.
        dbapi.execute("BEGIN IMMEDIATE")
        try:
            for name, _sql in triggers:
                dbapi.execute(f'DROP TRIGGER "{name}"')
            cursor = dbapi.executemany(insert, params)
            written = cursor.rowcount
            for _name, sql in triggers:
                dbapi.execute(sql)
            dbapi.execute("COMMIT")
        except BaseException:
            dbapi.execute("ROLLBACK")
            raise
    finally:
        raw.close()
    return written


def load_rows(engine: sa.Engine, columns: Sequence[str], rows: Iterable[tuple]) -> int:
    """Append rows given in ``columns`` order (ints, strings, datetimes, None) to bookings,
    the same way as ``load``; for generators with other columns (bench/usage_bench.py)."""
    if engine.dialect.name == "postgresql":
        return _copy_lines(
            engine,
            columns,
            ("\t".join(_copy_text(value) for value in row) + "\n" for row in rows),
        )
    return _insert_sqlite(
        engine,
        columns,
        (tuple(_sqlite_value(value) for value in row) for row in rows),
    )


def _copy_text(value: object) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _sqlite_value(value: object) -> object:
    return _sqlite_instant(value) if isinstance(value, datetime) else value


def settle(engine: sa.Engine) -> None:
    """Make the freshly loaded table look like a table in steady use before anything is timed.

    PostgreSQL: VACUUM ANALYZE (fresh statistics, and the visibility map set, so
    autovacuum does not start on the new rows in the middle of the measurement).
    SQLite: ANALYZE, and a checkpoint that moves the bulk load out of the WAL file.
    """
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
        else:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
    if engine.dialect.name == "sqlite":
        raw = engine.raw_connection()
        try:
            raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            raw.close()


# --- any table (bench/finance_bench.py) ----------------------------------------------


def load_table(engine: sa.Engine, table: str, columns: Sequence[str], rows: Iterable[tuple]) -> int:
    """Append rows given in ``columns`` order (ints, strings, dates, datetimes, None) to
    ``table`` in one transaction; returns how many were written.

    PostgreSQL: ``COPY``, the foreign-key triggers skipped for that transaction
    (``session_replication_role = replica``; the ids come from a frame just made).
    SQLite: one ``executemany`` inside ``BEGIN IMMEDIATE``; no trigger is dropped,
    so this is for tables without the bookings' overlap triggers (the roll-up).
    """
    names = ", ".join(columns)
    if engine.dialect.name == "postgresql":
        written = 0
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute("SET LOCAL session_replication_role = replica")
            with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                buffer = io.StringIO()
                for row in rows:
                    buffer.write("\t".join(_copy_text(value) for value in row) + "\n")
                    written += 1
                    if written % 50_000 == 0:
                        copy.write(buffer.getvalue())
                        buffer = io.StringIO()
                copy.write(buffer.getvalue())
            raw.commit()
        finally:
            raw.close()
        return written
    placeholders = ", ".join("?" for _ in columns)
    raw = engine.raw_connection()
    try:
        dbapi = raw.driver_connection
        dbapi.execute("BEGIN IMMEDIATE")
        try:
            cursor = dbapi.executemany(
                f"INSERT INTO {table} ({names}) VALUES ({placeholders})",
                (tuple(_sqlite_any(value) for value in row) for row in rows),
            )
            written = cursor.rowcount
            dbapi.execute("COMMIT")
        except BaseException:
            dbapi.execute("ROLLBACK")
            raise
    finally:
        raw.close()
    return written


def _sqlite_any(value: object) -> object:
    """As SQLAlchemy stores it on SQLite: UTCDateTime text, dates as YYYY-MM-DD."""
    if isinstance(value, datetime):
        return _sqlite_instant(value)
    if isinstance(value, date):
        return value.isoformat()
    return value
