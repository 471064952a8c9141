"""Scratch databases, the migrated schema, and the table printer shared by both benchmarks.

Every benchmark works on its own scratch database, never on instance/hub.sqlite3
or a database someone else uses: a SQLite file in a temporary directory, or a
PostgreSQL database created here and dropped at the end (HUB_BENCH_POSTGRES_URL
names the server, default postgresql://postgres@127.0.0.1:5432/postgres).
"""

from __future__ import annotations

import contextlib
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
BACKENDS = ("sqlite", "postgresql")


def pg_server_url() -> str:
    return os.environ.get("HUB_BENCH_POSTGRES_URL", DEFAULT_PG_URL)


def _plain(url: str, database: str | None = None) -> str:
    """A libpq URL (no +psycopg driver suffix) for psycopg.connect."""
    parts = sa.make_url(url).set(drivername="postgresql")
    if database is not None:
        parts = parts.set(database=database)
    return parts.render_as_string(hide_password=False)


def postgres_available() -> str | None:
    """None when the server answers, else the reason it does not."""
    try:
        with psycopg.connect(_plain(pg_server_url()), connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        return f"PostgreSQL not reachable at {pg_server_url()}: {exc}".strip()
    return None


@dataclass
class Scratch:
    backend: str
    url: str  # SQLAlchemy URL the app gets as DATABASE_URL
    name: str  # file path or database name, for the report


@contextlib.contextmanager
def scratch_database(backend: str, name: str) -> Iterator[Scratch]:
    """An empty, migrated database that is removed afterwards."""
    if backend == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix=f"{name}_"))
        path = folder / f"{name}.sqlite3"
        url = f"sqlite:///{path}"
        try:
            migrate(url)
            yield Scratch(backend, url, str(path))
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    admin_url = _plain(pg_server_url())
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    url = _plain(pg_server_url(), name)
    try:
        migrate(url)
        yield Scratch(backend, url, name)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def app_config(url: str) -> dict[str, Any]:
    """What the in-process parts pass to create_app (the HTTP part uses HUB_* variables)."""
    return {
        "DATABASE_URL": url,
        "SECRET_KEY": "bench-only",
        "MAIL_CAPTURE": True,
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    }


def migrate(url: str) -> None:
    """The real Alembic migrations, as production builds the schema."""
    import logging

    from flask_migrate import upgrade

    from hub import create_app
    from hub.extensions import db

    app = create_app(app_config(url))
    # migrations/env.py turns on Alembic's INFO logging; keep the benchmark's output short.
    logging.disable(logging.INFO)
    try:
        with app.app_context():
            upgrade()
            db.engine.dispose()
    finally:
        logging.disable(logging.NOTSET)


# --- figures ------------------------------------------------------------------


def make_hub(values: dict[str, Any], desks: int, cells: int, rooms: int) -> tuple[Any, list]:
    """A hub with numbered desks, cells and 8-seat meeting rooms, and a canteen no one books.

    Returns the hub and the (space id, kind) of its bookable spaces, which is what the
    benchmarks draw their bookings from. Inside an app context.
    """
    from hub.spaces import service as spaces

    hub = spaces.create_hub(values)
    made = []
    for kind, count, capacity in (
        ("desk", desks, 1),
        ("cell", cells, 1),
        ("meeting_room", rooms, 8),
    ):
        for n in range(1, count + 1):
            space = spaces.create_space(
                hub, {"name": f"{kind} {n:02d}", "kind": kind, "capacity": capacity}
            )
            made.append((space.id, kind))
    spaces.create_space(hub, {"name": "Kantine", "kind": "common_area", "bookable": False})
    return hub, made


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (p50, p95) of a non-empty sample."""
    ordered = sorted(values)
    rank = max(1, round(fraction * len(ordered) + 0.5 - 1e-9))
    return ordered[min(rank, len(ordered)) - 1]


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain-text table with right-aligned numbers."""
    cells = [[str(h) for h in headers], *[[_cell(v) for v in row] for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        return "  ".join(
            c.ljust(w) if i == 0 or not _numeric(c) else c.rjust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        )

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), rule, *(line(r) for r in cells[1:])])


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) >= 100 else f"{value:.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _numeric(text: str) -> bool:
    stripped = text.rstrip("%x ").replace(",", "").replace(".", "").lstrip("-")
    return stripped.isdigit()


def machine_summary() -> list[str]:
    """nproc, memory, Python, SQLite and PostgreSQL versions, for the README."""
    import sqlite3

    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    lines = [
        f"cpus: {os.cpu_count()}  load average: {load}  platform: {platform.platform()}",
        f"python: {sys.version.split()[0]}  sqlite: {sqlite3.sqlite_version}",
    ]
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        mem = subprocess.run(["free", "-h"], capture_output=True, text=True, timeout=5)
        total = next((ln for ln in mem.stdout.splitlines() if ln.startswith("Mem:")), "")
        if total:
            lines.append("memory: " + " ".join(total.split()[1:3]) + " (total, used)")
    if postgres_available() is None:
        with psycopg.connect(_plain(pg_server_url())) as conn:
            version = conn.execute("SHOW server_version").fetchone()
            lines.append(f"postgresql: {version[0] if version else '?'}")
    return lines
