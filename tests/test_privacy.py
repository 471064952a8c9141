"""A person downloads their data and deletes their account; statements stay as they are."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest
import sqlalchemy as sa
import time_machine
from db_support import PASSWORD

from hub.accounts import privacy
from hub.accounts import service as accounts
from hub.accounts.models import ApiToken, HubRole, Role, User
from hub.audit import service as audit
from hub.audit.models import AuditEvent
from hub.booking import service as booking
from hub.booking.models import Booking, BookingSeries, BookingStatus
from hub.calendar.models import FeedScope, FeedToken
from hub.extensions import db
from hub.finance import financing, statements
from hub.finance import service as finance
from hub.finance.models import Statement
from hub.mail import sent_mail
from hub.outbox.models import OutboxMessage, OutboxStatus
from hub.usage.models import PresenceDay, UsageImport, UsageRecord

# Winter dates (Oslo is UTC+1); "now" in these tests is the real clock (2026 or later),
# so January 2026 is the past and January 2040 the future.
PAST_MONDAY = date(2026, 1, 5)
FUTURE_MONDAY = date(2040, 1, 2)


def at(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour - 1, tzinfo=UTC)


def before(day: date) -> datetime:
    return datetime(day.year, day.month, day.day - 1, 12, tzinfo=UTC)


@pytest.fixture
def world(make_hub, make_space, make_org, make_user) -> dict[str, Any]:
    """Kari (the one who leaves) and Ola in one hub, with bookings, usage and a statement."""
    hub = make_hub(slug="lister", name="Lister")
    hub.booking_horizon_days = 365 * 20
    desk = make_space(hub, kind="desk")
    room = make_space(hub, kind="meeting_room", capacity=8)
    nav = make_org(name="NAV Lister")
    kari = make_user(
        email="kari@nav.no",
        name="Kari Nordmann",
        card_id="CARD-777",
        home_organization=nav,
        hub=hub,
        role=Role.ADMIN,
    )
    ola = make_user(
        email="ola@nav.no", name="Ola Hansen", home_organization=nav, hub=hub, role=Role.MEMBER
    )
    past = booking.create_booking(
        kari, desk, at(PAST_MONDAY, 8), at(PAST_MONDAY, 16), now=before(PAST_MONDAY)
    )
    booking.check_in(past, kari, now=at(PAST_MONDAY, 8))
    meeting = booking.create_booking(
        kari,
        room,
        at(PAST_MONDAY, 9),
        at(PAST_MONDAY, 10),
        title="Kari Nordmann's team meeting",
        participants=3,
        now=before(PAST_MONDAY),
    )
    future = booking.create_booking(
        kari, desk, at(FUTURE_MONDAY, 8), at(FUTURE_MONDAY, 16), now=before(FUTURE_MONDAY)
    )
    olas = booking.create_booking(
        ola, room, at(PAST_MONDAY, 12), at(PAST_MONDAY, 13), title="Ola's", now=before(PAST_MONDAY)
    )
    series = BookingSeries(
        user_id=kari.id,
        space_id=desk.id,
        rrule="FREQ=WEEKLY",
        first_date=FUTURE_MONDAY,
        until=FUTURE_MONDAY,
    )
    db.session.add(series)
    db.session.flush()
    future.series_id = series.id
    upload = UsageImport(
        hub_id=hub.id, filename="kort.csv", content="CARD-777;2026-01-06\nola@nav.no;2026-01-06"
    )
    other_upload = UsageImport(hub_id=hub.id, filename="annen.csv", content="ola@nav.no;2026-01-07")
    db.session.add_all([upload, other_upload])
    db.session.flush()
    db.session.add(
        UsageRecord(
            import_id=upload.id,
            hub_id=hub.id,
            organization_id=nav.id,
            user_id=kari.id,
            day=date(2026, 1, 6),
            seen_at=at(date(2026, 1, 6), 9),
        )
    )
    db.session.add(FeedToken(user_id=kari.id, scope=FeedScope.PERSONAL, token_hash="f" * 64))
    _token, secret = accounts.create_api_token(kari, "laptop")
    db.session.commit()
    statement = _issued_statement(hub, nav, kari)
    return {
        "hub": hub,
        "nav": nav,
        "kari": kari,
        "ola": ola,
        "desk": desk,
        "past": past.id,
        "meeting": meeting.id,
        "future": future.id,
        "olas": olas.id,
        "series": series.id,
        "upload": upload.id,
        "other_upload": other_upload.id,
        "secret": secret,
        "statement": statement.id,
    }


def _issued_statement(hub, org, issuer) -> Statement:
    accounts.create_membership(
        hub,
        {
            "organization_id": org.id,
            "kind": "partner",
            "starts_on": date(2025, 1, 1),
            "carries_residual": True,
        },
    )
    finance.create_cost_item(
        hub,
        {
            "category": "rent",
            "description": "Husleie 2026",
            "amount_ore": 36_500_000,
            "starts_on": date(2026, 1, 1),
            "ends_on": date(2026, 12, 31),
        },
    )
    financing.save_model(hub, 2026, {"statement_prefix": "LISTER"})
    with time_machine.travel(datetime(2026, 4, 10, 6, tzinfo=UTC), tick=False):
        draft = statements.create_draft(hub, org, date(2026, 1, 1), date(2026, 3, 31))
        statement = statements.issue(draft, issuer)
        db.session.commit()
    return statement


def _snapshot(statement_id: int) -> tuple[Any, ...]:
    db.session.expire_all()
    s = db.session.get(Statement, statement_id)
    return (s.content_hash, bytes(s.pdf), json.dumps(s.document, sort_keys=True), s.issued_by_id)


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


# --- export ------------------------------------------------------------------


def test_download_holds_their_data_and_nothing_of_another_person(client, login, world):
    login(world["kari"])
    response = client.get("/profile/data.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    text = response.get_data(as_text=True)
    data = json.loads(text)
    assert (data["format"], data["format_version"]) == ("hub-personal-data", 1)
    assert data["generated_at"].endswith("Z")
    assert data["profile"]["email"] == "kari@nav.no" and data["profile"]["card_id"] == "CARD-777"
    assert data["home_organization"]["name"] == "NAV Lister"
    assert [r["role"] for r in data["hub_roles"]] == ["admin"]
    ids = {b["id"] for b in data["bookings"]}
    assert ids == {world["past"], world["meeting"], world["future"]}
    past = next(b for b in data["bookings"] if b["id"] == world["past"])
    assert past["starts_at"] == "2026-01-05T07:00:00Z" and past["checked_in_at"]
    assert past["hub"]["name"] == "Lister" and past["space"] == world["desk"].name
    assert [s["id"] for s in data["booking_series"]] == [world["series"]]
    assert [p["day"] for p in data["presence_days"]] == ["2026-01-05", "2040-01-02"]
    assert [r["day"] for r in data["usage_records"]] == ["2026-01-06"]
    assert [t["name"] for t in data["api_tokens"]] == ["laptop"]
    assert [f["scope"] for f in data["calendar_feeds"]] == ["personal"]
    issued = data["created_by_you"]["statements_issued"]
    assert [s["id"] for s in issued] == [world["statement"]]
    # Nothing of Ola's, and no secrets or hashes.
    assert "ola@nav.no" not in text and "Ola" not in text
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.user_id == world["kari"].id))
    for secret in (token.token_hash, "f" * 64, world["secret"], world["kari"].password_hash):
        assert secret not in text


def test_download_needs_login(client, world):
    assert client.get("/profile/data.json").status_code == 302


def test_api_export(client, world):
    response = client.get("/api/v1/me/data", headers=bearer(world["secret"]))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert {b["id"] for b in response.get_json()["bookings"]} == {
        world["past"],
        world["meeting"],
        world["future"],
    }


# --- deletion ----------------------------------------------------------------


def _assert_deleted(world: dict[str, Any], statement_before: tuple[Any, ...]) -> None:
    db.session.expire_all()
    uid = world["kari"].id
    user = db.session.get(User, uid)
    assert user.email == f"deleted-{uid}@invalid" and user.name == "Deleted user"
    assert (user.password_hash, user.card_id, user.active, user.is_system_admin) == (
        None,
        None,
        False,
        False,
    )
    assert user.deleted_at is not None
    # Bookings stay, naming nobody; the future one is cancelled and its place free.
    rows = db.session.execute(
        sa.select(Booking.__table__).where(
            Booking.id.in_([world["past"], world["meeting"], world["future"]])
        )
    ).all()
    assert len(rows) == 3
    for row in rows:
        assert row.user_id is None and row.title is None
        text = json.dumps([str(v) for v in row])
        assert "kari" not in text.lower() and "Nordmann" not in text
    assert db.session.get(Booking, world["past"]).status == BookingStatus.CONFIRMED
    future = db.session.get(Booking, world["future"])
    assert future.status == BookingStatus.CANCELLED
    assert not booking.active_conflicts(world["desk"].id, future.starts_at, future.ends_at)
    assert db.session.get(BookingSeries, world["series"]).user_id is None
    # Ola's booking is untouched.
    olas = db.session.get(Booking, world["olas"])
    assert olas.user_id == world["ola"].id and olas.title == "Ola's"
    # Usage: anonymized, the counts kept.
    assert db.session.scalar(sa.select(sa.func.count()).where(PresenceDay.user_id == uid)) == 0
    kept = db.session.execute(
        sa.select(PresenceDay.day, PresenceDay.sources).where(
            PresenceDay.user_id.is_(None), PresenceDay.sources > 0
        )
    ).all()
    assert kept == [(PAST_MONDAY, 2)]  # the desk and the meeting that day
    assert db.session.scalar(sa.select(UsageRecord.user_id)) is None
    assert db.session.get(UsageImport, world["upload"]).content == ""
    assert db.session.get(UsageImport, world["other_upload"]).content == "ola@nav.no;2026-01-07"
    # Tokens, feeds and roles are gone.
    for model in (ApiToken, FeedToken, HubRole):
        assert not db.session.scalar(sa.select(sa.func.count()).where(model.user_id == uid))
    # The statement is exactly as issued.
    assert _snapshot(world["statement"]) == statement_before
    # The audit log got no copy of the erased name or email, and the earlier entries
    # about the person (their account being made, say) lost them too.
    events = db.session.scalars(sa.select(AuditEvent)).all()
    assert any(e.entity_type == "user" and e.entity_id == uid for e in events)
    for event in events:
        dump = json.dumps([event.actor_label, event.summary, event.changes])
        assert "kari@nav.no" not in dump and "Nordmann" not in dump, dump


def test_delete_account_from_the_profile(client, login, world):
    statement_before = _snapshot(world["statement"])
    sent_before = len(sent_mail())
    login(world["kari"])
    page = client.get("/profile/delete")
    assert page.status_code == 200
    assert "Your 1 future booking is cancelled" in page.get_data(as_text=True)
    response = client.post("/profile/delete", data={"password": PASSWORD})
    assert response.status_code == 302 and response.location.endswith("/")
    _assert_deleted(world, statement_before)
    # One email (the cancellation, so the calendar entry goes), not one per booking.
    assert len([m for m in sent_mail()[sent_before:] if m["To"] == "kari@nav.no"]) == 1
    # Logged out, and the old credentials and API token no longer work.
    assert client.get("/profile").status_code == 302
    login_again = client.post("/login", data={"email": "kari@nav.no", "password": PASSWORD})
    assert login_again.status_code != 302
    assert client.get("/api/v1/me", headers=bearer(world["secret"])).status_code == 401
    # The address is free: the person can be invited again, as a new user.
    again = accounts.invite_user(
        world["hub"],
        {"email": "Kari@nav.no", "name": "Kari", "home_organization_id": world["nav"].id},
        Role.MEMBER,
    )
    db.session.commit()
    assert again.id != world["kari"].id and again.email == "kari@nav.no"


def test_wrong_password_is_422_and_changes_nothing(client, login, world):
    login(world["kari"])
    response = client.post("/profile/delete", data={"password": "not-my-password"})
    assert response.status_code == 422
    assert "The password is wrong." in response.get_data(as_text=True)
    db.session.expire_all()
    kari = db.session.get(User, world["kari"].id)
    assert kari.email == "kari@nav.no" and kari.active and kari.deleted_at is None
    assert db.session.get(Booking, world["future"]).status == BookingStatus.CONFIRMED
    assert client.get("/profile").status_code == 200


def test_the_form_needs_the_csrf_token(app, client, login, world):
    login(world["kari"])
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.post("/profile/delete", data={"password": PASSWORD})
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(User, world["kari"].id).deleted_at is None


def test_person_without_password_confirms_with_their_email(client, make_user, world):
    person = make_user(email="sso.only@nav.no", password=None)
    with client.session_transaction() as session:
        session["_user_id"] = str(person.id)
        session["_fresh"] = True
    page = client.get("/profile/delete").get_data(as_text=True)
    assert 'name="confirm_email"' in page and 'name="password"' not in page
    wrong = client.post("/profile/delete", data={"confirm_email": "someone@nav.no"})
    assert wrong.status_code == 422
    assert (
        client.post("/profile/delete", data={"confirm_email": "SSO.only@nav.no"}).status_code == 302
    )
    db.session.expire_all()
    assert db.session.get(User, person.id).deleted_at is not None


def test_the_last_system_admin_cannot_leave(client, login, make_user, world, api):
    admin = make_user(email="root@nav.no", is_system_admin=True)
    login(admin)
    page = client.get("/profile/delete").get_data(as_text=True)
    assert "You are the last system administrator." in page
    assert client.post("/profile/delete", data={"password": PASSWORD}).status_code == 409
    response = api("DELETE", "/me", user=admin, json={"confirm_email": "root@nav.no"})
    assert response.status_code == 409
    assert response.get_json()["error"]["status"] == 409
    db.session.expire_all()
    assert db.session.get(User, admin.id).deleted_at is None
    # With a second system administrator, the first may go.
    make_user(email="second@nav.no", is_system_admin=True)
    response = api("DELETE", "/me", user=admin, json={"confirm_email": "root@nav.no"})
    assert response.status_code == 204


def test_api_delete(client, world):
    statement_before = _snapshot(world["statement"])
    headers = bearer(world["secret"])
    wrong = client.delete("/api/v1/me", headers=headers, json={"confirm_email": "ola@nav.no"})
    assert wrong.status_code == 422
    assert "confirm_email" in wrong.get_json()["error"]["fields"]
    assert client.delete("/api/v1/me", headers=headers, json={}).status_code == 422
    db.session.expire_all()
    assert db.session.get(User, world["kari"].id).deleted_at is None
    response = client.delete("/api/v1/me", headers=headers, json={"confirm_email": "KARI@nav.no"})
    assert response.status_code == 204
    _assert_deleted(world, statement_before)
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_profile_links_to_the_data_pages(client, login, world):
    login(world["kari"])
    page = client.get("/profile").get_data(as_text=True)
    assert 'href="/profile/data.json"' in page and 'href="/profile/delete"' in page


def test_deleting_twice_is_not_found(world):
    kari = world["kari"]
    privacy.delete_account(kari, kari)
    db.session.commit()
    with pytest.raises(Exception) as info:
        privacy.delete_account(db.session.get(User, kari.id), kari)
    assert getattr(info.value, "status", None) == 404


def test_a_deleted_account_is_no_longer_listed_or_editable(api, world, system_admin):
    kari = world["kari"]
    privacy.delete_account(kari, kari)
    db.session.commit()
    assert kari.id not in [user.id for user in accounts.list_users()]
    listed = api("GET", "/users", user=system_admin).get_json()
    assert kari.id not in [user["id"] for user in listed]
    response = api("PATCH", f"/users/{kari.id}", user=system_admin, json={"active": True})
    assert response.status_code == 409
    assert db.session.get(User, kari.id).active is False


def test_deletion_erases_the_person_and_nobody_else(client, login, world, make_user, make_space):
    """Only what is about Kari changes: a look-alike address, a name or a number elsewhere stays."""
    hub, kari = world["hub"], world["kari"]
    make_user(email="jokari@nav.no", name="Jo Kari", hub=hub, role=Role.MEMBER)
    make_space(hub, name="Kari Nordmann-salen", kind="meeting_room")
    for recipient, status in (("kari@nav.no", "failed"), ("jokari@nav.no", "failed")):
        db.session.add(
            OutboxMessage(
                recipient=recipient,
                subject="Hei",
                message=b"Subject: Hei\r\n\r\nHei",
                status=OutboxStatus(status),
                attempts=20,
                created_at=at(PAST_MONDAY, 9),
            )
        )
    lookalike = UsageImport(hub_id=hub.id, filename="x.csv", content="jokari@nav.no;2026-01-08")
    db.session.add(lookalike)
    db.session.commit()
    others_before = _events_not_about(kari.id)

    login(kari)
    assert client.post("/profile/delete", data={"password": PASSWORD}).status_code == 302

    db.session.expire_all()
    assert _events_not_about(kari.id) == others_before
    deletion = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.summary.contains("account deleted"))
    ).one()
    assert (deletion.actor_user_id, deletion.actor_label) == (kari.id, f"user #{kari.id}")
    # Each hub sees that the person left it, without their address.
    [left] = db.session.scalars(
        sa.select(AuditEvent).where(
            AuditEvent.entity_type == "hub_role", AuditEvent.action == "deleted"
        )
    ).all()
    assert left.hub_id == hub.id and "kari@nav.no" not in left.summary
    assert left.actor_label == f"user #{kari.id}"
    failed = db.session.scalars(
        sa.select(OutboxMessage.recipient).where(OutboxMessage.status == OutboxStatus.FAILED)
    ).all()
    assert failed == ["jokari@nav.no"]
    assert db.session.get(UsageImport, lookalike.id).content == "jokari@nav.no;2026-01-08"


def _events_not_about(user_id: int) -> list[tuple[Any, ...]]:
    rows = db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id)).all()
    return [
        (e.id, e.actor_label, e.summary, json.dumps(e.changes, sort_keys=True))
        for e in rows
        if not audit.is_about(e, user_id)
    ]


def test_the_download_lists_changes_made_to_others_without_naming_them(api, client, login, world):
    ola, kari = world["ola"], world["kari"]
    body = {"user_id": ola.id, "role": "partner_contact", "organization_id": world["nav"].id}
    assert api("POST", "/hubs/lister/roles", kari, json=body).status_code == 201
    login(kari)
    data = client.get("/profile/data.json").get_json()

    [grant] = [e for e in data["audit_events_by_you"] if e["entity_type"] == "hub_role"]
    assert grant["action"] == "created" and grant["summary"] is None
    assert "ola@nav.no" not in json.dumps(data)
