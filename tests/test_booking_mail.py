"""Booking emails through a real SMTP server (aiosmtpd), and the .ics they carry."""

from __future__ import annotations

import email
import email.policy
import logging
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import icalendar
import pytest
import sqlalchemy as sa
import time_machine
from aiosmtpd.controller import Controller

from hub import jobs, mail
from hub.accounts.models import Role
from hub.booking import ics, notify, service
from hub.booking.models import Booking, BookingStatus
from hub.extensions import db

# Friday 4 January 2030 at 09:00 in Oslo; Monday 7 January is a normal workday.
NOW = datetime(2030, 1, 4, 8, 0, tzinfo=UTC)
MONDAY_START = datetime(2030, 1, 7, 7, tzinfo=UTC)  # 08:00 in Oslo
MONDAY_END = datetime(2030, 1, 7, 15, tzinfo=UTC)  # 16:00 in Oslo
ADDRESS = "Rådhusgata 1, 4580 Lyngdal"


# --- a real SMTP server -----------------------------------------------------------------


@dataclass
class Inbox:
    """An aiosmtpd handler that keeps what it receives."""

    messages: list[tuple[str, list[str], bytes]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(
            (envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content)
        )
        return "250 Message accepted for delivery"

    def parsed(self) -> list[EmailMessage]:
        return [
            email.message_from_bytes(raw, policy=email.policy.default)  # type: ignore[misc]
            for _from, _to, raw in self.messages
        ]

    def one(self) -> EmailMessage:
        [message] = self.parsed()
        self.messages.clear()
        return message


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def smtp_server() -> Iterator[tuple[Controller, Inbox]]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller, inbox
    finally:
        controller.stop()


@pytest.fixture
def inbox(smtp_server: tuple[Controller, Inbox]) -> Iterator[Inbox]:
    _controller, inbox = smtp_server
    inbox.messages.clear()
    yield inbox
    inbox.messages.clear()


@pytest.fixture
def app_config(smtp_server: tuple[Controller, Inbox]) -> dict[str, Any]:
    controller, _inbox = smtp_server
    return {
        "MAIL_CAPTURE": False,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": controller.port,
        "MAIL_USE_TLS": False,
        "MAIL_FROM": "Hub <noreply@hub.test>",
    }


@pytest.fixture(autouse=True)
def frozen_time() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def lister(make_hub, make_space):
    hub = make_hub(slug="regionlab-lister", name="RegionLab Lister", address=ADDRESS)
    return hub, {
        "desk": make_space(hub, name="Pult 3", kind="desk"),
        "room": make_space(hub, name="Møterom Lista", kind="meeting_room", capacity=6),
        "approval": make_space(
            hub, name="Styrerommet", kind="meeting_room", capacity=10, requires_approval=True
        ),
    }


def calendar_part(message: EmailMessage) -> EmailMessage:
    [part] = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    return part  # type: ignore[return-value]


def calendar_of(message: EmailMessage) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical(calendar_part(message).get_content())


def events_of(message: EmailMessage) -> list[icalendar.Event]:
    return list(calendar_of(message).walk("VEVENT"))


def only_booking() -> Booking:
    db.session.commit()
    [booking] = db.session.scalars(sa.select(Booking)).all()
    return booking


# --- through the pages ------------------------------------------------------------------


def test_booking_a_desk_sends_an_imip_request(client, login, make_user, lister, inbox):
    hub, spaces = lister
    user = make_user(email="kari@example.no", name="Kari Nordmann", language="nb")
    login(user)

    response = client.post(
        f"/hubs/{hub.slug}/book/{spaces['desk'].id}",
        data={
            "part": "day",
            "first_day": "2030-01-07",
            "organization_id": user.home_organization_id,
        },
    )

    assert response.status_code == 302
    booking = only_booking()
    [(mail_from, rcpt_tos, _raw)] = inbox.messages
    assert mail_from == "noreply@hub.test" and rcpt_tos == ["kari@example.no"]
    message = inbox.one()
    assert message["To"] == "kari@example.no"
    assert message["Subject"].endswith(": Pult 3, RegionLab Lister")  # in bokmål
    body = message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert "Kari Nordmann" in body
    assert "mandag 7. januar 2030 08:00–16:00" in body  # local time of the hub, in bokmål
    assert ADDRESS in body and "http://hub.test/bookings" in body

    part = calendar_part(message)
    assert part.get_filename() == "booking.ics"
    assert part.get_param("method") == "REQUEST"
    assert part.get_content_charset() == "utf-8"
    cal = calendar_of(message)
    assert cal["METHOD"] == "REQUEST" and cal["PRODID"] == "-//Hub//Hub//NB"
    [event] = cal.walk("VEVENT")
    assert str(event["UID"]) == f"booking-{booking.id}@hub.test"
    assert event["SEQUENCE"] == 0
    assert event.decoded("DTSTART") == MONDAY_START
    assert event.decoded("DTSTART").utcoffset() == timedelta(0)
    assert event.decoded("DTEND") == MONDAY_END
    assert event["STATUS"] == "CONFIRMED"
    assert str(event["SUMMARY"]) == "Pult 3 – RegionLab Lister"
    assert str(event["LOCATION"]) == f"Pult 3, RegionLab Lister, {ADDRESS}"
    assert str(event["ATTENDEE"]) == "mailto:kari@example.no"
    assert event["ATTENDEE"].params["PARTSTAT"] == "ACCEPTED"
    assert str(event["ORGANIZER"]) == "mailto:noreply@hub.test"
    raw = calendar_part(message).get_payload(decode=True)
    assert b"DTSTART:20300107T070000Z\r\n" in raw


def test_cancelling_sends_cancel_with_the_same_uid_and_a_higher_sequence(
    client, login, make_user, lister, inbox
):
    _hub, spaces = lister
    user = make_user(email="ola@example.no", language="en")
    booking = service.create_booking(user, spaces["desk"], MONDAY_START, MONDAY_END)
    notify.booking_created([booking])
    db.session.commit()
    [created] = events_of(inbox.one())
    login(user)

    assert client.post(f"/bookings/{booking.id}/cancel").status_code == 302

    message = inbox.one()
    assert message["Subject"] == "Booking cancelled: Pult 3, RegionLab Lister"
    assert calendar_part(message).get_param("method") == "CANCEL"
    assert calendar_of(message)["METHOD"] == "CANCEL"
    [cancelled] = events_of(message)
    assert cancelled["UID"] == created["UID"]
    assert cancelled["SEQUENCE"] > created["SEQUENCE"]
    assert cancelled["STATUS"] == "CANCELLED"
    assert cancelled.decoded("DTSTART") == MONDAY_START


def test_several_days_give_one_mail_with_one_event_per_day(client, login, make_user, lister, inbox):
    hub, spaces = lister
    user = make_user(language="en")
    login(user)

    response = client.post(
        f"/hubs/{hub.slug}/book/{spaces['desk'].id}",
        data={
            "part": "morning",
            "first_day": "2030-01-07",
            "last_day": "2030-01-09",
            "organization_id": user.home_organization_id,
        },
    )

    assert response.status_code == 302
    message = inbox.one()
    assert message["Subject"] == "Booking confirmed: Pult 3, RegionLab Lister"
    body = message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert "Hello Person" in body and "You have booked Pult 3 in RegionLab Lister." in body
    assert "Monday 7 January 2030 08:00–12:00" in body
    assert "Wednesday 9 January 2030 08:00–12:00" in body
    events = events_of(message)
    assert [e.decoded("DTSTART").day for e in events] == [7, 8, 9]
    assert len({str(e["UID"]) for e in events}) == 3


def test_weekly_series_booked_and_cancelled_with_one_mail_each(
    client, login, make_user, lister, inbox
):
    hub, spaces = lister
    user = make_user()
    login(user)
    data = {
        "weekdays": ["0"],
        "first_day": "2030-01-07",
        "until": "2030-01-28",
        "part": "day",
        "organization_id": str(user.home_organization_id),
        "confirm": "1",
    }
    url = f"/hubs/{hub.slug}/book/{spaces['desk'].id}/weekly"
    assert client.post(url, data=data).status_code == 302
    booked = events_of(inbox.one())
    assert [e.decoded("DTSTART").day for e in booked] == [7, 14, 21, 28]

    second = db.session.scalars(
        sa.select(Booking).order_by(Booking.starts_at).offset(1).limit(1)
    ).one()
    assert client.post(f"/bookings/{second.id}/cancel-series").status_code == 302
    message = inbox.one()
    cancelled = events_of(message)
    assert calendar_of(message)["METHOD"] == "CANCEL"
    assert [str(e["UID"]) for e in cancelled] == [str(e["UID"]) for e in booked[1:]]
    assert all(e["SEQUENCE"] == 1 for e in cancelled)


def test_approval_flow_tentative_then_confirmed_or_cancelled(
    client, login, make_user, lister, inbox
):
    hub, spaces = lister
    user = make_user(language="en")
    login(user)
    data = {
        "day": "2030-01-07",
        "start": "10:00",
        "end": "11:00",
        "participants": "4",
        "title": "Fagsamling Lister",
        "organization_id": user.home_organization_id,
    }
    url = f"/hubs/{hub.slug}/book/{spaces['approval'].id}"
    assert client.post(url, data=data).status_code == 302
    pending = inbox.one()
    assert pending["Subject"] == "Booking awaiting approval: Styrerommet, RegionLab Lister"
    [event] = events_of(pending)
    assert event["STATUS"] == "TENTATIVE" and str(event["SUMMARY"]) == "Fagsamling Lister"
    booking = only_booking()
    assert booking.status == BookingStatus.PENDING

    client.post("/logout")
    login(make_user(hub=hub, role=Role.ADMIN))
    response = client.post(
        f"/admin/hubs/{hub.slug}/approvals/{booking.id}", data={"decision": "approve"}
    )
    assert response.status_code == 302
    approved = inbox.one()
    assert calendar_of(approved)["METHOD"] == "REQUEST"
    [event] = events_of(approved)
    assert event["STATUS"] == "CONFIRMED" and event["SEQUENCE"] == 1


def test_declined_booking_is_removed_from_the_calendar(app, make_user, lister, inbox):
    hub, spaces = lister
    user = make_user(language="en")
    booking = service.create_booking(
        user, spaces["approval"], MONDAY_START, MONDAY_START + timedelta(hours=1), participants=2
    )
    db.session.commit()
    service.decide_booking(booking, make_user(hub=hub, role=Role.ADMIN), approve=False)
    notify.booking_decided(booking)
    db.session.commit()

    message = inbox.one()
    assert message["Subject"] == "Your booking of Styrerommet was declined"
    [event] = events_of(message)
    assert calendar_of(message)["METHOD"] == "CANCEL" and event["STATUS"] == "CANCELLED"


def test_checking_out_early_moves_the_end(client, login, make_user, lister, inbox):
    _hub, spaces = lister
    user = make_user()
    booking = service.create_booking(user, spaces["desk"], MONDAY_START, MONDAY_END)
    db.session.commit()
    login(user)
    with time_machine.travel(MONDAY_START + timedelta(minutes=5), tick=False):
        assert client.post(f"/bookings/{booking.id}/check-in").status_code == 302
        assert inbox.messages == []  # checking in changes nothing in the calendar
    with time_machine.travel(MONDAY_START + timedelta(hours=3), tick=False):
        assert client.post(f"/bookings/{booking.id}/check-out").status_code == 302

    message = inbox.one()
    body = message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert "11:00" in body
    [event] = events_of(message)
    assert calendar_of(message)["METHOD"] == "REQUEST"
    assert event.decoded("DTEND") == MONDAY_START + timedelta(hours=3)
    assert event["SEQUENCE"] == 1


def test_release_job_sends_cancel(app, make_user, lister, inbox):
    _hub, spaces = lister
    booking = service.create_booking(
        make_user(email="nils@example.no"), spaces["desk"], MONDAY_START, MONDAY_END
    )
    db.session.commit()
    with time_machine.travel(MONDAY_START + timedelta(hours=1), tick=False):
        assert jobs.run_job(app, "release_no_shows") == 1
        assert jobs.run_job(app, "release_no_shows") == 0

    message = inbox.one()
    assert message["To"] == "nils@example.no"
    [event] = events_of(message)
    assert calendar_of(message)["METHOD"] == "CANCEL"
    assert str(event["UID"]) == f"booking-{booking.id}@hub.test"


# --- delivery: after commit, never failing the booking ----------------------------------


def test_nothing_is_sent_when_the_change_rolls_back(app, make_user, lister, inbox):
    _hub, spaces = lister
    booking = service.create_booking(make_user(), spaces["desk"], MONDAY_START, MONDAY_END)
    notify.booking_created([booking])
    assert inbox.messages == []  # not before the commit
    db.session.rollback()
    db.session.commit()
    assert inbox.messages == []


def test_a_savepoint_does_not_send_early(app, make_user, lister, inbox):
    _hub, spaces = lister
    booking = service.create_booking(make_user(), spaces["desk"], MONDAY_START, MONDAY_END)
    notify.booking_created([booking])
    with db.session.begin_nested():
        pass
    assert inbox.messages == []
    db.session.commit()
    assert len(inbox.messages) == 1


def test_mail_server_down_logs_a_warning_and_keeps_the_booking(
    app, client, login, make_user, lister, inbox, caplog, monkeypatch
):
    hub, spaces = lister
    user = make_user()
    login(user)
    app.config["MAIL_PORT"] = free_port()  # nobody listens there
    # Alembic's fileConfig (the migrations at session start) disables existing loggers.
    monkeypatch.setattr(logging.getLogger("hub.mail"), "disabled", False)

    with caplog.at_level(logging.WARNING, logger="hub.mail"):
        response = client.post(
            f"/hubs/{hub.slug}/book/{spaces['desk'].id}",
            data={
                "part": "day",
                "first_day": "2030-01-07",
                "organization_id": user.home_organization_id,
            },
        )

    assert response.status_code == 302
    assert only_booking().status == BookingStatus.CONFIRMED
    assert "could not send mail" in caplog.text
    assert inbox.messages == []


def test_without_a_mail_server_mail_goes_to_the_outbox(app, make_user, lister, tmp_path):
    _hub, spaces = lister
    app.config["MAIL_SERVER"] = None
    app.instance_path = str(tmp_path)
    booking = service.create_booking(make_user(), spaces["desk"], MONDAY_START, MONDAY_END)
    notify.booking_created([booking])
    db.session.commit()
    [eml] = (tmp_path / "outbox").glob("*.eml")
    message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert calendar_of(message)["METHOD"] == "REQUEST"  # type: ignore[arg-type]


def test_attachment_content_type_keeps_its_parameters(app):
    message = mail.build_message(
        "a@example.no",
        "Hei",
        "Tekst",
        [("booking.ics", "text/calendar; method=CANCEL; charset=utf-8", b"BEGIN:VCALENDAR\r\n")],
    )
    [part] = message.iter_attachments()
    assert part.get_content_type() == "text/calendar"
    assert part.get_param("method") == "CANCEL"
    assert part.get_content_charset() == "utf-8"
    assert part.get_filename() == "booking.ics"
    assert part.get_content() == "BEGIN:VCALENDAR\r\n"


# --- the .ics itself --------------------------------------------------------------------


def test_same_row_gives_the_same_bytes(app, make_user, lister):
    _hub, spaces = lister
    booking = service.create_booking(make_user(), spaces["desk"], MONDAY_START, MONDAY_END)
    db.session.commit()
    first = ics.booking_calendar(booking, "REQUEST")
    with time_machine.travel(NOW + timedelta(days=3), tick=False):
        db.session.expire_all()
        again = ics.booking_calendar(db.session.get(Booking, booking.id), "REQUEST")
    assert again == first
    text = first.decode()
    assert f"DTSTAMP:{NOW:%Y%m%dT%H%M%S}Z" in text  # the row's updated_at, not "now"
    assert f"LAST-MODIFIED:{NOW:%Y%m%dT%H%M%S}Z" in text
    assert "VALARM" not in text and "VERSION:2.0" in text


def test_lines_are_crlf_and_folded_without_splitting_norwegian_letters(
    app, make_hub, make_space, make_user
):
    address = "Ærlige Øvre Åsvei 17, Åkrehamn, Øygarden, Ærø, " * 3
    hub = make_hub(name="Distriktshub Vestland – Statens hus Nordfjordeid", address=address)
    desk = make_space(hub, name="Åpen kontorplass Ø-fløyen")
    booking = service.create_booking(make_user(), desk, MONDAY_START, MONDAY_END)
    db.session.commit()

    data = ics.booking_calendar(booking, "REQUEST")

    assert data.endswith(b"\r\n")
    lines = data.split(b"\r\n")[:-1]
    assert all(b"\n" not in line and b"\r" not in line for line in lines)
    assert all(len(line) <= 75 for line in lines)
    for line in lines:
        line.decode("utf-8")  # a split Æ, Ø or Å would not decode on its own
    assert any(line.startswith(b" ") for line in lines)  # LOCATION was long enough to fold
    [event] = icalendar.Calendar.from_ical(data).walk("VEVENT")
    assert str(event["LOCATION"]) == f"Åpen kontorplass Ø-fløyen, {hub.name}, {hub.address}"


def test_title_of_a_meeting_room_is_the_summary(app, make_user, lister):
    _hub, spaces = lister
    booking = service.create_booking(
        make_user(),
        spaces["room"],
        MONDAY_START + timedelta(hours=2),
        MONDAY_START + timedelta(hours=3),
        participants=3,
        title="Faglunsj: Æ, Ø og Å",
    )
    db.session.commit()
    [event] = icalendar.Calendar.from_ical(ics.booking_calendar(booking, "REQUEST")).walk("VEVENT")
    assert str(event["SUMMARY"]) == "Faglunsj: Æ, Ø og Å"
    assert event.decoded("CREATED") == NOW
