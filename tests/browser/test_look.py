"""The page frame: landmarks, one h1, focus outlines, reflow, and screenshots to look at.

`make screenshot` runs this file with HUB_SCREENSHOT_DIR set and copies the hub
page to docs/screenshot.png for the README.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def _frame_is_sound(page: Any) -> None:
    expect(page.locator("html")).to_have_attribute("lang", "nb")
    expect(page.locator("header")).to_have_count(1)
    expect(page.locator("header nav[aria-label]")).to_have_count(1)
    expect(page.locator("main#main")).to_have_count(1)
    expect(page.locator("footer")).to_have_count(1)
    expect(page.locator("h1")).to_have_count(1)
    expect(page.locator("header a.site-title")).to_have_accessible_name("Hub")


@pytest.mark.parametrize(
    ("name", "path", "logged_in"),
    [("home", "/", True), ("hub", "/hubs/regionlab-lister", True), ("login", "/login", False)],
)
def test_page_frame_and_screenshot(
    page: Any,
    live_server: Any,
    login: Any,
    set_language: Any,
    tmp_path: Path,
    name: str,
    path: str,
    logged_in: bool,
) -> None:
    if logged_in:
        login(page, live_server.seed.admin_email)
        set_language(page, "nb")
    page.goto(path)
    _frame_is_sound(page)
    # Content stays at a readable width on a wide screen.
    main_box = page.locator("main > .site-main__inner").bounding_box()
    assert main_box is not None and main_box["width"] <= 1200
    folder = Path(os.environ.get("HUB_SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def test_skip_link_is_hidden_until_focused_and_focus_is_visible(page: Any) -> None:
    page.goto("/")
    skip = page.locator("a.ds-skip-link")
    hidden_box = skip.bounding_box()
    assert hidden_box is not None and hidden_box["width"] <= 1
    page.keyboard.press("Tab")
    shown_box = skip.bounding_box()
    assert shown_box is not None and shown_box["width"] > 50 and shown_box["height"] > 20
    page.keyboard.press("Tab")
    outline = page.evaluate(
        "(() => { const s = getComputedStyle(document.activeElement);"
        " return [s.outlineStyle, parseFloat(s.outlineWidth)]; })()"
    )
    assert outline[0] != "none" and outline[1] >= 2, outline


def test_pages_reflow_at_320_css_pixels(page: Any, live_server: Any) -> None:
    """WCAG 1.4.10: no horizontal scrolling at 320 px wide (400 % zoom)."""
    page.set_viewport_size({"width": 320, "height": 640})
    for path in ("/", f"/hubs/{live_server.seed.hub_slug}", "/login"):
        page.goto(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 320, f"{path} is {width} px wide at a 320 px viewport"
