"""Usage as hosts and partners click it in Chromium: register an event, read the dashboard."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from browser_support import axe_violations, format_violations
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def assert_accessible(page: Any, where: str) -> None:
    violations = axe_violations(page)
    assert not violations, format_violations(where, violations)


def test_host_registers_an_event_and_finds_it_on_the_dashboard(
    page: Any, live_server: Any, login: Any, set_language: Any
) -> None:
    seed = live_server.seed
    today = date.today()
    login(page, seed.admin_email)
    set_language(page, "en")

    page.goto(f"/admin/hubs/{seed.hub_slug}")
    page.get_by_role("link", name="Events and attendance").click()
    page.get_by_role("link", name="New event").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New event")
    page.get_by_label("Title").fill("Faglunsj om KI")
    page.get_by_label("Date").fill(today.isoformat())
    page.get_by_label("Room").select_option(label="Møterom Lista (Meeting room)")
    page.locator("#attendance_0_organization_id").select_option(label="NAV Agder")
    page.locator("#attendance_0_attendees").fill("0")
    with page.expect_navigation():
        page.locator("#attendance_0_attendees").press("Enter")
    # A wrong number is explained next to its field and what was typed stays.
    expect(page.locator("#attendance_0_attendees")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Title")).to_have_value("Faglunsj om KI")
    assert_accessible(page, "event form with an error")
    page.locator("#attendance_0_attendees").fill("7")
    with page.expect_navigation():
        page.get_by_role("button", name="Add event").press("Enter")
    expect(page.get_by_role("row").filter(has_text="Faglunsj om KI")).to_contain_text("7")

    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Usage").click()
    page.get_by_role("link", name=seed.hub_name).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Usage of {seed.hub_name}")
    expect(page.get_by_role("region", name="Events and attendance")).to_contain_text(
        "Faglunsj om KI"
    )
    assert_accessible(page, "usage dashboard")

    # Drill down from the year to this month, then type a period that is not one.
    month_link = page.get_by_role("list", name="Drill down").get_by_role("link").last
    with page.expect_navigation():
        month_link.click()
    expect(page).to_have_url(live_server(f"/hubs/{seed.hub_slug}/usage?period={today:%Y-%m}"))
    page.get_by_role("textbox", name="Period").fill("next spring")
    with page.expect_navigation():
        page.get_by_role("textbox", name="Period").press("Enter")
    expect(page.get_by_role("textbox", name="Period")).to_have_value("next spring")
    expect(page.get_by_role("textbox", name="Period")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page, "usage dashboard with a wrong period")


def test_partner_contact_sees_own_figures(
    page: Any, live_server: Any, login: Any, set_language: Any
) -> None:
    seed = live_server.seed
    login(page, seed.employee_email)
    set_language(page, "nb")
    page.goto(f"/hubs/{seed.hub_slug}/usage")
    expect(page.get_by_role("heading", name="Din virksomhet")).to_be_visible()
    assert_accessible(page, "partner view (nb)")
