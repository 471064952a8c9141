"""What a person does in a real browser: log in, open a hub, change language, log out."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

TRANSLATIONS = Path(__file__).resolve().parents[2] / "hub" / "translations"


def _has_catalog(code: str) -> bool:
    return (TRANSLATIONS / code / "LC_MESSAGES" / "messages.mo").exists()


def test_log_in_open_hub_switch_language_log_out(
    page: Any, live_server: Any, login: Any, set_language: Any
) -> None:
    seed = live_server.seed
    login(page, seed.employee_email)
    # The person's saved language may be anything a previous test chose.
    set_language(page, "nb")
    expect(page).to_have_url(live_server("/"))
    expect(page.locator("form[action='/logout'] button")).to_be_visible()

    page.get_by_role("link", name=seed.hub_name).click()
    expect(page).to_have_url(live_server(f"/hubs/{seed.hub_slug}"))
    expect(page.get_by_role("heading", level=1)).to_have_text(seed.hub_name)
    expect(page.get_by_role("cell", name="Møterom Lista")).to_be_visible()

    texts = {}
    for code in ("en", "nn", "nb"):
        set_language(page, code)
        # The switcher returns to the page it was used on.
        expect(page).to_have_url(live_server(f"/hubs/{seed.hub_slug}"))
        expect(page.locator(f'button[value="{code}"]')).to_have_attribute("aria-pressed", "true")
        texts[code] = page.locator("body").inner_text()

    page.locator("form[action='/logout'] button").click()
    expect(page.locator("nav a[href='/login']")).to_be_visible()
    expect(page.locator("form[action='/logout']")).to_have_count(0)
    page.goto("/profile")
    expect(page).to_have_url(live_server("/login?next=%2Fprofile"))

    # Checked last, so that a missing catalog does not hide the rest of the flow.
    assert all(_has_catalog(code) for code in ("nb", "nn")), "run `make translations`"
    assert len(set(texts.values())) == 3, texts


def test_first_tab_focuses_skip_link_which_moves_focus_to_main(page: Any) -> None:
    page.goto("/")
    page.keyboard.press("Tab")
    skip = page.locator("a.ds-skip-link")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    assert skip.get_attribute("href") == "#main"
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()
    # The next Tab continues inside main, not at the top of the page again.
    page.keyboard.press("Tab")
    inside_main = page.evaluate("document.activeElement.closest('main') !== null")
    assert inside_main


def test_logging_in_with_the_keyboard_shows_a_flash_message(
    page: Any, live_server: Any, login: Any
) -> None:
    login(page, live_server.seed.employee_email)
    expect(page.locator(".flash")).to_have_count(1)
    expect(page.locator(".flash")).to_have_attribute("role", "status")
