"""Daylight-saving days: presets and bookings follow the hub's local opening hours."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from hub.booking import rules, service
from hub.extensions import db
from hub.spaces import opening
from hub.spaces import service as spaces

EVERY_DAY = {weekday: (time(8), time(16)) for weekday in range(7)}


@pytest.mark.parametrize(
    ("day", "utc_start", "utc_end", "utc_middle"),
    [
        # Last Sunday of March 2030: clocks go 02:00 -> 03:00, Oslo is UTC+2 afterwards.
        (
            date(2030, 3, 31),
            datetime(2030, 3, 31, 6, tzinfo=UTC),
            datetime(2030, 3, 31, 14, tzinfo=UTC),
            datetime(2030, 3, 31, 10, tzinfo=UTC),
        ),
        # Last Sunday of October 2030: clocks go 03:00 -> 02:00, Oslo is UTC+1 afterwards.
        (
            date(2030, 10, 27),
            datetime(2030, 10, 27, 7, tzinfo=UTC),
            datetime(2030, 10, 27, 15, tzinfo=UTC),
            datetime(2030, 10, 27, 11, tzinfo=UTC),
        ),
        # The Saturday before each, still on the old offset.
        (
            date(2030, 3, 30),
            datetime(2030, 3, 30, 7, tzinfo=UTC),
            datetime(2030, 3, 30, 15, tzinfo=UTC),
            datetime(2030, 3, 30, 11, tzinfo=UTC),
        ),
        (
            date(2030, 10, 26),
            datetime(2030, 10, 26, 6, tzinfo=UTC),
            datetime(2030, 10, 26, 14, tzinfo=UTC),
            datetime(2030, 10, 26, 10, tzinfo=UTC),
        ),
    ],
)
def test_day_presets_on_daylight_saving_days(day, utc_start, utc_end, utc_middle):
    hours = opening.opening_interval(day, EVERY_DAY, "Europe/Oslo")
    presets = rules.day_presets(hours)
    assert presets["day"] == (utc_start, utc_end)
    assert presets["morning"] == (utc_start, utc_middle)
    assert presets["afternoon"] == (utc_middle, utc_end)


def test_booking_a_desk_for_the_whole_dst_sunday(app, make_hub, make_space, make_user):
    hub = make_hub()
    spaces.set_opening_hours(hub, EVERY_DAY)
    desk = make_space(hub)
    day = date(2030, 3, 31)
    start, end = rules.day_presets(service.opening_for(hub, datetime(2030, 3, 31, 12, tzinfo=UTC)))[
        "day"
    ]
    booking = service.create_booking(
        make_user(), desk, start, end, now=datetime(2030, 3, 1, tzinfo=UTC)
    )
    db.session.commit()
    db.session.expire_all()
    assert (booking.starts_at, booking.ends_at) == (
        datetime(2030, 3, 31, 6, tzinfo=UTC),
        datetime(2030, 3, 31, 14, tzinfo=UTC),
    )
    assert (booking.ends_at - booking.starts_at).total_seconds() == 8 * 3600
    assert day == booking.starts_at.astimezone(ZoneInfo("Europe/Oslo")).date()


def test_meeting_room_grid_is_local_time_across_the_autumn_change(
    app, make_hub, make_space, make_user
):
    hub = make_hub()
    spaces.set_opening_hours(hub, EVERY_DAY)
    room = make_space(hub, kind="meeting_room", capacity=6)
    # 09:00-10:30 local on 27 October 2030 (UTC+1) is 08:00-09:30 UTC: on the grid.
    booking = service.create_booking(
        make_user(),
        room,
        datetime(2030, 10, 27, 8, tzinfo=UTC),
        datetime(2030, 10, 27, 9, 30, tzinfo=UTC),
        participants=3,
        now=datetime(2030, 10, 1, tzinfo=UTC),
    )
    assert booking.id is not None
