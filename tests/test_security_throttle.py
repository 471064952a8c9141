"""Login and password-reset throttling: the pure rule, the counts in the database, HTTP."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine
from flask import url_for

from hub import jobs, mail
from hub.accounts import service as accounts
from hub.extensions import db
from hub.security import service as attempts
from hub.security import throttle
from hub.security.models import LoginAttempt
from hub.security.throttle import AttemptKind, Count, Policy

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
POLICY = Policy(
    free=5, base=timedelta(seconds=1), cap=timedelta(minutes=15), window=timedelta(hours=24)
)
WRONG = "not-the-password"
THROTTLED = "Too many failed attempts to log in."


# --- the pure rule ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("failures", "seconds"),
    [(0, 0), (1, 0), (5, 0), (6, 1), (7, 2), (8, 4), (15, 512), (16, 900), (17, 900), (10**6, 900)],
)
def test_backoff_is_free_then_doubles_up_to_the_cap(failures, seconds):
    assert throttle.backoff(failures, POLICY) == timedelta(seconds=seconds)


@pytest.mark.parametrize(
    ("failures", "ago", "left"),
    [
        (6, timedelta(0), timedelta(seconds=1)),
        (6, timedelta(milliseconds=400), timedelta(milliseconds=600)),
        (6, timedelta(seconds=1), timedelta(0)),
        (7, timedelta(seconds=1), timedelta(seconds=1)),
        (16, timedelta(minutes=5), timedelta(minutes=10)),
        (5, timedelta(0), timedelta(0)),
    ],
)
def test_remaining_wait_counts_from_the_latest_failure(failures, ago, left):
    count = Count(POLICY, failures, NOW - ago)
    assert throttle.remaining_wait(count, NOW) == left


def test_no_failures_means_no_wait():
    assert throttle.remaining_wait(Count(POLICY, 0, None), NOW) == timedelta(0)
    assert throttle.longest_wait([], NOW) == timedelta(0)


def test_the_longest_wait_of_all_keys_wins():
    counts = [Count(POLICY, 7, NOW), Count(POLICY, 9, NOW), Count(POLICY, 2, NOW)]
    assert throttle.longest_wait(counts, NOW) == timedelta(seconds=8)


@pytest.mark.parametrize(
    ("wait", "seconds"),
    [(timedelta(milliseconds=1), 1), (timedelta(seconds=2), 2), (timedelta(seconds=2.01), 3)],
)
def test_retry_after_rounds_up(wait, seconds):
    assert throttle.retry_after_seconds(wait) == seconds


def test_policies_an_address_may_fail_more_than_an_email():
    for kind in AttemptKind:
        by_email, by_address = throttle.POLICIES[kind]
        assert by_address.free > by_email.free
        assert by_email.cap == by_address.cap == timedelta(minutes=15)
    assert throttle.LOGIN_EMAIL.free == 5
    assert throttle.LOGIN_EMAIL.base == timedelta(seconds=1)
    longest = throttle.LONGEST_WINDOW
    assert longest == timedelta(hours=24)


# --- counting in the database --------------------------------------------------------


def record_many(n, email="kari@example.no", address="192.0.2.1", at=NOW, kind=AttemptKind.LOGIN):
    for _ in range(n):
        attempts.record(kind, email, address, now=at)
    db.session.commit()


def rows() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(LoginAttempt))


def test_counts_per_email_normalized_and_per_address(app):
    record_many(6, email=" Kari@Example.NO ")

    same_email = attempts.wait_before(AttemptKind.LOGIN, "kari@example.no", "198.51.100.9", NOW)
    other_email = attempts.wait_before(AttemptKind.LOGIN, "ola@example.no", "198.51.100.9", NOW)
    assert same_email == timedelta(seconds=1)
    assert other_email == timedelta(0)
    # the reset counts are separate
    assert attempts.wait_before(
        AttemptKind.RESET, "kari@example.no", "192.0.2.1", NOW
    ) == timedelta(0)


def test_an_address_is_throttled_across_many_emails(app):
    for n in range(31):  # 31 failures, at most one per email: no email is throttled
        attempts.record(AttemptKind.LOGIN, f"person{n}@example.no", "192.0.2.1", now=NOW)
    db.session.commit()

    assert attempts.wait_before(AttemptKind.LOGIN, "new@example.no", "192.0.2.1", NOW) == timedelta(
        seconds=1
    )
    assert attempts.wait_before(AttemptKind.LOGIN, "new@example.no", "192.0.2.2", NOW) == timedelta(
        0
    )


def test_failures_outside_the_window_do_not_count_and_are_deleted(app):
    record_many(20, at=NOW - timedelta(hours=25))
    assert attempts.wait_before(
        AttemptKind.LOGIN, "kari@example.no", "192.0.2.1", NOW
    ) == timedelta(0)
    assert rows() == 20

    record_many(1, email="ola@example.no", at=NOW)

    assert rows() == 1  # the old ones went when a new one was written


def test_the_nightly_job_forgets_attempts_past_every_window(app):
    """Typed emails and addresses go after 24 hours even when nobody fails a login."""
    record_many(3, at=NOW - timedelta(hours=25))
    record_many(2, email="ola@example.no", at=NOW - timedelta(hours=23))
    db.session.commit()

    with time_machine.travel(NOW, tick=False):
        assert jobs.run_job(app, "forget_login_attempts") == 3
    assert rows() == 2


def test_clear_forgets_only_that_email(app):
    record_many(6, email="kari@example.no")
    record_many(6, email="ola@example.no")

    attempts.clear(AttemptKind.LOGIN, "KARI@example.no")
    db.session.commit()

    assert attempts.wait_before(AttemptKind.LOGIN, "kari@example.no", None, NOW) == timedelta(0)
    assert attempts.wait_before(AttemptKind.LOGIN, "ola@example.no", None, NOW) > timedelta(0)


# --- HTTP: the login form ----------------------------------------------------------


def post_login(client, email, password, address="192.0.2.1"):
    return client.post(
        "/login",
        data={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


@pytest.mark.parametrize("known", [True, False], ids=["known", "unknown"])
def test_login_is_throttled_after_the_free_failures(client, make_user, monkeypatch, known):
    email = make_user(email="kari@example.no").email if known else "nobody@example.no"
    with time_machine.travel(NOW, tick=False) as clock:
        for _ in range(6):
            assert post_login(client, email, WRONG).status_code == 422

        checked = []
        monkeypatch.setattr(accounts, "authenticate", lambda *a: checked.append(a))
        throttled = post_login(client, email, WRONG)
        assert throttled.status_code == 429
        assert throttled.headers["Retry-After"] == "1"
        assert THROTTLED in text(throttled)
        assert "Wait 1 second and try again" in text(throttled)
        assert f'value="{email}"' in text(throttled)  # what was typed is kept
        assert "The email or the password is wrong." not in text(throttled)
        assert checked == []  # the password was not even looked at
        monkeypatch.undo()

        clock.shift(timedelta(seconds=1))
        assert post_login(client, email, WRONG).status_code == 422  # the 7th failure: 2 s
        clock.shift(timedelta(seconds=1))
        assert post_login(client, email, WRONG).headers["Retry-After"] == "1"
    assert rows() == 7


def test_the_right_password_is_refused_while_throttled(client, make_user):
    user = make_user(email="kari@example.no")
    with time_machine.travel(NOW, tick=False):
        for _ in range(6):
            post_login(client, user.email, WRONG)

        response = post_login(client, user.email, "correct-horse-battery")

    assert response.status_code == 429
    assert client.get("/profile").status_code == 302  # not logged in


def test_a_successful_login_clears_the_failures_of_that_email(client, make_user):
    user = make_user(email="kari@example.no")
    record_many(5, email="ola@example.no")
    with time_machine.travel(NOW, tick=False) as clock:
        for _ in range(6):
            post_login(client, user.email, WRONG)
        clock.shift(timedelta(seconds=1))

        response = post_login(client, user.email, "correct-horse-battery")

    assert response.status_code == 302
    kept = db.session.scalars(sa.select(LoginAttempt.email)).all()
    assert set(kept) == {"ola@example.no"}


def test_the_wait_is_told_in_minutes_and_capped(client, app):
    with time_machine.travel(NOW, tick=False):
        record_many(16, email="kari@example.no", at=NOW)

        response = post_login(client, "kari@example.no", WRONG)

    assert response.status_code == 429
    assert response.headers["Retry-After"] == "900"
    assert "Wait 15 minutes and try again" in text(response)


def test_one_address_trying_many_accounts_is_throttled(client, app):
    with time_machine.travel(NOW, tick=False):
        for n in range(31):
            attempts.record(AttemptKind.LOGIN, f"person{n}@example.no", "203.0.113.7", now=NOW)
        db.session.commit()

        from_there = post_login(client, "someone@example.no", WRONG, address="203.0.113.7")
        elsewhere = post_login(client, "someone@example.no", WRONG, address="203.0.113.8")

    assert from_there.status_code == 429
    assert from_there.headers["Retry-After"] == "1"
    assert elsewhere.status_code == 422


def test_a_broken_form_is_not_counted(client, app):
    for _ in range(10):
        assert post_login(client, "not-an-email", WRONG).status_code == 422
    assert rows() == 0


# --- HTTP: the password-reset form ------------------------------------------------


def test_reset_requests_are_throttled_against_mail_bombing(client, make_user):
    make_user(email="kari@example.no")
    with time_machine.travel(NOW, tick=False) as clock:
        for _ in range(4):
            response = client.post(
                url_for("accounts.forgot_password"), data={"email": "kari@example.no"}
            )
            assert response.status_code == 302

        throttled = client.post(
            url_for("accounts.forgot_password"), data={"email": "kari@example.no"}
        )

        assert throttled.status_code == 429
        assert throttled.headers["Retry-After"] == "60"
        assert "Too many requests for a new password. Wait 1 minute" in text(throttled)
        assert 'value="kari@example.no"' in text(throttled)
        assert len(mail.sent_mail()) == 4

        clock.shift(timedelta(minutes=1))
        again = client.post(url_for("accounts.forgot_password"), data={"email": "kari@example.no"})
    assert again.status_code == 302
    assert len(mail.sent_mail()) == 5


def test_reset_throttle_answers_the_same_for_unknown_addresses(client, app):
    with time_machine.travel(NOW, tick=False):
        for _ in range(4):
            client.post(url_for("accounts.forgot_password"), data={"email": "nobody@example.no"})
        throttled = client.post(
            url_for("accounts.forgot_password"), data={"email": "nobody@example.no"}
        )

    assert throttled.status_code == 429
    assert throttled.headers["Retry-After"] == "60"
    assert mail.sent_mail() == []


@pytest.mark.parametrize(
    ("path", "field", "extra"),
    [
        (
            "/profile/password",
            "current_password",
            {"password": "a-new-long-password", "password_confirm": "a-new-long-password"},
        ),
        ("/profile/delete", "password", {}),
    ],
    ids=["change-password", "delete-account"],
)
def test_a_logged_in_session_does_not_give_free_password_guesses(
    client, login, make_user, path, field, extra
):
    """A stolen session counts wrong current passwords like the login form does."""
    user = make_user(email="kari@example.no")
    hash_before = user.password_hash
    with time_machine.travel(NOW, tick=False):
        login(user)  # in the same clock: a session signed "later" would not be accepted
        for _ in range(6):
            assert client.post(path, data={field: WRONG, **extra}).status_code == 422

        right = client.post(path, data={field: "correct-horse-battery", **extra})

    assert right.status_code == 429 and right.headers["Retry-After"] == "1"
    assert THROTTLED in text(right)
    db.session.expire_all()
    assert user.password_hash == hash_before and user.deleted_at is None  # nothing happened
    assert rows() == 6
