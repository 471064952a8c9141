"""The audit log: capture of admin changes, statements, actors, rights and filters."""

from __future__ import annotations

import html
import json
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
import time_machine
from flask import url_for

from hub import jobs
from hub.accounts import service as accounts
from hub.accounts.models import Role
from hub.audit import service as audit
from hub.audit.capture import REDACTED, acting_as
from hub.audit.models import AuditAction, AuditEvent
from hub.calendar import external
from hub.calendar.models import ExternalCalendar
from hub.extensions import db
from hub.finance import financing, statements
from hub.finance import service as finance
from hub.finance.models import Statement
from hub.spaces import service as spaces

ISSUE_DAY = datetime(2026, 4, 10, 6, tzinfo=UTC)  # 08:00 in Oslo, 10 April 2026
Q1 = (date(2026, 1, 1), date(2026, 3, 31))


def events(**where) -> list[AuditEvent]:
    db.session.expire_all()
    query = sa.select(AuditEvent).order_by(AuditEvent.id)
    for name, value in where.items():
        query = query.where(getattr(AuditEvent, name) == value)
    return list(db.session.scalars(query))


def count_events() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def world(make_hub, make_org, make_user, make_space):
    """Two hubs, X and Y, with an admin each; an employee and a partner contact of X."""

    class World:
        x = make_hub(slug="hub-x", name="Hub X")
        y = make_hub(slug="hub-y", name="Hub Y")
        nav = make_org(name="NAV Lister", kind="state_agency")
        admin_x = make_user(hub=x, role=Role.ADMIN, email="vert.x@example.no")
        admin_y = make_user(hub=y, role=Role.ADMIN, email="vert.y@example.no")
        employee = make_user(hub=x, role=Role.MEMBER, email="ansatt@example.no")
        contact = make_user(
            hub=x, role=Role.PARTNER_CONTACT, organization=nav, email="kontakt@example.no"
        )
        root = make_user(is_system_admin=True, email="root@example.no")
        desk_x = make_space(x, name="Pult X", kind="desk", capacity=1)
        desk_y = make_space(y, name="Pult Y", kind="desk", capacity=1)

    return World


# --- capture -------------------------------------------------------------------------


def test_a_space_edited_on_the_admin_page_is_logged_with_actor_hub_and_changes(
    client, login, world
):
    login(world.admin_x)
    data = {
        "name": "Pult X1",
        "kind": "desk",
        "capacity": "2",
        "bookable": "y",
        "active": "y",
        "description": "",
    }

    response = client.post(
        url_for("spaces_admin.space_edit", slug="hub-x", space_id=world.desk_x.id), data=data
    )

    assert response.status_code == 302
    [event] = events(entity_type="space", action=AuditAction.UPDATED)
    assert (event.actor_user_id, event.actor_label, event.hub_id) == (
        world.admin_x.id,
        "vert.x@example.no",
        world.x.id,
    )
    assert (event.entity_id, event.summary) == (world.desk_x.id, "Pult X1")
    assert event.changes["name"] == ["Pult X", "Pult X1"]
    assert event.changes["capacity"] == [1, 2]
    assert "checkin_code" not in event.changes
    assert event.at.tzinfo is not None


def test_admin_changes_through_the_api_are_logged(api, client, login, world):
    api(
        "POST",
        "/hubs/hub-x/roles",
        world.root,
        json={"user_id": world.employee.id, "role": "admin"},
    )
    response = api(
        "PATCH",
        f"/users/{world.employee.id}",
        world.root,
        json={"active": False, "is_system_admin": True, "card_id": "CARD-991", "language": "en"},
    )
    assert response.status_code == 200, response.get_json()

    [role] = events(entity_type="hub_role", action=AuditAction.CREATED, actor_user_id=world.root.id)
    assert role.hub_id == world.x.id
    assert role.summary == "ansatt@example.no: admin"
    assert role.changes["role"] == [None, "admin"]
    [user] = events(entity_type="user", action=AuditAction.UPDATED)
    assert (user.actor_label, user.hub_id, user.entity_id) == (
        "root@example.no",
        None,
        world.employee.id,
    )
    assert user.changes == {
        "active": [True, False],
        "is_system_admin": [False, True],
        "card_id": [None, REDACTED],
    }  # the language is the person's own setting, not an admin change
    login(world.root)
    page = text(client.get("/admin/audit?entity_type=hub_role"))
    assert f"ansatt@example.no (#{world.employee.id})" in page  # ids read as names
    assert "Hub X" in page


def test_a_deleted_cost_item_is_logged_with_what_was_there(api, client, login, world):
    item = api(
        "POST",
        "/hubs/hub-x/cost-items",
        world.admin_x,
        json={
            "category": "rent",
            "description": "Husleie",
            "amount_ore": 1_000_000,
            "starts_on": "2026-01-01",
            "ends_on": "2026-12-31",
        },
    ).get_json()
    assert api("DELETE", f"/cost-items/{item['id']}", world.admin_x).status_code == 204

    created, deleted = events(entity_type="cost_item")
    assert (created.action, deleted.action) == (AuditAction.CREATED, AuditAction.DELETED)
    assert deleted.changes["amount_ore"] == [1_000_000, None]
    assert deleted.summary == "Husleie (kr\u00a010\u00a0000,00)"
    assert deleted.hub_id == world.x.id


def test_noise_is_not_logged(app, client, login, api, world):
    before = count_events()
    login(world.employee)  # last_login_at
    api("GET", "/me", world.employee)  # an API token and its last_used_at
    client.post("/profile", data={"name": world.employee.name, "language": "nb"})
    assert events()[before:] == []


def test_no_secret_ever_reaches_the_log(app, client, login, api, world, make_space):
    room = make_space(world.x, name="Møterom", kind="meeting_room", capacity=8)
    feed = "https://calendar.example.org/private/s3cr3t-feed-key/basic.ics"
    external.follow(room, feed)
    db.session.commit()
    calendar = db.session.scalar(sa.select(ExternalCalendar))
    calendar.etag, calendar.content = '"v1"', "BEGIN:VCALENDAR"  # the sync job: not logged
    db.session.commit()
    external.follow(room, feed.replace("s3cr3t", "n3w-s3cr3t"))
    db.session.commit()
    login(world.admin_x)  # a password, a session
    api("GET", "/me", world.admin_x)  # an API token
    accounts.set_password(world.employee, "another-secret-password")
    db.session.commit()

    logged = [e for e in events(entity_type="external_calendar")]
    assert [e.action for e in logged] == [AuditAction.CREATED, AuditAction.UPDATED]
    assert logged[0].changes == {"space_id": [None, room.id], "url": [None, REDACTED]}
    assert logged[1].changes == {"url": [REDACTED, REDACTED]}
    assert logged[0].hub_id == world.x.id and logged[0].summary == "Møterom"
    [password] = events(entity_type="user", action=AuditAction.UPDATED)
    assert password.changes["password_hash"] == [REDACTED, REDACTED]
    db.session.refresh(world.employee)
    secrets = [
        "s3cr3t",
        world.employee.password_hash,
        world.admin_x.password_hash,
        room.checkin_code,
        *db.session.scalars(sa.text("SELECT token_hash FROM api_tokens")),
    ]
    dumped = json.dumps([(e.summary, e.changes) for e in events()])
    for secret in secrets:
        assert secret and secret not in dumped


def test_a_rolled_back_change_leaves_no_audit_row(app, world):
    before = count_events()
    spaces.update_space(world.desk_x, {"capacity": 3})
    db.session.flush()
    assert count_events() == before + 1
    db.session.rollback()
    assert count_events() == before

    with pytest.raises(RuntimeError), db.session.begin_nested():
        spaces.update_space(world.desk_x, {"capacity": 4})
        db.session.flush()
        raise RuntimeError("boom")
    db.session.commit()
    assert count_events() == before


def test_a_refused_request_leaves_no_audit_row(client, login, world):
    login(world.admin_x)
    before = count_events()
    response = client.post(
        url_for("spaces_admin.space_edit", slug="hub-x", space_id=world.desk_x.id),
        data={"name": "Pult X", "kind": "desk", "capacity": "-1"},
    )
    assert response.status_code == 422
    assert count_events() == before


def test_changes_outside_requests_name_the_job_or_command(app, world, monkeypatch):
    def make_org() -> int:
        accounts.create_organization({"name": "Laget av jobben", "kind": "other"})
        db.session.commit()
        return 1

    monkeypatch.setitem(jobs.JOBS, "release_no_shows", (make_org, {}))
    assert jobs.run_job(app, "release_no_shows") == 1
    result = app.test_cli_runner().invoke(
        args=[
            "hub",
            "create-admin",
            "ny@example.no",
            "--name",
            "Ny",
            "--organization",
            "Ny kommune",
        ],
        input="pw-123456789\npw-123456789\n",
    )
    assert result.exit_code == 0, result.output
    with acting_as("import 2026-04"):
        accounts.create_organization({"name": "Fra import", "kind": "other"})
    db.session.commit()
    accounts.create_organization({"name": "Uten navn", "kind": "other"})
    db.session.commit()

    db.session.rollback()  # a fresh snapshot: the job and the command used their own sessions
    labels = {e.summary: e.actor_label for e in events(entity_type="organization")}
    assert labels["Laget av jobben"] == "job release_no_shows"
    assert labels["Ny kommune"].startswith("command ")
    assert labels["Ny kommune"].endswith("hub create-admin")
    assert labels["Fra import"] == "import 2026-04"
    assert labels["Uten navn"] == "system"
    [admin] = events(entity_type="user", summary="ny@example.no")
    assert admin.actor_user_id is None and admin.changes["is_system_admin"] == [None, True]


def test_forget_user_erases_the_subject_but_keeps_the_actor(app, api, world):
    api("PATCH", f"/users/{world.employee.id}", world.admin_x, json={"name": "Ansatt Ansen"})
    old_email, old_name = world.employee.email, world.employee.name
    db.session.refresh(world.employee)
    world.employee.email, world.employee.name = "deleted-1@invalid", "Deleted user"
    db.session.flush()
    audit.forget_user(world.employee.id, old_email, "Ansatt Ansen", old_name)
    db.session.commit()

    dumped = json.dumps([(e.summary, e.changes) for e in events()])
    assert "ansatt@example.no" not in dumped and "Ansatt Ansen" not in dumped
    assert "vert.x@example.no" in {e.actor_label for e in events()}


# --- statements ----------------------------------------------------------------------


@pytest.fixture
def billed(world, make_org):
    """Hub X with rent, a financing model and one partner who carries it all."""
    partner = make_org(name="Skatteetaten", kind="state_agency")
    accounts.create_membership(
        world.x,
        {
            "organization_id": partner.id,
            "kind": "partner",
            "starts_on": date(2025, 1, 1),
            "carries_residual": True,
        },
    )
    finance.create_cost_item(
        world.x,
        {
            "category": "rent",
            "description": "Husleie 2026",
            "amount_ore": 36_500_000,
            "starts_on": date(2026, 1, 1),
            "ends_on": date(2026, 12, 31),
        },
    )
    financing.save_model(
        world.x,
        2026,
        {"statement_prefix": "HX", "auto_issue": True, "cadence": "quarterly", "issue_day": 10},
    )
    db.session.commit()
    return partner


def test_issuing_and_crediting_statements_are_logged(client, login, api, world, billed):
    draft = statements.create_draft(world.x, billed, *Q1)
    db.session.commit()
    with time_machine.travel(ISSUE_DAY, tick=False):
        login(world.admin_x)
        response = client.post(
            url_for("statements.admin_issue", slug="hub-x", statement_id=draft.id)
        )
        assert response.status_code in (302, 303)
        credit = api(
            "POST", f"/statements/{draft.id}/credit", world.admin_x, json={"reason": "Feil sum"}
        )
        assert credit.status_code in (200, 201), credit.get_json()

    [issued] = events(entity_type="statement", action=AuditAction.ISSUED)
    assert (issued.actor_label, issued.hub_id, issued.entity_id) == (
        "vert.x@example.no",
        world.x.id,
        draft.id,
    )
    assert issued.changes["number"] == [None, "HX-2026-0001"]
    assert issued.changes["organization_id"] == [None, billed.id]
    assert issued.changes["total_ore"] == [None, 9_000_000]
    assert issued.summary == "HX-2026-0001 · Skatteetaten · kr\u00a090\u00a0000,00"
    [credited] = events(entity_type="statement", action=AuditAction.CREDITED)
    assert credited.entity_id == draft.id and credited.actor_user_id == world.admin_x.id
    assert credited.changes["credited_by"] == [None, "HX-2026-0002"]
    assert credited.changes["total_ore"] == [None, -9_000_000]
    assert credited.changes["reason"] == [None, "Feil sum"]


def test_the_statement_job_is_the_actor_of_what_it_issues(app, world, billed):
    with time_machine.travel(ISSUE_DAY, tick=False):
        assert jobs.run_job(app, "issue_statements") == 1
    db.session.rollback()
    [issued] = events(entity_type="statement")
    number = db.session.scalar(sa.select(Statement.number))
    assert (issued.actor_label, issued.actor_user_id) == ("job issue_statements", None)
    assert issued.changes["number"] == [None, number]


# --- rights --------------------------------------------------------------------------


@pytest.fixture
def logged(world, make_org):
    """One event in each hub and one installation-wide, by known actors."""
    spaces.update_space(world.desk_x, {"capacity": 5})
    spaces.update_space(world.desk_y, {"capacity": 6})
    make_org(name="Statens vegvesen")
    db.session.commit()
    return world


def listed_summaries(page: str) -> set[str]:
    return {name for name in ("Pult X", "Pult Y", "Statens vegvesen") if name in page}


@pytest.mark.parametrize(
    ("who", "status", "seen"),
    [
        ("root", 200, {"Pult X", "Pult Y", "Statens vegvesen"}),
        ("admin_x", 200, {"Pult X"}),
        ("admin_y", 200, {"Pult Y"}),
        ("employee", 403, set()),
        ("contact", 403, set()),
    ],
)
def test_page_rights(client, login, logged, who, status, seen):
    login(getattr(logged, who))
    response = client.get("/admin/audit")
    assert response.status_code == status
    if status == 200:
        assert listed_summaries(text(response)) == seen


def test_page_needs_a_login_and_is_linked_from_administration(client, login, logged):
    response = client.get("/admin/audit")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    login(logged.admin_x)
    assert 'href="/admin/audit"' in client.get("/admin/").get_data(as_text=True)


@pytest.mark.parametrize(
    ("who", "status", "seen"),
    [
        ("root", 200, {"Pult X", "Pult Y", "Statens vegvesen"}),
        ("admin_x", 200, {"Pult X"}),
        ("employee", 403, set()),
        ("contact", 403, set()),
        (None, 401, set()),
    ],
)
def test_api_rights(api, logged, who, status, seen):
    response = api("GET", "/audit-events?limit=500", getattr(logged, who) if who else None)
    assert response.status_code == status
    if status == 200:
        assert {e["summary"] for e in response.get_json()} & {
            "Pult X",
            "Pult Y",
            "Statens vegvesen",
        } == seen


def test_api_hub_admin_asking_for_another_hub_is_403(api, logged):
    assert api("GET", "/audit-events?hub=hub-y", logged.admin_x).status_code == 403
    assert api("GET", "/audit-events?hub=hub-x", logged.admin_x).status_code == 200


def test_api_event_shape(api, logged):
    response = api("GET", "/audit-events?entity_type=space&limit=1", logged.root)
    [event] = response.get_json()
    assert set(event) == {
        "id",
        "at",
        "actor_user_id",
        "actor",
        "hub_id",
        "action",
        "entity_type",
        "entity_id",
        "summary",
        "changes",
    }
    assert event["summary"] == "Pult Y" and event["changes"] == {"capacity": [1, 6]}
    assert event["at"].endswith("Z")
    openapi = api("GET", "/openapi.json").get_json()
    assert "/audit-events" in openapi["paths"]


# --- filters -------------------------------------------------------------------------


@pytest.fixture
def two_hubs(make_hub, make_user):
    """Hubs X and Y, the admin of X and a system admin: enough for the filter tests."""

    class Light:
        x = make_hub(slug="hub-x", name="Hub X")
        y = make_hub(slug="hub-y", name="Hub Y")
        admin_x = make_user(hub=x, role=Role.ADMIN, email="vert.x@example.no")
        root = make_user(is_system_admin=True, email="root@example.no")

    return Light


@pytest.fixture
def dated(two_hubs):
    """Events at chosen instants: 23:30 UTC on 1 March is 00:30 on 2 March in Oslo."""
    world = two_hubs

    def add(at: datetime, hub, label: str, entity_type: str, summary: str) -> None:
        db.session.add(
            AuditEvent(
                at=at,
                actor_label=label,
                hub_id=hub.id if hub else None,
                action=AuditAction.UPDATED,
                entity_type=entity_type,
                entity_id=1,
                summary=summary,
                changes={},
            )
        )

    add(datetime(2025, 3, 1, 22, 30, tzinfo=UTC), world.x, "a@example.no", "space", "first")
    add(datetime(2025, 3, 1, 23, 30, tzinfo=UTC), world.x, "b@example.no", "cost_item", "second")
    add(datetime(2025, 3, 3, 12, 0, tzinfo=UTC), world.y, "job send_mail", "space", "third")
    db.session.commit()
    return world


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("from=2025-03-01&to=2025-03-01", ["first"]),
        ("from=2025-03-02&to=2025-03-02", ["second"]),
        ("from=2025-03-01&to=2025-03-31", ["third", "second", "first"]),
        ("from=2025-03-01&to=2025-03-31&hub=hub-x", ["second", "first"]),
        ("from=2025-03-01&to=2025-03-31&entity_type=space", ["third", "first"]),
        ("from=2025-03-01&to=2025-03-31&actor=B@EXAMPLE", ["second"]),
        ("from=2025-03-01&to=2025-03-31&actor=job", ["third"]),
        ("from=2025-03-01&to=2025-03-31&actor=%25", []),
    ],
)
def test_filters_in_the_api_and_on_the_page(api, client, login, dated, query, found):
    response = api("GET", f"/audit-events?{query}", dated.root)
    assert [e["summary"] for e in response.get_json()] == found
    login(dated.root)
    page = text(client.get(f"/admin/audit?{query}"))
    shown = [s for s in ("first", "second", "third") if f"<br>{s}" in page]
    assert sorted(shown) == sorted(found)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=2025-13-45", "from"),
        ("to=yesterday", "to"),
        ("from=2025-03-02&to=2025-03-01", "to"),
        ("entity_type=booking", "entity_type"),
        ("hub=no-such-hub", "hub"),
    ],
)
def test_invalid_filters_are_422_and_keep_what_was_typed(api, client, login, dated, query, field):
    login(dated.root)
    response = client.get(f"/admin/audit?{query}")
    assert response.status_code == 422
    page = text(response)
    assert f'id="{field}-error"' in page
    value = query.split("&")[-1].split("=")[1]
    if field in ("from", "to"):
        assert f'value="{value}"' in page
    assert "<br>first" not in page

    api_response = api("GET", f"/audit-events?{query}", dated.root)
    assert api_response.status_code == 422


def test_hub_admin_cannot_filter_on_another_hub_on_the_page(client, login, dated):
    login(dated.admin_x)
    response = client.get("/admin/audit?hub=hub-y")
    assert response.status_code == 422
    assert "<br>third" not in text(response)


def test_pages_of_fifty_newest_first(client, login, two_hubs):
    world = two_hubs
    for n in range(55):
        db.session.add(
            AuditEvent(
                at=datetime(2025, 1, 1, 12, n, tzinfo=UTC),
                actor_label="x@example.no",
                hub_id=world.x.id,
                action=AuditAction.UPDATED,
                entity_type="funding",
                entity_id=n,
                summary=f"item-{n:02d}",
                changes={"amount_ore": [n, n + 1]},
            )
        )
    db.session.commit()
    login(world.root)
    first = text(client.get("/admin/audit?entity_type=funding"))
    assert "item-54" in first and "item-05" in first and "item-04" not in first
    # The form's word for amount_ore, and kroner rather than øre.
    assert "Amount: kr\u00a00,54 → kr\u00a00,55" in first
    assert 'rel="next"' in first
    second = text(client.get("/admin/audit?entity_type=funding&page=2"))
    assert "item-04" in second and "item-00" in second and "item-05" not in second
    assert 'rel="prev"' in second and 'rel="next"' not in second


def test_deleting_a_hub_keeps_its_events_for_system_admins(app, make_hub, make_space):
    hub = make_hub(slug="hub-z", name="Hub Z")
    make_space(hub, name="Pult Z")
    spaces.update_space(hub.spaces[0], {"capacity": 2})
    db.session.commit()

    db.session.delete(hub)
    db.session.commit()

    assert {e.hub_id for e in events()} == {None}
    [deleted] = events(entity_type="hub", action=AuditAction.DELETED)
    assert deleted.summary == "Hub Z" and deleted.changes["slug"] == ["hub-z", None]
    assert events(entity_type="space", action=AuditAction.DELETED)[0].summary == "Pult Z"


def test_opening_hours_replaced_as_a_week_log_each_day_even_removed_ones(api, world):
    week = {day: {"opens_at": "08:00", "closes_at": "16:00"} for day in ("monday", "tuesday")}
    week["monday"]["closes_at"] = "15:00"  # Wednesday to Friday are now closed
    before = count_events()

    response = api("PUT", "/hubs/hub-x/opening-hours", world.admin_x, json=week)

    assert response.status_code == 200, response.get_json()
    logged = events()[before:]
    assert {(e.action, e.summary) for e in logged} == {
        (AuditAction.UPDATED, "Monday 08:00–15:00"),
        (AuditAction.DELETED, "Wednesday 08:00–16:00"),
        (AuditAction.DELETED, "Thursday 08:00–16:00"),
        (AuditAction.DELETED, "Friday 08:00–16:00"),
    }
    assert {e.hub_id for e in logged} == {world.x.id}
    assert {e.actor_label for e in logged} == {"vert.x@example.no"}
    monday = next(e for e in logged if e.action is AuditAction.UPDATED)
    assert monday.changes == {"closes_at": ["16:00", "15:00"]}
