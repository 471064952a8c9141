"""A person downloads their data and deletes their account, with the keyboard, in Chromium.

A fresh person is made for each run (the seed's people are shared with other
tests). Elements are found by href, form action, id and role, not by UI text.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from browser_support import PASSWORD, axe_violations, format_violations
from playwright.sync_api import expect

from hub.accounts import service as accounts
from hub.accounts.models import Organization
from hub.extensions import db

pytestmark = pytest.mark.browser


def _new_person(live_server: Any) -> str:
    email = f"slett-{uuid.uuid4().hex[:8]}@example.no"
    with live_server.app.app_context():
        home = db.session.scalars(sa.select(Organization).order_by(Organization.id)).first()
        values = {"email": email, "name": "Kari Sletteby", "home_organization_id": home.id}
        accounts.create_user(values, password=PASSWORD)
        db.session.commit()
    return email


def test_download_data_then_delete_the_account(page: Any, live_server: Any, login: Any) -> None:
    email = _new_person(live_server)
    login(page, email)

    page.goto("/profile")
    with page.expect_download() as download:
        page.locator("main a[href='/profile/data.json']").click()
    data = json.loads(download.value.path().read_text(encoding="utf-8"))
    assert data["profile"]["email"] == email

    page.locator("main a[href='/profile/delete']").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(live_server("/profile/delete"))
    violations = axe_violations(page)
    assert not violations, format_violations("/profile/delete", violations)

    # A wrong password: the page says so at the field, and nothing is deleted.
    page.locator("#password").focus()
    page.keyboard.type("not-my-password")
    page.keyboard.press("Enter")
    expect(page.locator("#password")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#error-summary")).to_be_visible()
    with live_server.app.app_context():
        assert accounts.find_user_by_email(email) is not None

    page.locator("#password").focus()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(live_server("/"))
    expect(page.locator(".flash")).to_have_count(1)
    expect(page.locator("nav a[href='/login']")).to_be_visible()

    # The account is gone: logging in again fails.
    login(page, email)
    expect(page).to_have_url(live_server("/login"))
