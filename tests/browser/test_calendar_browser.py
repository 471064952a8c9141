"""Calendar subscriptions and .ics downloads as a member clicks them in Chromium.

The pages are reached through the links a person follows (menu, profile, My
bookings); elements are picked by role, by stable ids, form actions and hrefs,
or by data from the seed, not by UI text, so the tests hold while the catalogs
are translated. The feed itself is fetched with ``page.request`` like a
calendar client would; the view reads only the secret in the URL.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from browser_support import LANGUAGES, axe_violations, format_violations
from playwright.sync_api import expect

from hub.accounts import service as accounts
from hub.calendar import tokens
from hub.extensions import db
from hub.spaces.opening import DEFAULT_WEEKLY_HOURS, is_open_day

pytestmark = pytest.mark.browser

ROOM = "Møterom Lista"  # the seed's meeting room
TITLE = "Kalenderprøve"  # the room booking's title, which becomes the event's SUMMARY
SECRET = r"[A-Za-z0-9_-]{43}"  # secrets.token_urlsafe(32)


def assert_accessible(page: Any, where: str) -> None:
    violations = axe_violations(page)
    assert not violations, format_violations(where, violations)


def next_open_day(after: int) -> date:
    """An open weekday a few days ahead (within every booking horizon)."""
    day = date.today() + timedelta(days=after)
    while not is_open_day(day, DEFAULT_WEEKLY_HOURS):
        day += timedelta(days=1)
    return day


@pytest.fixture(autouse=True)
def no_personal_feed(live_server: Any) -> Iterator[None]:
    """The employee starts every test without a personal feed, and ends without one."""

    def turn_off() -> None:
        with live_server.app.test_request_context():
            user = accounts.find_user_by_email(live_server.seed.employee_email)
            assert user is not None
            tokens.revoke_personal(user)
            db.session.commit()
            db.session.remove()

    turn_off()
    yield
    turn_off()


def personal_section(page: Any) -> Any:
    return page.locator("section[aria-labelledby=personal-heading]")


def create_button(page: Any) -> Any:
    """The button of the form that turns the personal feed on."""
    form = page.locator("form[action='/profile/calendar']").filter(
        has=page.locator("input[name=target][value=personal]")
    )
    return form.get_by_role("button")


def shown_feed_url(page: Any, live_server: Any) -> str:
    """The address on the page right after it was issued, checked with its webcal twin."""
    https_field = page.locator("#feed-url")
    webcal_field = page.locator("#feed-webcal")
    for field in (https_field, webcal_field):
        expect(field).to_be_visible()
        expect(field).to_have_attribute("readonly", "")
        expect(field).not_to_be_editable()
        expect(field).to_have_accessible_name(re.compile(r"\S"))
    url = https_field.input_value()
    # PUBLIC_URL of the live server is http://127.0.0.1:<port>; in production it is https.
    assert re.fullmatch(re.escape(live_server("/feeds/")) + SECRET + r"\.ics", url), url
    rest = url.partition("://")[2]
    expect(webcal_field).to_have_value(f"webcal://{rest}")
    expect(page.locator(f"main a[href='webcal://{rest}']")).to_be_visible()
    return url


def test_member_turns_on_renews_and_turns_off_the_personal_feed(
    page: Any, context: Any, live_server: Any, login: Any, set_language: Any
) -> None:
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    login(page, live_server.seed.employee_email)
    set_language(page, "nb")

    # Menu -> My profile -> the calendar subscription page, by the links a person sees.
    page.get_by_role("navigation").locator("a[href='/profile']").click()
    expect(page).to_have_url(live_server("/profile"))
    page.locator("main a[href='/profile/calendar']").click()
    expect(page).to_have_url(live_server("/profile/calendar"))
    expect(page.locator("#feed-url")).to_have_count(0)
    expect(personal_section(page).locator("form[action$='/renew']")).to_have_count(0)

    with page.expect_navigation() as navigation:
        create_button(page).click()
    assert navigation.value.status == 200
    assert navigation.value.headers["cache-control"] == "no-store"
    url = shown_feed_url(page, live_server)

    # The copy button exists where the Clipboard API does (copy.js); the field is
    # reachable with the keyboard and selectable in any case.
    https_field = page.locator("#feed-url")
    if page.evaluate("!!navigator.clipboard && window.isSecureContext"):
        copy = https_field.locator("xpath=following-sibling::button[1]")
        expect(copy).to_have_attribute("type", "button")
        label = https_field.get_attribute("data-copy-label") or ""
        copied = https_field.get_attribute("data-copied-label") or ""
        field_label = page.locator("label[for=feed-url]").inner_text()
        expect(copy).to_have_accessible_name(f"{label} {field_label}")
        expect(page.locator("#feed-webcal + button")).to_have_count(1)
        copy.focus()
        page.keyboard.press("Enter")
        expect(copy).to_contain_text(copied)
        expect(https_field.locator("xpath=following-sibling::*[@role='status']")).to_have_text(
            copied
        )
        assert page.evaluate("navigator.clipboard.readText()") == url
    https_field.focus()
    expect(https_field).to_be_focused()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    expect(https_field).to_be_focused()
    page.keyboard.press("ControlOrMeta+A")
    selected = page.evaluate(
        "(() => { const f = document.activeElement;"
        " return f.value.slice(f.selectionStart, f.selectionEnd); })()"
    )
    assert selected == url

    # The feed, as a calendar client fetches it (the view ignores the session): ETag, 304.
    feed = page.request.get(url)
    assert feed.status == 200, feed.text()
    assert feed.headers["content-type"].startswith("text/calendar")
    assert feed.body().startswith(b"BEGIN:VCALENDAR")
    etag = feed.headers.get("etag")
    assert etag, feed.headers
    again = page.request.get(url, headers={"If-None-Match": etag})
    assert again.status == 304
    assert again.headers.get("etag") == etag
    assert again.body() == b""

    # Renew: a new address, and the old one is gone at once.
    page.goto("/profile/calendar")
    expect(page.locator("#feed-url")).to_have_count(0)  # the secret is not shown again
    with page.expect_navigation():
        personal_section(page).locator("form[action$='/renew']").get_by_role("button").click()
    new_url = shown_feed_url(page, live_server)
    assert new_url != url
    old = page.request.get(url)
    assert old.status == 404
    assert old.headers["content-type"].startswith("text/plain")
    assert page.request.get(new_url).status == 200

    # Turn off: the new address is gone too, and the page offers to turn it on again.
    with page.expect_navigation():
        personal_section(page).locator("form[action$='/turn-off']").get_by_role("button").click()
    expect(page).to_have_url(live_server("/profile/calendar"))
    expect(page.locator(".flash")).to_be_visible()
    expect(create_button(page)).to_be_visible()
    assert page.request.get(new_url).status == 404


def test_booking_downloads_as_an_ics_file_from_my_bookings(
    page: Any, live_server: Any, login: Any, set_language: Any
) -> None:
    seed = live_server.seed
    day = next_open_day(after=8)
    login(page, seed.employee_email)
    set_language(page, "nb")

    # Book the meeting room through the pages.
    page.goto(f"/hubs/{seed.hub_slug}/availability?date={day.isoformat()}&kind=meeting_room")
    with page.expect_navigation():
        page.locator(f"main a[href^='/hubs/{seed.hub_slug}/book/']").filter(has_text=ROOM).click()
    page.locator("#start").select_option("13:00")
    page.locator("#end").select_option("14:00")
    page.locator("#title").fill(TITLE)
    with page.expect_navigation():
        page.locator("main form[method=post] button[type=submit]").click()
    expect(page).to_have_url(live_server("/bookings"))

    # My bookings, from the menu; the booking's row has the .ics link.
    page.get_by_role("navigation").locator("a[href='/bookings']").click()
    expect(page).to_have_url(live_server("/bookings"))
    row = page.locator("main table tbody tr").filter(has_text=ROOM).filter(has_text="13:00–14:00")
    expect(row).to_have_count(1)
    link = row.locator("a[href$='.ics']")
    expect(link).to_have_count(1)
    expect(link).to_have_accessible_name(re.compile(re.escape(ROOM)))
    href = link.get_attribute("href") or ""
    booking_id = re.fullmatch(r"/bookings/(\d+)\.ics", href)
    assert booking_id, href

    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    assert download.suggested_filename == f"booking-{booking_id.group(1)}.ics"
    text = Path(download.path()).read_text(encoding="utf-8")
    unfolded = text.replace("\r\n ", "")
    assert unfolded.startswith("BEGIN:VCALENDAR")
    assert unfolded.count("BEGIN:VEVENT") == 1
    assert f"SUMMARY:{TITLE}" in unfolded
    assert re.search(rf"^DTSTART[;:].*{day:%Y%m%d}", unfolded, re.MULTILINE), unfolded

    response = page.request.get(live_server(href))
    assert response.status == 200
    assert response.headers["content-type"].startswith("text/calendar")
    assert "attachment" in response.headers["content-disposition"]

    # Cancel it again, so the room is free for the other tests; the link goes with it.
    with page.expect_navigation():
        row.locator("form[action$='/cancel'] button").click()
    expect(row.locator("a[href$='.ics']")).to_have_count(0)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_subscription_page_is_accessible_and_works_with_the_keyboard(
    page: Any, live_server: Any, login: Any, set_language: Any, lang: str
) -> None:
    login(page, live_server.seed.employee_email)
    set_language(page, lang)
    page.goto("/profile/calendar")
    expect(page.locator("html")).to_have_attribute("lang", lang)
    assert_accessible(page, f"calendar subscriptions without a feed ({lang})")

    # Tab from the start of main to the button that turns the feed on, then Enter.
    button = create_button(page)
    page.locator("main#main").focus()
    for _ in range(15):
        page.keyboard.press("Tab")
        if button.evaluate("b => b === document.activeElement"):
            break
    expect(button).to_be_focused()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    shown_feed_url(page, live_server)
    expect(personal_section(page).locator("form[action$='/renew']")).to_have_count(1)
    assert_accessible(page, f"calendar subscriptions with a new address ({lang})")
