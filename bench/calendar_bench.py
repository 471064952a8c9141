"""Calendar feeds (issue 6, Speed): a 5,000-event feed, and the 304 path.

    python -m bench.calendar_bench                      # SQLite and PostgreSQL (if reachable)
    python -m bench.calendar_bench --backends sqlite --requests 500 --runs 3   # a quick look

For each backend, a scratch database (bench/common.py, the real migrations) with
one hub, 20 meeting rooms, 8 people (half share their names) and 5,000 confirmed
bookings inside the feed's window, plus 500 cancelled ones (left out of the feed,
but read by the validators' query). The feed measured is the hub feed, which
holds all 5,000 events, at a fixed "now".

Rendering (in process, median of ``--runs`` runs after a warm-up, each in a
fresh session so nothing comes from the identity map):

- ``feeds.render``: the whole feed: the bookings query (space, hub and person
  joined), the summaries and URLs, the icalendar components, ``to_ical()``.
- ``icalendar alone``: the icalendar package building the same 5,000 VEVENTs
  (the same properties and values, taken from the database beforehand, not
  timed) property by property and serializing them: the floor for ``render``.
- ``feed query``: ``feeds.feed_bookings`` alone (the query and the ORM objects).

The 304 path (Flask test client, ``--requests`` GETs each, one at a time, after
100 warm-up requests; median latency and requests per second of wall time):

- ``feed 304``: ``GET /bench/feed/<secret>`` with ``If-None-Match`` set to the
  feed's ETag, on the real app (``hub.create_app()``: the same extensions and
  request hooks as every page). The endpoint does what the feed view does before
  rendering: find the token by the SHA-256 of the secret, ``feeds.spec_for``,
  ``feeds.validators`` (one aggregate query), compare If-None-Match, answer 304
  with ETag and Last-Modified. Every answer must be 304.
- ``bare 304``: ``GET /bench/bare-304`` on the same app: compares If-None-Match
  with a constant and answers 304. The floor: Flask and the app's hooks.

Figures measured (to be moved to bench/README.md by the lead). Machine: 2 cpus,
load average 4.2 (other test suites were running at the same time, so treat
the figures as upper bounds), Linux 6.18 x86_64, Python 3.11.7, SQLite 3.40.1,
PostgreSQL 15.20 on 127.0.0.1, icalendar 7.3.0; ``python -m bench.calendar_bench``
(7 render runs, 2,000 requests per 304 endpoint):

    database    what                          median ms  per second  vs first row
    ----------  ----------------------------  ---------  ----------  ------------
    sqlite      feeds.render (5,000 events)     1,983.2        0.50         1.00x
    sqlite      icalendar alone, same events    1,661.2        0.60         0.84x
    sqlite      feed query (feed_bookings)        159.4        6.27         0.08x
    sqlite      feed 304 (validators)              5.57       159.5         1.00x
    sqlite      bare Flask 304                     0.25     3,269.7  20.50x rate
    postgresql  feeds.render (5,000 events)     2,312.4        0.43         1.00x
    postgresql  icalendar alone, same events    2,109.7        0.47         0.91x
    postgresql  feed query (feed_bookings)        230.7        4.34         0.10x
    postgresql  feed 304 (validators)              7.44       116.3         1.00x
    postgresql  bare Flask 304                     0.25     3,008.6  25.86x rate

    feed body 2,408,572 bytes, 5,000 VEVENTs (both databases; byte-identical to
    the icalendar-only calendar, which the benchmark checks)

Reading: rendering is the icalendar package's own work (84-91 % of the time;
most of it in its line folding and date formatting); the query and our code add
the rest. The 304 path answers without rendering, about 350 times faster than a
render of this feed; its cost is the one aggregate query over the window's
5,500 rows (about 4-6 ms here) plus finding the token and building the spec
(about 1 ms), 20-26 times the bare Flask 304, and it scales with the number of
bookings in the feed (a person's feed of a few dozen events is well under a
millisecond of SQL).
"""

from __future__ import annotations

import argparse
import hashlib
import secrets
import statistics
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, Response, abort, request

from bench.common import (
    BACKENDS,
    app_config,
    machine_summary,
    postgres_available,
    scratch_database,
    table,
)
from bench.seed import settle

EVENTS = 5000
CANCELLED = 500
ROOMS = 20
PEOPLE = 8
NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)  # Monday 2 March 2026, 10:00 in Oslo
OSLO = ZoneInfo("Europe/Oslo")
FEED_PATH = "/bench/feed/"
BARE_PATH = "/bench/bare-304"
BARE_ETAG = '"0123456789abcdef0123456789abcdef"'
WARMUP_REQUESTS = 100


@dataclass
class Result:
    backend: str
    events: int = 0
    feed_bytes: int = 0
    render_ms: list[float] = field(default_factory=list)
    icalendar_ms: list[float] = field(default_factory=list)
    query_ms: list[float] = field(default_factory=list)
    feed_304_ms: list[float] = field(default_factory=list)
    feed_304_wall: float = 0.0
    bare_304_ms: list[float] = field(default_factory=list)
    bare_304_wall: float = 0.0
    statuses: dict[str, dict[int, int]] = field(default_factory=dict)


# --- data -------------------------------------------------------------------------


def seed(app: Flask) -> tuple[int, str]:
    """The hub, rooms, people and bookings; returns (hub id, the feed token's secret)."""
    from hub.accounts import service as accounts
    from hub.accounts.models import Role
    from hub.booking.models import Booking, BookingStatus
    from hub.calendar.models import FeedScope, FeedToken
    from hub.extensions import db
    from hub.spaces import service as spaces

    with app.app_context():
        org = accounts.create_organization({"name": "NAV Lister", "kind": "state_agency"})
        hub = spaces.create_hub(
            {
                "slug": "regionlab-lister",
                "name": "RegionLab Lister",
                "municipality": "Lyngdal",
                "address": "Kontorfellesskapet på Ærøyåsen, Østre Åsvei 128, 4580 Lyngdal",
            }
        )
        rooms = [
            spaces.create_space(
                hub, {"name": f"Møterom {n:02d} Åsen", "kind": "meeting_room", "capacity": 8}
            )
            for n in range(ROOMS)
        ]
        people = [
            accounts.create_user(
                {
                    "email": f"person{n}@example.no",
                    "name": f"Øyvind Ærlig {n}",
                    "home_organization_id": org.id,
                    "share_name": n % 2 == 0,
                },
                password=None,
            )
            for n in range(PEOPLE)
        ]
        for person in people:
            accounts.grant_role(person, hub, Role.MEMBER)
        db.session.flush()
        first_day = NOW.astimezone(OSLO).date() - timedelta(days=80)
        bookings = []
        for n in range(EVENTS + CANCELLED):
            # One-hour slots, rooms side by side: never two in one room at a time.
            slot = n // ROOMS
            day = first_day + timedelta(days=slot // 2)
            hour = 9 + 3 * (slot % 2)
            starts_at = datetime(day.year, day.month, day.day, hour, tzinfo=OSLO).astimezone(UTC)
            changed = NOW - timedelta(days=90) + timedelta(minutes=17 * n)
            cancelled = n % ((EVENTS + CANCELLED) // CANCELLED) == 0
            bookings.append(
                Booking(
                    hub_id=hub.id,
                    space_id=rooms[n % ROOMS].id,
                    user_id=people[n % PEOPLE].id,
                    organization_id=org.id,
                    starts_at=starts_at,
                    ends_at=starts_at + timedelta(hours=1),
                    status=BookingStatus.CANCELLED if cancelled else BookingStatus.CONFIRMED,
                    title=f"Årsmøte {n}",
                    sequence=1 if cancelled else n % 3,
                    created_at=changed,
                    updated_at=changed,
                )
            )
        db.session.add_all(bookings)
        secret = secrets.token_urlsafe(32)
        db.session.add(
            FeedToken(
                user_id=people[1].id,
                scope=FeedScope.HUB,
                hub_id=hub.id,
                token_hash=hashlib.sha256(secret.encode()).hexdigest(),
            )
        )
        db.session.commit()
        hub_id = hub.id
        db.session.remove()
        settle(db.engine)
    return hub_id, secret


def add_routes(app: Flask) -> None:
    """The feed's 304 path as the feed view runs it, and the bare 304 beside it."""
    import sqlalchemy as sa

    from hub.calendar import feeds
    from hub.calendar.models import FeedToken
    from hub.extensions import db

    def feed(secret: str) -> Response:
        token_hash = hashlib.sha256(secret.encode()).hexdigest()
        token = db.session.scalar(sa.select(FeedToken).where(FeedToken.token_hash == token_hash))
        if token is None or token.is_revoked:
            abort(404)
        spec = feeds.spec_for(token)
        etag, last_modified = feeds.validators(spec, NOW)
        response = Response(status=304)
        response.set_etag(etag)
        response.last_modified = last_modified
        if etag in request.if_none_match:
            return response
        response = Response(feeds.render(spec, NOW), mimetype="text/calendar")
        response.set_etag(etag)
        response.last_modified = last_modified
        return response

    def bare() -> Response:
        status = 304 if request.headers.get("If-None-Match") == BARE_ETAG else 200
        response = Response(status=status)
        response.headers["ETag"] = BARE_ETAG
        return response

    app.add_url_rule(FEED_PATH + "<secret>", "bench_feed", feed)
    app.add_url_rule(BARE_PATH, "bench_bare_304", bare)


# --- measurements -----------------------------------------------------------------


def _event_values(spec: Any) -> list[tuple[Any, ...]]:
    """Every property value of the feed's events, read once (not timed)."""
    from hub.booking import ics
    from hub.calendar import feeds

    texts = feeds._Texts(spec)
    host = ics.uid_host()
    return [
        (
            ics.booking_uid(b, host),
            b.updated_at,
            b.created_at,
            b.sequence,
            b.starts_at,
            b.ends_at,
            texts.summary(b),
            ics.location(b),
            texts.url(b),
            ics.event_status(b),
        )
        for b in feeds.feed_bookings(spec, NOW)
    ]


def icalendar_alone(spec: Any, values: Sequence[tuple[Any, ...]]) -> bytes:
    """The icalendar package on its own, building and serializing the same calendar.

    Same properties, values and order as ``feeds.render`` (the benchmark checks
    that the bytes are identical), without the database, the ORM or our code.
    """
    from icalendar import Calendar, Event, vDuration

    calendar = Calendar()
    calendar.add("prodid", "-//Hub//Hub//NB")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("name", spec.title)
    calendar.add("x-wr-calname", spec.title)
    hour = timedelta(hours=1)
    calendar.add("refresh-interval", vDuration(hour), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(hour))
    for uid, stamp, created, sequence, start, end, summary, location, url, status in values:
        event = Event()
        event.add("uid", uid)
        event.add("dtstamp", stamp)
        event.add("created", created)
        event.add("last-modified", stamp)
        event.add("sequence", sequence)
        event.add("dtstart", start)
        event.add("dtend", end)
        event.add("summary", summary)
        event.add("location", location)
        event.add("url", url)
        event.add("status", status)
        event.add("transp", "TRANSPARENT")
        calendar.add_component(event)
    return calendar.to_ical(sorted=False)


def _timed(call: Callable[[], Any], before: Callable[[], None]) -> tuple[float, Any]:
    before()
    began = time.perf_counter()
    value = call()
    return 1000 * (time.perf_counter() - began), value


def _requests(client: Any, path: str, etag: str, count: int) -> tuple[list[float], float, dict]:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    headers = {"If-None-Match": etag}
    began = time.perf_counter()
    for _ in range(count):
        start = time.perf_counter()
        response = client.get(path, headers=headers)
        latencies.append(1000 * (time.perf_counter() - start))
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
    return latencies, time.perf_counter() - began, statuses


def bench_backend(backend: str, runs: int, requests: int) -> Result:
    import sqlalchemy as sa

    from hub import create_app
    from hub.calendar import feeds
    from hub.calendar.models import FeedToken
    from hub.extensions import db

    result = Result(backend)
    with scratch_database(backend, "hub_bench_calendar") as scratch:
        config = app_config(scratch.url) | {"PUBLIC_URL": "https://hub.example.no"}
        app = create_app(config)
        add_routes(app)
        _hub_id, secret = seed(app)
        with app.app_context():
            spec = feeds.spec_for(db.session.scalars(sa.select(FeedToken)).one())
            body = feeds.render(spec, NOW)
            result.events = body.count(b"BEGIN:VEVENT")
            result.feed_bytes = len(body)
            values = _event_values(spec)
            if feeds.render(spec, NOW) != body:
                raise RuntimeError("the feed is not byte-identical from one render to the next")
            if icalendar_alone(spec, values) != body:
                raise RuntimeError("the icalendar-only calendar differs from the feed")
            fresh = db.session.expire_all
            for run in range(runs + 1):  # the first of each is the warm-up
                for name, call in (
                    ("render", lambda: feeds.render(spec, NOW)),
                    ("icalendar", lambda: icalendar_alone(spec, values)),
                    ("query", lambda: feeds.feed_bookings(spec, NOW)),
                ):
                    ms, _value = _timed(call, fresh)
                    if run:
                        getattr(result, f"{name}_ms").append(ms)
            etag, _last_modified = feeds.validators(spec, NOW)
            db.session.remove()

        client = app.test_client()
        feed_path, feed_etag = FEED_PATH + secret, f'"{etag}"'
        for path, tag in ((feed_path, feed_etag), (BARE_PATH, BARE_ETAG)):
            _requests(client, path, tag, WARMUP_REQUESTS)
        # Alternate halves so drift on the machine weighs on both alike.
        half = requests // 2
        feed_runs, bare_runs = [], []
        for order in ((feed_path, BARE_PATH), (BARE_PATH, feed_path)):
            for path in order:
                tag = feed_etag if path == feed_path else BARE_ETAG
                (feed_runs if path == feed_path else bare_runs).append(
                    _requests(client, path, tag, half)
                )
        for name, samples in (("feed 304", feed_runs), ("bare 304", bare_runs)):
            latencies = [ms for sample in samples for ms in sample[0]]
            wall = sum(sample[1] for sample in samples)
            statuses: dict[int, int] = {}
            for sample in samples:
                for status, n in sample[2].items():
                    statuses[status] = statuses.get(status, 0) + n
            key = name.replace(" ", "_")
            setattr(result, f"{key}_ms", latencies)
            setattr(result, f"{key}_wall", wall)
            result.statuses[name] = statuses
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    return result


# --- report -----------------------------------------------------------------------


def report(results: Sequence[Result], runs: int, requests: int) -> str:
    rows: list[list[Any]] = []
    notes: list[str] = []
    for r in results:
        render = statistics.median(r.render_ms)
        alone = statistics.median(r.icalendar_ms)
        query = statistics.median(r.query_ms)
        rows.append(
            [r.backend, f"feeds.render ({r.events:,} events)", render, 1000 / render, "1.00x"]
        )
        rows.append(
            [
                r.backend,
                "icalendar alone, same events",
                alone,
                1000 / alone,
                f"{alone / render:.2f}x",
            ]
        )
        rows.append(
            [r.backend, "feed query (feed_bookings)", query, 1000 / query, f"{query / render:.2f}x"]
        )
        feed = statistics.median(r.feed_304_ms)
        bare = statistics.median(r.bare_304_ms)
        feed_rate = len(r.feed_304_ms) / r.feed_304_wall
        bare_rate = len(r.bare_304_ms) / r.bare_304_wall
        rows.append([r.backend, "feed 304 (validators)", feed, feed_rate, "1.00x"])
        rows.append(
            [r.backend, "bare Flask 304", bare, bare_rate, f"{bare_rate / feed_rate:.2f}x rate"]
        )
        for name, statuses in r.statuses.items():
            if set(statuses) != {304}:
                notes.append(f"  {r.backend} {name}: statuses {statuses}  <-- not all 304")
        notes.append(f"  {r.backend}: feed body {r.feed_bytes:,} bytes, {r.events:,} VEVENTs")
    text = [
        f"Calendar feed: render median of {runs} runs; 304 path {requests} requests each "
        "(test client, one at a time)",
        "",
        table(["database", "what", "median ms", "per second", "vs first row"], rows),
        "",
        *notes,
    ]
    return "\n".join(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.calendar_bench", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--backends", default=",".join(BACKENDS))
    parser.add_argument("--runs", type=int, default=7, help="timed renders (median)")
    parser.add_argument("--requests", type=int, default=2000, help="GETs per 304 endpoint")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore", DeprecationWarning)
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    if set(backends) - set(BACKENDS):
        parser.error(f"backends are {', '.join(BACKENDS)}")
    skipped = []
    if "postgresql" in backends and (reason := postgres_available()):
        backends.remove("postgresql")
        skipped.append(f"postgresql skipped: {reason}")
    print("Hub calendar benchmark (issue 6, Speed)")
    for line in [*machine_summary(), *skipped]:
        print("  " + line)
    results = []
    for backend in backends:
        print(f"\n[calendar] {backend}: seeding {EVENTS + CANCELLED:,} bookings, measuring ...")
        sys.stdout.flush()
        results.append(bench_backend(backend, args.runs, args.requests))
    print()
    print(report(results, args.runs, args.requests))
    return 0


if __name__ == "__main__":
    sys.exit(main())
