"""External busy calendars: a meeting room follows an iCal URL and its events block the room.

The feeds are served by a real HTTP server on 127.0.0.1 started in the test, so
the timeout, the size limit and the conditional GET run over a socket.
"""

from __future__ import annotations

import html
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import sqlalchemy as sa
import time_machine

from hub import jobs
from hub.accounts.models import Role
from hub.booking import recurrence
from hub.booking.models import Booking
from hub.calendar import external
from hub.calendar.models import ExternalBusy, ExternalCalendar
from hub.errors import ValidationFailed
from hub.extensions import db

# Friday 15 March 2030, 09:00 in Oslo (08:00 UTC). Summer time starts Sunday 31 March.
NOW = datetime(2030, 3, 15, 8, 0, tzinfo=UTC)
LATER = NOW + timedelta(minutes=15)
TIMEOUT = 0.5
MAX_BYTES = 20_000


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"EXTERNAL_CALENDAR_TIMEOUT": TIMEOUT, "EXTERNAL_CALENDAR_MAX_BYTES": MAX_BYTES}


@pytest.fixture(autouse=True)
def frozen_time() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


# --- the local calendar server ----------------------------------------------------------


@dataclass
class Feed:
    """What one path of the test server answers; the test changes it as it goes."""

    url: str
    body: bytes = b""
    status: int = 200
    etag: str | None = None
    last_modified: str | None = None
    content_type: str = "text/calendar; charset=utf-8"
    delay: float = 0.0
    send_length: bool = True
    location: str | None = None
    requests: list[dict[str, str]] = field(default_factory=list)

    def serve(self, text: str, **changes: Any) -> Feed:
        self.body = text.replace("\n", "\r\n").encode()
        for name, value in changes.items():
            setattr(self, name, value)
        return self


class Handler(BaseHTTPRequestHandler):
    server: CalendarServer

    def do_GET(self) -> None:
        feed = self.server.feeds.get(self.path)
        if feed is None:
            self.send_error(404)
            return
        feed.requests.append(dict(self.headers.items()))
        if feed.delay:
            time.sleep(feed.delay)
        if feed.etag is not None and self.headers.get("If-None-Match") == feed.etag:
            self.send_response(304)
            self.send_header("ETag", feed.etag)
            self.end_headers()
            return
        self.send_response(feed.status)
        if feed.location:
            self.send_header("Location", feed.location)
        self.send_header("Content-Type", feed.content_type)
        if feed.etag:
            self.send_header("ETag", feed.etag)
        if feed.last_modified:
            self.send_header("Last-Modified", feed.last_modified)
        if feed.send_length:
            self.send_header("Content-Length", str(len(feed.body)))
        self.end_headers()
        self.wfile.write(feed.body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class CalendarServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.feeds: dict[str, Feed] = {}

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # the client gave up (timeout, size limit): nothing to report


@pytest.fixture
def server() -> Iterator[CalendarServer]:
    server = CalendarServer()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def feed(server: CalendarServer) -> Any:
    """``feed(path="/room.ics")``: a Feed on the server, with its URL."""

    def make(path: str = "/room.ics") -> Feed:
        host, port = server.server_address[:2]
        made = Feed(url=f"http://{host}:{port}{path}")
        server.feeds[path] = made
        return made

    return make


# --- calendars ------------------------------------------------------------------------


def ics(*events: str) -> str:
    body = "".join(events)
    return f"BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//Test//Room//EN\n{body}END:VCALENDAR\n"


def vevent(uid: str, *lines: str) -> str:
    inner = "\n".join(lines)
    return f"BEGIN:VEVENT\nUID:{uid}\nDTSTAMP:20300101T000000Z\n{inner}\nEND:VEVENT\n"


# Mondays 09:00-10:00 in Oslo from 18 March, four times: 25 March is left out (EXDATE)
# and 1 April is moved to Tuesday 2 April 13:00-14:00 (RECURRENCE-ID).
WEEKLY = ics(
    vevent(
        "weekly@room",
        "DTSTART;TZID=Europe/Oslo:20300318T090000",
        "DTEND;TZID=Europe/Oslo:20300318T100000",
        "RRULE:FREQ=WEEKLY;COUNT=4",
        "EXDATE;TZID=Europe/Oslo:20300325T090000",
        "SUMMARY:Styremøte",
    ),
    vevent(
        "weekly@room",
        "RECURRENCE-ID;TZID=Europe/Oslo:20300401T090000",
        "DTSTART;TZID=Europe/Oslo:20300402T130000",
        "DTEND;TZID=Europe/Oslo:20300402T140000",
        "SUMMARY:Styremøte (flyttet)",
    ),
)


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def busy_rows(space: Any = None) -> list[tuple[str, datetime, datetime]]:
    db.session.commit()  # a fresh snapshot: see what the request or job committed
    query = sa.select(ExternalBusy.uid, ExternalBusy.starts_at, ExternalBusy.ends_at)
    if space is not None:
        query = query.where(ExternalBusy.space_id == space.id)
    return [tuple(row) for row in db.session.execute(query.order_by(ExternalBusy.starts_at))]


def calendar_row(space: Any) -> ExternalCalendar:
    db.session.commit()
    calendar = external.calendar_of(space)
    assert calendar is not None
    return calendar


@pytest.fixture
def lister(make_hub: Any) -> Any:
    return make_hub(slug="regionlab-lister", name="RegionLab Lister", booking_horizon_days=200)


@pytest.fixture
def room(lister: Any, make_space: Any) -> Any:
    return make_space(lister, name="Møterom Lista", kind="meeting_room", capacity=6)


@pytest.fixture
def following(room: Any, feed: Any) -> Any:
    """``following(text, **feed settings)``: the room follows a feed serving ``text``."""

    def make(text: str, space: Any = None, path: str = "/room.ics", **changes: Any) -> Feed:
        served = feed(path).serve(text, **changes)
        external.follow(space or room, served.url)
        db.session.commit()
        return served

    return make


def sync(space: Any, now: datetime = NOW) -> bool:
    ok = external.fetch(calendar_row(space), now)
    db.session.commit()
    return ok


# --- expansion ----------------------------------------------------------------------------


def test_weekly_rule_with_exdate_and_a_moved_occurrence(room, following):
    following(WEEKLY)

    assert sync(room) is True
    assert busy_rows(room) == [
        ("weekly@room/20300318T080000Z", at(2030, 3, 18, 8), at(2030, 3, 18, 9)),
        # 1 April was 09:00 in summer time (07:00 UTC); it moved to 2 April 13:00 (11:00 UTC).
        ("weekly@room/20300401T070000Z", at(2030, 4, 2, 11), at(2030, 4, 2, 12)),
        ("weekly@room/20300408T070000Z", at(2030, 4, 8, 7), at(2030, 4, 8, 8)),
    ]
    calendar = calendar_row(room)
    assert calendar.last_success_at == NOW and calendar.last_fetched_at == NOW
    assert calendar.last_error is None
    assert "Styremøte" in calendar.content


def test_all_day_event_blocks_the_whole_local_day(room, following):
    following(
        ics(
            vevent("winter@room", "DTSTART;VALUE=DATE:20300320", "DTEND;VALUE=DATE:20300321"),
            vevent("summer@room", "DTSTART;VALUE=DATE:20300617"),  # no end: one day
            vevent("two-days@room", "DTSTART;VALUE=DATE:20300331", "DTEND;VALUE=DATE:20300402"),
        )
    )

    assert sync(room)
    assert busy_rows(room) == [
        ("winter@room/20300320", at(2030, 3, 19, 23), at(2030, 3, 20, 23)),
        # Sunday 31 March has 23 hours in Oslo: 00:00 is 23:00 UTC, the next 00:00 is 22:00.
        ("two-days@room/20300331", at(2030, 3, 30, 23), at(2030, 4, 1, 22)),
        ("summer@room/20300617", at(2030, 6, 16, 22), at(2030, 6, 17, 22)),
    ]


@pytest.mark.parametrize(
    ("local_day", "utc_start"),
    [
        ("20300329", at(2030, 3, 29, 9)),  # Friday before the change: UTC+1
        ("20300401", at(2030, 4, 1, 8)),  # Monday after: UTC+2
        ("20301025", at(2030, 10, 25, 8)),  # Friday before the October change: UTC+2
        ("20301028", at(2030, 10, 28, 9)),  # Monday after: UTC+1
    ],
)
def test_tzid_event_across_daylight_saving_lands_on_the_right_instant(
    room, following, local_day, utc_start
):
    daily = vevent(
        "daily@room",
        "DTSTART;TZID=Europe/Oslo:20300328T100000",
        "DTEND;TZID=Europe/Oslo:20300328T103000",
        "RRULE:FREQ=DAILY;UNTIL=20301101T000000Z",
    )
    following(ics(daily))

    assert sync(room)
    rows = {uid: (start, end) for uid, start, end in busy_rows(room)}
    key = f"daily@room/{utc_start:%Y%m%dT%H%M%SZ}"
    assert f"{utc_start:%Y%m%d}" == local_day
    assert rows[key] == (utc_start, utc_start + timedelta(minutes=30))


def test_outlook_style_vtimezone_and_floating_and_utc_times(room, following):
    vtimezone = "\n".join(
        [
            "BEGIN:VTIMEZONE",
            "TZID:W. Europe Standard Time",
            "BEGIN:STANDARD",
            "DTSTART:16010101T030000",
            "TZOFFSETFROM:+0200",
            "TZOFFSETTO:+0100",
            "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10",
            "END:STANDARD",
            "BEGIN:DAYLIGHT",
            "DTSTART:16010101T020000",
            "TZOFFSETFROM:+0100",
            "TZOFFSETTO:+0200",
            "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3",
            "END:DAYLIGHT",
            "END:VTIMEZONE",
            "",
        ]
    )
    text = ics(
        vtimezone,
        vevent(
            "outlook@room",
            "DTSTART;TZID=W. Europe Standard Time:20300402T090000",
            "DTEND;TZID=W. Europe Standard Time:20300402T100000",
        ),
        vevent("floating@room", "DTSTART:20300321T090000", "DTEND:20300321T100000"),
        vevent("utc@room", "DTSTART:20300322T120000Z", "DURATION:PT45M"),
    )
    following(text)

    assert sync(room)
    assert [(start, end) for _, start, end in busy_rows(room)] == [
        (at(2030, 3, 21, 8), at(2030, 3, 21, 9)),  # floating: the hub's local time
        (at(2030, 3, 22, 12), at(2030, 3, 22, 12, 45)),
        (at(2030, 4, 2, 7), at(2030, 4, 2, 8)),  # summer time in the custom VTIMEZONE
    ]


def test_cancelled_free_past_and_far_events_are_left_out(room, following):
    following(
        ics(
            vevent(
                "cancelled@room",
                "DTSTART:20300318T080000Z",
                "DTEND:20300318T090000Z",
                "STATUS:CANCELLED",
            ),
            vevent(
                "free@room",
                "DTSTART:20300318T100000Z",
                "DTEND:20300318T110000Z",
                "TRANSP:TRANSPARENT",
            ),
            vevent("past@room", "DTSTART:20300310T080000Z", "DTEND:20300310T090000Z"),
            vevent("far@room", "DTSTART:20320318T080000Z", "DTEND:20320318T090000Z"),
            vevent("kept@room", "DTSTART:20300319T080000Z", "DTEND:20300319T090000Z"),
            vevent(
                "series@room",
                "DTSTART:20300320T080000Z",
                "DTEND:20300320T090000Z",
                "RRULE:FREQ=DAILY;COUNT=2",
            ),
            vevent(  # one occurrence of the series cancelled
                "series@room",
                "RECURRENCE-ID:20300321T080000Z",
                "DTSTART:20300321T080000Z",
                "DTEND:20300321T090000Z",
                "STATUS:CANCELLED",
            ),
        )
    )

    assert sync(room)
    assert [uid for uid, _, _ in busy_rows(room)] == [
        "kept@room/20300319T080000Z",
        "series@room/20300320T080000Z",
    ]


# --- busy means busy: booking, availability, series ----------------------------------


@pytest.fixture
def member(make_user: Any, lister: Any) -> Any:
    return make_user(hub=lister, role=Role.MEMBER)


def test_booking_over_busy_time_is_409_in_the_api(api, member, room, following):
    following(WEEKLY)
    sync(room)

    body = {
        "space_id": room.id,
        "start": "2030-03-18T09:30:00+01:00",
        "end": "2030-03-18T10:30:00+01:00",
    }
    response = api("POST", "/bookings", member, json=body)

    assert response.status_code == 409, response.get_json()
    error = response.get_json()["error"]
    assert error["conflicts"] == [{"start": "2030-03-18T08:00:00Z", "end": "2030-03-18T09:00:00Z"}]
    assert error["source"] == "external_calendar"
    assert error["message"] == (
        "Møterom Lista is busy in its external calendar from 2030-03-18 09:00 to 2030-03-18 10:00."
    )
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Booking)) == 0
    # Right after it (half-open intervals) is free.
    body |= {"start": "2030-03-18T10:00:00+01:00", "end": "2030-03-18T11:00:00+01:00"}
    assert api("POST", "/bookings", member, json=body).status_code == 201


def test_booking_over_busy_time_is_409_on_the_page(client, login, member, room, following):
    following(WEEKLY)
    sync(room)
    login(member)

    response = client.post(
        f"/hubs/regionlab-lister/book/{room.id}",
        data={
            "day": "2030-04-02",
            "start": "13:30",
            "end": "14:30",
            "participants": "2",
            "organization_id": member.home_organization_id,
        },
    )

    assert response.status_code == 409
    page = html.unescape(response.get_data(as_text=True))
    assert "busy in its external calendar from 2030-04-02 13:00 to 2030-04-02 14:00" in page
    assert 'value="2030-04-02"' in page  # what was typed is kept
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Booking)) == 0


def test_availability_shows_external_time_as_busy(api, client, member, room, following):
    following(WEEKLY)
    sync(room)

    response = api("GET", "/hubs/regionlab-lister/availability?date=2030-03-18", member)

    assert response.status_code == 200
    [space] = [s for s in response.get_json() if s["space"]["id"] == room.id]
    assert space["days"][0]["busy"] == [
        {
            "start": "2030-03-18T08:00:00Z",
            "end": "2030-03-18T09:00:00Z",
            "organization": None,
            "person": None,
            "pending": False,
            "mine": False,
        }
    ]
    page = html.unescape(
        client.get("/hubs/regionlab-lister/availability?date=2030-03-18").get_data(as_text=True)
    )
    assert "09:00–10:00: busy in the room's calendar" in page


def test_weekly_series_plan_shows_external_busy_dates(room, following):
    following(WEEKLY)
    sync(room)
    zone_offset = timedelta(hours=1)

    def nine_to_ten(day: Any) -> tuple[datetime, datetime]:
        start = datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=9)
        return start - zone_offset, start - zone_offset + timedelta(hours=1)

    plan = recurrence.plan(room, NOW.date(), NOW.date() + timedelta(days=10), [0], nine_to_ten)

    assert [(o.day.isoformat(), o.state) for o in plan] == [
        ("2030-03-18", "busy"),
        ("2030-03-25", "free"),  # the EXDATE
    ]


# --- fetching: conditional GET, failures, the last good copy -------------------------


def test_conditional_get_and_304_keeps_the_copy(room, following):
    served = following(WEEKLY, etag='"v1"', last_modified="Thu, 14 Mar 2030 12:00:00 GMT")
    assert sync(room)
    first = served.requests[-1]
    assert first["User-Agent"] == "Hub calendar sync"
    assert "If-None-Match" not in first and "If-Modified-Since" not in first

    assert sync(room, LATER) is True

    second = served.requests[-1]
    assert second["If-None-Match"] == '"v1"'
    assert second["If-Modified-Since"] == "Thu, 14 Mar 2030 12:00:00 GMT"
    calendar = calendar_row(room)
    assert calendar.last_success_at == LATER and calendar.last_error is None
    assert calendar.etag == '"v1"' and "Styremøte" in calendar.content
    assert len(busy_rows(room)) == 3


def test_a_changed_feed_replaces_the_busy_rows(room, following):
    served = following(WEEKLY, etag='"v1"')
    sync(room)
    served.serve(
        ics(vevent("new@room", "DTSTART:20300319T080000Z", "DTEND:20300319T090000Z")),
        etag='"v2"',
    )

    assert sync(room, LATER)

    assert busy_rows(room) == [
        ("new@room/20300319T080000Z", at(2030, 3, 19, 8), at(2030, 3, 19, 9))
    ]
    assert calendar_row(room).etag == '"v2"'


def test_fetching_twice_changes_nothing(room, following):
    following(WEEKLY)
    sync(room)
    ids = db.session.scalars(sa.select(ExternalBusy.id).order_by(ExternalBusy.id)).all()

    sync(room, LATER)

    assert db.session.scalars(sa.select(ExternalBusy.id).order_by(ExternalBusy.id)).all() == ids


BIG = ics(*(vevent(f"e{i}@room", "DTSTART:20300318T080000Z", "DURATION:PT1H") for i in range(200)))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"status": 500}, "answered with HTTP status 500"),
        ({"status": 404}, "answered with HTTP status 404"),
        ({"delay": TIMEOUT * 3}, f"did not answer within {TIMEOUT:g} seconds"),
        ({"body": BIG.encode()}, "larger than the limit"),
        ({"body": BIG.encode(), "send_length": False}, "larger than the limit"),
        ({"body": b"<!doctype html><p>Log in</p>"}, "did not return an iCalendar file"),
        ({"body": b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n"}, "could not be read"),
        ({"body": "BEGIN:VCALENDAR\r\nX: æ\r\n".encode("utf-16")}, "not UTF-8"),
        ({"status": 302, "location": "ftp://example.org/room.ics"}, "redirect"),
    ],
    ids=[
        "500",
        "404",
        "timeout",
        "too-big",
        "too-big-without-length",
        "html",
        "broken",
        "utf16",
        "ftp-redirect",
    ],
)
def test_a_failed_fetch_is_recorded_and_keeps_the_last_good_copy(room, following, change, message):
    assert len(BIG) > MAX_BYTES
    served = following(WEEKLY, etag='"v1"')
    assert sync(room)
    good = busy_rows(room)
    served.etag = None  # no 304: the server answers with the change below
    for name, value in change.items():
        setattr(served, name, value)

    assert sync(room, LATER) is False

    calendar = calendar_row(room)
    assert message in calendar.last_error
    assert calendar.last_fetched_at == LATER
    assert calendar.last_success_at == NOW
    assert "Styremøte" in calendar.content and calendar.etag == '"v1"'
    assert busy_rows(room) == good


def test_http_redirect_is_followed(room, feed, following):
    target = feed("/moved.ics").serve(WEEKLY)
    following("", status=301, location=target.url)

    assert sync(room)
    assert len(busy_rows(room)) == 3


def test_unfollow_removes_the_rows(room, following):
    following(WEEKLY)
    sync(room)

    assert external.unfollow(room) is True
    db.session.commit()

    assert busy_rows() == []
    assert external.calendar_of(room) is None
    assert external.unfollow(room) is False


def test_a_new_url_drops_the_old_busy_rows(room, feed, following):
    following(WEEKLY, etag='"v1"')
    sync(room)
    other = feed("/other.ics").serve(ics())

    external.follow(room, other.url)
    db.session.commit()

    calendar = calendar_row(room)
    assert busy_rows() == [] and calendar.etag is None and calendar.content is None


# --- following: the rules ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "Give the address"),
        ("   ", "Give the address"),
        ("ftp://example.org/room.ics", "Only http:// and https://"),
        ("file:///etc/passwd", "Only http:// and https://"),
        ("https://", "Only http:// and https://"),
        ("example.org/room.ics", "Only http:// and https://"),
        ("https://example.org/" + "a" * 2000, "at most 2000 characters"),
    ],
)
def test_follow_refuses_bad_urls(room, url, message):
    with pytest.raises(ValidationFailed) as caught:
        external.follow(room, url)
    assert list(caught.value.errors) == ["url"]
    assert message in caught.value.errors["url"][0]
    assert external.calendar_of(room) is None


def test_only_meeting_rooms_follow(lister, make_space):
    desk = make_space(lister, kind="desk")
    with pytest.raises(ValidationFailed) as caught:
        external.follow(desk, "https://example.org/room.ics")
    assert caught.value.errors == {"url": ["Only meeting rooms can follow an external calendar."]}


def test_webcal_is_read_as_https(room):
    calendar = external.follow(room, "  webcal://example.org/room.ics ")
    assert calendar.url == "https://example.org/room.ics"


# --- the job ----------------------------------------------------------------------------------


def test_job_syncs_every_calendar_and_one_bad_feed_stops_nothing(
    app, lister, room, make_space, following
):
    other = make_space(lister, name="Møterom Lindesnes", kind="meeting_room", capacity=4)
    following("", space=other, path="/broken.ics", status=500)
    following(WEEKLY)
    assert jobs.JOBS["sync_external_calendars"][1] == {"trigger": "interval", "minutes": 15}

    assert jobs.run_job(app, "sync_external_calendars") == 1

    assert len(busy_rows(room)) == 3 and busy_rows(other) == []
    assert calendar_row(other).last_error is not None
    assert calendar_row(room).last_error is None
    assert jobs.run_job(app, "sync_external_calendars") == 1  # again: same result
    assert len(busy_rows(room)) == 3


# --- admin page -------------------------------------------------------------------------------


@pytest.fixture
def admin(make_user: Any, lister: Any) -> Any:
    return make_user(hub=lister, role=Role.ADMIN)


def edit_page(client: Any, room: Any) -> Any:
    return client.get(f"/admin/hubs/regionlab-lister/spaces/{room.id}")


def test_admin_page_follows_fetches_and_shows_the_status(client, login, admin, room, feed):
    served = feed().serve(WEEKLY)
    login(admin)
    page = html.unescape(edit_page(client, room).get_data(as_text=True))
    assert "Follow an external calendar (iCal URL)" in page

    response = client.post(
        f"/admin/hubs/regionlab-lister/spaces/{room.id}/external-calendar",
        data={"url": served.url},
    )

    assert response.status_code == 302
    assert len(busy_rows(room)) == 3
    page = html.unescape(edit_page(client, room).get_data(as_text=True))
    assert "now follows the calendar: 3 busy times" in page
    assert served.url in page and "Fetch now" in page and "Stop following" in page
    assert "could not be fetched" not in page


def test_admin_page_shows_the_error_prominently(client, login, admin, room, following):
    served = following(WEEKLY)
    sync(room)
    served.status = 503
    login(admin)

    response = client.post(f"/admin/hubs/regionlab-lister/spaces/{room.id}/external-calendar/fetch")
    assert response.status_code == 302

    page = html.unescape(edit_page(client, room).get_data(as_text=True))
    assert 'role="alert" id="external-calendar-error"' in page
    assert "The external calendar could not be fetched" in page
    assert "answered with HTTP status 503" in page
    assert "still blocks the room" in page
    assert len(busy_rows(room)) == 3
    listing = client.get("/admin/hubs/regionlab-lister/spaces").get_data(as_text=True)
    assert "Calendar fetch failed" in listing


def test_admin_page_refuses_a_bad_url_with_422_and_keeps_it(client, login, admin, room):
    login(admin)
    response = client.post(
        f"/admin/hubs/regionlab-lister/spaces/{room.id}/external-calendar",
        data={"url": "ftp://example.org/room.ics"},
    )

    assert response.status_code == 422
    page = html.unescape(response.get_data(as_text=True))
    assert "Only http:// and https:// addresses can be followed." in page
    assert 'value="ftp://example.org/room.ics"' in page
    assert 'value="Møterom Lista"' in page  # the space form shows the stored values
    assert external.calendar_of(room) is None


def test_admin_page_stop_following(client, login, admin, room, following):
    following(WEEKLY)
    sync(room)
    login(admin)

    response = client.post(
        f"/admin/hubs/regionlab-lister/spaces/{room.id}/external-calendar/delete"
    )

    assert response.status_code == 302
    assert busy_rows() == []
    db.session.commit()
    assert external.calendar_of(room) is None


def test_desk_page_has_no_calendar_field(client, login, admin, lister, make_space):
    desk = make_space(lister, kind="desk")
    login(admin)
    page = edit_page(client, desk).get_data(as_text=True)
    assert "External calendar" not in page


@pytest.mark.parametrize(
    "path", ["/external-calendar", "/external-calendar/fetch", "/external-calendar/delete"]
)
def test_admin_actions_need_a_hub_admin(client, login, member, room, path):
    login(member)
    response = client.post(f"/admin/hubs/regionlab-lister/spaces/{room.id}{path}", data={})
    assert response.status_code == 403


# --- API -------------------------------------------------------------------------------------


def test_api_follow_status_fetch_and_unfollow(api, admin, room, feed):
    served = feed().serve(WEEKLY)
    path = f"/spaces/{room.id}/external-calendar"
    assert api("GET", path, admin).status_code == 404

    created = api("PUT", path, admin, json={"url": served.url})
    assert created.status_code == 201, created.get_json()
    assert created.get_json() == {
        "space_id": room.id,
        "url": served.url,
        "last_success_at": None,
        "last_fetched_at": None,
        "last_error": None,
        "busy_count": 0,
    }
    assert api("PUT", path, admin, json={"url": served.url}).status_code == 200

    fetched = api("POST", path + "/fetch", admin)
    assert fetched.status_code == 200
    assert fetched.get_json()["busy_count"] == 3
    assert fetched.get_json()["last_success_at"] == "2030-03-15T08:00:00Z"

    served.status = 500
    failed = api("POST", path + "/fetch", admin).get_json()
    assert "HTTP status 500" in failed["last_error"] and failed["busy_count"] == 3
    assert api("GET", path, admin).get_json() == failed

    assert api("DELETE", path, admin).status_code == 204
    assert busy_rows() == []
    assert api("GET", path, admin).status_code == 404
    assert api("DELETE", path, admin).status_code == 204


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "ftp://example.org/x.ics"}, "url"),
        ({"url": "https://example.org/" + "a" * 2000}, "url"),
        ({"url": 5}, "url"),
        ({}, "url"),
    ],
)
def test_api_refuses_bad_input(api, admin, room, body, field):
    response = api("PUT", f"/spaces/{room.id}/external-calendar", admin, json=body)
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]


def test_api_refuses_a_desk(api, admin, lister, make_space):
    desk = make_space(lister, kind="desk")
    response = api(
        "PUT", f"/spaces/{desk.id}/external-calendar", admin, json={"url": "https://e.org/x"}
    )
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {
        "url": ["Only meeting rooms can follow an external calendar."]
    }


@pytest.mark.parametrize(
    ("method", "suffix"),
    [("PUT", ""), ("GET", ""), ("DELETE", ""), ("POST", "/fetch")],
)
def test_api_is_for_hub_admins_only(api, member, make_user, make_hub, room, method, suffix):
    external.follow(room, "https://example.org/room.ics")
    db.session.commit()
    other_admin = make_user(hub=make_hub(), role=Role.ADMIN)
    path = f"/spaces/{room.id}/external-calendar{suffix}"
    kwargs = {"json": {"url": "https://example.org/other.ics"}} if method == "PUT" else {}

    for user in (member, other_admin):
        assert api(method, path, user, **kwargs).status_code == 403
    assert calendar_row(room).url == "https://example.org/room.ics"


def test_api_operations_are_in_the_openapi_document(api):
    document = api("GET", "/openapi.json").get_json()
    operations = document["paths"]["/spaces/{space_id}/external-calendar"]
    assert set(operations) == {"put", "get", "delete"}
    assert "post" in document["paths"]["/spaces/{space_id}/external-calendar/fetch"]
