"""Booking as a person does it in Chromium: find a free desk, book it, see it, cancel it."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from browser_support import axe_violations, format_violations
from playwright.sync_api import expect

from hub.spaces.opening import DEFAULT_WEEKLY_HOURS, is_open_day

pytestmark = pytest.mark.browser


def next_open_day(after: int) -> date:
    """An open weekday a few days ahead (within every booking horizon)."""
    day = date.today() + timedelta(days=after)
    while not is_open_day(day, DEFAULT_WEEKLY_HOURS):
        day += timedelta(days=1)
    return day


def assert_accessible(page: Any, where: str) -> None:
    violations = axe_violations(page)
    assert not violations, format_violations(where, violations)


def test_find_book_see_and_cancel_a_desk_with_the_keyboard(
    page: Any, live_server: Any, login: Any, set_language: Any
) -> None:
    seed = live_server.seed
    day = next_open_day(after=3)
    login(page, seed.employee_email)
    set_language(page, "en")

    page.goto(f"/hubs/{seed.hub_slug}")
    page.get_by_role("link", name="See free places and book").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.locator("#date").fill(day.isoformat())
    with page.expect_navigation():
        page.locator("#date").press("Enter")
    assert_accessible(page, "availability (day)")

    page.get_by_role("link", name="Full day – Åpen plass A").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Book Åpen plass A")
    assert_accessible(page, "book a desk")
    page.get_by_role("button", name="Book", exact=True).focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")

    expect(page).to_have_url(live_server("/bookings"))
    row = page.get_by_role("row").filter(has_text="Åpen plass A")
    expect(row).to_contain_text("Confirmed")
    assert_accessible(page, "my bookings")

    # The place is now busy for that day.
    page.goto(f"/hubs/{seed.hub_slug}/availability?date={day.isoformat()}")
    expect(page.get_by_role("link", name="Full day – Åpen plass A")).to_have_count(0)

    page.goto("/bookings")
    row.get_by_role("button", name="Cancel").first.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("row").filter(has_text="Åpen plass A")).to_contain_text("Cancelled")


def test_booking_a_room_over_capacity_shows_the_error_next_to_the_field(
    page: Any, live_server: Any, login: Any, set_language: Any
) -> None:
    seed = live_server.seed
    day = next_open_day(after=5)
    login(page, seed.employee_email)
    set_language(page, "en")
    page.goto(f"/hubs/{seed.hub_slug}/availability?date={day.isoformat()}&kind=meeting_room")
    with page.expect_navigation():
        page.get_by_role("link", name="Book Møterom Lista").click()
    page.locator("#start").select_option("09:00")
    page.locator("#end").select_option("10:00")
    page.locator("#participants").fill("30")
    with page.expect_navigation():
        page.get_by_role("button", name="Book", exact=True).click()
    expect(page.locator("#participants-error")).to_contain_text("room for 8 people")
    expect(page.locator("#participants")).to_have_value("30")
    assert_accessible(page, "room booking with an error")
