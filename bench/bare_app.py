"""The app gunicorn serves in the HTTP benchmark: the real Hub app plus two bare endpoints.

``app`` is ``hub.create_app()`` (configured from HUB_* variables, like wsgi.py),
so the bare endpoints run on exactly the same stack as ``POST /api/v1/bookings``:
the same gunicorn workers, engine and pool, extensions, before/after-request
hooks and the commit in ``hub.web.finish_transaction``. They only leave out
what makes a booking a booking (token lookup, rules, overlap query, service):

- ``POST /bench/bare-row``: inserts one row into ``bench_rows``, a tiny table the
  benchmark creates in its scratch database (id plus three columns, no index).
  This is the floor: the cost of one HTTP request that writes one row.
- ``POST /bench/bare-booking``: inserts one ``Booking`` as it comes, with no
  check, so the row meets the same indexes and the same database overlap guard
  (PostgreSQL exclusion constraint, SQLite trigger) as a real booking.

Both take the booking API's JSON body (``space_id``, ``start``, ``end``) and
answer 201 with a small JSON document, as the API does. Never deploy this module.
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import Flask, jsonify, request

from hub import create_app
from hub.booking.models import Booking, BookingSource, BookingStatus
from hub.extensions import csrf, db

BARE_TABLE = "bench_rows"


def create_bench_tables(connection: sa.Connection) -> None:
    """Called by the benchmark on its scratch database before gunicorn starts."""
    if connection.dialect.name == "postgresql":
        key = "id BIGSERIAL PRIMARY KEY"
        instant = "TIMESTAMPTZ"
    else:
        key = "id INTEGER PRIMARY KEY"
        instant = "DATETIME"
    connection.exec_driver_sql(
        f"CREATE TABLE IF NOT EXISTS {BARE_TABLE} ("
        f"{key}, space_id INTEGER NOT NULL, starts_at {instant} NOT NULL, "
        f"ends_at {instant} NOT NULL)"
    )


def _body() -> tuple[int, datetime, datetime]:
    data: dict[str, Any] = request.get_json(force=True)
    return (
        int(data["space_id"]),
        datetime.fromisoformat(data["start"]),
        datetime.fromisoformat(data["end"]),
    )


def add_bench_routes(app: Flask) -> None:
    bare_hub_id = int(os.environ.get("HUB_BENCH_HUB_ID", "1"))
    bare_user_id = int(os.environ.get("HUB_BENCH_BARE_USER_ID", "1"))
    bare_org_id = int(os.environ.get("HUB_BENCH_BARE_ORG_ID", "1"))
    insert_row = sa.text(
        f"INSERT INTO {BARE_TABLE} (space_id, starts_at, ends_at) "
        "VALUES (:space_id, :starts_at, :ends_at) RETURNING id"
    ).bindparams(
        sa.bindparam("starts_at", type_=Booking.__table__.c.starts_at.type),
        sa.bindparam("ends_at", type_=Booking.__table__.c.ends_at.type),
    )

    def ping() -> str:
        return "ok"

    def bare_row() -> Any:
        space_id, starts_at, ends_at = _body()
        row_id = db.session.execute(
            insert_row, {"space_id": space_id, "starts_at": starts_at, "ends_at": ends_at}
        ).scalar_one()
        return jsonify({"id": row_id}), 201

    def bare_booking() -> Any:
        space_id, starts_at, ends_at = _body()
        booking = Booking(
            hub_id=bare_hub_id,
            space_id=space_id,
            user_id=bare_user_id,
            organization_id=bare_org_id,
            starts_at=starts_at,
            ends_at=ends_at,
            status=BookingStatus.CONFIRMED,
            source=BookingSource.API,
        )
        db.session.add(booking)
        db.session.flush()
        return jsonify({"id": booking.id, "space_id": space_id}), 201

    app.add_url_rule("/bench/ping", "bench_ping", ping, methods=["GET"])
    for rule, endpoint, view in (
        ("/bench/bare-row", "bench_bare_row", bare_row),
        ("/bench/bare-booking", "bench_bare_booking", bare_booking),
    ):
        app.add_url_rule(rule, endpoint, csrf.exempt(view), methods=["POST"])


def make_app() -> Flask:
    """gunicorn "bench.bare_app:make_app()"; configured from HUB_* variables like wsgi.py."""
    app = create_app()
    add_bench_routes(app)
    return app
