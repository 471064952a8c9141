"""Benchmark 2: a hub's week of availability with 10 thousand and with 1 million bookings.

For each backend, two scratch databases with the same frame (20 hubs x 35
bookable spaces, 600 people in 30 organizations): one gets the first ``small``
generated bookings, the other the first ``big`` (bench/seed.py), so the target
hub-week (hub-00, week of 2025-11-17) holds the same bookings in both and only
the size of the table differs. After the load: ANALYZE (VACUUM ANALYZE on
PostgreSQL, a WAL checkpoint on SQLite).

Measured in process (no HTTP), alternating between the two databases run by
run, so that load from other programs on the machine weighs on both sizes alike:

- ``hub_availability``: ``hub.booking.availability.hub_availability(hub, monday,
  7, viewer)`` with a member of the hub as viewer; each run in a fresh session,
  with the hub loaded as the week page loads it, then timed. Median of ``runs``
  runs after three warm-up runs.
- ``query``: the one bookings query that call sends (captured from the engine,
  so it is exactly the application's SQL), run alone through the driver and
  fetched; median of as many runs. This is the part that could grow with the
  table; the rest is Python over the week's rows.

The plan of that query on the big table is printed (EXPLAIN ANALYZE on
PostgreSQL, EXPLAIN QUERY PLAN on SQLite) to show which index serves it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask import Flask

from bench.common import app_config, median, scratch_database, table

WARMUP = 3


@dataclass
class Size:
    """One database of one size, with what was measured on it."""

    app: Flask
    frame: Any
    rows: int
    load_seconds: float
    busy_slots: int = 0
    query_rows: int = 0
    call_ms: list[float] = field(default_factory=list)
    query_ms: list[float] = field(default_factory=list)
    statement: tuple[str, Any] | None = None
    plan: list[str] = field(default_factory=list)


def build(url: str, count: int) -> Size:
    from bench import seed
    from hub import create_app
    from hub.extensions import db

    app = create_app(app_config(url))
    with app.app_context():
        frame = seed.make_frame()
        db.session.remove()
        began = time.perf_counter()
        written = seed.load(db.engine, seed.generate(frame), count)
        seed.settle(db.engine)
        if written != count:
            raise RuntimeError(f"generated only {written} rows, wanted {count}")
        return Size(app, frame, written, time.perf_counter() - began)


def _is_week_query(statement: str) -> bool:
    text = statement.lower()
    return "from bookings" in text and "join organizations" in text


def call_once(size: Size, record: bool) -> None:
    """One timed hub_availability call on this size; the first one also keeps its SQL."""
    from hub.accounts.models import User
    from hub.booking.availability import hub_availability
    from hub.extensions import db
    from hub.spaces import service as spaces

    with size.app.app_context():
        captured: list[tuple[str, Any]] = []

        def listener(_c: Any, _cur: Any, statement: str, params: Any, _ctx: Any, _m: Any) -> None:
            if _is_week_query(statement):
                captured.append((statement, params))

        db.session.remove()
        hub = spaces.get_hub(size.frame.hub_slugs[0])
        viewer = db.session.get(User, size.frame.viewer_id)
        sa.event.listen(db.engine, "before_cursor_execute", listener)
        try:
            began = time.perf_counter()
            result = hub_availability(hub, size.frame.target_monday, 7, viewer)
            elapsed = time.perf_counter() - began
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", listener)
        size.busy_slots = sum(len(day.busy) for space in result for day in space.days)
        if record:
            size.call_ms.append(1000 * elapsed)
        if captured:
            size.statement = captured[-1]
        db.session.remove()


def query_once(size: Size, record: bool) -> None:
    from hub.extensions import db

    if size.statement is None:
        raise RuntimeError("hub_availability sent no bookings query that joins organizations")
    statement, parameters = size.statement
    with size.app.app_context(), db.engine.connect() as conn:
        began = time.perf_counter()
        fetched = conn.exec_driver_sql(statement, parameters).fetchall()
        if record:
            size.query_ms.append(1000 * (time.perf_counter() - began))
        size.query_rows = len(fetched)
        conn.rollback()


def alternate(sizes: Sequence[Size], step: Callable[[Size, bool], None], runs: int) -> None:
    """Warm up, then run ``step`` on each size in turn (the order flips every round)."""
    for _ in range(WARMUP):
        for size in sizes:
            step(size, False)
    for round_ in range(runs):
        for size in sizes if round_ % 2 == 0 else reversed(sizes):
            step(size, True)


def explain(size: Size) -> list[str]:
    from hub.extensions import db

    assert size.statement is not None
    statement, parameters = size.statement
    with size.app.app_context(), db.engine.connect() as conn:
        if db.engine.dialect.name == "postgresql":
            rows = conn.exec_driver_sql(
                "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + statement, parameters
            ).all()
            lines = [r[0] for r in rows]
        else:
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
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
        raise SystemExit("--big must be larger than --small")
    with (
        scratch_database(backend, "hub_bench_avail_small") as small_db,
        scratch_database(backend, "hub_bench_avail_big") as big_db,
    ):
        sizes = [build(small_db.url, small), build(big_db.url, big)]
        if sizes[0].frame != sizes[1].frame:
            raise RuntimeError("the two databases got different frames")
        try:
            alternate(sizes, call_once, runs)
            alternate(sizes, query_once, runs)
            for size in sizes:
                size.plan = explain(size)
        finally:
            for size in sizes:
                with size.app.app_context():
                    db.session.remove()
                    db.engine.dispose()
    frame = sizes[0].frame
    return {
        "backend": backend,
        "small": sizes[0],
        "big": sizes[1],
        "monday": frame.target_monday,
        "hub": frame.hub_slugs[0],
    }


def report(results: Sequence[dict[str, Any]], small: int, big: int, runs: int) -> str:
    if not results:
        return "Availability: nothing measured"
    first = results[0]
    head = (
        f"Availability of {first['hub']} for the week of {first['monday']:%Y-%m-%d} "
        f"(35 bookable spaces x 7 days), median of {runs} runs after {WARMUP} warm-up runs, "
        "alternating between the two table sizes"
    )
    rows = []
    for res in results:
        for size in (res["small"], res["big"]):
            rows.append(
                [
                    res["backend"],
                    size.rows,
                    size.busy_slots,
                    median(size.call_ms),
                    min(size.call_ms),
                    median(size.query_ms),
                    size.query_rows,
                    size.load_seconds,
                ]
            )
        small_m, big_m = res["small"], res["big"]
        rows.append(
            [
                f"{res['backend']} {big_m.rows // 1000:,}k / {small_m.rows // 1000:,}k",
                None,
                None,
                f"{median(big_m.call_ms) / median(small_m.call_ms):.2f}x",
                f"{min(big_m.call_ms) / min(small_m.call_ms):.2f}x",
                f"{median(big_m.query_ms) / median(small_m.query_ms):.2f}x",
                None,
                None,
            ]
        )
    text = [
        head,
        "",
        table(
            [
                "database",
                "bookings",
                "busy in week",
                "hub_availability ms",
                "min ms",
                "query ms",
                "query rows",
                "load s",
            ],
            rows,
        ),
        "",
        "Target: the big table within 1.5x of the small one (the ratio rows).",
    ]
    for res in results:
        size = res["big"]
        text += ["", f"Plan of the bookings query, {res['backend']}, {size.rows:,} rows:"]
        text += ["  " + line for line in size.plan]
    return "\n".join(text)
