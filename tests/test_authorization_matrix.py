"""Every route, called as every role, gets the answer the rules say.

One world (tests/world_support.py): hubs X and Y, agencies A and B partners of
both, an employee of A who books in X, a partner contact of B in X, an admin of
hub X only, an admin of hub Y and a system admin. Each route is called once per
role with addresses that point at somebody else's objects: hub Y's for the
admin of X, agency A's statements and bookings for the partner contact of B.

Expectations are five letters, one per role in ``ROLES`` order:
``a`` allowed (anything but 401/403/a login redirect/5xx: the empty body may well
be a 422, a 409 or a 404 for an allowed role), ``d`` denied (403; for anonymous a
redirect to /login on pages and 401 in the API), ``n`` not found (404 that hides
whether it exists). A route without an expectation fails the test, so new routes
cannot slip through. Denied writes must not change any table's row count.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from world_support import PASSWORD, World, build_world, fake_download

from hub.calendar import external
from hub.extensions import db

ROLES = ("anonymous", "employee", "partner", "admin_x", "system_admin")

PUBLIC = "aaaaa"
USER = "daaaa"
SYSTEM = "dddda"  # system admins only; for hub Y's admin pages: the admin of X is denied
ADMINS = "dddaa"  # any hub admin (the shared register of organizations), or system admin


@dataclass(frozen=True)
class Call:
    endpoint: str
    method: str
    url: str  # a format string over ``_targets(world)``
    expect: str  # one letter per role in ROLES


# --- the pages -------------------------------------------------------------------------

Y = "/admin/hubs/{y}"
PAGES = [
    Call("spaces.hub_list", "GET", "/", PUBLIC),
    Call("health.healthz", "GET", "/healthz", PUBLIC),
    Call("accounts.login", "GET", "/login", PUBLIC),
    Call("accounts.login", "POST", "/login", PUBLIC),
    Call("accounts.forgot_password", "GET", "/password/forgot", PUBLIC),
    Call("accounts.forgot_password", "POST", "/password/forgot", PUBLIC),
    Call("accounts.reset_password", "GET", "/password/reset/not-a-token", PUBLIC),
    Call("accounts.reset_password", "POST", "/password/reset/not-a-token", PUBLIC),
    Call("accounts.accept_invitation", "GET", "/invitation/not-a-token", PUBLIC),
    Call("accounts.accept_invitation", "POST", "/invitation/not-a-token", PUBLIC),
    Call("accounts.set_language", "POST", "/language", PUBLIC),
    Call("sso.start", "GET", "/login/sso", PUBLIC),
    Call("sso.callback", "GET", "/login/sso/callback", PUBLIC),
    Call("calendar.feed", "GET", "/feeds/{feed_secret}.ics", PUBLIC),
    Call("spaces.hub_detail", "GET", "/hubs/{x}", PUBLIC),
    Call("booking.hub_availability", "GET", "/hubs/{x}/availability", PUBLIC),
    Call("booking.book", "GET", "/hubs/{y}/book/{desk_y}", USER),
    Call("booking.book", "POST", "/hubs/{y}/book/{desk_y}", USER),
    Call("booking.book_series", "GET", "/hubs/{y}/book/{desk_y}/weekly", USER),
    Call("booking.book_series", "POST", "/hubs/{y}/book/{desk_y}/weekly", USER),
    Call("floorplan.view", "GET", "/hubs/{x}/floorplan", PUBLIC),
    Call("floorplan.image", "GET", "/hubs/{x}/floorplan.png", PUBLIC),
    Call("booking.space_checkin", "GET", "/s/{space_code}", USER),
    Call("booking.space_checkin", "POST", "/s/{space_code}", USER),
    Call("booking.my_bookings", "GET", "/bookings", USER),
    Call("calendar.booking_ics", "GET", "/bookings/{booking}.ics", "danaa"),
    Call("booking.check_in", "POST", "/bookings/{booking}/check-in", "danaa"),
    Call("booking.check_out", "POST", "/bookings/{booking}/check-out", "dandd"),
    Call("booking.cancel_series", "POST", "/bookings/{booking}/cancel-series", "danaa"),
    Call("booking.cancel", "POST", "/bookings/{booking}/cancel", "danaa"),
    Call("statements.index", "GET", "/statements", USER),
    Call("statements.partner_list", "GET", "/hubs/{x}/statements", "ddaaa"),
    Call("statements.partner_detail", "GET", "/hubs/{x}/statements/{statement_a}", "dddaa"),
    Call("statements.partner_pdf", "GET", "/hubs/{x}/statements/{statement_a}.pdf", "dddaa"),
    Call("usage.index", "GET", "/usage", USER),
    Call("usage.hub_usage", "GET", "/hubs/{x}/usage", "ddaaa"),
    Call("usage.usage_export", "GET", "/hubs/{y}/usage/export", SYSTEM),
    Call("accounts.profile", "GET", "/profile", USER),
    Call("accounts.profile", "POST", "/profile", USER),
    Call("accounts.change_password", "GET", "/profile/password", USER),
    Call("accounts.change_password", "POST", "/profile/password", USER),
    Call("accounts.tokens", "GET", "/profile/tokens", USER),
    Call("accounts.tokens", "POST", "/profile/tokens", USER),
    Call("accounts.revoke_token", "POST", "/profile/tokens/{root_token}/revoke", "dnnna"),
    Call("calendar.subscriptions", "GET", "/profile/calendar", USER),
    Call("calendar.subscribe", "POST", "/profile/calendar", USER),
    Call("calendar.renew", "POST", "/profile/calendar/{employee_feed}/renew", "dannn"),
    Call("calendar.turn_off", "POST", "/profile/calendar/{employee_feed}/turn-off", "dannn"),
    Call("privacy.export", "GET", "/profile/data.json", USER),
    Call("privacy.delete_account", "GET", "/profile/delete", USER),
    Call("privacy.delete_account", "POST", "/profile/delete", USER),
    Call("accounts.logout", "POST", "/logout", PUBLIC),
    # administration
    Call("accounts_admin.index", "GET", "/admin/", ADMINS),
    Call("audit.index", "GET", "/admin/audit", ADMINS),
    Call("outbox.index", "GET", "/admin/mail/", SYSTEM),
    Call("outbox.send_again", "POST", "/admin/mail/1/send-again", SYSTEM),
    Call("spaces_admin.hub_new", "GET", "/admin/hubs/new", SYSTEM),
    Call("spaces_admin.hub_new", "POST", "/admin/hubs/new", SYSTEM),
    Call("accounts_admin.organization_list", "GET", "/admin/organizations", ADMINS),
    Call("accounts_admin.organization_new", "GET", "/admin/organizations/new", ADMINS),
    Call("accounts_admin.organization_new", "POST", "/admin/organizations/new", ADMINS),
    Call("accounts_admin.organization_edit", "GET", "/admin/organizations/{org_a}", ADMINS),
    Call("accounts_admin.organization_edit", "POST", "/admin/organizations/{org_a}", ADMINS),
    Call("accounts_admin.user_list", "GET", "/admin/users", ADMINS),
    Call("accounts_admin.user_invite", "GET", "/admin/users/invite", ADMINS),
    Call("accounts_admin.user_invite", "POST", "/admin/users/invite", ADMINS),
    Call("accounts_admin.user_edit", "GET", "/admin/users/{user_admin_y}", SYSTEM),
    Call("accounts_admin.user_edit", "POST", "/admin/users/{user_admin_y}", SYSTEM),
    Call("spaces_admin.hub_overview", "GET", Y, SYSTEM),
    Call("spaces_admin.hub_edit", "GET", Y + "/edit", SYSTEM),
    Call("spaces_admin.hub_edit", "POST", Y + "/edit", SYSTEM),
    Call("spaces_admin.opening_hours", "GET", Y + "/opening-hours", SYSTEM),
    Call("spaces_admin.opening_hours", "POST", Y + "/opening-hours", SYSTEM),
    Call("spaces_admin.closures", "GET", Y + "/closures", SYSTEM),
    Call("spaces_admin.closures", "POST", Y + "/closures", SYSTEM),
    Call("spaces_admin.closure_delete", "POST", Y + "/closures/{closure_y}/delete", SYSTEM),
    Call("spaces_admin.space_list", "GET", Y + "/spaces", SYSTEM),
    Call("spaces_admin.space_new", "GET", Y + "/spaces/new", SYSTEM),
    Call("spaces_admin.space_new", "POST", Y + "/spaces/new", SYSTEM),
    Call("spaces_admin.space_edit", "GET", Y + "/spaces/{desk_y}", SYSTEM),
    Call("spaces_admin.space_edit", "POST", Y + "/spaces/{desk_y}", SYSTEM),
    Call("booking.space_sign", "GET", Y + "/spaces/{desk_y}/sign", SYSTEM),
    Call(
        "spaces_admin.external_calendar_follow",
        "POST",
        Y + "/spaces/{room_y}/external-calendar",
        SYSTEM,
    ),
    Call(
        "spaces_admin.external_calendar_fetch",
        "POST",
        Y + "/spaces/{room_y}/external-calendar/fetch",
        SYSTEM,
    ),
    Call(
        "spaces_admin.external_calendar_unfollow",
        "POST",
        Y + "/spaces/{room_y}/external-calendar/delete",
        SYSTEM,
    ),
    Call("spaces_admin.space_delete", "POST", Y + "/spaces/{desk_y}/delete", SYSTEM),
    Call("floorplan.edit", "GET", Y + "/floorplan", SYSTEM),
    Call("floorplan.upload", "POST", Y + "/floorplan/image", SYSTEM),
    Call("floorplan.place", "POST", Y + "/floorplan/positions", SYSTEM),
    Call("floorplan.remove", "POST", Y + "/floorplan/delete", SYSTEM),
    Call("booking.approvals", "GET", Y + "/approvals", SYSTEM),
    Call("booking.decide", "POST", Y + "/approvals/{booking_y}", SYSTEM),
    Call("booking.hub_bookings", "GET", Y + "/bookings", SYSTEM),
    Call("accounts_admin.membership_list", "GET", Y + "/memberships", SYSTEM),
    Call("accounts_admin.membership_new", "GET", Y + "/memberships/new", SYSTEM),
    Call("accounts_admin.membership_new", "POST", Y + "/memberships/new", SYSTEM),
    Call("accounts_admin.membership_edit", "GET", Y + "/memberships/{membership_y}", SYSTEM),
    Call("accounts_admin.membership_edit", "POST", Y + "/memberships/{membership_y}", SYSTEM),
    Call(
        "accounts_admin.membership_delete",
        "POST",
        Y + "/memberships/{membership_y}/delete",
        SYSTEM,
    ),
    Call("accounts_admin.hub_roles", "GET", Y + "/people", SYSTEM),
    Call("accounts_admin.hub_roles", "POST", Y + "/people", SYSTEM),
    Call("accounts_admin.hub_role_revoke", "POST", Y + "/people/{role_admin_y}/revoke", SYSTEM),
    Call("finance.cost_list", "GET", Y + "/costs", SYSTEM),
    Call("finance.cost_new", "GET", Y + "/costs/new", SYSTEM),
    Call("finance.cost_new", "POST", Y + "/costs/new", SYSTEM),
    Call("finance.cost_edit", "GET", Y + "/costs/{cost_item_y}", SYSTEM),
    Call("finance.cost_edit", "POST", Y + "/costs/{cost_item_y}", SYSTEM),
    Call("finance.cost_delete", "POST", Y + "/costs/{cost_item_y}/delete", SYSTEM),
    Call("finance.funding_new", "GET", Y + "/funding/new", SYSTEM),
    Call("finance.funding_new", "POST", Y + "/funding/new", SYSTEM),
    Call("finance.funding_edit", "GET", Y + "/funding/{funding_y}", SYSTEM),
    Call("finance.funding_edit", "POST", Y + "/funding/{funding_y}", SYSTEM),
    Call("finance.funding_delete", "POST", Y + "/funding/{funding_y}/delete", SYSTEM),
    Call("financing.overview", "GET", Y + "/financing", SYSTEM),
    Call("financing.overview", "POST", Y + "/financing", SYSTEM),
    Call("financing.cost_share_csv", "GET", Y + "/financing/cost-share.csv", SYSTEM),
    Call("financing.whatif", "GET", Y + "/financing/what-if", SYSTEM),
    Call("financing.whatif_save", "POST", Y + "/financing/what-if/save", SYSTEM),
    Call("statements.admin_list", "GET", Y + "/statements", SYSTEM),
    Call("statements.admin_csv", "GET", Y + "/statements.csv", SYSTEM),
    Call("statements.admin_detail", "GET", Y + "/statements/{statement_y}", SYSTEM),
    Call("statements.admin_pdf", "GET", Y + "/statements/{statement_y}.pdf", SYSTEM),
    Call("statements.admin_create_drafts", "POST", Y + "/statements/drafts", SYSTEM),
    Call("statements.admin_refresh", "POST", Y + "/statements/{statement_y}/refresh", SYSTEM),
    Call("statements.admin_issue", "POST", Y + "/statements/{statement_y}/issue", SYSTEM),
    Call("statements.admin_redraft", "POST", Y + "/statements/{statement_y}/redraft", SYSTEM),
    Call(
        "statements.admin_retry_delivery",
        "POST",
        Y + "/statements/deliveries/{delivery_y}/retry",
        SYSTEM,
    ),
    Call("statements.admin_credit", "POST", Y + "/statements/{statement_y}/credit", SYSTEM),
    Call("statements.admin_delete", "POST", Y + "/statements/{statement_y}/delete", SYSTEM),
    Call("statements.admin_close_period", "POST", Y + "/statements/close", SYSTEM),
    Call("usage_events.event_list", "GET", Y + "/events", SYSTEM),
    Call("usage_events.event_new", "GET", Y + "/events/new", SYSTEM),
    Call("usage_events.event_new", "POST", Y + "/events/new", SYSTEM),
    Call("usage_events.event_edit", "GET", Y + "/events/{event_y}", SYSTEM),
    Call("usage_events.event_edit", "POST", Y + "/events/{event_y}", SYSTEM),
    Call("usage_events.event_delete", "POST", Y + "/events/{event_y}/delete", SYSTEM),
    Call("usage_imports.import_list", "GET", Y + "/usage-imports", SYSTEM),
    Call("usage_imports.import_new", "GET", Y + "/usage-imports/new", SYSTEM),
    Call("usage_imports.import_new", "POST", Y + "/usage-imports/new", SYSTEM),
    Call("usage_imports.import_preview", "GET", Y + "/usage-imports/{import_y}", SYSTEM),
    Call(
        "usage_imports.import_bad_lines",
        "GET",
        Y + "/usage-imports/{import_y}/bad-lines.csv",
        SYSTEM,
    ),
    Call("usage_imports.import_confirm", "POST", Y + "/usage-imports/{import_y}/confirm", SYSTEM),
    Call("usage_imports.import_discard", "POST", Y + "/usage-imports/{import_y}/discard", SYSTEM),
]

# --- the JSON API (anonymous means no Bearer token) ---------------------------------

H = "/api/v1/hubs/{y}"
API = [
    Call("api.openapi_document", "GET", "/api/v1/openapi.json", PUBLIC),
    Call("api.get_me", "GET", "/api/v1/me", USER),
    Call("api.get_my_data", "GET", "/api/v1/me/data", USER),
    Call("api.list_tokens", "GET", "/api/v1/me/tokens", USER),
    Call("api.create_token", "POST", "/api/v1/me/tokens", USER),
    Call("api.revoke_token", "DELETE", "/api/v1/me/tokens/{root_token}", "dnnna"),
    Call("api.list_my_feeds", "GET", "/api/v1/me/feeds", USER),
    Call("api.renew_my_feed", "POST", "/api/v1/me/feed", USER),
    Call("api.revoke_feed", "DELETE", "/api/v1/me/feeds/{employee_feed}", "dannn"),
    Call("api.revoke_my_feed", "DELETE", "/api/v1/me/feed", USER),
    Call("api.delete_me", "DELETE", "/api/v1/me", USER),
    Call("api.list_audit_events", "GET", "/api/v1/audit-events", ADMINS),
    Call("api.list_hubs", "GET", "/api/v1/hubs", USER),
    Call("api.create_hub", "POST", "/api/v1/hubs", SYSTEM),
    Call("api.get_hub", "GET", H, USER),
    Call("api.update_hub", "PATCH", H, SYSTEM),
    Call("api.list_approvals", "GET", H + "/approvals", SYSTEM),
    Call("api.hub_availability", "GET", H + "/availability", USER),
    Call("api.list_closed_periods", "GET", H + "/closed-periods", SYSTEM),
    Call("api.close_period", "POST", H + "/closed-periods", SYSTEM),
    Call("api.list_closures", "GET", H + "/closures", USER),
    Call("api.create_closure", "POST", H + "/closures", SYSTEM),
    Call("api.delete_closure", "DELETE", H + "/closures/2030-01-08", SYSTEM),
    Call("api.list_cost_items", "GET", H + "/cost-items", SYSTEM),
    Call("api.create_cost_item", "POST", H + "/cost-items", SYSTEM),
    Call("api.get_cost_share", "GET", H + "/cost-share", SYSTEM),
    Call("api.list_events", "GET", H + "/events", SYSTEM),
    Call("api.create_event", "POST", H + "/events", SYSTEM),
    Call("api.get_event", "GET", H + "/events/{event_y}", SYSTEM),
    Call("api.update_event", "PATCH", H + "/events/{event_y}", SYSTEM),
    Call("api.delete_event", "DELETE", H + "/events/{event_y}", SYSTEM),
    Call("api.renew_hub_feed", "POST", H + "/feed", SYSTEM),
    Call("api.get_financing_model", "GET", H + "/financing-models/2030", SYSTEM),
    Call("api.put_financing_model", "PUT", H + "/financing-models/2030", SYSTEM),
    Call("api.list_funding", "GET", H + "/funding", SYSTEM),
    Call("api.create_funding", "POST", H + "/funding", SYSTEM),
    Call("api.create_invitation", "POST", H + "/invitations", SYSTEM),
    Call("api.list_memberships", "GET", H + "/memberships", SYSTEM),
    Call("api.create_membership", "POST", H + "/memberships", SYSTEM),
    Call("api.hub_occupancy", "GET", H + "/occupancy", SYSTEM),
    Call("api.get_opening_hours", "GET", H + "/opening-hours", USER),
    Call("api.put_opening_hours", "PUT", H + "/opening-hours", SYSTEM),
    Call("api.list_roles", "GET", H + "/roles", SYSTEM),
    Call("api.grant_role", "POST", H + "/roles", SYSTEM),
    Call("api.list_spaces", "GET", H + "/spaces", USER),
    Call("api.create_space", "POST", H + "/spaces", SYSTEM),
    Call("api.list_statements", "GET", H + "/statements", SYSTEM),
    Call("api.create_statement", "POST", H + "/statements", SYSTEM),
    Call("api.create_statement_drafts", "POST", H + "/statements/drafts", SYSTEM),
    Call("api.hub_usage", "GET", H + "/usage", SYSTEM),
    Call("api.list_usage_imports", "GET", H + "/usage-imports", SYSTEM),
    Call("api.create_usage_import", "POST", H + "/usage-imports", SYSTEM),
    Call("api.get_usage_import", "GET", H + "/usage-imports/{import_y}", SYSTEM),
    Call("api.confirm_usage_import", "POST", H + "/usage-imports/{import_y}/confirm", SYSTEM),
    Call("api.discard_usage_import", "POST", H + "/usage-imports/{import_y}/discard", SYSTEM),
    Call("api.list_bookings", "GET", "/api/v1/bookings", USER),
    Call("api.create_booking", "POST", "/api/v1/bookings", USER),
    Call("api.get_booking", "GET", "/api/v1/bookings/{booking}", "danaa"),
    Call("api.check_in", "POST", "/api/v1/bookings/{booking}/check-in", "danaa"),
    Call("api.check_out", "POST", "/api/v1/bookings/{booking}/check-out", "dandd"),
    Call("api.approve_booking", "POST", "/api/v1/bookings/{booking_y}/approve", "dnnna"),
    Call("api.decline_booking", "POST", "/api/v1/bookings/{booking_y}/decline", "dnnna"),
    Call("api.cancel_booking", "DELETE", "/api/v1/bookings/{booking}", "danaa"),
    Call("api.get_cost_item", "GET", "/api/v1/cost-items/{cost_item_y}", SYSTEM),
    Call("api.update_cost_item", "PATCH", "/api/v1/cost-items/{cost_item_y}", SYSTEM),
    Call("api.delete_cost_item", "DELETE", "/api/v1/cost-items/{cost_item_y}", SYSTEM),
    Call("api.get_funding", "GET", "/api/v1/funding/{funding_y}", SYSTEM),
    Call("api.update_funding", "PATCH", "/api/v1/funding/{funding_y}", SYSTEM),
    Call("api.delete_funding", "DELETE", "/api/v1/funding/{funding_y}", SYSTEM),
    Call("api.get_membership", "GET", "/api/v1/memberships/{membership_y}", SYSTEM),
    Call("api.update_membership", "PATCH", "/api/v1/memberships/{membership_y}", SYSTEM),
    Call("api.delete_membership", "DELETE", "/api/v1/memberships/{membership_y}", SYSTEM),
    Call("api.list_organizations", "GET", "/api/v1/organizations", USER),
    Call("api.create_organization", "POST", "/api/v1/organizations", ADMINS),
    Call("api.get_organization", "GET", "/api/v1/organizations/{org_a}", USER),
    Call("api.update_organization", "PATCH", "/api/v1/organizations/{org_a}", ADMINS),
    Call("api.renew_organization_feed", "POST", "/api/v1/organizations/{org_a}/feed", SYSTEM),
    Call("api.revoke_role", "DELETE", "/api/v1/roles/{role_admin_y}", SYSTEM),
    Call("api.get_space", "GET", "/api/v1/spaces/{desk_y}", USER),
    Call("api.update_space", "PATCH", "/api/v1/spaces/{desk_y}", SYSTEM),
    Call("api.renew_space_feed", "POST", "/api/v1/spaces/{desk_y}/feed", SYSTEM),
    Call("api.get_external_calendar", "GET", "/api/v1/spaces/{room_y}/external-calendar", SYSTEM),
    Call(
        "api.follow_external_calendar",
        "PUT",
        "/api/v1/spaces/{room_y}/external-calendar",
        SYSTEM,
    ),
    Call(
        "api.fetch_external_calendar",
        "POST",
        "/api/v1/spaces/{room_y}/external-calendar/fetch",
        SYSTEM,
    ),
    Call(
        "api.unfollow_external_calendar",
        "DELETE",
        "/api/v1/spaces/{room_y}/external-calendar",
        SYSTEM,
    ),
    Call("api.delete_space", "DELETE", "/api/v1/spaces/{desk_y}", SYSTEM),
    Call("api.get_statement", "GET", "/api/v1/statements/{statement_a}", "dddaa"),
    Call("api.get_statement_pdf", "GET", "/api/v1/statements/{statement_a}/pdf", "dddaa"),
    Call("api.issue_statement", "POST", "/api/v1/statements/{statement_y}/issue", SYSTEM),
    Call("api.credit_statement", "POST", "/api/v1/statements/{statement_y}/credit", SYSTEM),
    Call("api.delete_statement", "DELETE", "/api/v1/statements/{statement_y}", SYSTEM),
    Call("api.list_users", "GET", "/api/v1/users", ADMINS),
    Call("api.get_user", "GET", "/api/v1/users/{user_admin_y}", SYSTEM),
    Call("api.update_user", "PATCH", "/api/v1/users/{user_admin_y}", SYSTEM),
]
CALLS = PAGES + API


def _targets(world: World) -> dict[str, Any]:
    """The values the addresses in the tables are filled with."""
    ids = world.ids
    return {
        "x": world.hub_x.slug,
        "y": world.hub_y.slug,
        "desk_y": world.desk_y.id,
        "room_y": ids["room_y"],
        "booking": world.booking_employee.id,
        "booking_y": world.booking_admin_y.id,
        "statement_a": world.statement_a.id,
        "statement_y": world.statement_y_a.id,
        "org_a": world.org_a.id,
        "user_admin_y": world.people["admin_y"].id,
        "root_token": ids["api_token_system_admin"],
        "employee_feed": ids["feed_employee_personal"],
        "feed_secret": world.feed_tokens["employee_personal"],
        "space_code": world.desk_x.checkin_code,
        **{key: ids[key] for key in ("closure_y", "event_y", "funding_y", "import_y")},
        **{key: ids[key] for key in ("delivery_y", "cost_item_y", "membership_y", "role_admin_y")},
    }


# --- running it --------------------------------------------------------------------------

DESTRUCTIVE = re.compile(r"/(delete|revoke|turn-off|discard|cancel|cancel-series)$")


def _phase(call: Call) -> int:
    """Reads first, then writes, then what removes things; logging out and deleting last."""
    if call.method == "GET":
        return 0
    if call.endpoint in ("accounts.logout", "privacy.delete_account", "api.delete_me"):
        return 3
    if call.method == "DELETE" or DESTRUCTIVE.search(call.url):
        return 2
    return 1


def _outcome(role: str, response: Any) -> str:
    """One letter for the answer; a logged-in role sent to the login page is ``L``."""
    status = response.status_code
    if status >= 500:
        return "5"
    to_login = status in (301, 302, 303) and "/login" in (response.location or "")
    if status == 401 or to_login:
        return "d" if role == "anonymous" else "L"
    if status == 403:
        return "d" if role != "anonymous" else "3"
    if status == 404:
        return "n"
    return "a"


def _allows(expected: str, outcome: str) -> bool:
    """An allowed role may get a 404 for an object the empty request could not find."""
    return outcome == expected or (expected == "a" and outcome == "n")


def _row_counts() -> tuple[int, ...]:
    tables = db.metadata.sorted_tables
    query = sa.select(
        *(sa.select(sa.func.count()).select_from(t).scalar_subquery() for t in tables)
    )
    return tuple(db.session.execute(query).one())


@pytest.fixture
def world(app: Flask, monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.setattr(external, "download", fake_download)
    return build_world(password=PASSWORD)


def _as(client: FlaskClient, world: World, role: str) -> dict[str, str]:
    """Logs the role in for the pages and returns the API headers."""
    if role == "anonymous":
        return {}
    user = world.people[role]
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)
    return {"Authorization": f"Bearer {world.api_tokens[role]}"}


def _run(client: FlaskClient, world: World, role: str) -> Iterator[tuple[Call, str, str]]:
    headers = _as(client, world, role)
    targets = _targets(world)
    column = ROLES.index(role)
    for call in sorted(CALLS, key=_phase):
        url = call.url.format(**targets)
        before = _row_counts() if call.method != "GET" else None
        try:
            response = client.open(url, method=call.method, headers=headers)
            outcome = _outcome(role, response)
            detail = f"{response.status_code} {response.location or ''}".strip()
        except Exception as exc:  # an error the app let through
            db.session.rollback()
            outcome, detail = "5", repr(exc)
        expected = call.expect[column]
        if outcome in "dn" and before is not None and _row_counts() != before:
            detail += " and CHANGED ROW COUNTS"
            outcome = "!"
        yield call, expected, f"{outcome} ({detail})"


def _check(client: FlaskClient, world: World, role: str) -> None:
    problems = []
    for call, expected, got in _run(client, world, role):
        if not _allows(expected, got[0]):
            problems.append(
                f"{call.endpoint} {call.method} {call.url}: expected {expected}, got {got}"
            )
    assert not problems, f"{role}: {len(problems)} mismatches:\n" + "\n".join(problems)


def test_every_route_has_an_expectation(app: Flask) -> None:
    routes = {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in rule.methods or ()
        if method not in ("HEAD", "OPTIONS")
    }
    covered = {(call.endpoint, call.method) for call in CALLS}
    assert not routes - covered, f"routes without an expectation: {sorted(routes - covered)}"
    assert not covered - routes, (
        f"expectations for routes that do not exist: {sorted(covered - routes)}"
    )
    assert all(len(call.expect) == len(ROLES) for call in CALLS)


@pytest.mark.parametrize("role", ROLES)
def test_every_route_as(client: FlaskClient, world: World, role: str) -> None:
    _check(client, world, role)


# --- a partner contact of B never sees agency A's money or usage ------------------------

Q1 = "from=2030-01-01&to=2030-03-31"


def _pdf_text(data: bytes) -> str:
    import io

    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def _assert_nothing_of_a(world: World, body: str, where: str) -> None:
    for secret in (world.org_a.name, world.statement_a.number, world.statement_y_a.number):
        assert secret not in body, f"{where} shows {secret!r} to the partner contact of B"


def test_partner_contact_of_b_sees_no_statement_of_a_on_the_pages(
    client: FlaskClient, world: World
) -> None:
    _as(client, world, "partner")
    a, b = world.statement_a, world.statement_b

    listing = client.get("/statements", follow_redirects=True)
    assert listing.status_code == 200
    page = listing.get_data(as_text=True)
    assert b.number in page and world.credit_b.number in page
    _assert_nothing_of_a(world, page, "the statement list")

    own = client.get(f"/hubs/{world.hub_x.slug}/statements/{b.id}").get_data(as_text=True)
    _assert_nothing_of_a(world, own, "B's statement page")
    own_pdf = client.get(f"/hubs/{world.hub_x.slug}/statements/{b.id}.pdf")
    assert own_pdf.mimetype == "application/pdf"
    _assert_nothing_of_a(world, _pdf_text(own_pdf.data), "B's statement PDF")

    for statement, hub, status in [
        (a, world.hub_x, 403),  # A's issued statement
        (world.draft_a, world.hub_x, 404),  # A's draft: not even its existence
        (world.statement_y_a, world.hub_y, 403),  # A's statement in hub Y
        (world.statement_y_a, world.hub_x, 404),  # ... through the wrong hub
    ]:
        for suffix in ("", ".pdf"):
            response = client.get(f"/hubs/{hub.slug}/statements/{statement.id}{suffix}")
            assert response.status_code == status, (statement.id, hub.slug, suffix)
            assert response.mimetype == "text/html"
            _assert_nothing_of_a(world, response.get_data(as_text=True), "an error page")


def test_partner_contact_of_b_sees_no_statement_of_a_in_the_api(
    client: FlaskClient, world: World
) -> None:
    headers = _as(client, world, "partner")
    a, b = world.statement_a, world.statement_b

    listing = client.get(f"/api/v1/hubs/{world.hub_x.slug}/statements", headers=headers)
    assert listing.status_code == 200
    assert {row["organization_id"] for row in listing.get_json()} == {world.org_b.id}
    assert {row["id"] for row in listing.get_json()} == {b.id, world.credit_b.id}
    filtered = client.get(
        f"/api/v1/hubs/{world.hub_x.slug}/statements?organization_id={world.org_a.id}",
        headers=headers,
    )
    assert filtered.status_code in (200, 403)
    assert filtered.status_code == 403 or filtered.get_json() == []

    own = client.get(f"/api/v1/statements/{b.id}", headers=headers)
    assert own.status_code == 200
    _assert_nothing_of_a(world, own.get_data(as_text=True), "B's statement")
    for statement, status in [(a, 403), (world.draft_a, 404), (world.statement_y_a, 403)]:
        for suffix in ("", "/pdf"):
            response = client.get(f"/api/v1/statements/{statement.id}{suffix}", headers=headers)
            assert response.status_code == status, (statement.id, suffix)
            assert response.mimetype == "application/json"
            _assert_nothing_of_a(world, response.get_data(as_text=True), "an API error")
    for hub in (world.hub_x, world.hub_y):
        listing = client.get(f"/api/v1/hubs/{hub.slug}/statements", headers=headers)
        assert listing.status_code == 403 or all(
            row["organization_id"] == world.org_b.id for row in listing.get_json()
        )


def test_partner_contact_of_b_gets_only_b_in_cost_share_and_usage(
    client: FlaskClient, world: World
) -> None:
    headers = _as(client, world, "partner")
    x, y = world.hub_x.slug, world.hub_y.slug

    share = client.get(f"/api/v1/hubs/{x}/cost-share?{Q1}", headers=headers)
    assert share.status_code == 200
    assert [line["organization_id"] for line in share.get_json()["lines"]] == [world.org_b.id]
    _assert_nothing_of_a(world, share.get_data(as_text=True), "the cost share")

    usage = client.get(f"/api/v1/hubs/{x}/usage?{Q1}", headers=headers)
    assert usage.status_code == 200
    rows = usage.get_json()["rows"]
    assert rows and {row["organization_id"] for row in rows} == {world.org_b.id}
    _assert_nothing_of_a(world, usage.get_data(as_text=True), "the usage report")
    for group_by in ("day", "space", "kind", "person", "organization"):
        grouped = client.get(f"/api/v1/hubs/{x}/usage?{Q1}&group_by={group_by}", headers=headers)
        assert grouped.status_code in (200, 403, 422), group_by
        if grouped.status_code == 200:
            assert all(
                row["organization_id"] in (None, world.org_b.id)
                for row in grouped.get_json()["rows"]
            ), group_by
            _assert_nothing_of_a(world, grouped.get_data(as_text=True), f"usage by {group_by}")

    for path in ("usage", "cost-share", "occupancy", "statements"):
        elsewhere = client.get(f"/api/v1/hubs/{y}/{path}?{Q1}", headers=headers)
        assert elsewhere.status_code == 403, path  # B's contact speaks for B in hub X only
    for path in ("occupancy", "usage-imports", "events"):
        admin_only = client.get(f"/api/v1/hubs/{x}/{path}?{Q1}", headers=headers)
        assert admin_only.status_code == 403, path

    for period in ("2030", "2030-01", "2030-W02", "2030-01-09"):
        page = client.get(f"/hubs/{x}/usage?period={period}")
        assert page.status_code == 200, period
        _assert_nothing_of_a(world, page.get_data(as_text=True), f"the usage page {period}")
    assert world.org_b.name in client.get(f"/hubs/{x}/usage?period=2030").get_data(as_text=True)
    assert client.get(f"/hubs/{x}/usage/export?period=2030").status_code == 403
    assert client.get(f"/hubs/{y}/usage?period=2030").status_code == 403
    feed = client.post(f"/api/v1/organizations/{world.org_a.id}/feed", headers=headers)
    assert feed.status_code == 403  # A's bookings as a calendar
