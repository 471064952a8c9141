"""The mail outbox: a mail server that is down loses nothing; the mail goes when it returns."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from hub import jobs, mail
from hub.accounts.models import Role
from hub.database import utcnow
from hub.extensions import db
from hub.outbox import service
from hub.outbox.models import OutboxMessage, OutboxStatus


@dataclass
class Inbox:
    """An aiosmtpd handler that keeps what it receives."""

    messages: list[tuple[str, list[str], bytes]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(
            (envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content)
        )
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_port() -> int:
    return free_port()  # nobody listens there until a test starts a server


@pytest.fixture
def app_config(smtp_port: int) -> dict[str, Any]:
    return {
        "MAIL_CAPTURE": False,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": smtp_port,
        "MAIL_USE_TLS": False,
        "MAIL_TIMEOUT_SECONDS": 5,
        "MAIL_FROM": "Hub <noreply@hub.test>",
        "MAIL_MAX_ATTEMPTS": 4,
    }


@pytest.fixture
def smtp_server(smtp_port: int) -> Iterator[Inbox]:
    """A real SMTP server on the port that was closed so far (call to start it)."""
    controllers: list[Controller] = []

    def start(**options: Any) -> Inbox:
        inbox = Inbox()
        controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port, **options)
        controller.start()
        controllers.append(controller)
        return inbox

    yield start  # type: ignore[misc]
    for controller in controllers:
        controller.stop()


def outbox_rows() -> list[OutboxMessage]:
    db.session.commit()  # end the test's snapshot: see what requests and jobs committed
    return list(db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))


def queue_one(to: str = "kari@example.no", subject: str = "Hei") -> None:
    mail.send_after_commit(to, subject, "Tekst")
    db.session.commit()


# --- the mail server is down, then back -----------------------------------------------


def test_a_mail_waits_while_the_server_is_down_and_goes_once_when_it_returns(
    app, client, make_user, smtp_server
):
    user = make_user(email="kari@example.no", language="nb")

    response = client.post("/password/forgot", data={"email": user.email})

    assert response.status_code == 302  # the person is not bothered by the mail server
    [row] = outbox_rows()
    assert (row.status, row.attempts, row.recipient) == (OutboxStatus.PENDING, 1, user.email)
    assert row.last_error.startswith("ConnectionRefusedError")
    assert row.subject == "Lag nytt passord for Hub"  # built in her language
    assert row.next_attempt_at - row.created_at < timedelta(minutes=2)
    assert service.send_due(row.created_at) == 0  # not due yet: no try
    assert outbox_rows()[0].attempts == 1

    inbox = smtp_server()
    later = row.next_attempt_at + timedelta(seconds=1)
    assert service.send_due(later) == 1
    assert service.send_due(later + timedelta(hours=1)) == 0

    [(sender, recipients, raw)] = inbox.messages
    assert (sender, recipients) == ("noreply@hub.test", [user.email])
    assert raw == row.message  # exactly the bytes built at the request
    [row] = outbox_rows()
    assert (row.status, row.attempts, row.last_error) == (OutboxStatus.SENT, 2, None)
    assert row.sent_at == later


def test_the_fast_path_sends_at_once_after_the_commit(app, smtp_server):
    inbox = smtp_server()
    mail.send_after_commit("kari@example.no", "Hei", "Tekst")
    assert inbox.messages == []  # nothing before the commit
    db.session.commit()

    assert len(inbox.messages) == 1
    [row] = outbox_rows()
    assert (row.status, row.attempts) == (OutboxStatus.SENT, 1)
    assert service.send_due(utcnow() + timedelta(hours=1)) == 0
    assert len(inbox.messages) == 1


def test_an_address_beyond_ascii_is_sent_with_smtputf8(app, smtp_server):
    inbox = smtp_server(enable_SMTPUTF8=True)
    mail.send_mail("Kari Ås <post@bærum.kommune.no>", "Påminnelse", "Tekst æøå")
    db.session.commit()

    [(_sender, recipients, raw)] = inbox.messages
    assert recipients == ["post@bærum.kommune.no"]
    assert "post@bærum.kommune.no".encode() in raw
    assert outbox_rows()[0].status is OutboxStatus.SENT


def test_the_job_sends_through_the_outbox(app, smtp_server):
    app.config["MAIL_RETRY_MAX_MINUTES"] = 0  # due again at once, so the job (now) takes it
    queue_one()  # the server is down: stays pending
    inbox = smtp_server()

    assert jobs.run_job(app, "send_mail") == 1
    assert jobs.run_job(app, "send_mail") == 0
    assert len(inbox.messages) == 1


# --- nothing is sent for a change that did not happen -------------------------------------


def test_a_rolled_back_change_sends_nothing(app):
    app.config["MAIL_CAPTURE"] = True
    mail.send_after_commit("kari@example.no", "Hei", "Tekst")
    mail.send_mail("ola@example.no", "Hei", "Tekst")
    db.session.rollback()
    db.session.commit()

    assert outbox_rows() == []
    assert service.send_due(utcnow() + timedelta(days=1)) == 0
    assert mail.sent_mail() == []


def test_a_rolled_back_savepoint_sends_nothing(app):
    app.config["MAIL_CAPTURE"] = True
    mail.send_mail("kari@example.no", "Beholdt", "Tekst")
    savepoint = db.session.begin_nested()
    mail.send_mail("ola@example.no", "Angret", "Tekst")
    db.session.flush()
    savepoint.rollback()
    db.session.commit()

    assert [m["Subject"] for m in mail.sent_mail()] == ["Beholdt"]
    assert [r.subject for r in outbox_rows()] == ["Beholdt"]


# --- retries ------------------------------------------------------------------------------


def test_backoff_then_failed_after_the_last_attempt(app):
    queue_one()
    [row] = outbox_rows()
    waits = []
    now = row.next_attempt_at
    while row.status is OutboxStatus.PENDING:
        assert service.send_due(now) == 0
        [row] = outbox_rows()
        if row.next_attempt_at is not None:
            waits.append(row.next_attempt_at - now)
            now = row.next_attempt_at
    assert waits == [timedelta(minutes=2), timedelta(minutes=4)]  # after the 2nd and 3rd try
    assert (row.status, row.attempts, row.next_attempt_at) == (OutboxStatus.FAILED, 4, None)
    assert service.send_due(now + timedelta(days=30)) == 0
    assert outbox_rows()[0].attempts == 4


def test_backoff_is_capped(app):
    app.config["MAIL_RETRY_MAX_MINUTES"] = 60
    delays = [service.retry_delay(n) for n in (1, 2, 3, 6, 7, 8, 50)]
    assert delays == [timedelta(minutes=m) for m in (1, 2, 4, 32, 60, 60, 60)]


def test_a_message_being_tried_is_not_taken_by_another_sender(app):
    app.config["MAIL_CAPTURE"] = True
    queue_one()
    [row] = outbox_rows()
    assert row.status is OutboxStatus.SENT
    # A row still under a sender's lease (next_attempt_at ahead) is not due for the job.
    row.status, row.next_attempt_at = OutboxStatus.PENDING, utcnow() + service.LEASE
    db.session.commit()
    assert service.send_due(utcnow()) == 0
    assert service.send_due(utcnow() + service.LEASE) == 1


def test_two_runners_never_take_one_mail(app, backend):
    if backend != "postgresql":
        pytest.skip("SKIP LOCKED is PostgreSQL's; SQLite lets one writer claim at a time")
    queue_one("kari@example.no", "Først")
    queue_one("ola@example.no", "Så")  # the server is down: both wait
    first, second = outbox_rows()
    app.config["MAIL_CAPTURE"] = True
    later = second.next_attempt_at + timedelta(seconds=1)

    with db.engine.connect() as other_runner:  # busy with the oldest mail
        other_runner.execute(
            sa.select(OutboxMessage.id).where(OutboxMessage.id == first.id).with_for_update()
        )
        assert service.send_due(later) == 1
        assert [m["To"] for m in mail.sent_mail()] == ["ola@example.no"]
        other_runner.rollback()
    assert service.send_due(later) == 1
    assert [m["To"] for m in mail.sent_mail()] == ["ola@example.no", "kari@example.no"]


def test_sent_mail_is_forgotten_after_the_keep_period(app):
    app.config.update(MAIL_CAPTURE=True, MAIL_KEEP_SENT_DAYS=14)
    queue_one()
    [row] = outbox_rows()
    assert service.send_due(row.sent_at + timedelta(days=13)) == 0
    assert len(outbox_rows()) == 1
    service.send_due(row.sent_at + timedelta(days=15))
    assert outbox_rows() == []


# --- the system admin's page ----------------------------------------------------------------


def failed_row() -> OutboxMessage:
    queue_one("ola@example.no", "Bekreftelse")
    row = outbox_rows()[0]
    row.status, row.attempts, row.next_attempt_at = OutboxStatus.FAILED, 4, None
    db.session.commit()
    return row


def test_the_page_lists_failed_and_pending_mail_and_sends_again(app, client, login, system_admin):
    failed = failed_row()
    queue_one("kari@example.no", "Venter")
    login(system_admin)

    page = client.get("/admin/mail/")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "ola@example.no" in text and "Bekreftelse" in text and "ConnectionRefusedError" in text
    assert "kari@example.no" in text and "Venter" in text
    assert f"/admin/mail/{failed.id}/send-again" in text
    assert 'href="/admin/mail/"' in client.get("/admin/").get_data(as_text=True)

    app.config["MAIL_CAPTURE"] = True
    response = client.post(f"/admin/mail/{failed.id}/send-again")
    assert response.status_code == 303
    assert [m["To"] for m in mail.sent_mail()] == ["ola@example.no"]
    rows = {r.id: r for r in outbox_rows()}
    assert (rows[failed.id].status, rows[failed.id].attempts) == (OutboxStatus.SENT, 1)
    # Sending again what is not failed does nothing.
    assert client.post(f"/admin/mail/{failed.id}/send-again").status_code == 303
    assert len(mail.sent_mail()) == 1


def test_send_again_that_fails_is_pending_again(app, client, login, system_admin):
    failed = failed_row()
    login(system_admin)
    assert client.post(f"/admin/mail/{failed.id}/send-again").status_code == 303
    [row] = outbox_rows()
    assert (row.status, row.attempts) == (OutboxStatus.PENDING, 1)


@pytest.mark.parametrize("who", ["hub_admin", "member"])
def test_only_system_admins_may_see_the_outbox(app, client, login, make_hub, make_user, who):
    row = failed_row()
    role = Role.ADMIN if who == "hub_admin" else Role.MEMBER
    login(make_user(hub=make_hub(), role=role))

    assert client.get("/admin/mail/").status_code == 403
    assert client.post(f"/admin/mail/{row.id}/send-again").status_code == 403
    assert outbox_rows()[0].status is OutboxStatus.FAILED
    if who == "hub_admin":  # sees the administration page, without the link
        admin_page = client.get("/admin/")
        assert admin_page.status_code == 200
        assert 'href="/admin/mail/"' not in admin_page.get_data(as_text=True)
