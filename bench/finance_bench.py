"""Benchmark 4: a year's financing statements of 100 hubs over 2 million usage rows.

For each backend, one scratch database. The frame is made with the services,
as an administrator would: 100 hubs, each with 18 desks, 8 cells, 6 meeting
rooms and a common area; a host municipality; 6-10 partner memberships drawn
from 40 state agencies (two pay a fixed yearly amount only, the others carry
the residual by weight and area, half of them with a yearly amount as well,
one of them with a yearly cap, and in every other hub one partner joins on
1 April); a project (monthly overhead and unit rates, February to October)
and a guest (unit rates); rent and operations for 2026, one grant; the
financing model for 2026 with the key ``use`` (even hubs) or ``blend`` (odd
hubs), saved with ``hub.finance.financing.save_model``.

The usage is written straight into the daily roll-up ``usage_days`` (hub x day
x space x organization), which is what the statements read; nobody reads
bookings here, so none are made. The rows are spread evenly over the hubs and
the open days of 2026 (Mon-Fri less the public holidays): per hub-day a
deterministic draw of distinct (space, organization) pairs, organizations
weighted by kind (partners most, the guest least), a project or a partner
only inside its membership. Each row's counters come from a plausible day of
that kind: desks 1-2 bookings of a half or a whole day, cells 1-3 short
bookings, rooms 1-4 meetings of 30-120 minutes; about 5 % no-shows and four
in five checked in. ``presence_days`` stays empty (the statements' usage
summary then has no person-days; its aggregate reads nothing).

Measured in process, inside ``app.test_request_context()``, best of ``runs``
runs, the three in turn run by run:

- the reference: ``SELECT hub_id, organization_id, sum(...) FROM usage_days
  WHERE day BETWEEN '2026-01-01' AND '2026-12-31' GROUP BY hub_id,
  organization_id`` (the six counters), through the driver and fetched;
- ``cost_share.compute(hub, 2026-01-01, 2026-12-31)`` for every hub, in a fresh
  session with the hubs already loaded (the computation only);
- the statements: per hub, in one transaction, ``statements.create_drafts``
  for the year and ``statements.issue`` of every draft (which computes the
  share again, numbers, hashes, renders the PDF and queues the delivery), then
  the commit. The statements are deleted between runs, untimed.

After each statements run, apart from the timings above: the PDFs of the first
50 statements rendered again from their stored documents
(``pdf.render_statement``, the part of issuing that is fpdf2), timed to give the
share of PDF rendering in the statements' time (seconds a PDF x statements);
after the first run, the checks that those PDFs are byte-identical to the
stored ones and that the statements add up to what ``compute`` charges.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import Flask

from bench.common import app_config, machine_summary, make_hub, scratch_database, table

YEAR = 2026
FIRST, LAST = date(YEAR, 1, 1), date(YEAR, 12, 31)
SEED = 20261126
DATABASE = "hub_bench_finance"

DESKS, CELLS, ROOMS = 18, 8, 6
AGENCIES, PROJECTS, GUESTS = 40, 20, 20
# Norwegian public holidays of 2026 on weekdays (Easter 5 April, 17 May a Sunday).
HOLIDAYS = frozenset(
    {
        date(2026, 1, 1),
        date(2026, 4, 2),
        date(2026, 4, 3),
        date(2026, 4, 6),
        date(2026, 5, 1),
        date(2026, 5, 14),
        date(2026, 5, 25),
        date(2026, 12, 25),
    }
)
MUNICIPALITIES = (
    "Lyngdal",
    "Farsund",
    "Flekkefjord",
    "Kvinesdal",
    "Sirdal",
    "Hægebostad",
    "Åseral",
    "Lindesnes",
    "Vennesla",
    "Evje og Hornnes",
)
USAGE_COLUMNS = (
    "hub_id",
    "day",
    "space_id",
    "organization_id",
    "bookings",
    "booked_half_days",
    "booked_minutes",
    "used_half_days",
    "used_minutes",
    "no_shows",
)
# How much each kind of member books, relative to each other.
USE_WEIGHT = {"host": 2.0, "fixed": 2.0, "carrier": 3.0, "project": 1.5, "guest": 0.5}
MAX_FILL = 0.6  # at most this share of a hub-day's (space, organization) pairs gets a row
PDF_SAMPLE = 50  # statements whose PDF is rendered again on its own, after each run


def kroner(amount: int) -> int:
    return amount * 100


# --- the frame --------------------------------------------------------------------


@dataclass(frozen=True)
class Booker:
    """An organization that books in a hub: its use weight and the days it may book."""

    organization_id: int
    weight: float
    first: date
    last: date


@dataclass(frozen=True)
class HubFrame:
    hub_id: int
    spaces: list[tuple[int, str]]  # (space_id, kind) of the bookable spaces
    users: list[Booker]


@dataclass(frozen=True)
class Frame:
    hubs: list[HubFrame]
    memberships: int


def make_frame(hubs: int) -> Frame:
    """Organizations, hubs, spaces, memberships, costs, funding and models, via the services."""
    from hub.accounts import service as accounts
    from hub.extensions import db
    from hub.finance import financing
    from hub.finance import service as finance

    rng = random.Random(SEED)

    def organization(name: str, kind: str, email: str) -> int:
        org = accounts.create_organization({"name": name, "kind": kind, "contact_email": email})
        return org.id

    agencies = [
        organization(f"Etat {n:02d}", "state_agency", f"post@etat{n:02d}.example.no")
        for n in range(1, AGENCIES + 1)
    ]
    projects = [
        organization(f"Prosjekt {n:02d}", "project", f"prosjekt{n:02d}@example.no")
        for n in range(1, PROJECTS + 1)
    ]
    guests = [
        organization(f"Gjest {n:02d} AS", "company", f"faktura@gjest{n:02d}.example.no")
        for n in range(1, GUESTS + 1)
    ]
    frames, memberships = [], 0
    for h in range(1, hubs + 1):
        town = MUNICIPALITIES[h % len(MUNICIPALITIES)]
        host = organization(f"Vertskommune {h:03d}", "municipality", f"post@kommune{h:03d}.no")
        hub, made = make_hub(
            {"slug": f"hub-{h:03d}", "name": f"Regionkontor {h:03d}", "municipality": town},
            DESKS,
            CELLS,
            ROOMS,
        )

        def member(org_id: int, kind: str, starts_on: date, hub: Any = hub, **terms: Any) -> None:
            values = {"organization_id": org_id, "kind": kind, "starts_on": starts_on} | terms
            accounts.create_membership(hub, values)

        users = [Booker(host, USE_WEIGHT["host"], FIRST, LAST)]
        member(host, "host", date(2024, 1, 1), dedicated_area_m2=Decimal(40))
        partners = rng.sample(agencies, rng.randint(6, 10))
        late = h % 2 == 0  # every other hub: a partner joins on 1 April
        for i, org_id in enumerate(partners):
            starts_on = date(YEAR, 4, 1) if late and i == len(partners) - 1 else date(2025, 1, 1)
            if i < 2:  # a fixed yearly amount, no share of the residual
                amount = kroner(rng.randrange(150_000, 300_001, 5_000))
                member(org_id, "partner", starts_on, yearly_amount_ore=amount)
                users.append(Booker(org_id, USE_WEIGHT["fixed"], starts_on, LAST))
                continue
            terms: dict[str, Any] = {
                "carries_residual": True,
                "weight": Decimal(rng.choice((1, 1, 2, 3))),
                "dedicated_area_m2": Decimal(rng.randrange(20, 121, 5)),
            }
            if i % 2 == 0:
                terms["yearly_amount_ore"] = kroner(rng.randrange(50_000, 100_001, 5_000))
            if i == 2:  # one carrier with a yearly cap on all it pays
                terms["cap_ore"] = kroner(rng.randrange(150_000, 250_001, 10_000))
            member(org_id, "partner", starts_on, **terms)
            users.append(Booker(org_id, USE_WEIGHT["carrier"], starts_on, LAST))
        project = projects[h % PROJECTS]
        member(
            project,
            "project",
            date(YEAR, 2, 1),
            ends_on=date(YEAR, 10, 31),
            monthly_overhead_ore=kroner(rng.randrange(4_000, 8_001, 500)),
            desk_day_rate_ore=kroner(150),
            room_hour_rate_ore=kroner(100),
        )
        users.append(Booker(project, USE_WEIGHT["project"], date(YEAR, 2, 1), date(YEAR, 10, 31)))
        guest = guests[h % GUESTS]
        member(
            guest,
            "guest",
            date(2025, 9, 1),
            desk_day_rate_ore=kroner(250),
            cell_day_rate_ore=kroner(350),
            room_hour_rate_ore=kroner(200),
        )
        users.append(Booker(guest, USE_WEIGHT["guest"], FIRST, LAST))
        memberships += 1 + len(partners) + 2
        for category, description, low, high in (
            ("rent", f"Husleie {YEAR}", 900_000, 2_400_000),
            ("operations", f"Drift {YEAR}", 300_000, 700_000),
        ):
            finance.create_cost_item(
                hub,
                {
                    "category": category,
                    "description": description,
                    "amount_ore": kroner(rng.randrange(low, high + 1, 10_000)),
                    "starts_on": FIRST,
                    "ends_on": LAST,
                },
            )
        finance.create_funding(
            hub,
            {
                "kind": "grant",
                "source": "Agder fylkeskommune",
                "amount_ore": kroner(rng.randrange(200_000, 500_001, 10_000)),
                "starts_on": FIRST,
                "ends_on": LAST,
            },
        )
        model: dict[str, Any] = {"statement_prefix": f"H{h:03d}", "cadence": "yearly"}
        if h % 2 == 0:
            model |= {"key": "use", "desk_day_weight": "1", "cell_day_weight": "1.5"}
            model |= {"room_hour_weight": "0.25"}
        else:
            model |= {"key": "blend", "blend_equal_pct": "20", "blend_weights_pct": "30"}
            model |= {"blend_use_pct": "40", "blend_area_pct": "10"}
        financing.save_model(hub, YEAR, model)
        frames.append(HubFrame(hub.id, made, users))
        db.session.commit()
    return Frame(frames, memberships)


# --- the usage rows --------------------------------------------------------------------


def open_days() -> list[date]:
    day, days = FIRST, []
    while day <= LAST:
        if day.weekday() < 5 and day not in HOLIDAYS:
            days.append(day)
        day += timedelta(days=1)
    return days


def _templates(rng: random.Random) -> dict[str, list[tuple[int, ...]]]:
    """Per kind, 1,000 plausible days of one organization in one space: the six counters."""
    out: dict[str, list[tuple[int, ...]]] = {}
    for kind in ("desk", "cell", "meeting_room"):
        rows = []
        for _ in range(1000):
            if kind == "desk":
                bookings = 1 if rng.random() < 0.85 else 2
                if bookings == 2:  # morning and afternoon
                    half, minutes = 2, rng.randrange(360, 481, 15)
                elif rng.random() < 0.3:
                    half, minutes = 1, rng.randrange(120, 241, 15)
                else:
                    half, minutes = 2, rng.randrange(300, 481, 15)
            elif kind == "cell":
                bookings = rng.choice((1, 1, 1, 2, 2, 3))
                half = bookings
                minutes = sum(rng.choice((30, 45, 60, 60, 90, 120)) for _ in range(bookings))
            else:
                bookings = rng.choice((1, 1, 2, 2, 3, 4))
                half = 0
                minutes = sum(rng.choice((30, 45, 60, 60, 90, 120)) for _ in range(bookings))
            no_shows = 1 if rng.random() < 0.05 else 0
            if no_shows and bookings == 1:
                used_half, used_minutes = 0, 0
            elif rng.random() < 0.8:
                used_half, used_minutes = half, minutes
            else:
                used_half, used_minutes = 0, 0
            rows.append((bookings, half, minutes, used_half, used_minutes, no_shows))
        out[kind] = rows
    return out


def usage_rows(frame: Frame, total: int) -> Iterator[tuple]:
    """Exactly ``total`` usage_days rows in ``USAGE_COLUMNS`` order, in primary-key order;
    deterministic."""
    rng = random.Random(SEED)
    templates = _templates(random.Random(SEED + 1))
    days = open_days()
    cells = len(frame.hubs) * len(days)
    i = 0
    for hub in frame.hubs:
        pairs_for: dict[tuple[Booker, ...], tuple[list[tuple[int, str, int]], list[float]]] = {}
        for day in days:
            count = (i + 1) * total // cells - i * total // cells
            i += 1
            eligible = tuple(u for u in hub.users if u.first <= day <= u.last)
            if eligible not in pairs_for:
                pairs = sorted(
                    (space_id, kind, u.organization_id, u.weight)
                    for space_id, kind in hub.spaces
                    for u in eligible
                )
                cumulative, running = [], 0.0
                for pair in pairs:
                    running += pair[3]
                    cumulative.append(running)
                pairs_for[eligible] = ([p[:3] for p in pairs], cumulative)
            pairs, cumulative = pairs_for[eligible]
            if count > MAX_FILL * len(pairs):
                raise SystemExit(
                    f"{total:,} usage rows over {len(frame.hubs)} hubs are {count} a hub-day, "
                    f"more than {MAX_FILL:.0%} of the {len(pairs)} (space, organization) pairs; "
                    "give more hubs or fewer rows"
                )
            chosen: set[int] = set()
            indexes = range(len(pairs))
            while len(chosen) < count:
                chosen.update(rng.choices(indexes, cum_weights=cumulative, k=count - len(chosen)))
            for index in sorted(chosen):
                space_id, kind, org_id = pairs[index]
                yield (hub.hub_id, day, space_id, org_id, *rng.choice(templates[kind]))


# --- the database ----------------------------------------------------------------------


@dataclass
class Run:
    seconds: list[float] = field(default_factory=list)
    statements: int = 0  # statements made (the statements run)
    sql: int = 0  # SQL statements sent in one run
    detail: str = ""


@dataclass
class Result:
    backend: str
    hubs: int
    rows: int
    memberships: int
    organizations: int
    frame_seconds: float = 0.0
    load_seconds: float = 0.0
    runs: dict[str, Run] = field(default_factory=dict)
    checks: list[str] = field(default_factory=list)


def create_app(url: str) -> Flask:
    from hub import create_app as factory

    return factory(app_config(url))


class _SqlCounter:
    """Counts the SQL statements the engine sends while active."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine, self.count = engine, 0

    def _seen(self, *_args: Any) -> None:
        self.count += 1

    def __enter__(self) -> _SqlCounter:
        sa.event.listen(self.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *_exc: object) -> None:
        sa.event.remove(self.engine, "before_cursor_execute", self._seen)


def reference_sql(dialect: str) -> tuple[str, tuple[Any, ...]]:
    sums = ", ".join(f"sum({c})" for c in USAGE_COLUMNS[4:])
    mark = "%s" if dialect == "postgresql" else "?"
    sql = (
        f"SELECT hub_id, organization_id, {sums} FROM usage_days "
        f"WHERE day BETWEEN {mark} AND {mark} GROUP BY hub_id, organization_id"
    )
    params: tuple[Any, ...] = (FIRST, LAST)
    if dialect == "sqlite":
        params = (FIRST.isoformat(), LAST.isoformat())
    return sql, params


def run_reference(app: Flask, result: Result) -> None:
    from hub.extensions import db

    run = result.runs.setdefault("reference", Run())
    with app.app_context(), db.engine.connect() as conn:
        sql, params = reference_sql(db.engine.dialect.name)
        began = time.perf_counter()
        rows = conn.exec_driver_sql(sql, params).fetchall()
        run.seconds.append(time.perf_counter() - began)
        conn.rollback()
    run.sql = 1
    booked = sum(int(r[2]) for r in rows)
    run.detail = f"{len(rows):,} groups, {booked:,} bookings"


def run_compute(app: Flask, result: Result) -> int:
    """cost_share.compute for every hub; returns what the shares charge in total (øre)."""
    from hub.extensions import db
    from hub.finance import cost_share
    from hub.spaces.models import Hub

    run = result.runs.setdefault("compute", Run())
    with app.test_request_context():
        db.session.remove()
        hubs = list(db.session.scalars(sa.select(Hub).order_by(Hub.id)))
        charged, shares = 0, 0
        with _SqlCounter(db.engine) as counter:
            began = time.perf_counter()
            for hub in hubs:
                allocation = cost_share.compute(hub, FIRST, LAST)
                charged += sum(s.amount_ore for s in allocation.shares)
                shares += len(allocation.shares)
            run.seconds.append(time.perf_counter() - began)
        db.session.rollback()
        db.session.remove()
    run.sql = counter.count
    run.detail = f"{shares:,} shares"
    return charged


def run_statements(app: Flask, result: Result) -> None:
    from hub.database import begin_write
    from hub.extensions import db
    from hub.finance import statements
    from hub.spaces.models import Hub

    run = result.runs.setdefault("statements", Run())
    with app.test_request_context():
        db.session.remove()
        session = db.session()
        hub_ids = list(session.scalars(sa.select(Hub.id).order_by(Hub.id)))
        session.commit()
        made = 0
        with _SqlCounter(db.engine) as counter:
            began = time.perf_counter()
            for hub_id in hub_ids:
                begin_write(session)
                hub = session.get(Hub, hub_id)
                assert hub is not None
                for draft in statements.create_drafts(hub, FIRST, LAST):
                    statements.issue(draft)
                    made += 1
                session.commit()
            run.seconds.append(time.perf_counter() - began)
        db.session.remove()
    run.statements = made
    run.sql = counter.count


def run_pdf(app: Flask, result: Result, check: bool) -> tuple[int, int, int]:
    """Render the PDFs of the first ``PDF_SAMPLE`` statements again from their stored
    documents; returns (PDFs rendered, of them identical to the stored ones, the sum of
    all statements' totals in øre)."""
    from sqlalchemy.orm import undefer

    from hub.extensions import db
    from hub.finance import pdf as pdf_render
    from hub.finance.models import Statement

    run = result.runs.setdefault("pdf", Run())
    with app.app_context():
        db.session.remove()
        total = db.session.scalar(sa.select(sa.func.sum(Statement.total_ore))) or 0
        query = sa.select(Statement).order_by(Statement.id).limit(PDF_SAMPLE)
        if check:
            query = query.options(undefer(Statement.pdf))
        found = list(db.session.scalars(query))
        documents = [s.document for s in found]
        began = time.perf_counter()
        rendered = [pdf_render.render_statement(document) for document in documents]
        elapsed = time.perf_counter() - began
        same = sum(1 for s, data in zip(found, rendered, strict=True) if check and s.pdf == data)
        db.session.rollback()
        db.session.remove()
    # Seconds a PDF, scaled to all statements of the run in the report.
    run.seconds.append(elapsed / max(1, len(found)))
    run.statements = len(found)
    return len(found), same, int(total)


def clear_statements(app: Flask) -> None:
    from hub.database import begin_write
    from hub.extensions import db
    from hub.finance.models import Statement, StatementDelivery

    with app.app_context():
        session = db.session()
        begin_write(session)
        session.execute(sa.delete(StatementDelivery))
        session.execute(sa.delete(Statement))
        session.commit()
        db.session.remove()
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                    "VACUUM ANALYZE statements, statement_deliveries"
                )


def bench_backend(backend: str, rows: int, hubs: int, runs: int) -> Result:
    from bench import seed
    from hub.extensions import db

    with scratch_database(backend, DATABASE) as scratch:
        app = create_app(scratch.url)
        try:
            with app.app_context():
                began = time.perf_counter()
                frame = make_frame(hubs)
                frame_seconds = time.perf_counter() - began
                db.session.remove()
                print(f"  frame: {hubs} hubs via the services in {frame_seconds:.1f} s")
                began = time.perf_counter()
                written = seed.load_table(
                    db.engine, "usage_days", USAGE_COLUMNS, usage_rows(frame, rows)
                )
                load_seconds = time.perf_counter() - began
                if written != rows:
                    raise RuntimeError(f"wrote {written} usage rows, wanted {rows}")
                print(f"  usage_days: {written:,} rows made and loaded in {load_seconds:.1f} s")
                seed.settle(db.engine)
                with db.engine.connect() as conn:
                    organizations = conn.exec_driver_sql(
                        "SELECT count(DISTINCT organization_id) FROM memberships"
                    ).scalar_one()
            result = Result(backend, hubs, written, frame.memberships, organizations)
            result.frame_seconds, result.load_seconds = frame_seconds, load_seconds
            for n in range(runs):
                run_reference(app, result)
                charged = run_compute(app, result)
                run_statements(app, result)
                rendered, same, total = run_pdf(app, result, check=n == 0)
                if n == 0:
                    result.checks.append(
                        f"{same:,} of {rendered:,} PDFs rendered again are byte-identical to the "
                        "stored ones"
                    )
                    agree = "=" if total == charged else "!="
                    result.checks.append(
                        f"statements add up to {total / 100:,.2f} kr {agree} the shares "
                        f"compute charges ({charged / 100:,.2f} kr)"
                    )
                clear_statements(app)
                times = ", ".join(
                    f"{name} {result.runs[name].seconds[-1]:.2f} s"
                    for name in ("reference", "compute", "statements")
                )
                made = result.runs["statements"].statements
                pdf_ms = 1000 * result.runs["pdf"].seconds[-1]
                print(f"  run {n + 1}/{runs}: {times} ({made:,}); a PDF alone {pdf_ms:.0f} ms")
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
    return result


# --- the report --------------------------------------------------------------------


def _rate(value: float) -> float | int:
    return round(value) if value >= 100 else value


def _ratio(a: float, b: float) -> str:
    return f"{a / b:,.1f}x" if b else "-"


def report(results: Sequence[Result], runs: int) -> str:
    if not results:
        return "Finance: nothing measured"
    first = results[0]
    text = [
        f"Financing statements of {first.hubs} hubs for {YEAR} over {first.rows:,} usage rows "
        f"(usage_days); best of {runs} runs (median beside it)",
    ]
    for res in results:
        best = {name: min(run.seconds) for name, run in res.runs.items()}
        mid = {name: statistics.median(run.seconds) for name, run in res.runs.items()}
        reference = best["reference"]
        statements = res.runs["statements"].statements
        rows = [
            [
                "GROUP BY hub_id, organization_id",
                res.rows,
                res.hubs,
                None,
                best["reference"],
                mid["reference"],
                _rate(res.rows / best["reference"]),
                "rows",
                "1.0x",
                1,
                res.runs["reference"].detail,
            ],
            [
                "cost_share.compute, every hub",
                res.rows,
                res.hubs,
                None,
                best["compute"],
                mid["compute"],
                _rate(res.hubs / best["compute"]),
                "hubs",
                _ratio(best["compute"], reference),
                res.runs["compute"].sql,
                res.runs["compute"].detail,
            ],
            [
                "statements: create_drafts + issue",
                res.rows,
                res.hubs,
                statements,
                best["statements"],
                mid["statements"],
                _rate(statements / best["statements"]),
                "statements",
                _ratio(best["statements"], reference),
                res.runs["statements"].sql,
                "one transaction per hub, PDFs included",
            ],
            [
                "  of which PDF rendering (est.)",
                None,
                None,
                statements,
                best["pdf"] * statements,
                mid["pdf"] * statements,
                _rate(1 / best["pdf"]),
                "statements",
                _ratio(best["pdf"] * statements, reference),
                0,
                f"{1000 * best['pdf']:.0f} ms a PDF ({res.runs['pdf'].statements} rendered again)",
            ],
        ]
        text += [
            "",
            f"{res.backend}: frame {res.frame_seconds:.1f} s ({res.hubs} hubs, "
            f"{res.memberships:,} memberships of {res.organizations} organizations, via the "
            f"services), usage_days {res.rows:,} rows loaded in {res.load_seconds:.1f} s",
            "",
            table(
                [
                    "measurement",
                    "usage rows",
                    "hubs",
                    "statements",
                    "best s",
                    "median s",
                    "per second",
                    "unit",
                    "/ GROUP BY",
                    "SQL",
                    "result",
                ],
                rows,
            ),
            "",
            *("check: " + line for line in res.checks),
        ]
    text += [
        "",
        "per second: rows, hubs or statements a second at the best time. / GROUP BY: the "
        "time over the one GROUP BY of the same rows. SQL: statements sent in one run.",
        "Machine:",
        *("  " + line for line in machine_summary()),
    ]
    return "\n".join(text)
