"""Calendar over HTTP: feed tokens, the feed's headers and 304s, .ics downloads, the page."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
import time_machine
from werkzeug.http import http_date, parse_date

from hub.accounts import service as accounts
from hub.accounts.models import HubRole, Role
from hub.booking import service as booking_service
from hub.calendar import feeds, tokens
from hub.calendar.models import FeedScope
from hub.errors import PermissionDenied
from hub.extensions import db

# Friday 4 January 2030, 09:00 in Oslo; Monday 7 January is a normal workday.
NOW = datetime(2030, 1, 4, 8, 0, tzinfo=UTC)
MONDAY = (datetime(2030, 1, 7, 7, 0, tzinfo=UTC), datetime(2030, 1, 7, 15, 0, tzinfo=UTC))
TUESDAY = (datetime(2030, 1, 8, 7, 0, tzinfo=UTC), datetime(2030, 1, 8, 15, 0, tzinfo=UTC))


@pytest.fixture(autouse=True)
def frozen_time() -> Any:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def lister(make_hub: Any) -> Any:
    return make_hub(slug="regionlab-lister", name="RegionLab Lister", address="Stasjonsveien 1")


@pytest.fixture
def desk(lister: Any, make_space: Any) -> Any:
    return make_space(lister, name="Pult Æ", kind="desk")


@pytest.fixture
def member(make_user: Any, lister: Any) -> Any:
    return make_user(hub=lister, role=Role.MEMBER)


@pytest.fixture
def outsider(make_user: Any) -> Any:
    return make_user()


def booked(user: Any, space: Any, interval: tuple[datetime, datetime]) -> Any:
    booking = booking_service.create_booking(user, space, *interval)
    db.session.commit()
    return booking


def issued(user: Any, scope: FeedScope = FeedScope.PERSONAL, **target: Any) -> tuple[Any, str]:
    token, secret = tokens.issue(user, scope, **target)
    db.session.commit()
    return token, secret


def path(secret: str) -> str:
    return f"/feeds/{secret}.ics"


@pytest.fixture
def render_calls(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Counts calls of ``feeds.render`` (the real one still runs)."""
    calls: list[Any] = []
    real = feeds.render

    def spy(spec: Any, now: Any) -> bytes:
        calls.append(spec)
        return real(spec, now)

    monkeypatch.setattr(feeds, "render", spy)
    return calls


@pytest.fixture
def subscribed(member: Any, desk: Any) -> tuple[Any, str, Any]:
    booking = booked(member, desk, MONDAY)
    token, secret = issued(member)
    return token, secret, booking


# --- tokens ----------------------------------------------------------------------


def test_secret_has_at_least_128_bits_and_only_its_hash_is_stored(member):
    token, secret = issued(member)

    assert len(base64.urlsafe_b64decode(secret + "=" * (-len(secret) % 4))) * 8 >= 128
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    row = db.session.execute(sa.text("SELECT * FROM feed_tokens")).one()
    assert all(secret not in str(value) for value in row)


def test_two_secrets_differ(member):
    assert issued(member)[1] != issued(member)[1]


def test_renewing_revokes_the_old_url(client, member, desk, render_calls):
    old_token, old = issued(member)
    new_token, new = issued(member)

    assert client.get(path(old)).status_code == 404
    assert client.get(path(new)).status_code == 200
    db.session.refresh(old_token)
    assert old_token.revoked_at is not None
    assert [t.id for t in tokens.active_tokens(member)] == [new_token.id]


def test_renewing_one_feed_leaves_the_others_on(member, lister, desk):
    personal, _ = issued(member)
    space_feed, _ = issued(member, FeedScope.SPACE, space=desk)
    issued(member, FeedScope.HUB, hub=lister)
    issued(member, FeedScope.HUB, hub=lister)

    active = tokens.active_tokens(member)
    assert [t.scope for t in active] == [FeedScope.PERSONAL, FeedScope.HUB, FeedScope.SPACE]
    assert {personal.id, space_feed.id} <= {t.id for t in active}


def test_feed_urls_come_from_public_url(app, member):
    _, secret = issued(member)

    https_url, webcal_url = tokens.feed_urls(secret)

    assert https_url == f"http://hub.test/feeds/{secret}.ics"
    assert webcal_url == f"webcal://hub.test/feeds/{secret}.ics"


@pytest.mark.parametrize("scope", ["space", "hub"])
def test_only_hub_members_get_space_and_hub_feeds(scope, outsider, member, lister, desk):
    target = {"space": desk} if scope == "space" else {"hub": lister}

    with pytest.raises(PermissionDenied):
        tokens.issue(outsider, scope, **target)
    assert tokens.issue(member, scope, **target)[0].scope == scope


def test_organization_feed_is_for_its_partner_contacts_and_system_admins(
    make_user, make_org, lister, member, system_admin
):
    nav = make_org(name="NAV")
    contact = make_user(hub=lister, role=Role.PARTNER_CONTACT, organization=nav)
    other_contact = make_user(hub=lister, role=Role.PARTNER_CONTACT, organization=make_org())
    admin = make_user(hub=lister, role=Role.ADMIN)

    assert tokens.issue(contact, "organization", organization=nav)[0].organization_id == nav.id
    assert tokens.issue(system_admin, "organization", organization=nav)[0]
    for user in (member, other_contact, admin):
        with pytest.raises(PermissionDenied):
            tokens.issue(user, "organization", organization=nav)


def test_a_feed_stops_when_its_owner_loses_the_right(client, member, lister, desk):
    _, secret = issued(member, FeedScope.HUB, hub=lister)
    assert client.get(path(secret)).status_code == 200

    role = db.session.scalar(sa.select(HubRole).where(HubRole.user_id == member.id))
    accounts.revoke_role(role)
    db.session.commit()

    assert client.get(path(secret)).status_code == 404


def test_a_deactivated_owners_feed_is_404(client, subscribed, member):
    _, secret, _ = subscribed
    member.active = False
    db.session.commit()

    assert client.get(path(secret)).status_code == 404


def test_last_used_is_written_at_most_once_a_day(client, subscribed, frozen_time):
    token, secret, _ = subscribed
    client.get(path(secret))
    db.session.commit()
    db.session.refresh(token)
    first = token.last_used_at
    assert first == NOW

    frozen_time.shift(timedelta(hours=3))
    client.get(path(secret))
    db.session.commit()
    db.session.refresh(token)
    assert token.last_used_at == first

    frozen_time.shift(timedelta(days=1))
    client.get(path(secret))
    db.session.commit()
    db.session.refresh(token)
    assert token.last_used_at == NOW + timedelta(days=1, hours=3)


# --- the feed over HTTP --------------------------------------------------------------


def test_feed_is_200_text_calendar_with_validators(client, subscribed):
    _, secret, booking = subscribed

    response = client.get(path(secret))

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    etag = response.headers["ETag"]
    assert etag.startswith('"') and etag.endswith('"') and not etag.startswith("W/")
    assert parse_date(response.headers["Last-Modified"]) is not None
    assert response.headers["Cache-Control"] == "private, max-age=0, must-revalidate"
    assert "Content-Encoding" not in response.headers
    assert "Accept" not in response.headers.get("Vary", "")  # no content negotiation
    body = response.get_data()
    assert body.startswith(b"BEGIN:VCALENDAR\r\n")
    assert f"UID:booking-{booking.id}@hub.test".encode() in body
    assert b"METHOD" not in body
    assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize("case", ["unknown", "revoked", "too long", "empty-looking"])
def test_unknown_or_revoked_feed_is_a_plain_404(client, member, case):
    token, secret = issued(member)
    if case == "revoked":
        tokens.revoke(token)
        db.session.commit()
    url = {
        "unknown": path("x" * 43),
        "revoked": path(secret),
        "too long": path("y" * 500),
        "empty-looking": "/feeds/.ics.ics",
    }[case]

    response = client.get(url)

    assert response.status_code == 404
    assert response.mimetype == "text/plain"
    assert b"<html" not in response.get_data().lower()


def test_revoked_feed_head_is_404_too(client, member):
    token, secret = issued(member)
    tokens.revoke(token)
    db.session.commit()

    assert client.head(path(secret)).status_code == 404


@pytest.mark.parametrize(
    "if_none_match",
    [
        "{etag}",
        "W/{etag}",  # RFC 9110: If-None-Match uses the weak comparison
        '"something-else", {etag}',
        '"a",{etag} , "b"',
        "*",
    ],
)
def test_matching_if_none_match_is_304_without_rendering(
    client, subscribed, render_calls, if_none_match
):
    _, secret, _ = subscribed
    first = client.get(path(secret))
    etag = first.headers["ETag"]
    render_calls.clear()

    response = client.get(path(secret), headers={"If-None-Match": if_none_match.format(etag=etag)})

    assert response.status_code == 304
    assert response.get_data() == b""
    assert response.headers["ETag"] == etag
    assert response.headers["Cache-Control"] == "private, max-age=0, must-revalidate"
    assert render_calls == []


def test_other_if_none_match_renders(client, subscribed, render_calls):
    _, secret, _ = subscribed

    response = client.get(path(secret), headers={"If-None-Match": '"not-the-etag", W/"nor-this"'})

    assert response.status_code == 200
    assert len(render_calls) == 1


def test_if_none_match_wins_over_if_modified_since(client, subscribed, render_calls):
    _, secret, _ = subscribed
    first = client.get(path(secret))
    future = http_date(NOW + timedelta(days=30))
    past = http_date(NOW - timedelta(days=3650))

    stale = client.get(
        path(secret), headers={"If-None-Match": '"old"', "If-Modified-Since": future}
    )
    fresh = client.get(
        path(secret), headers={"If-None-Match": first.headers["ETag"], "If-Modified-Since": past}
    )

    assert stale.status_code == 200
    assert fresh.status_code == 304


def test_if_modified_since_alone(client, subscribed, render_calls):
    _, secret, _ = subscribed
    last_modified = client.get(path(secret)).headers["Last-Modified"]
    render_calls.clear()

    same = client.get(path(secret), headers={"If-Modified-Since": last_modified})
    later = client.get(path(secret), headers={"If-Modified-Since": http_date(NOW)})
    earlier = client.get(
        path(secret),
        headers={"If-Modified-Since": http_date(parse_date(last_modified) - timedelta(seconds=1))},
    )
    invalid = client.get(path(secret), headers={"If-Modified-Since": "yesterday"})

    assert (same.status_code, later.status_code) == (304, 304)
    assert (earlier.status_code, invalid.status_code) == (200, 200)
    assert len(render_calls) == 2


def test_head_has_the_headers_and_no_body(client, subscribed, render_calls):
    _, secret, _ = subscribed
    get = client.get(path(secret))
    render_calls.clear()

    head = client.head(path(secret))

    assert head.status_code == 200
    assert head.get_data() == b""
    for name in ("Content-Type", "ETag", "Last-Modified", "Cache-Control"):
        assert head.headers[name] == get.headers[name]
    assert head.headers.get("Content-Length") in (None, str(len(get.get_data())))
    assert render_calls == []


def test_head_with_matching_etag_is_304(client, subscribed):
    _, secret, _ = subscribed
    etag = client.get(path(secret)).headers["ETag"]

    assert client.head(path(secret), headers={"If-None-Match": etag}).status_code == 304


@pytest.mark.parametrize(
    "headers",
    [
        {"Accept-Encoding": "gzip, deflate, br"},
        {"Accept": "application/json"},
        {"Accept": "text/html", "Accept-Language": "en-US"},
        {"User-Agent": "Microsoft Office/16.0 (Windows NT 10.0; MAPI 16.0.1)", "Accept": "*/*"},
    ],
)
def test_no_compression_and_no_negotiation(client, subscribed, headers):
    _, secret, _ = subscribed
    plain = client.get(path(secret))

    response = client.get(path(secret), headers=headers)

    assert response.status_code == 200
    assert "Content-Encoding" not in response.headers
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.get_data() == plain.get_data()
    assert response.headers["ETag"] == plain.headers["ETag"]


def test_a_new_booking_changes_the_etag(client, subscribed, member, desk):
    _, secret, _ = subscribed
    before = client.get(path(secret))

    booked(member, desk, TUESDAY)
    after = client.get(path(secret))
    stale = client.get(path(secret), headers={"If-None-Match": before.headers["ETag"]})

    assert after.headers["ETag"] != before.headers["ETag"]
    assert after.get_data().count(b"BEGIN:VEVENT") == 2
    assert stale.status_code == 200


def test_a_cancelled_booking_leaves_the_feed(client, subscribed, member):
    _, secret, booking = subscribed
    before = client.get(path(secret))

    booking_service.cancel_booking(booking, member)
    db.session.commit()
    after = client.get(path(secret))

    assert after.headers["ETag"] != before.headers["ETag"]
    assert b"BEGIN:VEVENT" not in after.get_data()


def test_the_same_data_gives_the_same_bytes_and_etag(client, subscribed):
    _, secret, _ = subscribed

    first, second = client.get(path(secret)), client.get(path(secret))

    assert first.get_data() == second.get_data()
    assert first.headers["ETag"] == second.headers["ETag"]


def test_feed_needs_no_login_and_ignores_a_session(client, login, subscribed, outsider):
    _, secret, _ = subscribed
    login(outsider)

    assert client.get(path(secret)).status_code == 200


# --- one booking as .ics -------------------------------------------------------------


def test_owner_downloads_a_booking(client, login, member, desk):
    booking = booked(member, desk, MONDAY)
    login(member)

    response = client.get(f"/bookings/{booking.id}.ics")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert (
        response.headers["Content-Disposition"]
        == f'attachment; filename="booking-{booking.id}.ics"'
    )
    body = response.get_data()
    assert body.startswith(b"BEGIN:VCALENDAR\r\n")
    assert f"UID:booking-{booking.id}@hub.test".encode() in body
    assert b"DTSTART:20300107T070000Z" in body
    assert b"STATUS:CONFIRMED" in body
    for absent in (b"METHOD", b"ORGANIZER", b"ATTENDEE", b"VALARM"):
        assert absent not in body


def test_hub_admin_downloads_a_booking_of_their_hub(client, login, hub_admin, lister, member, desk):
    booking = booked(member, desk, MONDAY)
    login(hub_admin(lister))

    assert client.get(f"/bookings/{booking.id}.ics").status_code == 200


def test_others_get_404_for_a_booking(client, login, member, outsider, desk):
    booking = booked(member, desk, MONDAY)
    login(outsider)

    assert client.get(f"/bookings/{booking.id}.ics").status_code == 404
    assert client.get("/bookings/999999.ics").status_code == 404


def test_download_needs_login(client, member, desk):
    booking = booked(member, desk, MONDAY)

    response = client.get(f"/bookings/{booking.id}.ics")

    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_my_bookings_links_the_download_and_the_subscription(client, login, member, desk):
    booking = booked(member, desk, MONDAY)
    login(member)

    html = client.get("/bookings").get_data(as_text=True)

    assert f'href="/bookings/{booking.id}.ics"' in html
    assert 'href="/profile/calendar"' in html


# --- the subscription page -----------------------------------------------------------


def test_profile_links_to_the_subscription_page(client, login, member):
    login(member)

    html = client.get("/profile").get_data(as_text=True)

    assert 'href="/profile/calendar"' in html


def test_page_offers_the_personal_feed_and_instructions(client, login, member):
    login(member)

    response = client.get("/profile/calendar")

    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    assert 'name="target" value="personal"' in html
    for text in ("Subscribe from web", "From URL", "several hours", "New Calendar Subscription"):
        assert text in html
    assert "/static/js/copy.js" in html
    assert "<script>" not in html


def test_turning_on_shows_both_links_once(client, login, member, desk):
    booked(member, desk, MONDAY)
    login(member)

    response = client.post("/profile/calendar", data={"target": "personal"})

    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    [token] = tokens.active_tokens(member)
    https_url = next(part for part in html.split('"') if part.startswith("http://hub.test/feeds/"))
    secret = https_url.removeprefix("http://hub.test/feeds/").removesuffix(".ics")
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert f"webcal://hub.test/feeds/{secret}.ics" in html
    assert client.get(path(secret)).status_code == 200
    # The next visit cannot show it again.
    assert secret not in client.get("/profile/calendar").get_data(as_text=True)


def test_renew_and_turn_off_from_the_page(client, login, member):
    token, old = issued(member)
    login(member)

    renewed = client.post(f"/profile/calendar/{token.id}/renew")

    assert renewed.status_code == 200
    [new_token] = tokens.active_tokens(member)
    assert new_token.id != token.id
    assert client.get(path(old)).status_code == 404

    off = client.post(f"/profile/calendar/{new_token.id}/turn-off")

    assert off.status_code == 302
    assert tokens.active_tokens(member) == []


def test_someone_elses_feed_cannot_be_renewed_or_turned_off(client, login, member, outsider):
    token, secret = issued(member)
    login(outsider)

    assert client.post(f"/profile/calendar/{token.id}/renew").status_code == 404
    assert client.post(f"/profile/calendar/{token.id}/turn-off").status_code == 404
    assert client.get(path(secret)).status_code == 200
    assert tokens.active_tokens(outsider) == []


def test_member_chooses_a_hub_or_a_space(client, login, member, lister, desk):
    login(member)
    html = client.get("/profile/calendar").get_data(as_text=True)
    assert f'value="hub-{lister.id}"' in html
    assert f'value="space-{desk.id}"' in html

    response = client.post("/profile/calendar", data={"target": f"space-{desk.id}"})

    assert response.status_code == 200
    [token] = tokens.active_tokens(member)
    assert (token.scope, token.space_id) == (FeedScope.SPACE, desk.id)
    assert "Pult Æ in RegionLab Lister" in response.get_data(as_text=True)


@pytest.mark.parametrize("target", ["hub-{hub}", "space-{space}", "organization-{org}", "bogus"])
def test_feeds_the_person_may_not_have_are_not_offered_or_issued(
    client, login, outsider, lister, desk, target
):
    login(outsider)
    value = target.format(hub=lister.id, space=desk.id, org=outsider.home_organization_id)
    assert f'value="{value}"' not in client.get("/profile/calendar").get_data(as_text=True)

    response = client.post("/profile/calendar", data={"target": value})

    assert response.status_code == 422
    assert tokens.active_tokens(outsider) == []


def test_partner_contact_is_offered_the_organization_feed(
    client, login, make_user, make_org, lister
):
    nav = make_org(name="NAV Lister")
    contact = make_user(hub=lister, role=Role.PARTNER_CONTACT, organization=nav)
    login(contact)
    assert f'value="organization-{nav.id}"' in client.get("/profile/calendar").get_data(
        as_text=True
    )

    response = client.post("/profile/calendar", data={"target": f"organization-{nav.id}"})

    assert response.status_code == 200
    assert "Bookings billed to NAV Lister" in response.get_data(as_text=True)
    assert [t.organization_id for t in tokens.active_tokens(contact)] == [nav.id]


def test_page_needs_login(client):
    assert client.get("/profile/calendar").status_code == 302
    assert client.post("/profile/calendar", data={"target": "personal"}).status_code == 302


def test_copy_script_is_served(client):
    response = client.get("/static/js/copy.js")

    assert response.status_code == 200
    assert b"navigator.clipboard" in response.get_data()
    response.close()
