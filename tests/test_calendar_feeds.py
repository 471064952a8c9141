"""Subscription feeds (hub.calendar.feeds): content, parsers, DST, changes and validators.

Every feed is read back by three parsers, icalendar (the generator) and two
independent ones, ``vobject`` and ``ical``, which must agree on the UIDs and on
the start and end instants of every event.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
import time_machine
import vobject
from ical.calendar_stream import IcsCalendarStream

from hub.accounts import service as accounts
from hub.accounts.models import Role, User
from hub.booking import recurrence, service
from hub.booking.models import Booking, BookingStatus
from hub.calendar import feeds
from hub.calendar.models import FeedScope, FeedToken
from hub.errors import NotFound
from hub.extensions import db
from hub.spaces import service as spaces
from hub.spaces.models import Hub, Space

OSLO = ZoneInfo("Europe/Oslo")
START = datetime(2026, 3, 1, 11, tzinfo=UTC)  # the frozen clock: Sunday 1 March 2026, 12:00
LONG_ADDRESS = "Kontorfellesskapet på Ærøyåsen, Østre Åsvei 128, 4580 Lyngdal, Agder, Norge"
LONG_TITLE = (
    "Årsmøte i Ærlige Øyvinds Åndsverkforening: gjennomgang av økonomi, "
    "årsrapport, æresmedlemmer og søknader om støtte til øvingslokaler på Åsen"
)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    """An Oslo wall-clock time as a UTC instant."""
    return datetime.combine(day, time(hour, minute), OSLO).astimezone(UTC)


@pytest.fixture
def clock() -> Iterator[Any]:
    """Frozen time; tests shift it between changes as real time would pass."""
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def lister(clock, make_hub, make_space) -> tuple[Hub, Space, Space]:
    hub = make_hub(name="RegionLab Lister", address=LONG_ADDRESS)
    room = make_space(hub, name="Møterom Lister", kind="meeting_room", capacity=8)
    desk = make_space(hub, name="Plass Ørneredet", kind="desk")
    return hub, room, desk


@pytest.fixture
def make_token(app) -> Callable[..., FeedToken]:
    def make(user: User, scope: FeedScope, **target: int) -> FeedToken:
        secret = secrets.token_urlsafe(32)
        token = FeedToken(
            user_id=user.id,
            scope=scope,
            token_hash=hashlib.sha256(secret.encode()).hexdigest(),
            **target,
        )
        db.session.add(token)
        db.session.commit()
        return token

    return make


def book(
    user: User, space: Space, starts_at: datetime, ends_at: datetime, **options: Any
) -> Booking:
    booking = service.create_booking(
        user, space, starts_at, ends_at, now=starts_at - timedelta(days=1), **options
    )
    db.session.commit()
    return booking


def now() -> datetime:
    return datetime.now(UTC)


def render(token: FeedToken) -> bytes:
    db.session.expire_all()  # read the rows as a new request would
    return feeds.render(feeds.spec_for(token), now())


def validators(token: FeedToken) -> tuple[str, datetime]:
    db.session.expire_all()
    return feeds.validators(feeds.spec_for(token), now())


def events(data: bytes) -> list[icalendar.Event]:
    return icalendar.Calendar.from_ical(data).walk("VEVENT")


def uids(data: bytes) -> list[str]:
    return [str(e["UID"]) for e in events(data)]


def parse_three_ways(data: bytes) -> dict[str, tuple[datetime, datetime]]:
    """UID -> (start, end) from icalendar, vobject and ical, which must agree."""
    text = data.decode("utf-8")
    by_icalendar = {str(e["UID"]): (e.decoded("DTSTART"), e.decoded("DTEND")) for e in events(data)}
    parsed = vobject.readOne(text)
    by_vobject = {
        e.uid.value: (e.dtstart.value, e.dtend.value) for e in parsed.contents.get("vevent", [])
    }
    by_ical = {
        e.uid: (e.dtstart, e.dtend) for e in IcsCalendarStream.calendar_from_ics(text).events
    }
    for found in (by_icalendar, by_vobject, by_ical):
        for start, end in found.values():
            # Never floating: every instant is aware and in UTC.
            assert start.utcoffset() == timedelta(0) and end.utcoffset() == timedelta(0)
    assert by_icalendar == by_vobject == by_ical
    assert list(by_icalendar) == list(by_vobject) == list(by_ical)  # same order too
    return by_icalendar


def unfolded(data: bytes) -> str:
    return data.decode("utf-8").replace("\r\n ", "")


# --- content ----------------------------------------------------------------------


def test_personal_feed_content_follows_the_rules(lister, make_user, make_token, clock):
    _hub, room, desk = lister
    kari = make_user(name="Kari Nordmann")
    day = date(2026, 3, 10)
    meeting = book(kari, room, local(day, 9), local(day, 11), title=LONG_TITLE)
    clock.shift(timedelta(minutes=5))
    desk_day = book(kari, desk, local(day, 8), local(day, 16))
    token = make_token(kari, FeedScope.PERSONAL)

    data = render(token)
    text = unfolded(data)
    found = parse_three_ways(data)
    assert list(found) == [f"booking-{desk_day.id}@hub.test", f"booking-{meeting.id}@hub.test"]

    calendar = icalendar.Calendar.from_ical(data)
    assert str(calendar["PRODID"]) == "-//Hub//Hub//NB"
    assert str(calendar["NAME"]) == str(calendar["X-WR-CALNAME"]) == "My bookings – Hub"
    assert "\r\nREFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in text
    assert "\r\nX-PUBLISHED-TTL:PT1H\r\n" in text
    for forbidden in ("METHOD", "VALARM", "VTIMEZONE", "TZID", "ORGANIZER", "ATTENDEE"):
        assert forbidden not in text

    by_uid = {str(e["UID"]): e for e in events(data)}
    event = by_uid[f"booking-{meeting.id}@hub.test"]
    assert str(event["SUMMARY"]) == LONG_TITLE  # the person's own meeting keeps its title
    assert str(event["LOCATION"]) == f"Møterom Lister, RegionLab Lister, {LONG_ADDRESS}"
    assert str(event["URL"]) == "http://hub.test/bookings"
    assert str(event["STATUS"]) == "CONFIRMED" and str(event["TRANSP"]) == "OPAQUE"
    assert event["SEQUENCE"] == 0
    db.session.refresh(meeting)
    assert event.decoded("DTSTAMP") == meeting.updated_at == START
    assert event.decoded("LAST-MODIFIED") == meeting.updated_at
    assert event.decoded("CREATED") == meeting.created_at
    assert "DTSTAMP:20260301T110000Z" in text  # the row's change, never "now"
    assert "DTSTART:20260310T080000Z" in text and "DTEND:20260310T100000Z" in text
    desk_event = by_uid[f"booking-{desk_day.id}@hub.test"]
    assert str(desk_event["SUMMARY"]) == "Plass Ørneredet – RegionLab Lister"
    assert "DTSTAMP:20260301T110500Z" in text


def test_lines_are_crlf_folded_at_75_octets_without_splitting_letters(
    lister, make_user, make_token
):
    _hub, room, _desk = lister
    kari = make_user()
    day = date(2026, 3, 10)
    book(kari, room, local(day, 9), local(day, 11), title=LONG_TITLE)
    data = render(make_token(kari, FeedScope.PERSONAL))

    assert data.endswith(b"\r\n")
    assert b"\n" not in data.replace(b"\r\n", b"")  # every line end is CRLF
    lines = data.split(b"\r\n")[:-1]
    assert any(line.startswith(b" ") for line in lines)  # the long lines were folded
    for line in lines:
        assert len(line) <= 75
        line.decode("utf-8")  # no line ends inside a multi-byte Æ, Ø or Å
    escaped = LONG_TITLE.replace(",", "\\,")  # TEXT escapes commas
    assert f"SUMMARY:{escaped}\r\n" in unfolded(data)


def test_same_data_gives_the_same_bytes(lister, make_user, make_token, clock):
    hub, room, _desk = lister
    kari = make_user(share_name=True)
    book(kari, room, local(date(2026, 3, 10), 9), local(date(2026, 3, 10), 11))
    tokens = [
        make_token(kari, FeedScope.PERSONAL),
        make_token(kari, FeedScope.SPACE, space_id=room.id),
        make_token(kari, FeedScope.HUB, hub_id=hub.id),
    ]
    first = [render(t) for t in tokens]
    clock.shift(timedelta(hours=3))  # later the same day: nothing in the bytes moves
    assert [render(t) for t in tokens] == first
    ids = [t.id for t in tokens]
    db.session.remove()  # a new session, as the next request has
    assert [render(db.session.get(FeedToken, i)) for i in ids] == first


def test_an_empty_feed_parses(lister, make_user, make_token):
    data = render(make_token(make_user(), FeedScope.PERSONAL))
    assert parse_three_ways(data) == {}
    assert b"BEGIN:VEVENT" not in data


def test_title_is_in_the_owners_language(lister, make_user, make_token):
    hub, room, _desk = lister
    norwegian = make_user(language="nb")
    spec = feeds.spec_for(make_token(norwegian, FeedScope.PERSONAL))
    assert spec.title == "Mine reservasjoner – Hub"
    assert spec.locale == "nb"
    room_spec = feeds.spec_for(make_token(norwegian, FeedScope.SPACE, space_id=room.id))
    assert room_spec.title == "Møterom Lister – RegionLab Lister"
    assert feeds.spec_for(make_token(norwegian, FeedScope.HUB, hub_id=hub.id)).title == (
        "RegionLab Lister"
    )


def test_revoked_token_or_inactive_owner_has_no_feed(lister, make_user, make_token):
    kari = make_user()
    token = make_token(kari, FeedScope.PERSONAL)
    token.revoked_at = now()
    db.session.commit()
    with pytest.raises(NotFound):
        feeds.spec_for(token)
    other = make_token(kari, FeedScope.PERSONAL)
    accounts.update_user(kari, {"active": False})
    db.session.commit()
    with pytest.raises(NotFound):
        feeds.spec_for(other)


# --- daylight saving --------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "utc_start", "utc_end"),
    [
        # Friday before the spring change: still UTC+1.
        (date(2026, 3, 27), "20260327T080000Z", "20260327T100000Z"),
        # Monday after Sunday 29 March 2026 (02:00 -> 03:00): UTC+2.
        (date(2026, 3, 30), "20260330T070000Z", "20260330T090000Z"),
        # Friday before the autumn change: still UTC+2.
        (date(2026, 10, 23), "20261023T070000Z", "20261023T090000Z"),
        # Monday after Sunday 25 October 2026 (03:00 -> 02:00): UTC+1.
        (date(2026, 10, 26), "20261026T080000Z", "20261026T100000Z"),
    ],
)
def test_local_times_across_daylight_saving_changes(
    lister, make_user, make_token, day, utc_start, utc_end
):
    _hub, room, _desk = lister
    kari = make_user()
    booking = book(kari, room, local(day, 9), local(day, 11))
    data = render(make_token(kari, FeedScope.PERSONAL))

    text = unfolded(data)
    assert f"DTSTART:{utc_start}\r\n" in text and f"DTEND:{utc_end}\r\n" in text
    found = parse_three_ways(data)
    start, end = found[f"booking-{booking.id}@hub.test"]
    assert (start.astimezone(OSLO).time(), end.astimezone(OSLO).time()) == (time(9), time(11))
    assert start.astimezone(OSLO).date() == day

    # Each parser on its own gives 09:00 Oslo time.
    vevent = vobject.readOne(data.decode()).vevent
    assert vevent.dtstart.value.astimezone(OSLO).hour == 9
    [ical_event] = IcsCalendarStream.calendar_from_ics(data.decode()).events
    assert ical_event.dtstart.astimezone(OSLO).hour == 9
    assert ical_event.dtend.astimezone(OSLO).hour == 11


def test_a_feed_spanning_both_changes_keeps_nine_oclock(lister, make_user, make_token):
    _hub, room, _desk = lister
    kari = make_user()
    for day in (date(2026, 3, 27), date(2026, 3, 30), date(2026, 10, 23), date(2026, 10, 26)):
        book(kari, room, local(day, 9), local(day, 11))
    found = parse_three_ways(render(make_token(kari, FeedScope.PERSONAL)))
    assert [s.astimezone(OSLO).hour for s, _e in found.values()] == [9, 9, 9, 9]
    assert [s.hour for s, _e in found.values()] == [8, 7, 7, 8]  # in UTC


# --- changes ----------------------------------------------------------------------


def test_cancelled_booking_leaves_the_feed(lister, make_user, make_token, clock):
    _hub, room, desk = lister
    kari = make_user()
    day = date(2026, 3, 10)
    kept = book(kari, desk, local(day, 8), local(day, 16))
    gone = book(kari, room, local(day, 9), local(day, 11))
    token = make_token(kari, FeedScope.PERSONAL)
    assert len(parse_three_ways(render(token))) == 2

    clock.shift(timedelta(minutes=10))
    service.cancel_booking(gone, kari)
    db.session.commit()
    data = render(token)
    assert list(parse_three_ways(data)) == [f"booking-{kept.id}@hub.test"]
    assert b"CANCELLED" not in data


def test_released_and_declined_bookings_are_left_out_pending_is_tentative(
    lister, make_user, make_token, make_space, clock
):
    hub, _room, desk = lister
    approval_room = make_space(hub, name="Styrerom", kind="meeting_room", requires_approval=True)
    kari = make_user()
    admin = make_user(hub=hub, role=Role.ADMIN)
    day = date(2026, 3, 10)
    pending = book(kari, approval_room, local(day, 9), local(day, 10))
    declined = book(kari, approval_room, local(day, 11), local(day, 12))
    released = book(kari, desk, local(day, 8), local(day, 16))
    service.decide_booking(declined, admin, approve=False)
    released.status = BookingStatus.RELEASED  # as the no-show job leaves it
    released.sequence += 1
    db.session.commit()

    data = render(make_token(kari, FeedScope.PERSONAL))
    [event] = events(data)
    assert str(event["UID"]) == f"booking-{pending.id}@hub.test"
    assert str(event["STATUS"]) == "TENTATIVE"
    parse_three_ways(data)


def test_moved_booking_keeps_its_uid_with_a_higher_sequence(lister, make_user, make_token, clock):
    """Checking out early moves the end (the service's one move) and bumps SEQUENCE."""
    _hub, room, _desk = lister
    kari = make_user()
    day = date(2026, 3, 10)
    booking = book(kari, room, local(day, 9), local(day, 11))
    token = make_token(kari, FeedScope.PERSONAL)
    [before] = events(render(token))

    clock.move_to(local(day, 9, 5))
    service.check_in(booking, kari)
    service.check_out(booking, kari, now=local(day, 10))
    db.session.commit()
    data = render(token)
    [after] = events(data)
    assert str(after["UID"]) == str(before["UID"]) == f"booking-{booking.id}@hub.test"
    assert after["SEQUENCE"] > before["SEQUENCE"]
    assert after.decoded("DTEND") == local(day, 10)
    assert after.decoded("DTSTAMP") > before.decoded("DTSTAMP")
    parse_three_ways(data)


def test_series_with_one_cancelled_occurrence_shows_the_others(
    lister, make_user, make_token, clock
):
    _hub, room, _desk = lister
    kari = make_user()
    mondays = [date(2026, 3, 9) + timedelta(weeks=n) for n in range(4)]

    def interval(day: date) -> tuple[datetime, datetime]:
        return local(day, 9), local(day, 11)

    _series, booked = recurrence.book_free(kari, room, mondays[0], mondays[-1], [0], interval)
    db.session.commit()
    assert len(booked) == 4
    clock.shift(timedelta(minutes=1))
    service.cancel_booking(booked[2], kari)
    db.session.commit()

    data = render(make_token(kari, FeedScope.PERSONAL))
    found = parse_three_ways(data)
    assert list(found) == [f"booking-{b.id}@hub.test" for b in (booked[0], booked[1], booked[3])]
    assert [s.astimezone(OSLO).date() for s, _e in found.values()] == [
        mondays[0],
        mondays[1],
        mondays[3],
    ]
    # Expanded single events: no recurrence properties at all.
    for name in ("RRULE", "EXDATE", "RDATE", "RECURRENCE-ID"):
        assert name.encode() not in data


# --- names ------------------------------------------------------------------------


@pytest.fixture
def people(lister, make_user, make_org):
    """Three members of the hub: one who shares their name, two who do not."""
    hub = lister[0]
    nav = make_org(name="NAV Lister")
    return {
        "open": make_user(name="Åse Åpen", share_name=True, hub=hub, role=Role.MEMBER),
        "private": make_user(name="Per Privat", home_organization=nav, hub=hub, role=Role.MEMBER),
        "viewer": make_user(name="Vera Viser", hub=hub, role=Role.MEMBER),
        "nav": nav,
    }


def _summaries(data: bytes) -> list[str]:
    return [str(e["SUMMARY"]) for e in events(data)]


def test_space_feed_shows_names_only_as_people_allow(lister, people, make_token):
    hub, room, _desk = lister
    day = date(2026, 3, 10)
    book(people["open"], room, local(day, 8), local(day, 9), title="Åses møte")
    book(people["private"], room, local(day, 9), local(day, 10), title="Hemmelig møte")
    book(people["viewer"], room, local(day, 10), local(day, 11), title="Veras møte")
    data = render(make_token(people["viewer"], FeedScope.SPACE, space_id=room.id))

    assert _summaries(data) == ["Åse Åpen", "Busy", "Vera Viser"]
    text = unfolded(data)
    assert "møte" not in text  # never the title of a meeting
    assert "Per Privat" not in text
    assert all(str(e["TRANSP"]) == "TRANSPARENT" for e in events(data))
    urls = [str(e["URL"]) for e in events(data)]
    assert urls[0] == f"http://hub.test/hubs/{hub.slug}/availability?date=2026-03-10"
    assert urls[2] == "http://hub.test/bookings"  # the viewer's own booking
    parse_three_ways(data)


def test_hub_feed_shows_space_and_busy_or_the_name(lister, people, make_token):
    hub, room, desk = lister
    day = date(2026, 3, 10)
    book(people["open"], desk, local(day, 8), local(day, 16))
    book(people["private"], room, local(day, 9), local(day, 10), title="Hemmelig møte")
    data = render(make_token(people["viewer"], FeedScope.HUB, hub_id=hub.id))
    assert _summaries(data) == ["Plass Ørneredet: Åse Åpen", "Møterom Lister: busy"]
    parse_three_ways(data)


def test_outsiders_see_no_names_in_shared_feeds(lister, people, make_user, make_token):
    _hub, room, _desk = lister
    day = date(2026, 3, 10)
    book(people["open"], room, local(day, 8), local(day, 9))
    outsider = make_user()  # no role in the hub
    data = render(make_token(outsider, FeedScope.SPACE, space_id=room.id))
    assert _summaries(data) == ["Busy"]


def test_share_name_changes_the_feed_and_its_validators(lister, people, make_token, clock):
    hub, room, _desk = lister
    day = date(2026, 3, 10)
    book(people["private"], room, local(day, 9), local(day, 10))
    token = make_token(people["viewer"], FeedScope.HUB, hub_id=hub.id)
    before = validators(token)
    assert _summaries(render(token)) == ["Møterom Lister: busy"]

    clock.shift(timedelta(minutes=1))
    accounts.update_profile(people["private"], {"share_name": True})
    db.session.commit()
    assert validators(token) != before
    assert _summaries(render(token)) == ["Møterom Lister: Per Privat"]


def test_organization_feed_for_its_partner_contact(
    lister, people, make_user, make_hub, make_space, make_token
):
    hub, room, desk = lister
    nav = people["nav"]
    elsewhere = make_hub(name="Sentrumsgården")
    far_desk = make_space(elsewhere, name="Plass 9")
    contact = make_user(hub=hub, role=Role.PARTNER_CONTACT, organization=nav)
    sharing = make_user(name="Nils Navn", home_organization=nav, share_name=True)
    day = date(2026, 3, 10)
    book(people["private"], room, local(day, 9), local(day, 10), title="Hemmelig møte")
    book(sharing, desk, local(day, 8), local(day, 16))
    book(sharing, far_desk, local(day + timedelta(days=1), 8), local(day + timedelta(days=1), 16))
    book(people["open"], room, local(day, 11), local(day, 12))  # another organization

    token = make_token(contact, FeedScope.ORGANIZATION, organization_id=nav.id)
    spec = feeds.spec_for(token)
    assert spec.hub_ids == (hub.id,)  # only where the contact speaks for NAV
    data = render(token)
    assert _summaries(data) == ["Plass Ørneredet – Nils Navn", "Møterom Lister – employee"]
    assert "Hemmelig" not in unfolded(data)
    parse_three_ways(data)

    admin = make_user(is_system_admin=True)
    everywhere = render(make_token(admin, FeedScope.ORGANIZATION, organization_id=nav.id))
    assert len(events(everywhere)) == 3


# --- validators -------------------------------------------------------------------


def test_validators_change_with_every_material_change(lister, make_user, make_token, clock):
    hub, room, desk = lister
    kari = make_user()
    day = date(2026, 3, 10)
    first = book(kari, desk, local(day, 8), local(day, 16))
    tokens = {
        "personal": make_token(kari, FeedScope.PERSONAL),
        "space": make_token(kari, FeedScope.SPACE, space_id=room.id),
        "hub": make_token(kari, FeedScope.HUB, hub_id=hub.id),
    }

    bodies: dict[str, bytes] = {}  # ETag -> the bytes rendered under it

    def current() -> dict[str, tuple[str, datetime]]:
        found = {name: validators(token) for name, token in tokens.items()}
        for name, (tag, _modified) in found.items():
            # One ETag never stands for two different bodies.
            assert bodies.setdefault(tag, render(tokens[name])) == render(tokens[name])
        return found

    seen = [current()]
    assert current() == seen[0]  # nothing changed, nothing moves
    etag, last_modified = seen[0]["personal"]
    assert len(etag) == 32 and all(c in "0123456789abcdef" for c in etag)
    assert last_modified <= now() and last_modified.tzinfo is not None

    def changed(*names: str) -> None:
        after = current()
        for name in names:
            assert after[name][0] != seen[-1][name][0], name
        assert current() == after  # and stays put until the next change
        seen.append(after)

    clock.shift(timedelta(minutes=1))
    booking = book(kari, room, local(day, 9), local(day, 11))  # created
    changed("personal", "space", "hub")

    clock.move_to(local(day, 9, 5))
    service.check_in(booking, kari)
    db.session.commit()
    clock.shift(timedelta(minutes=30))
    service.check_out(booking, kari)  # moved: the end comes earlier
    db.session.commit()
    changed("personal", "space", "hub")

    clock.shift(timedelta(minutes=1))
    service.cancel_booking(first, make_user(hub=hub, role=Role.ADMIN), now=now())
    db.session.commit()
    changed("personal", "hub")
    assert current()["space"] == seen[-2]["space"]  # the desk is not in the room's feed

    clock.shift(timedelta(minutes=1))
    spaces.update_space(room, {"name": "Møterom Eik"})  # renamed: SUMMARY, LOCATION, title
    db.session.commit()
    changed("personal", "space", "hub")
    assert feeds.spec_for(tokens["space"]).title == "Møterom Eik – RegionLab Lister"

    clock.shift(timedelta(minutes=1))
    spaces.update_hub(hub, {"address": "Lyngdal sentrum"})  # in every LOCATION
    db.session.commit()
    changed("personal", "space", "hub")

    clock.move_to(START + timedelta(days=1))  # the window moved a day
    changed("personal", "space", "hub")


def test_validators_of_a_feed_without_bookings_see_a_rename(lister, make_user, make_token, clock):
    _hub, room, _desk = lister
    token = make_token(make_user(), FeedScope.SPACE, space_id=room.id)
    etag, last_modified = validators(token)
    clock.shift(timedelta(minutes=1))
    spaces.update_space(room, {"name": "Møterom Bjørk"})
    db.session.commit()
    new_etag, new_last_modified = validators(token)
    assert new_etag != etag
    assert new_last_modified > last_modified


def test_last_modified_follows_the_rows_and_never_goes_back(lister, make_user, make_token, clock):
    _hub, room, _desk = lister
    kari = make_user()
    token = make_token(kari, FeedScope.PERSONAL)
    day = date(2026, 3, 10)
    _etag, empty = validators(token)
    assert empty == local(START.astimezone(OSLO).date(), 0)  # midnight: the window moved then

    clock.shift(timedelta(hours=1, seconds=0.75))
    booking = book(kari, room, local(day, 9), local(day, 11))
    _etag, created = validators(token)
    assert created == booking.updated_at.replace(microsecond=0)

    clock.shift(timedelta(minutes=2))
    service.cancel_booking(booking, kari)  # leaves the feed, but its change counts
    db.session.commit()
    _etag, cancelled = validators(token)
    assert cancelled > created


def test_validators_are_one_query_and_do_not_render(lister, make_user, make_token, monkeypatch):
    import sqlalchemy as sa

    hub, room, _desk = lister
    kari = make_user(share_name=True)
    book(kari, room, local(date(2026, 3, 10), 9), local(date(2026, 3, 10), 11))
    specs = [
        feeds.spec_for(make_token(kari, FeedScope.PERSONAL)),
        feeds.spec_for(make_token(kari, FeedScope.SPACE, space_id=room.id)),
        feeds.spec_for(make_token(kari, FeedScope.HUB, hub_id=hub.id)),
        feeds.spec_for(
            make_token(kari, FeedScope.ORGANIZATION, organization_id=kari.home_organization_id)
        ),
    ]
    monkeypatch.setattr(feeds, "render", lambda *a: pytest.fail("rendered"))
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        for spec in specs:
            feeds.validators(spec, now())
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    assert len(statements) == len(specs)


# --- window -----------------------------------------------------------------------


def test_window_keeps_90_days_back_and_a_year_ahead(lister, make_user, make_token):
    _hub, room, _desk = lister
    kari = make_user()
    today = START.astimezone(OSLO).date()

    def on(days: int) -> Booking:
        day = today + timedelta(days=days)
        return book(kari, room, local(day, 9), local(day, 10))

    too_old, oldest, newest, too_new = on(-100), on(-90), on(365), on(400)
    token = make_token(kari, FeedScope.PERSONAL)
    found = uids(render(token))
    assert f"booking-{oldest.id}@hub.test" in found
    assert f"booking-{newest.id}@hub.test" in found
    assert f"booking-{too_old.id}@hub.test" not in found
    assert f"booking-{too_new.id}@hub.test" not in found
    assert len(found) == 2

    win = feeds.window(feeds.spec_for(token), now())
    assert (win.first_day, win.last_day) == (
        today - timedelta(days=90),
        today + timedelta(days=365),
    )
    assert win.starts_at == local(win.first_day, 0)


@pytest.mark.parametrize(
    "app_config", [{"CALENDAR_FEED_DAYS_BACK": 7, "CALENDAR_FEED_DAYS_AHEAD": 30}]
)
def test_window_is_configurable(lister, make_user, make_token):
    _hub, room, _desk = lister
    kari = make_user()
    today = START.astimezone(OSLO).date()
    inside = book(
        kari, room, local(today + timedelta(days=22), 9), local(today + timedelta(days=22), 10)
    )
    book(kari, room, local(today + timedelta(days=40), 9), local(today + timedelta(days=40), 10))
    book(kari, room, local(today - timedelta(days=10), 9), local(today - timedelta(days=10), 10))
    assert uids(render(make_token(kari, FeedScope.PERSONAL))) == [f"booking-{inside.id}@hub.test"]
