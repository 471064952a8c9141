"""Fixtures for the browser tests: a live Hub on SQLite and Debian's Chromium.

These tests need only SQLite (the database matrix is covered by the other
tests), so they do not use the backend-parametrized ``app`` fixture from
tests/conftest.py. One app is built and seeded per session and served from a
background thread with werkzeug's ``make_server`` on 127.0.0.1 and a free port.

Chromium is Debian's (/usr/bin/chromium, or HUB_CHROMIUM); Playwright never
downloads a browser. Without it the tests skip with the reason, except when
CI=true or HUB_REQUIRE_BROWSER=1, where they fail.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from browser_support import CHROMIUM, CHROMIUM_ARGS, PASSWORD
from flask import Flask
from flask_migrate import upgrade
from werkzeug.serving import make_server

from hub import create_app
from hub.accounts import service as accounts
from hub.extensions import db
from hub.finance import service as finance
from hub.spaces import service as spaces


def _browser_required() -> bool:
    return (
        os.environ.get("CI", "").lower() == "true" or os.environ.get("HUB_REQUIRE_BROWSER") == "1"
    )


@dataclass(frozen=True)
class Seed:
    """What the tests can rely on being in the database."""

    hub_slug: str
    hub_name: str
    admin_email: str
    employee_email: str
    password: str = PASSWORD


@dataclass(frozen=True)
class LiveServer:
    url: str
    app: Flask
    seed: Seed

    def __call__(self, path: str = "/") -> str:
        return self.url + path


def _seed() -> Seed:
    """One hub with a space of each kind, organizations, memberships, costs, users."""
    host = accounts.create_organization({"name": "Lyngdal kommune", "kind": "municipality"})
    nav = accounts.create_organization(
        {"name": "NAV Agder", "short_name": "NAV", "kind": "state_agency"}
    )
    county = accounts.create_organization({"name": "Agder fylkeskommune", "kind": "county"})
    hub = spaces.create_hub(
        {
            "slug": "regionlab-lister",
            "name": "RegionLab Lister",
            "municipality": "Lyngdal",
            "address": "Alleen 2, 4580 Lyngdal",
            "description": "Kontorfellesskap for offentlige virksomheter i Lister.",
            "contact_email": "vertskap@lyngdal.kommune.no",
        }
    )
    spaces.create_hub(
        {"slug": "sentrumsgarden", "name": "Sentrumsgården", "municipality": "Narvik"}
    )
    for values in (
        {"name": "Cellekontor 1", "kind": "cell", "capacity": 1, "area_m2": "10.5"},
        {"name": "Åpen plass A", "kind": "desk", "capacity": 1, "area_m2": "6"},
        {"name": "Møterom Lista", "kind": "meeting_room", "capacity": 8, "area_m2": "24"},
        {"name": "Kantine", "kind": "common_area", "capacity": 0, "area_m2": "40"},
    ):
        spaces.create_space(hub, values)
    start = date(date.today().year, 1, 1)
    end = date(start.year, 12, 31)
    accounts.create_membership(
        hub, {"organization_id": host.id, "kind": "host", "starts_on": start}
    )
    accounts.create_membership(
        hub,
        {
            "organization_id": nav.id,
            "kind": "partner",
            "starts_on": start,
            "yearly_amount_ore": 12_000_000,
            "carries_residual": True,
        },
    )
    accounts.create_membership(
        hub,
        {
            "organization_id": county.id,
            "kind": "guest",
            "starts_on": start,
            "desk_day_rate_ore": 15_000,
        },
    )
    finance.create_cost_item(
        hub,
        {
            "category": "rent",
            "description": "Husleie",
            "amount_ore": 48_000_000,
            "starts_on": start,
            "ends_on": end,
        },
    )
    finance.create_funding(
        hub,
        {
            "kind": "grant",
            "source": "Agder fylkeskommune",
            "description": "Pilottilskudd",
            "amount_ore": 10_000_000,
            "starts_on": start,
            "ends_on": end,
        },
    )
    admin = accounts.create_user(
        {
            "email": "admin@example.no",
            "name": "Sara Systemadministrator",
            "home_organization_id": host.id,
            "is_system_admin": True,
        },
        password=PASSWORD,
    )
    accounts.grant_role(admin, hub, "admin")
    employee = accounts.create_user(
        {"email": "ola@example.no", "name": "Ola Nordmann", "home_organization_id": nav.id},
        password=PASSWORD,
    )
    accounts.grant_role(employee, hub, "member")
    accounts.grant_role(employee, hub, "partner_contact", nav.id)
    return Seed(
        hub_slug=hub.slug,
        hub_name=hub.name,
        admin_email=admin.email,
        employee_email=employee.email,
    )


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder: Path = tmp_path_factory.mktemp("browser")
    config: dict[str, Any] = {
        "DATABASE_URL": f"sqlite:///{folder / 'hub-browser.sqlite3'}",
        "SECRET_KEY": "browser-test-secret",
        "WTF_CSRF_ENABLED": True,
        "MAIL_CAPTURE": True,
    }
    app = create_app(config)
    with app.app_context():
        upgrade()
        seed = _seed()
        db.session.commit()
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    app.config["PUBLIC_URL"] = url
    thread = threading.Thread(target=server.serve_forever, name="hub-live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(url=url, app=app, seed=seed)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        reason = f"Chromium not found at {CHROMIUM}: apt-get install chromium (or set HUB_CHROMIUM)"
        if _browser_required():
            pytest.fail(f"{reason} (CI=true or HUB_REQUIRE_BROWSER=1 makes this a failure)")
        print(f"\nSKIP browser tests: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def context(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    """A fresh browser profile (no cookies) per test, 1280 px wide."""
    ctx = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    ctx.set_default_timeout(10_000)
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.fixture
def page(context: Any) -> Any:
    return context.new_page()


# --- helpers handed to tests as callables ----------------------------------


@pytest.fixture
def login(live_server: LiveServer) -> Any:
    """Log in through the form like a person: type, then press Enter."""

    def do_login(page: Any, email: str | None = None, password: str = PASSWORD) -> None:
        page.goto("/login")
        page.locator("#email").focus()
        page.keyboard.type(email or live_server.seed.admin_email)
        page.locator("#password").focus()
        page.keyboard.type(password)
        with page.expect_navigation():
            page.keyboard.press("Enter")

    return do_login


@pytest.fixture
def set_language() -> Any:
    """Press the language switcher's button for `code` and wait for <html lang>."""

    def choose(page: Any, code: str) -> None:
        from playwright.sync_api import expect

        button = page.locator(f'form.language-form button[name="language"][value="{code}"]')
        with page.expect_navigation():
            button.click()
        expect(page.locator("html")).to_have_attribute("lang", code)

    return choose
