"""Retention: old personal details go, the figures stay the same."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
import time_machine
from test_usage_rollup import snapshot

from hub import jobs
from hub.booking import recurrence, service
from hub.booking.models import Booking, BookingSeries, BookingStatus
from hub.extensions import db
from hub.usage import retention, rollup
from hub.usage.models import ImportStatus, PresenceDay, UsageImport, UsageRecord
from hub.usage.reports import GROUPS, usage_by

NOW = datetime(2030, 3, 15, 12, tzinfo=UTC)  # 13 months back: 2029-02-15 is the first day kept
OLD = date(2029, 1, 9)  # a Tuesday, 14 months ago
LAST_GONE, FIRST_KEPT = date(2029, 2, 14), date(2029, 2, 15)
RECENT = date(2030, 2, 12)  # a Tuesday, a month ago


def opens(day: date, hours: float = 0) -> datetime:
    """08:00 Oslo in winter is 07:00 UTC."""
    return datetime.combine(day, time(7), tzinfo=UTC) + timedelta(hours=hours)


def day_before(day: date) -> datetime:
    return opens(day) - timedelta(hours=20)


def reports(hub) -> dict[str, list[dict]]:
    """The usage report by each grouping, over everything the test books."""
    first, last = OLD - timedelta(days=7), NOW.date()
    return {group: usage_by(hub, first, last, group) for group in GROUPS}


def without_people(report: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """Distinct people cannot be told apart once anonymized (hub.usage.privacy)."""
    return {
        group: [{k: v for k, v in row.items() if k != "people"} for row in rows]
        for group, rows in report.items()
    }


def without_person(snap: dict[str, list[tuple]]) -> dict[str, list[tuple]]:
    """Presence rows compared by (day, organization, sources): the person goes."""
    presence = sorted((d, org, sources) for d, org, _user, sources in snap["presence"])
    return snap | {"presence": presence}


def import_line(hub, user, space, day: date) -> UsageRecord:
    upload = UsageImport(
        hub_id=hub.id, filename="kort.csv", content="", status=ImportStatus.IMPORTED
    )
    db.session.add(upload)
    db.session.flush()
    record = UsageRecord(
        import_id=upload.id,
        hub_id=hub.id,
        space_id=space.id,
        organization_id=user.home_organization_id,
        user_id=user.id,
        day=day,
        seen_at=opens(day, 1),
    )
    db.session.add(record)
    db.session.flush()
    rollup.apply_records(db.session, [(record, str(space.kind))])
    return record


def test_old_usage_loses_the_person_and_keeps_the_figures(
    app, make_hub, make_space, make_user, make_org
):
    hub = make_hub(checkin_grace_minutes=30)
    desk, desk2 = make_space(hub, kind="desk"), make_space(hub, kind="desk")
    cell = make_space(hub, kind="cell")
    room = make_space(hub, kind="meeting_room", capacity=8)
    nav = make_org()
    kari, ola = make_user(home_organization=nav), make_user(home_organization=nav)
    per = make_user()

    # 14 months ago: Kari and Ola (same agency, same day: two presence rows that
    # both lose their person), a titled meeting, a no-show and a weekly series.
    old_desk = service.create_booking(kari, desk, opens(OLD), opens(OLD, 8), now=day_before(OLD))
    old_cell = service.create_booking(
        ola, cell, opens(OLD), opens(OLD, 4), title="Fagdag", now=day_before(OLD)
    )
    old_room = service.create_booking(
        kari,
        room,
        opens(OLD, 1),
        opens(OLD, 3),
        participants=5,
        title="Styremøte NAV",
        now=day_before(OLD),
    )
    no_show = service.create_booking(per, desk2, opens(OLD), opens(OLD, 8), now=day_before(OLD))
    series, series_bookings = recurrence.book_free(
        per,
        desk2,
        OLD + timedelta(days=6),
        OLD + timedelta(days=13),
        [0],
        lambda d: service.opening_for(hub, opens(d)),
        now=day_before(OLD),
    )
    db.session.commit()
    for booking in (old_desk, old_cell, old_room):
        service.check_in(booking, booking.user, now=booking.starts_at)
    db.session.commit()
    assert service.release_no_shows(now=opens(OLD, 1)) == [no_show]
    import_line(hub, ola, desk, OLD + timedelta(days=1))
    # Either side of the cutoff.
    last_gone = service.create_booking(
        kari, desk, opens(LAST_GONE), opens(LAST_GONE, 8), now=day_before(LAST_GONE)
    )
    first_kept = service.create_booking(
        kari, desk, opens(FIRST_KEPT), opens(FIRST_KEPT, 8), now=day_before(FIRST_KEPT)
    )
    # A month ago.
    recent = service.create_booking(
        kari,
        room,
        opens(RECENT, 1),
        opens(RECENT, 2),
        participants=3,
        title="Planmøte",
        now=day_before(RECENT),
    )
    db.session.commit()
    service.check_in(recent, kari, now=opens(RECENT, 1))
    recent_line = import_line(hub, ola, desk, RECENT)
    db.session.commit()

    before, report_before = snapshot(), reports(hub)
    assert (OLD, nav.id, kari.id, 2) in before["presence"]  # desk and room
    assert (OLD, nav.id, ola.id, 1) in before["presence"]

    assert retention.anonymize_expired(now=NOW) == 5 + len(series_bookings)
    db.session.commit()
    db.session.expire_all()

    gone = [old_desk, old_cell, old_room, no_show, last_gone, *series_bookings]
    assert all(b.user_id is None and b.title is None for b in gone)
    # The agency, the space, the interval and what happened stay.
    assert (old_room.organization_id, old_room.space_id, old_room.participants) == (
        nav.id,
        room.id,
        5,
    )
    assert (old_room.starts_at, old_room.ends_at) == (opens(OLD, 1), opens(OLD, 3))
    assert old_room.checked_in_at == opens(OLD, 1) and no_show.status == BookingStatus.RELEASED
    assert db.session.get(BookingSeries, series.id).user_id is None
    assert (first_kept.user_id, recent.user_id, recent.title) == (kari.id, kari.id, "Planmøte")
    lines = {r.day: r.user_id for r in db.session.scalars(sa.select(UsageRecord))}
    assert lines == {OLD + timedelta(days=1): None, RECENT: recent_line.user_id}
    presence = {(p.day, p.user_id) for p in db.session.scalars(sa.select(PresenceDay))}
    assert (OLD, None) in presence and (FIRST_KEPT, kari.id) in presence
    assert not any(user_id for day, user_id in presence if day < FIRST_KEPT)

    after = snapshot()
    assert without_person(after) == without_person(before)
    assert after["days"] == before["days"] and after["hours"] == before["hours"]
    report_after = reports(hub)
    assert without_people(report_after) == without_people(report_before)
    assert report_before["organization"][0]["person_days"] > 0
    # Person-days stay; distinct people count only those still known.
    [nav_before] = [r for r in report_before["organization"] if r["organization_id"] == nav.id]
    [nav_after] = [r for r in report_after["organization"] if r["organization_id"] == nav.id]
    assert (nav_before["people"], nav_after["people"]) == (2, 2)  # both still seen recently
    [old_nav] = [
        r for r in usage_by(hub, OLD, LAST_GONE, "organization") if r["organization_id"] == nav.id
    ]
    assert (old_nav["person_days"], old_nav["people"]) == (4, 0)  # 2 days each, no one known
    # A rebuild from the anonymized bookings gives the same figures too.
    rollup.rebuild(db.session, hub.id, OLD - timedelta(days=1), RECENT + timedelta(days=1))
    db.session.commit()
    assert without_person(snapshot()) == without_person(before)

    assert retention.anonymize_expired(now=NOW) == 0
    assert without_person(snapshot()) == without_person(before)


def test_each_hub_keeps_its_own_retention_period(app, make_hub, make_space, make_user):
    short, default = make_hub(retention_months=1), make_hub()
    user = make_user()
    day = date(2030, 1, 8)  # two months before NOW
    a = service.create_booking(
        user, make_space(short), opens(day), opens(day, 8), now=day_before(day)
    )
    b = service.create_booking(
        user, make_space(default), opens(day), opens(day, 8), now=day_before(day)
    )
    db.session.commit()

    assert retention.cutoff_day(NOW, "Europe/Oslo", 1) == date(2030, 2, 15)
    assert retention.anonymize_expired(now=NOW) == 1
    db.session.commit()
    assert (a.user_id, b.user_id) == (None, user.id)


def test_job_runs_in_the_scheduler_and_is_idempotent(app, make_hub, make_space, make_user):
    hub = make_hub()
    user = make_user()
    booking = service.create_booking(
        user, make_space(hub), opens(OLD), opens(OLD, 8), now=day_before(OLD)
    )
    db.session.commit()
    booking_id = booking.id

    with time_machine.travel(NOW, tick=False):
        assert jobs.run_job(app, "anonymize_usage") == 1
        assert jobs.run_job(app, "anonymize_usage") == 0
    db.session.rollback()  # the job ran in its own session: end our read transaction
    assert db.session.get(Booking, booking_id).user_id is None
    assert jobs.JOBS["anonymize_usage"][1] == {"trigger": "cron", "hour": 3, "minute": 15}


def test_old_uploaded_files_lose_their_text(app, make_hub):
    hub = make_hub()
    old = UsageImport(
        hub_id=hub.id,
        filename="kort.csv",
        content="tid;e-post\n2029-01-09 08:00;kari@example.no\n",
        status=ImportStatus.IMPORTED,
        created_at=opens(OLD),
    )
    recent = UsageImport(
        hub_id=hub.id, filename="nye.csv", content="tid;kort\n", created_at=opens(RECENT)
    )
    db.session.add_all([old, recent])
    db.session.commit()
    retention.anonymize_expired(now=NOW)
    db.session.commit()
    db.session.expire_all()
    assert (old.content, old.filename, recent.content) == ("", "kort.csv", "tid;kort\n")


def test_the_cost_share_by_use_is_the_same_after_anonymizing(
    app, make_hub, make_space, make_user, make_org
):
    from hub.accounts import service as accounts
    from hub.finance import cost_share, financing, statements
    from hub.finance import service as finance

    hub = make_hub()
    desk, cell = make_space(hub, kind="desk"), make_space(hub, kind="cell")
    room = make_space(hub, kind="meeting_room", capacity=8)
    host, nav, tax, idle = (make_org() for _ in range(4))
    accounts.create_membership(
        hub, {"organization_id": host.id, "kind": "host", "starts_on": date(2028, 1, 1)}
    )
    for org in (nav, tax, idle):
        accounts.create_membership(
            hub,
            {
                "organization_id": org.id,
                "kind": "partner",
                "starts_on": date(2028, 1, 1),
                "carries_residual": True,
            },
        )
    finance.create_cost_item(
        hub,
        {
            "category": "rent",
            "description": "Husleie 2029",
            "amount_ore": 36_500_000,
            "starts_on": date(2029, 1, 1),
            "ends_on": date(2029, 12, 31),
        },
    )
    financing.save_model(hub, 2029, {"key": "use"})
    kari, ola = make_user(home_organization=nav), make_user(home_organization=nav)
    per = make_user(home_organization=tax)
    # 14 months before NOW: NAV 2 desk-days (two people, one checked in) = 2 units;
    # Skatteetaten 1 cell-day + 2 room-hours = 1.5 + 0.5 = 2 units.
    wednesday = OLD + timedelta(days=1)
    first = service.create_booking(kari, desk, opens(OLD), opens(OLD, 8), now=day_before(OLD))
    service.create_booking(ola, desk, opens(wednesday), opens(wednesday, 8), now=day_before(OLD))
    service.create_booking(
        per, cell, opens(OLD), opens(OLD, 8), title="Fagdag", now=day_before(OLD)
    )
    service.create_booking(
        per, room, opens(OLD, 1), opens(OLD, 3), title="Møte", now=day_before(OLD)
    )
    db.session.commit()
    service.check_in(first, kari, now=first.starts_at)
    db.session.commit()
    january = (date(2029, 1, 1), date(2029, 1, 31))

    def figures():
        result = cost_share.compute(hub, *january)
        document = statements.build_document(hub, nav, *january)
        return result, cost_share.lines(result), document

    before = figures()
    assert retention.anonymize_expired(now=NOW) == 4
    db.session.commit()
    db.session.expire_all()
    after = figures()

    assert after == before
    assert db.session.scalars(sa.select(Booking.user_id)).all() == [None] * 4
    # Rent in January: 36 500 000 x 31/365 = 3 100 000, half to each by use.
    result = after[0]
    assert {s.organization_id: s.amount_ore for s in result.shares} == {
        nav.id: 1_550_000,
        tax.id: 1_550_000,
    }
    assert result.share_of(idle.id) is None and result.share_of(host.id) is None
