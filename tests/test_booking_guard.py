"""The no-double-booking guarantee, on SQLite and PostgreSQL, for every writer."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from hub.booking import service
from hub.booking.models import Booking, BookingStatus
from hub.errors import Conflict, ValidationFailed
from hub.extensions import db

# Monday 7 January 2030, 08:00-16:00 Oslo = 07:00-15:00 UTC.
DAY_START = datetime(2030, 1, 7, 7, 0, tzinfo=UTC)
DAY_END = datetime(2030, 1, 7, 15, 0, tzinfo=UTC)
NOW = datetime(2029, 12, 20, 12, 0, tzinfo=UTC)
WORKER = Path(__file__).with_name("booking_race_worker.py")


@pytest.fixture
def desk(make_hub, make_space):
    return make_space(make_hub(), name="Pult 1", kind="desk")


def active_count(space_id: int) -> int:
    db.session.commit()  # end any read snapshot so other writers are visible
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Booking)
        .where(Booking.space_id == space_id, Booking.status == BookingStatus.CONFIRMED)
    )


def test_second_booking_of_same_slot_is_a_conflict_with_the_interval(app, desk, make_user):
    first, second = make_user(), make_user()
    service.create_booking(first, desk, DAY_START, DAY_END, now=NOW)
    db.session.commit()
    with pytest.raises(Conflict) as exc:
        service.create_booking(second, desk, DAY_START + timedelta(hours=2), DAY_END, now=NOW)
    assert exc.value.detail["conflicts"] == [
        {"start": DAY_START.isoformat(), "end": DAY_END.isoformat()}
    ]


def test_touching_intervals_do_not_clash(app, make_hub, make_space, make_user):
    room = make_space(make_hub(), name="Møterom", kind="meeting_room", capacity=6)
    user = make_user()
    service.create_booking(user, room, DAY_START, DAY_START + timedelta(hours=1), now=NOW)
    service.create_booking(
        user, room, DAY_START + timedelta(hours=1), DAY_START + timedelta(hours=2), now=NOW
    )
    db.session.commit()
    assert active_count(room.id) == 2


def test_cancelled_booking_frees_the_slot_and_is_kept(app, desk, make_user):
    user = make_user()
    booking = service.create_booking(user, desk, DAY_START, DAY_END, now=NOW)
    service.cancel_booking(booking, user, now=NOW)
    again = service.create_booking(user, desk, DAY_START, DAY_END, now=NOW)
    db.session.commit()
    statuses = db.session.scalars(sa.select(Booking.status).order_by(Booking.id)).all()
    assert statuses == [BookingStatus.CANCELLED, BookingStatus.CONFIRMED]
    assert again.id != booking.id


def test_database_refuses_overlap_written_around_the_service(app, desk, make_user):
    """A writer that skips the application check still cannot double-book."""
    user = make_user()
    row = dict(
        hub_id=desk.hub_id,
        space_id=desk.id,
        user_id=user.id,
        organization_id=user.home_organization_id,
    )
    db.session.add(
        Booking(**row, starts_at=DAY_START, ends_at=DAY_END, status=BookingStatus.CONFIRMED)
    )
    db.session.commit()
    db.session.add(
        Booking(
            **row,
            starts_at=DAY_START + timedelta(hours=3),
            ends_at=DAY_END,
            status=BookingStatus.CONFIRMED,
        )
    )
    with pytest.raises(IntegrityError) as exc:
        db.session.commit()
    assert service.is_overlap_violation(exc.value)
    db.session.rollback()
    # Reviving a cancelled row onto a taken slot is refused too (the update path).
    cancelled = Booking(**row, starts_at=DAY_START, ends_at=DAY_END, status=BookingStatus.CANCELLED)
    db.session.add(cancelled)
    db.session.commit()
    cancelled.status = BookingStatus.CONFIRMED
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_rules_are_a_422_naming_the_field(app, make_hub, make_space, make_user):
    room = make_space(make_hub(), name="Rom", kind="meeting_room", capacity=4)
    saturday = datetime(2030, 1, 5, 9, 0, tzinfo=UTC)
    with pytest.raises(ValidationFailed) as exc:
        service.create_booking(
            make_user(), room, saturday, saturday + timedelta(minutes=50), participants=9, now=NOW
        )
    assert set(exc.value.errors) == {"start", "end", "participants"}


def test_threads_racing_for_one_slot_exactly_one_wins(app, database_url, desk, make_user):
    users = [make_user() for _ in range(8)]
    user_ids, space_id = [u.id for u in users], desk.id
    outcomes: list[str] = []
    barrier = threading.Barrier(len(user_ids))

    def run(user_id: int) -> None:
        with app.app_context():
            from hub.accounts.models import User
            from hub.spaces.models import Space

            try:
                user, space = db.session.get(User, user_id), db.session.get(Space, space_id)
                barrier.wait()
                service.create_booking(user, space, DAY_START, DAY_END, now=NOW)
                db.session.commit()
                outcomes.append("created")
            except Conflict:
                db.session.rollback()
                outcomes.append("conflict")
            except Exception as exc:  # the assertion below shows it
                db.session.rollback()
                outcomes.append(f"error: {type(exc).__name__}: {exc}")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(uid,)) for uid in user_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["conflict"] * 7 + ["created"]
    assert active_count(space_id) == 1


def test_processes_racing_for_one_slot_exactly_one_wins(app, database_url, desk, make_user):
    users = [make_user() for _ in range(4)]
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                str(WORKER),
                database_url,
                str(u.id),
                str(desk.id),
                DAY_START.isoformat(),
                DAY_END.isoformat(),
                NOW.isoformat(),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for u in users
    ]
    outcomes = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        outcomes.append(out.strip().splitlines()[-1] if out.strip() else f"error: {err[-500:]}")
    assert sorted(outcomes) == ["conflict"] * 3 + ["created"]
    assert active_count(desk.id) == 1


def test_booked_space_cannot_be_deleted_only_deactivated(app, desk, make_user):
    from hub.spaces import service as spaces

    service.create_booking(make_user(), desk, DAY_START, DAY_END, now=NOW)
    db.session.commit()
    with pytest.raises(Conflict):
        spaces.delete_space(desk)
    spaces.update_space(desk, {"active": False})
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Booking)) == 1
