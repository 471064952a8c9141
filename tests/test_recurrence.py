"""Weekly recurring bookings: preview which dates are free, book those, cancel the rest."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
import time_machine

from hub.booking import recurrence, service
from hub.booking.models import Booking, BookingStatus
from hub.extensions import db

NOW = datetime(2030, 1, 4, 8, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def test_rrule_dates_and_text():
    days = recurrence.dates(date(2030, 1, 7), date(2030, 1, 23), [0, 2])
    assert days == [date(2030, 1, d) for d in (7, 9, 14, 16, 21, 23)]
    assert (
        recurrence.rrule_text([2, 0], date(2030, 1, 23)) == "FREQ=WEEKLY;BYDAY=MO,WE;UNTIL=20300123"
    )


def test_preview_then_book_the_free_dates_then_cancel_the_rest(
    client, login, make_hub, make_space, make_user
):
    hub = make_hub()
    desk = make_space(hub, name="Pult 3")
    other, user = make_user(), make_user()
    taken = service.create_booking(
        other, desk, datetime(2030, 1, 14, 7, tzinfo=UTC), datetime(2030, 1, 14, 15, tzinfo=UTC)
    )
    db.session.commit()
    login(user)
    data = {
        "weekdays": ["0"],
        "first_day": "2030-01-07",
        "until": "2030-01-28",
        "part": "day",
        "organization_id": str(user.home_organization_id),
    }
    url = f"/hubs/{hub.slug}/book/{desk.id}/weekly"
    preview = client.post(url, data={**data, "preview": "1"})
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "3 of 4 dates are free" in html
    assert (
        db.session.scalar(sa.select(sa.func.count()).select_from(Booking)) == 1
    )  # nothing booked yet

    assert client.post(url, data={**data, "confirm": "1"}).status_code == 302
    mine = db.session.scalars(
        sa.select(Booking).where(Booking.user_id == user.id).order_by(Booking.starts_at)
    ).all()
    assert [b.starts_at.day for b in mine] == [7, 21, 28]
    assert len({b.series_id for b in mine}) == 1 and mine[0].series.rrule.startswith("FREQ=WEEKLY")

    assert client.post(f"/bookings/{mine[1].id}/cancel-series").status_code == 302
    db.session.expire_all()
    assert [b.status for b in mine] == [
        BookingStatus.CONFIRMED,
        BookingStatus.CANCELLED,
        BookingStatus.CANCELLED,
    ]
    assert taken.status == BookingStatus.CONFIRMED


def test_series_without_weekdays_is_refused(client, login, make_hub, make_space, make_user):
    hub = make_hub()
    desk = make_space(hub)
    user = make_user()
    login(user)
    response = client.post(
        f"/hubs/{hub.slug}/book/{desk.id}/weekly",
        data={
            "first_day": "2030-01-07",
            "until": "2030-01-28",
            "part": "day",
            "organization_id": str(user.home_organization_id),
            "preview": "1",
        },
    )
    assert response.status_code == 422
    assert "at least one weekday" in response.get_data(as_text=True)
