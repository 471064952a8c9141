"""The floor plan in a real browser: book from the plan with the keyboard, place
spaces by clicking (hub/static/js/floorplan.js), and axe on both pages.

The plan lives in a hub of its own, made here and deleted afterwards, so the
seeded hub the other browser tests look at is unchanged.
"""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from browser_support import axe_violations, format_violations
from playwright.sync_api import expect

from hub.accounts import service as accounts
from hub.extensions import db
from hub.spaces import floorplan, opening
from hub.spaces import service as spaces

pytestmark = pytest.mark.browser

SLUG = "planhuset"


def png_bytes(width: int, height: int) -> bytes:
    """A light grey PNG with a darker frame: enough of a plan to click on."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + body))
        return struct.pack(">I", len(body)) + kind + body + crc

    edge = b"\x00" + b"\x60\x60\x60" * width
    inner = b"\x00" + b"\x60\x60\x60" + b"\xee\xee\xee" * (width - 2) + b"\x60\x60\x60"
    rows = edge + inner * (height - 2) + edge
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        floorplan.PNG_SIGNATURE
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def next_open_day() -> date:
    """A weekday after today that is not a public holiday (default hours are Mon-Fri)."""
    day = datetime.now(ZoneInfo("Europe/Oslo")).date() + timedelta(days=1)
    while day.weekday() >= 5 or day in opening.public_holidays(day.year):
        day += timedelta(days=1)
    return day


@pytest.fixture(scope="module")
def plan_hub(live_server: Any) -> Iterator[dict[str, int]]:
    """A hub with three spaces, a plan, and two of them placed on it."""
    with live_server.app.app_context():
        hub = spaces.create_hub({"slug": SLUG, "name": "Planhuset", "municipality": "Lyngdal"})
        made = {
            name: spaces.create_space(hub, {"name": name, "kind": kind, "capacity": capacity})
            for name, kind, capacity in (
                ("Pult 2", "desk", 1),
                ("Pult 10", "desk", 1),
                ("Møterom Fjord", "meeting_room", 6),
            )
        }
        employee = accounts.find_user_by_email(live_server.seed.employee_email)
        accounts.grant_role(employee, hub, "member")
        floorplan.save_floor_plan(hub, png_bytes(400, 250), "plan.png")
        floorplan.place_spaces(
            hub,
            {
                f"x_{made['Pult 2'].id}": "25",
                f"y_{made['Pult 2'].id}": "40",
                f"x_{made['Møterom Fjord'].id}": "70",
                f"y_{made['Møterom Fjord'].id}": "60",
            },
        )
        ids = {name: space.id for name, space in made.items()}
        db.session.commit()
        db.session.remove()
    try:
        yield ids
    finally:
        with live_server.app.app_context():
            db.session.delete(spaces.get_hub(SLUG))
            db.session.commit()
            db.session.remove()


@pytest.fixture
def csp_errors(page: Any) -> list[str]:
    """Console messages about the Content-Security-Policy (there must be none)."""
    errors: list[str] = []
    page.on(
        "console",
        lambda message: (
            errors.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return errors


def test_book_from_the_plan_with_the_keyboard(
    page: Any, live_server: Any, login: Any, plan_hub: dict[str, int], csp_errors: list[str]
) -> None:
    login(page, live_server.seed.employee_email)
    day = next_open_day().isoformat()
    with page.expect_response(re.compile(r"/floorplan\.png")) as image:
        page.goto(f"/hubs/{SLUG}/floorplan?date={day}")
    assert image.value.status == 200
    markers = page.locator("svg.floorplan-svg a.plan-marker")
    expect(markers).to_have_count(2)
    # Sorted by name: the meeting room, then the desk.
    expect(markers.first).to_have_attribute("aria-label", re.compile(r"^Møterom Fjord – "))

    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.matches('a.plan-marker')"):
            break
    else:
        pytest.fail("Tab never reached a marker on the plan")
    focused = page.locator("a.plan-marker:focus")
    expect(focused).to_have_attribute("data-space-id", str(plan_hub["Møterom Fjord"]))
    # The focus is visible: the marker's shape gets the focus stroke.
    stroke = page.evaluate(
        "parseFloat(getComputedStyle(document.activeElement.querySelector('.marker-shape'))"
        ".strokeWidth)"
    )
    assert stroke >= 4, stroke

    page.keyboard.press("Tab")
    expect(page.locator("a.plan-marker:focus")).to_have_attribute(
        "data-space-id", str(plan_hub["Pult 2"])
    )
    with page.expect_navigation():
        page.keyboard.press("Enter")
    desk = plan_hub["Pult 2"]
    expect(page).to_have_url(live_server(f"/hubs/{SLUG}/book/{desk}?date={day}&part=day"))
    expect(page.locator("h1")).to_contain_text("Pult 2")
    assert csp_errors == []


def test_the_list_alternative_has_every_space(
    page: Any, live_server: Any, plan_hub: dict[str, int]
) -> None:
    page.goto(f"/hubs/{SLUG}/floorplan?date={next_open_day().isoformat()}")
    rows = page.locator("table.floorplan-places tbody tr")
    expect(rows).to_have_count(3)
    # Anonymous people see the plan; booking asks them to log in.
    page.locator(f"table.floorplan-places tr[data-space-id='{plan_hub['Pult 10']}'] a").click()
    expect(page).to_have_url(re.compile(r"/login\?next="))


def test_place_a_space_by_clicking_on_the_plan(
    page: Any, live_server: Any, login: Any, plan_hub: dict[str, int], csp_errors: list[str]
) -> None:
    login(page, live_server.seed.admin_email)
    page.goto(f"/admin/hubs/{SLUG}/floorplan")
    desk = plan_hub["Pult 10"]
    chooser = page.locator("#place-space")
    expect(chooser).to_be_visible()  # shown by floorplan.js
    chooser.select_option(str(desk))
    svg = page.locator("svg.floorplan-svg")
    box = svg.bounding_box()
    assert box is not None
    # Half way across, a quarter of the way down (the plan fills the whole box).
    svg.click(position={"x": box["width"] * 0.5, "y": box["height"] * 0.25})
    x = float(page.locator(f"#x_{desk}").input_value())
    y = float(page.locator(f"#y_{desk}").input_value())
    assert abs(x - 50) < 1.5 and abs(y - 25) < 1.5, (x, y)
    expect(page.locator(f".plan-marker[data-space-id='{desk}']")).to_be_visible()
    expect(page.locator("[data-floorplan-status]")).to_contain_text("Pult 10")
    with page.expect_navigation():
        page.get_by_role(
            "button", name=re.compile("Lagre plasseringene|Save the positions")
        ).click()
    expect(page.locator(f"#x_{desk}")).to_have_value(re.compile(r"^(49|50|51)(\.\d+)?$"))
    assert csp_errors == []
    # Take it off the plan again, from the keyboard and the inputs alone.
    page.locator(f"#x_{desk}").fill("")
    page.locator(f"#y_{desk}").fill("")
    page.locator(f"#y_{desk}").press("Enter")
    expect(page.locator(f"#x_{desk}")).to_have_value("")
    expect(page.locator(f".plan-marker[data-space-id='{desk}']")).to_be_hidden()


@pytest.mark.parametrize(
    ("who", "path"),
    [("employee", "/hubs/{slug}/floorplan"), ("admin", "/admin/hubs/{slug}/floorplan")],
)
def test_floor_plan_pages_have_no_axe_violations(
    page: Any, live_server: Any, login: Any, plan_hub: dict[str, int], who: str, path: str
) -> None:
    email = live_server.seed.employee_email if who == "employee" else live_server.seed.admin_email
    login(page, email)
    response = page.goto(path.format(slug=SLUG))
    assert response is not None and response.status == 200
    violations = axe_violations(page)
    assert violations == [], format_violations(path, violations)


def test_floor_plan_pages_reflow_at_320_css_pixels(
    page: Any, live_server: Any, login: Any, plan_hub: dict[str, int]
) -> None:
    """WCAG 1.4.10: the plan shrinks with the window; only the tables may scroll."""
    login(page, live_server.seed.admin_email)
    page.set_viewport_size({"width": 320, "height": 640})
    for path in (f"/hubs/{SLUG}/floorplan", f"/admin/hubs/{SLUG}/floorplan"):
        page.goto(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 320, f"{path} is {width} px wide at a 320 px viewport"
        box = page.locator("svg.floorplan-svg").bounding_box()
        assert box is not None and box["width"] <= 320
