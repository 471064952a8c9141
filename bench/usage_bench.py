"""Benchmark 3: usage reports of one busy hub over one year, 100 thousand and 1 million bookings.

For each backend, two scratch databases with the same frame, made with the
services: one hub open Mon-Fri 07:00-19:00 with 500 bookable spaces (300
desks, 120 cells, 80 meeting rooms) and two common areas, 3,000 people in 40
organizations (skewed sizes; 24 of them with a home office in another
municipality), 100 events with attendance. The bookings of 2025 are generated
here, deterministically: on every open day (Norwegian public holidays
excluded) each space is filled from the morning with back-to-back bookings
(desks 1-4 hours, cells 30-90 minutes, rooms 30-60 minutes, short gaps),
never overlapping; 85 % confirmed (three in four of them checked in), 8 %
cancelled, 6 % released (no-shows), 1 % declined. That is 1,010,868
bookings; a size takes an evenly spaced selection of them, so 100 thousand is
the same year a tenth as busy and 1 million the full one.

Per database: bulk load (bench/seed.py ``load_rows``: COPY on PostgreSQL,
executemany with the overlap triggers dropped on SQLite), then the one-off
``hub.usage.rollup.rebuild`` of the year, which writes the daily roll-up
(``usage_days``, ``usage_hours``, ``presence_days``) the reports read. Then
VACUUM ANALYZE (ANALYZE and a WAL checkpoint on SQLite), untimed.

Measured in process, alternating between the two sizes run by run, each run
in a fresh session inside ``app.test_request_context()``, median of ``runs``
after one warm-up run (the detail exports, which take seconds: half as many
runs, no warm-up):

- ``count(*)``: ``SELECT count(*) FROM bookings WHERE hub_id = ? AND starts_at
  >= ? AND starts_at < ?`` over the year (and over June), through the driver:
  the reference for reading the period's bookings at all;
- the host dashboard, ``hub.usage.dashboard.build``, for 2025 and for June 2025;
- the exports: per organization for 2025 as CSV (``export_rows`` +
  ``to_csv``, consumed), the detail (day x space x organization) for 2025 as
  CSV and for June as XLSX (XlsxWriter writes about 15,000 rows a second, so
  a year's detail as XLSX would take a minute a run at 1 million).

Every statement the reports send is captured: the table says how many, and
whether any of them reads ``bookings``. The slowest statements of the year
dashboard on the big database are sent again alone and printed with the plan
of the slowest; statements sent five times or more in one dashboard (N+1) are
listed.
"""

from __future__ import annotations

import calendar
import random
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Flask

from bench.common import app_config, median, scratch_database, table

YEAR = 2025
FIRST, LAST = date(YEAR, 1, 1), date(YEAR, 12, 31)
MONTH = 6
TODAY = date(YEAR, 12, 31)
HUB_SLUG = "busy-hub"
MUNICIPALITY = "Lyngdal"
ORGS = 40
PEOPLE = 3000
DESKS, CELLS, ROOMS = 300, 120, 80
OPENS, CLOSES = clock(7, 0), clock(19, 0)
EVENTS = 100
TIMEZONE = "Europe/Oslo"
SEED = 20261125
WARMUP = 1

# How each kind fills its day: minutes from opening of the first booking, lengths, gaps.
FILL = {
    "desk": ((0, 0, 30, 60, 120), (60, 60, 90, 120, 180, 240), (0, 0, 0, 0, 30, 60)),
    "cell": ((0, 0, 15, 30), (30, 30, 30, 45, 60, 90), (0, 0, 0, 15, 30)),
    "meeting_room": ((0, 15, 30), (30, 30, 30, 45, 60, 60), (0, 0, 0, 0, 15, 30)),
}

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
    "checked_in_at",
    "created_at",
    "updated_at",
)
CREATED = datetime(2024, 12, 1, tzinfo=UTC)


# --- the frame and the rows ---------------------------------------------------------


@dataclass(frozen=True)
class Frame:
    hub_id: int
    spaces: list[tuple[int, str]]  # (space_id, kind) of the bookable spaces
    users: list[tuple[int, int]]  # (user_id, home organization id)


def make_frame() -> Frame:
    """Organizations, people, the hub, its spaces and events, through the services."""
    from hub.accounts import service as accounts
    from hub.extensions import db
    from hub.spaces import service as spaces
    from hub.usage import events

    rng = random.Random(SEED)
    away = ("Oslo", "Bergen", "Kristiansand", "Stavanger", "Trondheim", "Arendal")
    kinds = ("state_agency", "municipality", "county", "university")
    orgs = []
    for n in range(1, ORGS + 1):
        home = away[n % len(away)] if n % 5 in (1, 2, 3) else MUNICIPALITY
        orgs.append(
            accounts.create_organization(
                {
                    "name": f"Etat {n:02d}",
                    "short_name": f"E{n:02d}",
                    "kind": kinds[n % len(kinds)],
                    "home_office": home,
                }
            )
        )
    users = []
    for n in range(PEOPLE):
        # Skewed: the first organizations are the big ones.
        org = orgs[min(int(ORGS * rng.random() ** 1.6), ORGS - 1)]
        users.append(
            accounts.create_user(
                {
                    "email": f"person{n}@example.org",
                    "name": f"Person {n}",
                    "home_organization_id": org.id,
                    "share_name": rng.random() < 0.5,
                }
            )
        )
    hub = spaces.create_hub(
        {"slug": HUB_SLUG, "name": "Busy hub", "municipality": MUNICIPALITY},
        weekly_hours={weekday: (OPENS, CLOSES) for weekday in range(5)},
    )
    made = []
    for kind, count, capacity in (
        ("desk", DESKS, 1),
        ("cell", CELLS, 1),
        ("meeting_room", ROOMS, 10),
    ):
        for n in range(1, count + 1):
            space = spaces.create_space(
                hub, {"name": f"{kind} {n:03d}", "kind": kind, "capacity": capacity}
            )
            made.append((space.id, kind))
    for name in ("Kantine", "Lounge"):
        spaces.create_space(hub, {"name": name, "kind": "common_area", "bookable": False})
    rooms = [space_id for space_id, kind in made if kind == "meeting_room"]
    for n in range(EVENTS):
        guests = rng.sample(orgs, rng.randint(2, 6))
        events.create_event(
            hub,
            {
                "kind": rng.choice(("faglunsj", "fagsamling", "workshop", "meeting")),
                "title": f"Event {n}",
                "on_date": FIRST + timedelta(days=rng.randrange(365)),
                "space_id": rng.choice(rooms),
                "attendance": [
                    {"organization_id": o.id, "attendees": rng.randint(1, 20)} for o in guests
                ],
            },
            None,
        )
    db.session.commit()
    return Frame(hub.id, made, [(u.id, u.home_organization_id) for u in users])


def _open_days() -> list[tuple[date, datetime, int]]:
    """(day, opening instant in UTC, minutes open) for every open day of the year."""
    from hub.spaces import opening

    weekly = {weekday: (OPENS, CLOSES) for weekday in range(5)}
    days = []
    day = FIRST
    while day <= LAST:
        span = opening.opening_interval(day, weekly, TIMEZONE)
        if span is not None:
            days.append((day, span[0], int((span[1] - span[0]).total_seconds() // 60)))
        day += timedelta(days=1)
    return days


def generate(frame: Frame) -> Iterator[tuple]:
    """Every booking of the year, in ``COLUMNS`` order, by day and space; deterministic."""
    rng = random.Random(SEED)
    minute = timedelta(minutes=1)
    created = CREATED
    for _day, opens, span in _open_days():
        for space_id, kind in frame.spaces:
            starts, lengths, gaps = FILL[kind]
            at = rng.choice(starts)
            while True:
                length = rng.choice(lengths)
                if at + length > span:
                    break
                user_id, org_id = rng.choice(frame.users)
                start = opens + at * minute
                roll = rng.random()
                checked_in = None
                if roll < 0.85:
                    status = "confirmed"
                    if rng.random() < 0.75:
                        checked_in = start + rng.randint(0, 10) * minute
                elif roll < 0.93:
                    status = "cancelled"
                elif roll < 0.99:
                    status = "released"
                else:
                    status = "declined"
                yield (
                    frame.hub_id,
                    space_id,
                    user_id,
                    org_id,
                    start,
                    start + length * minute,
                    status,
                    "web",
                    0,
                    checked_in,
                    created,
                    created,
                )
                at += length + rng.choice(gaps)


_TOTAL: dict[tuple[int, int], int] = {}


def year_total(frame: Frame) -> int:
    """How many bookings the generator makes for the year (counted once per process)."""
    key = (len(frame.spaces), len(frame.users))
    if key not in _TOTAL:
        _TOTAL[key] = sum(1 for _ in generate(frame))
    return _TOTAL[key]


def evenly(rows: Iterable[tuple], total: int, size: int) -> Iterator[tuple]:
    """Exactly ``size`` of the ``total`` rows, evenly spaced (every row when equal)."""
    for i, row in enumerate(rows):
        if (i + 1) * size // total != i * size // total:
            yield row


# --- one database of one size ----------------------------------------------------------


@dataclass
class Measure:
    ms: list[float] = field(default_factory=list)
    statements: int = 0
    reads_bookings: bool = False
    detail: str = ""
    # (ms, sql, parameters) of each statement of the last run
    timings: list[tuple[float, str, Any]] = field(default_factory=list)


@dataclass
class Size:
    app: Flask
    frame: Frame
    rows: int
    load_seconds: float
    rebuild_seconds: float
    rollup_rows: dict[str, int]
    measures: dict[str, Measure] = field(default_factory=dict)


def build(url: str, size: int) -> Size:
    from bench import seed
    from hub.database import begin_write
    from hub.extensions import db
    from hub.usage import rollup

    app = create_app(url)
    with app.app_context():
        frame = make_frame()
        db.session.remove()
        total = year_total(frame)
        if size > total:
            raise SystemExit(f"the generator makes {total:,} bookings for {YEAR}; asked {size:,}")
        rows = list(evenly(generate(frame), total, size))  # generated before the clock starts
        began = time.perf_counter()
        written = seed.load_rows(db.engine, COLUMNS, rows)
        load_seconds = time.perf_counter() - began
        del rows
        if written != size:
            raise RuntimeError(f"wrote {written} rows, wanted {size}")
        seed.settle(db.engine)
        session = db.session()
        began = time.perf_counter()
        begin_write(session)
        read = rollup.rebuild(session, frame.hub_id, FIRST, LAST)
        session.commit()
        rebuild_seconds = time.perf_counter() - began
        db.session.remove()
        if read != size:
            raise RuntimeError(f"rebuild read {read} bookings, wanted {size}")
        seed.settle(db.engine)
        with db.engine.connect() as conn:
            counts = {
                name: conn.exec_driver_sql(f"SELECT count(*) FROM {name}").scalar_one()
                for name in ("usage_days", "usage_hours", "presence_days")
            }
    return Size(app, frame, written, load_seconds, rebuild_seconds, counts)


def create_app(url: str) -> Flask:
    from hub import create_app as factory

    return factory(app_config(url))


# --- what is measured --------------------------------------------------------------


def _bounds(first: date, last: date) -> tuple[datetime, datetime]:
    zone = ZoneInfo(TIMEZONE)
    start = datetime.combine(first, clock(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), clock(0), tzinfo=zone).astimezone(UTC)
    return start, end


def _count(first: date, last: date) -> Callable[[Size], str]:
    def run(size: Size) -> str:
        from bench.seed import _sqlite_instant
        from hub.extensions import db

        start, end = _bounds(first, last)
        mark = "%s" if db.engine.dialect.name == "postgresql" else "?"
        sql = (
            f"SELECT count(*) FROM bookings WHERE hub_id = {mark} "
            f"AND starts_at >= {mark} AND starts_at < {mark}"
        )
        params: tuple[Any, ...] = (size.frame.hub_id, start, end)
        if db.engine.dialect.name == "sqlite":
            params = (size.frame.hub_id, _sqlite_instant(start), _sqlite_instant(end))
        with db.engine.connect() as conn:
            found = conn.exec_driver_sql(sql, params).scalar_one()
            conn.rollback()
        return f"{found:,} rows"

    return run


def _dashboard(period_of: Callable[[], Any]) -> Callable[[Size], str]:
    def run(size: Size) -> str:
        from hub.usage import dashboard

        hub = _hub()
        board = dashboard.build(hub, period_of(), TODAY)
        return f"{board.totals.bookings:,} booked"

    return run


def _export_organizations(size: Size) -> str:
    from hub.usage import export

    columns, rows = export.export_rows(_hub(), FIRST, LAST, "organization")
    text = "".join(export.to_csv(columns, rows))
    return f"{text.count(chr(10)) - 1} rows, {len(text.encode()) // 1024:,} KiB"


def _export_detail_csv(size: Size) -> str:
    from hub.usage import export

    columns, rows = export.export_rows(_hub(), FIRST, LAST, "detail")
    written = 0
    lines = 0
    for piece in export.to_csv(columns, rows):
        written += len(piece.encode())
        lines += piece.count("\n")
    return f"{lines - 1:,} rows, {written // 1024:,} KiB"


def _export_detail_xlsx(size: Size) -> str:
    from hub.usage import export

    columns, rows = export.export_rows(_hub(), *_month_range(), "detail")
    counted = _Counter(rows)
    data = export.to_xlsx(columns, counted, "detail")
    return f"{counted.n:,} rows, {len(data) // 1024:,} KiB"


class _Counter:
    def __init__(self, rows: Iterator[dict[str, Any]]) -> None:
        self.rows, self.n = rows, 0

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for row in self.rows:
            self.n += 1
            yield row


_HUB_TIMER: list[float] = []


def _hub() -> Any:
    """The hub as the usage pages load it (``spaces.get_hub``); not part of the timing."""
    from hub.spaces import service as spaces

    began = time.perf_counter()
    hub = spaces.get_hub(HUB_SLUG)
    _HUB_TIMER.append(time.perf_counter() - began)
    return hub


def _month_range() -> tuple[date, date]:
    return date(YEAR, MONTH, 1), date(YEAR, MONTH, calendar.monthrange(YEAR, MONTH)[1])


def _month() -> Any:
    from hub.usage import periods

    return periods.month(YEAR, MONTH)


def _year() -> Any:
    from hub.usage import periods

    return periods.year(YEAR, TODAY)


@dataclass(frozen=True)
class Step:
    name: str
    reference: str | None  # the count(*) of the same period, for the ratio
    run: Callable[[Size], str]
    # The detail exports take seconds: half the runs (at least one), no warm-up.
    heavy: bool = False


Y, M = f"{YEAR}", f"{YEAR}-{MONTH:02d}"
STEPS = (
    Step(f"count(*) {Y}", None, _count(FIRST, LAST)),
    Step(f"count(*) {M}", None, _count(*_month_range())),
    Step(f"dashboard {Y}", f"count(*) {Y}", _dashboard(_year)),
    Step(f"dashboard {M}", f"count(*) {M}", _dashboard(_month)),
    Step(f"export organization CSV {Y}", f"count(*) {Y}", _export_organizations),
    Step(f"export detail CSV {Y}", f"count(*) {Y}", _export_detail_csv, heavy=True),
    Step(f"export detail XLSX {M}", f"count(*) {M}", _export_detail_xlsx, heavy=True),
)


def heavy_runs(runs: int) -> int:
    return max(1, (runs + 1) // 2)


READS_BOOKINGS = re.compile(r"\b(from|join)\s+bookings\b", re.IGNORECASE)


def run_once(size: Size, name: str, step: Callable[[Size], str], record: bool) -> None:
    """One run of one measurement in a fresh session; the SQL it sends is captured."""
    from hub.extensions import db

    measure = size.measures.setdefault(name, Measure())
    timings: list[tuple[float, str, Any]] = []
    started: list[float] = []

    def before(_c: Any, _cur: Any, statement: str, params: Any, _ctx: Any, _m: Any) -> None:
        started.append(time.perf_counter())

    def after(_c: Any, _cur: Any, statement: str, params: Any, _ctx: Any, _m: Any) -> None:
        timings.append((1000 * (time.perf_counter() - started.pop()), statement, params))

    with size.app.test_request_context():
        db.session.remove()
        _HUB_TIMER.clear()
        sa.event.listen(db.engine, "before_cursor_execute", before)
        sa.event.listen(db.engine, "after_cursor_execute", after)
        try:
            began = time.perf_counter()
            detail = step(size)
            elapsed = time.perf_counter() - began - sum(_HUB_TIMER)
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", before)
            sa.event.remove(db.engine, "after_cursor_execute", after)
            db.session.remove()
    # The hub's own load (get_hub: hub + spaces) and BEGIN are not the report's SQL.
    timings = [t for t in timings if not _is_hub_load(t[1]) and not t[1].startswith("BEGIN")]
    if record:
        measure.ms.append(1000 * elapsed)
    measure.detail = detail
    measure.statements = len(timings)
    measure.reads_bookings = any(READS_BOOKINGS.search(sql) for _ms, sql, _p in timings)
    measure.timings = timings


def _is_hub_load(sql: str) -> bool:
    text = " ".join(sql.split()).lower()
    hub_row = text.startswith("select hubs.") and "where hubs.slug" in text
    hub_spaces = text.startswith("select spaces.") and "spaces.hub_id in" in text
    return hub_row or hub_spaces


def measure_all(sizes: Sequence[Size], runs: int) -> None:
    for step in STEPS:
        for _ in range(0 if step.heavy else WARMUP):
            for size in sizes:
                run_once(size, step.name, step.run, False)
        for round_ in range(heavy_runs(runs) if step.heavy else runs):
            for size in sizes if round_ % 2 == 0 else reversed(sizes):
                run_once(size, step.name, step.run, True)


def statement_times(size: Size, name: str, top: int) -> list[tuple[float, str, Any]]:
    """The statements of one run of ``name``, each sent again alone through the driver and
    fetched (the cursor timings miss SQLite's lazy fetch); the slowest first."""
    from hub.extensions import db

    timed = []
    with size.app.app_context(), db.engine.connect() as conn:
        for _ms, sql, params in size.measures[name].timings:
            best = float("inf")
            for _ in range(2):  # the faster of two: the first may pay for warming up
                began = time.perf_counter()
                conn.exec_driver_sql(sql, params).fetchall()
                best = min(best, time.perf_counter() - began)
            timed.append((1000 * best, sql, params))
        conn.rollback()
    return sorted(timed, key=lambda t: -t[0])[:top]


def explain(size: Size, sql: str, params: Any) -> list[str]:
    from hub.extensions import db

    with size.app.app_context(), db.engine.connect() as conn:
        if db.engine.dialect.name == "postgresql":
            rows = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql, params)
            lines = [r[0] for r in rows]
        else:
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params)
            depth: dict[int, int] = {0: 0}
            lines = []
            for node, parent, _unused, detail in rows:
                depth[node] = depth.get(parent, 0) + 1
                lines.append("  " * (depth[node] - 1) + detail)
        conn.rollback()
    return lines


def bench_backend(backend: str, small: int, big: int, runs: int) -> dict[str, Any]:
    from hub.extensions import db

    if big <= small:
        raise SystemExit("the second usage size must be larger than the first")
    with (
        scratch_database(backend, "hub_bench_usage_small") as small_db,
        scratch_database(backend, "hub_bench_usage_big") as big_db,
    ):
        sizes = [build(small_db.url, small), build(big_db.url, big)]
        try:
            measure_all(sizes, runs)
            slowest = statement_times(sizes[1], f"dashboard {Y}", 6)
            plan = explain(sizes[1], slowest[0][1], slowest[0][2]) if slowest else []
        finally:
            for size in sizes:
                with size.app.app_context():
                    db.session.remove()
                    db.engine.dispose()
    return {
        "backend": backend,
        "small": sizes[0],
        "big": sizes[1],
        "slowest": slowest,
        "plan": plan,
    }


# --- the report --------------------------------------------------------------------


def label(n: int) -> str:
    if n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    return f"{n / 1000:,.0f}k"


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.1f}x" if b else "-"


def _short_sql(sql: str, width: int = 150) -> str:
    text = " ".join(sql.split())
    return text if len(text) <= width else text[: width - 3] + "..."


def _repeated(timings: Sequence[tuple[float, str, Any]]) -> list[tuple[int, float, str]]:
    """Statements sent five times or more in one run: (times, total ms, SQL)."""
    groups: dict[str, list[float]] = {}
    for ms, sql, _params in timings:
        groups.setdefault(sql, []).append(ms)
    return sorted(((len(v), sum(v), sql) for sql, v in groups.items() if len(v) >= 5), reverse=True)


def report(results: Sequence[dict[str, Any]], runs: int) -> str:
    if not results:
        return "Usage: nothing measured"
    first = results[0]
    s_label, b_label = label(first["small"].rows), label(first["big"].rows)
    head = (
        f"Usage reports of one hub ({DESKS} desks, {CELLS} cells, {ROOMS} meeting rooms; "
        f"{PEOPLE:,} people in {ORGS} organizations) for {YEAR}, {s_label} and {b_label} "
        f"bookings; median of {runs} runs after {WARMUP} warm-up (detail exports: "
        f"{heavy_runs(runs)} runs, no warm-up), alternating between the sizes"
    )
    data_rows = []
    for res in results:
        for size in (res["small"], res["big"]):
            data_rows.append(
                [
                    res["backend"],
                    size.rows,
                    size.load_seconds,
                    size.rebuild_seconds,
                    size.rollup_rows["usage_days"],
                    size.rollup_rows["usage_hours"],
                    size.rollup_rows["presence_days"],
                ]
            )
        small, big = res["small"], res["big"]
        data_rows.append(
            [
                f"{res['backend']} {b_label} / {s_label}",
                None,
                _ratio(big.load_seconds, small.load_seconds),
                _ratio(big.rebuild_seconds, small.rebuild_seconds),
                _ratio(big.rollup_rows["usage_days"], small.rollup_rows["usage_days"]),
                _ratio(big.rollup_rows["usage_hours"], small.rollup_rows["usage_hours"]),
                _ratio(big.rollup_rows["presence_days"], small.rollup_rows["presence_days"]),
            ]
        )
    time_rows = []
    for res in results:
        small, big = res["small"], res["big"]
        for step in STEPS:
            name, reference = step.name, step.reference
            ms_small, ms_big = median(small.measures[name].ms), median(big.measures[name].ms)
            row: list[Any] = [res["backend"], name, ms_small, ms_big, _ratio(ms_big, ms_small)]
            if reference is None:
                row += [None, None]
            else:
                row += [
                    _ratio(ms_small, median(small.measures[reference].ms)),
                    _ratio(ms_big, median(big.measures[reference].ms)),
                ]
            row += [
                big.measures[name].statements,
                "yes" if big.measures[name].reads_bookings else "no",
                big.measures[name].detail,
            ]
            time_rows.append(row)
    text = [
        head,
        "",
        table(
            [
                "database",
                "bookings",
                "load s",
                "rebuild s",
                "usage_days",
                "usage_hours",
                "presence_days",
            ],
            data_rows,
        ),
        "",
        table(
            [
                "database",
                "measurement",
                f"{s_label} ms",
                f"{b_label} ms",
                f"{b_label} / {s_label}",
                f"/ count(*) {s_label}",
                f"/ count(*) {b_label}",
                "SQL",
                "reads bookings",
                f"result at {b_label}",
            ],
            time_rows,
        ),
        "",
        "load s: bulk insert of the bookings; rebuild s: rollup.rebuild of the year + commit "
        "(the one-off cost of the roll-up). / count(*): the report's time over the count(*) "
        "of the same period's bookings. SQL: statements the report sends (hub load excluded).",
    ]
    for res in results:
        text += [
            "",
            f"Slowest statements of dashboard {YEAR}, {res['backend']}, {b_label} "
            f"(each sent alone and fetched):",
        ]
        for ms, sql, _params in res["slowest"]:
            text.append(f"  {ms:8.1f} ms  {_short_sql(sql)}")
        if res["plan"]:
            text.append("  plan of the slowest:")
            text += ["    " + line for line in res["plan"]]
        repeated = _repeated(res["big"].measures[f"dashboard {Y}"].timings)
        if repeated:
            text.append("  statements sent once per row (N+1), with their total cursor time:")
            for count, total_ms, sql in repeated:
                text.append(f"  {count:4d} x {total_ms:6.1f} ms  {_short_sql(sql, 130)}")
    return "\n".join(text)
