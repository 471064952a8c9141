"""No-show release: the job frees unchecked bookings after the grace period, once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hub import jobs
from hub.booking import service
from hub.booking.models import BookingStatus
from hub.extensions import db
from hub.mail import sent_mail

START = datetime(2030, 1, 7, 7, tzinfo=UTC)
BEFORE = datetime(2030, 1, 6, 12, tzinfo=UTC)


def test_release_after_grace_and_only_once(app, make_hub, make_space, make_user):
    hub = make_hub(checkin_grace_minutes=30)
    desk, cell = make_space(hub, kind="desk"), make_space(hub, kind="cell")
    no_show = service.create_booking(
        make_user(), desk, START, START + timedelta(hours=8), now=BEFORE
    )
    present = service.create_booking(
        make_user(), cell, START, START + timedelta(hours=8), now=BEFORE
    )
    service.check_in(present, present.user, now=START)
    db.session.commit()

    assert service.release_no_shows(now=START + timedelta(minutes=29)) == []
    released = service.release_no_shows(now=START + timedelta(minutes=31))
    db.session.commit()
    assert released == [no_show]
    assert no_show.status == BookingStatus.RELEASED and present.status == BookingStatus.CONFIRMED
    assert service.release_no_shows(now=START + timedelta(hours=2)) == []
    # The place is free again for someone else.
    service.create_booking(
        make_user(), desk, START + timedelta(hours=1), START + timedelta(hours=8), now=START
    )


def test_hubs_may_turn_release_off(app, make_hub, make_space, make_user):
    hub = make_hub(release_no_shows=False)
    booking = service.create_booking(
        make_user(), make_space(hub), START, START + timedelta(hours=8), now=BEFORE
    )
    db.session.commit()
    assert service.release_no_shows(now=START + timedelta(hours=3)) == []
    assert booking.status == BookingStatus.CONFIRMED


def test_job_commits_and_tells_the_person(app, make_hub, make_space, make_user):
    import time_machine

    hub = make_hub(checkin_grace_minutes=15)
    user = make_user(email="kari@example.no")
    service.create_booking(
        user, make_space(hub, name="Pult 7"), START, START + timedelta(hours=8), now=BEFORE
    )
    db.session.commit()
    with time_machine.travel(START + timedelta(minutes=20), tick=False):
        assert jobs.run_job(app, "release_no_shows") == 1
        assert jobs.run_job(app, "release_no_shows") == 0
    [message] = sent_mail()
    assert message["To"] == "kari@example.no" and "Pult 7" in message["Subject"]


def test_scheduler_registers_jobs_by_id(app):
    from apscheduler.schedulers.background import BackgroundScheduler

    scheduler = BackgroundScheduler()
    scheduler.start(paused=True)
    try:
        jobs.register_jobs(scheduler, app)
        jobs.register_jobs(scheduler, app)  # replace_existing: registering twice is harmless
        assert sorted(j.id for j in scheduler.get_jobs()) == sorted(jobs.JOBS)
    finally:
        scheduler.shutdown(wait=False)
