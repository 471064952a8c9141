"""The usage roll-up follows every booking write and equals a rebuild from scratch."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from hub.booking import service
from hub.extensions import db
from hub.usage import rollup
from hub.usage.models import PresenceDay, UsageDay, UsageHour

MONDAY = date(2030, 1, 7)  # 08:00-16:00 Oslo = 07:00-15:00 UTC in winter
OPENS = datetime(2030, 1, 7, 7, tzinfo=UTC)
BEFORE = datetime(2030, 1, 6, 12, tzinfo=UTC)


def snapshot() -> dict[str, list[tuple]]:
    """Every roll-up row with a non-zero counter, in a stable order."""
    days = db.session.execute(
        sa.select(
            UsageDay.day,
            UsageDay.space_id,
            UsageDay.organization_id,
            UsageDay.bookings,
            UsageDay.booked_half_days,
            UsageDay.booked_minutes,
            UsageDay.used_half_days,
            UsageDay.used_minutes,
            UsageDay.no_shows,
        ).order_by(UsageDay.day, UsageDay.space_id, UsageDay.organization_id)
    ).all()
    hours = db.session.execute(
        sa.select(
            UsageHour.day,
            UsageHour.hour,
            UsageHour.kind,
            UsageHour.booked_minutes,
            UsageHour.used_minutes,
        ).order_by(UsageHour.day, UsageHour.hour, UsageHour.kind)
    ).all()
    presence = db.session.execute(
        sa.select(
            PresenceDay.day, PresenceDay.organization_id, PresenceDay.user_id, PresenceDay.sources
        )
        .where(PresenceDay.sources != 0)
        .order_by(PresenceDay.day, PresenceDay.organization_id, PresenceDay.user_id)
    ).all()
    return {
        "days": [tuple(r) for r in days if any(r[3:])],
        "hours": [tuple(r) for r in hours if any(r[3:])],
        "presence": [tuple(r) for r in presence],
    }


def test_every_write_keeps_the_roll_up_equal_to_a_rebuild(app, make_hub, make_space, make_user):
    hub = make_hub(checkin_grace_minutes=30)
    desk, cell = make_space(hub, kind="desk"), make_space(hub, kind="cell")
    room = make_space(hub, kind="meeting_room", capacity=8)
    kari, ola, per = make_user(), make_user(), make_user()

    full = service.create_booking(kari, desk, OPENS, OPENS + timedelta(hours=8), now=BEFORE)
    half = service.create_booking(ola, cell, OPENS, OPENS + timedelta(hours=4), now=BEFORE)
    meeting = service.create_booking(
        kari, room, OPENS + timedelta(minutes=90), OPENS + timedelta(hours=3), now=BEFORE
    )
    gone = service.create_booking(
        per, room, OPENS + timedelta(hours=5), OPENS + timedelta(hours=6), now=BEFORE
    )
    db.session.commit()
    service.check_in(full, kari, now=OPENS)
    service.check_in(meeting, kari, now=OPENS + timedelta(minutes=90))
    service.cancel_booking(gone, per, now=BEFORE)
    db.session.commit()
    released = service.release_no_shows(now=OPENS + timedelta(minutes=31))
    assert released == [half]
    service.check_out(full, kari, now=OPENS + timedelta(hours=3))  # left at 11:00 local
    db.session.commit()

    incremental = snapshot()
    k, o = kari.home_organization_id, ola.home_organization_id
    assert incremental["days"] == [
        # full day checked out after 3 of 8 hours: half a day, booked and used
        (MONDAY, desk.id, k, 1, 1, 180, 1, 180, 0),
        # half a day released: booked, not used, a no-show
        (MONDAY, cell.id, o, 1, 1, 240, 0, 0, 1),
        # 90 minutes in the room, checked in
        (MONDAY, room.id, k, 1, 0, 90, 0, 90, 0),
    ]
    # Kari is present once although she had two bookings; Ola was a no-show.
    assert incremental["presence"] == [(MONDAY, k, kari.id, 2)]
    # 08:00-11:00 at the desk, 09:30-11:00 in the room (local hours)
    assert incremental["hours"] == [
        (MONDAY, 8, "desk", 60, 60),
        (MONDAY, 9, "desk", 60, 60),
        (MONDAY, 9, "meeting_room", 30, 30),
        (MONDAY, 10, "desk", 60, 60),
        (MONDAY, 10, "meeting_room", 60, 60),
    ]

    day_before, day_after = MONDAY - timedelta(days=1), MONDAY + timedelta(days=1)
    read = rollup.rebuild(db.session, hub.id, day_before, day_after)
    db.session.commit()
    assert read == 4
    assert snapshot() == incremental


def test_a_rolled_back_booking_leaves_no_trace(app, make_hub, make_space, make_user):
    hub = make_hub()
    service.create_booking(
        make_user(), make_space(hub), OPENS, OPENS + timedelta(hours=8), now=BEFORE
    )
    db.session.rollback()
    assert snapshot() == {"days": [], "hours": [], "presence": []}


def test_daylight_saving_day_counts_every_minute_once(app, make_hub, make_space, make_user):
    # Sunday 2030-03-31 has 23 hours in Oslo; a room open all day around the jump.
    hub = make_hub()
    from datetime import time

    from hub.spaces import service as spaces

    spaces.set_opening_hours(hub, {6: (time(0, 0), time(23, 45))})
    db.session.commit()
    room = make_space(hub, kind="meeting_room")
    start = datetime(2030, 3, 31, 0, 30, tzinfo=UTC)  # 01:30 CET
    booking = service.create_booking(
        make_user(), room, start, start + timedelta(hours=2), now=BEFORE
    )
    db.session.commit()
    assert booking.id
    hours = snapshot()["hours"]
    # 01:30-02:00 CET, then 03:00-04:00 and 04:00-04:30 CEST: 120 minutes in all.
    assert [(h, m) for _d, h, _k, m, _u in hours] == [(1, 30), (3, 60), (4, 30)]


def test_changes_in_the_same_transaction_and_after_expiry_are_counted(
    app, make_hub, make_space, make_user
):
    hub = make_hub()
    desk, cell = make_space(hub, kind="desk"), make_space(hub, kind="cell")
    kari, ola = make_user(), make_user()
    # A drop-in books and checks in within one unit of work.
    service.drop_in(kari, desk, now=OPENS + timedelta(hours=1))
    booking = service.create_booking(ola, cell, OPENS, OPENS + timedelta(hours=8), now=BEFORE)
    db.session.commit()
    # After the commit the booking is expired; set a column without reading it first.
    booking.checked_in_at = OPENS
    db.session.commit()
    used = {row[1]: row[6] for row in snapshot()["days"]}
    assert used == {desk.id: 2, cell.id: 2}
