"""Admin pages for organizations, users, roles per hub and memberships."""

from __future__ import annotations

import html
import re
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from flask import url_for

from hub import mail
from hub.accounts import permissions, service
from hub.accounts.models import HubRole, Language, Membership, Organization, Role, User
from hub.extensions import db

WHO = ["anonymous", "employee", "other_admin", "admin", "system_admin"]


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def field_error(page: str, field_id: str) -> str:
    """The validation message rendered next to one field ('' if none)."""
    match = re.search(rf'<p [^>]*id="{field_id}-error"[^>]*>(.*?)</p>', page, re.S)
    return match.group(1).strip() if match else ""


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.fixture
def world(make_hub, make_org, make_user, system_admin):
    """One hub with an admin and an employee, another hub with its own admin."""
    hub = make_hub(name="RegionLab Lister", slug="regionlab-lister", municipality="Lyngdal")
    other_hub = make_hub(name="Sentrumsgården", slug="sentrumsgarden", municipality="Narvik")
    nav = make_org(name="NAV Lister", short_name="NAV", org_number="974760673")
    kommune = make_org(name="Lyngdal kommune", kind="municipality")
    employee = make_user(name="Ansatt Ansen", hub=hub, role=Role.MEMBER, home_organization=nav)
    admin = make_user(name="Vert Vertsen", hub=hub, role=Role.ADMIN, home_organization=kommune)
    other_admin = make_user(name="Nord Nordsen", hub=other_hub, role=Role.ADMIN)
    membership = service.create_membership(
        hub,
        {
            "organization_id": nav.id,
            "kind": "partner",
            "starts_on": date(2025, 1, 1),
            "yearly_amount_ore": 12_000_000,
        },
    )
    db.session.commit()
    return SimpleNamespace(
        hub=hub,
        other_hub=other_hub,
        nav=nav,
        kommune=kommune,
        employee=employee,
        admin=admin,
        other_admin=other_admin,
        system_admin=system_admin,
        membership=membership,
    )


@pytest.fixture
def become(world, login):
    def do(who: str) -> None:
        if who != "anonymous":
            login(getattr(world, who))

    return do


@pytest.fixture
def as_admin(world, become):
    become("admin")
    return world


@pytest.fixture
def as_system_admin(world, become):
    become("system_admin")
    return world


# --- access ------------------------------------------------------------------

# For each page: who may open it (everyone else logged in gets 403).
PAGES = [
    ("accounts_admin.organization_list", {}, {"other_admin", "admin", "system_admin"}),
    ("accounts_admin.organization_new", {}, {"other_admin", "admin", "system_admin"}),
    (
        "accounts_admin.organization_edit",
        {"org_id": "nav"},
        {"other_admin", "admin", "system_admin"},
    ),
    ("accounts_admin.user_list", {}, {"other_admin", "admin", "system_admin"}),
    ("accounts_admin.user_invite", {}, {"other_admin", "admin", "system_admin"}),
    ("accounts_admin.user_edit", {"user_id": "employee"}, {"admin", "system_admin"}),
    ("accounts_admin.hub_roles", {"slug": "hub"}, {"admin", "system_admin"}),
    ("accounts_admin.membership_list", {"slug": "hub"}, {"admin", "system_admin"}),
    ("accounts_admin.membership_new", {"slug": "hub"}, {"admin", "system_admin"}),
    (
        "accounts_admin.membership_edit",
        {"slug": "hub", "membership_id": "membership"},
        {"admin", "system_admin"},
    ),
]


def _url(world, endpoint: str, args: dict[str, str]) -> str:
    values = {}
    for key, name in args.items():
        obj = getattr(world, name)
        values[key] = obj.slug if key == "slug" else obj.id
    return url_for(endpoint, **values)


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize(("endpoint", "args", "allowed"), PAGES)
def test_admin_pages_access(client, world, become, who, endpoint, args, allowed):
    url = _url(world, endpoint, args)
    become(who)

    response = client.get(url)

    if who == "anonymous":
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login?next=")
    elif who in allowed:
        assert response.status_code == 200
        assert text(response).count("<h1") == 1
    else:
        assert response.status_code == 403


@pytest.mark.parametrize(
    ("endpoint", "args"),
    [
        ("accounts_admin.hub_role_revoke", {"slug": "hub", "role_id": "employee_role"}),
        ("accounts_admin.membership_delete", {"slug": "hub", "membership_id": "membership"}),
    ],
)
@pytest.mark.parametrize(("who", "status"), [("anonymous", 302), ("employee", 403)])
def test_destructive_posts_need_rights_and_change_nothing(
    client, world, become, endpoint, args, who, status
):
    world.employee_role = world.employee.roles[0]
    url = _url(world, endpoint, args)
    roles, memberships = count(HubRole), count(Membership)
    become(who)

    response = client.post(url)

    assert response.status_code == status
    assert (count(HubRole), count(Membership)) == (roles, memberships)


@pytest.mark.parametrize(
    "url",
    [
        "/admin/organizations/9999",
        "/admin/users/9999",
        "/admin/hubs/finnes-ikke/people",
        "/admin/hubs/finnes-ikke/memberships",
        "/admin/hubs/regionlab-lister/memberships/9999",
    ],
)
def test_unknown_ids_are_404(client, as_system_admin, url):
    response = client.get(url)

    assert response.status_code == 404
    assert "<h1" in response.get_data(as_text=True)


def test_objects_of_another_hub_are_404(client, as_admin, make_org):
    world = as_admin
    foreign = service.create_membership(
        world.other_hub,
        {"organization_id": make_org().id, "kind": "host", "starts_on": date(2025, 1, 1)},
    )
    foreign_role = world.other_admin.roles[0]
    db.session.commit()
    # The admin of RegionLab tries to reach Sentrumsgården's objects via their own hub.
    base = "/admin/hubs/regionlab-lister"

    assert client.get(f"{base}/memberships/{foreign.id}").status_code == 404
    assert client.post(f"{base}/memberships/{foreign.id}/delete").status_code == 404
    assert client.post(f"{base}/people/{foreign_role.id}/revoke").status_code == 404
    assert db.session.get(Membership, foreign.id) is not None
    assert db.session.get(HubRole, foreign_role.id) is not None


# --- admin home ---------------------------------------------------------------


@pytest.mark.parametrize(("who", "status"), [("anonymous", 302), ("employee", 403)])
def test_admin_home_is_closed_to_people_without_admin_rights(client, world, become, who, status):
    become(who)

    assert client.get(url_for("accounts_admin.index")).status_code == status


@pytest.mark.parametrize(
    ("who", "hubs_shown", "hubs_hidden"),
    [
        ("admin", ["regionlab-lister"], ["sentrumsgarden"]),
        ("system_admin", ["regionlab-lister", "sentrumsgarden"], []),
    ],
)
def test_admin_home_links_to_the_hubs_the_person_administers(
    client, world, become, who, hubs_shown, hubs_hidden
):
    become(who)

    response = client.get(url_for("accounts_admin.index"))

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'href="/admin/organizations"' in page
    assert 'href="/admin/users"' in page
    for slug in hubs_shown:
        assert f'href="/admin/hubs/{slug}/people"' in page
        assert f'href="/admin/hubs/{slug}/memberships"' in page
    for slug in hubs_hidden:
        assert f"/admin/hubs/{slug}/" not in page


# --- organizations ------------------------------------------------------------

ORG = {
    "name": "Skatteetaten",
    "short_name": "Skatt",
    "kind": "state_agency",
    "org_number": "974 761 076",
    "home_office": "Oslo",
    "contact_email": "Post@Skatteetaten.no",
}


def test_create_organization(client, as_admin):
    response = client.post(url_for("accounts_admin.organization_new"), data=ORG)

    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/organizations"
    org = db.session.scalar(sa.select(Organization).where(Organization.name == "Skatteetaten"))
    assert (org.org_number, org.kind.value, org.contact_email) == (
        "974761076",
        "state_agency",
        "post@skatteetaten.no",
    )
    listing = text(client.get(url_for("accounts_admin.organization_list")))
    assert "Skatteetaten" in listing and "974 761 076" in listing and "State agency" in listing


def test_organization_form_lists_kinds_and_explains_fields(client, as_admin):
    page = text(client.get(url_for("accounts_admin.organization_new")))

    assert '<option value="municipality">Municipality</option>' in page
    assert "Where the organization's own office is" in page
    assert "Nine digits" in page


@pytest.mark.parametrize(
    ("changes", "field", "message", "kept"),
    [
        (
            {"org_number": "123456789"},
            "org_number",
            "is not a valid organisation number",
            "123456789",
        ),
        ({"org_number": "974760673"}, "org_number", "Another organization has this", "974760673"),
        ({"name": "nav LISTER"}, "name", "already exists", "nav LISTER"),
        ({"name": ""}, "name", "Name is required.", None),
        ({"kind": "planet"}, "kind", "Choose one of the listed values.", None),
        ({"contact_email": "post@"}, "contact_email", "not a valid email address", "post@"),
    ],
)
def test_invalid_organization_is_422_and_creates_nothing(
    client, as_admin, changes, field, message, kept
):
    before = count(Organization)

    response = client.post(url_for("accounts_admin.organization_new"), data=ORG | changes)

    assert response.status_code == 422
    page = text(response)
    assert message in field_error(page, field)
    assert f'href="#{field}"' in page  # the error summary links to the field
    if kept is not None:
        assert f'value="{kept}"' in page
    assert 'value="Oslo"' in page  # the other fields keep what was typed
    assert count(Organization) == before


def test_edit_organization(client, as_admin):
    nav = as_admin.nav
    data = {"name": "NAV Lister", "kind": "state_agency", "org_number": "974760673"}

    response = client.post(
        url_for("accounts_admin.organization_edit", org_id=nav.id),
        data=data | {"home_office": "Farsund", "short_name": ""},
    )

    assert response.status_code == 302
    db.session.refresh(nav)
    assert (nav.home_office, nav.short_name) == ("Farsund", None)


# --- users --------------------------------------------------------------------


def test_hub_admin_sees_only_people_of_their_hubs(client, as_admin):
    page = text(client.get(url_for("accounts_admin.user_list")))

    assert "Ansatt Ansen" in page and "Vert Vertsen" in page
    assert "Nord Nordsen" not in page
    assert "Systemadministrator" not in page


def test_system_admin_sees_everyone(client, as_system_admin):
    page = text(client.get(url_for("accounts_admin.user_list")))

    for name in ("Ansatt Ansen", "Vert Vertsen", "Nord Nordsen", "Systemadministrator"):
        assert name in page


def _invite_data(world, **changes):
    return {
        "email": "Ny.Person@Example.no",
        "name": "Ny Person",
        "home_organization_id": str(world.nav.id),
        "language": "nn",
        "hub_id": str(world.hub.id),
        "role": "member",
        "organization_id": "",
    } | changes


def test_invite_a_new_person(client, as_admin):
    world = as_admin

    response = client.post(url_for("accounts_admin.user_invite"), data=_invite_data(world))

    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/hubs/regionlab-lister/people"
    user = service.find_user_by_email("ny.person@example.no")
    assert (user.name, user.language, user.has_password) == ("Ny Person", Language.NN, False)
    assert [(r.hub_id, r.role) for r in user.roles] == [(world.hub.id, Role.MEMBER)]
    message = mail.sent_mail()[-1]
    assert message["To"] == "ny.person@example.no"
    assert "http://hub.test/invitation/" in message.get_content()


def test_invite_a_partner_contact(client, as_admin):
    world = as_admin
    data = _invite_data(world, role="partner_contact", organization_id=str(world.nav.id))

    response = client.post(url_for("accounts_admin.user_invite"), data=data)

    assert response.status_code == 302
    role = service.find_user_by_email("ny.person@example.no").roles[0]
    assert (role.role, role.organization_id) == (Role.PARTNER_CONTACT, world.nav.id)


def test_invite_offers_only_the_hubs_the_admin_administers(client, as_admin):
    page = text(client.get(url_for("accounts_admin.user_invite")))

    assert "RegionLab Lister" in page
    assert "Sentrumsgården" not in page


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"hub_id": "other_hub"}, "hub_id", "Choose one of the listed values."),
        ({"role": "partner_contact"}, "organization_id", "A partner contact speaks for"),
        ({"email": "ikke-epost"}, "email", "not a valid email address"),
        ({"home_organization_id": ""}, "home_organization_id", "home organization"),
        ({"role": "owner"}, "role", "Choose one of the listed values."),
    ],
)
def test_invalid_invitation_is_422_and_creates_nothing(client, as_admin, changes, field, message):
    world = as_admin
    if changes.get("hub_id") == "other_hub":
        changes = {"hub_id": str(world.other_hub.id)}
    users, roles = count(User), count(HubRole)

    response = client.post(
        url_for("accounts_admin.user_invite"), data=_invite_data(world, **changes)
    )

    assert response.status_code == 422
    page = text(response)
    assert message in field_error(page, field)
    assert 'value="Ny Person"' in page
    assert (count(User), count(HubRole)) == (users, roles)
    assert mail.sent_mail() == []


def test_edit_user(client, as_admin):
    """A hub admin edits a person who has logged in: everything but the email."""
    world = as_admin
    original_email = world.employee.email
    data = {
        "name": "Ansatt B. Ansen",
        "email": "ansatt@nav.no",
        "home_organization_id": str(world.kommune.id),
        "language": "en",
        "active": "",
    }

    response = client.post(
        url_for("accounts_admin.user_edit", user_id=world.employee.id), data=data
    )

    assert response.status_code == 302
    user = db.session.get(User, world.employee.id)
    db.session.refresh(user)
    assert (user.name, user.email, user.home_organization_id, user.language, user.active) == (
        "Ansatt B. Ansen",
        original_email,
        world.kommune.id,
        Language.EN,
        False,
    )


def test_edit_user_with_a_taken_email_in_another_case_is_422(client, as_admin):
    world = as_admin
    # A hub admin may correct the email only before the invitation is accepted.
    world.employee.password_hash = None
    db.session.commit()
    taken = world.admin.email.upper()
    data = {
        "name": "Ansatt Ansen",
        "email": taken,
        "home_organization_id": str(world.nav.id),
        "language": "nb",
        "active": "y",
    }

    response = client.post(
        url_for("accounts_admin.user_edit", user_id=world.employee.id), data=data
    )

    assert response.status_code == 422
    page = text(response)
    assert field_error(page, "email") == "A user with this email already exists."
    assert f'value="{taken}"' in page
    db.session.refresh(world.employee)
    assert world.employee.email != world.admin.email


@pytest.mark.parametrize(("who", "granted"), [("admin", False), ("system_admin", True)])
def test_only_system_admins_grant_system_admin(client, world, become, who, granted):
    become(who)
    data = {
        "name": "Ansatt Ansen",
        "email": world.employee.email,
        "home_organization_id": str(world.nav.id),
        "language": "nb",
        "active": "y",
        "is_system_admin": "y",
    }

    page = text(client.get(url_for("accounts_admin.user_edit", user_id=world.employee.id)))
    response = client.post(
        url_for("accounts_admin.user_edit", user_id=world.employee.id), data=data
    )

    assert ('name="is_system_admin"' in page) is granted
    assert response.status_code == 302
    db.session.refresh(world.employee)
    assert world.employee.is_system_admin is granted


def test_hub_admin_cannot_edit_people_with_wider_rights(client, as_admin, make_user):
    world = as_admin
    # Both have a role in the admin's hub, but rights the admin does not have.
    wider = make_user(hub=world.other_hub, role=Role.ADMIN)
    service.grant_role(wider, world.hub, Role.MEMBER)
    service.grant_role(world.system_admin, world.hub, Role.MEMBER)
    db.session.commit()

    for target in (wider, world.system_admin):
        assert not permissions.can_manage_user(world.admin, target)
        url = url_for("accounts_admin.user_edit", user_id=target.id)
        assert client.get(url).status_code == 403
        assert client.post(url, data={"email": "mine@example.no"}).status_code == 403
        db.session.refresh(target)
        assert target.email != "mine@example.no"


# --- roles in a hub -----------------------------------------------------------


def test_people_page_lists_roles(client, as_admin):
    page = text(client.get(url_for("accounts_admin.hub_roles", slug="regionlab-lister")))

    assert "Ansatt Ansen" in page and "Vert Vertsen" in page and "Hub administrator" in page
    assert "Nord Nordsen" not in page


def test_grant_a_role_by_email_in_any_case(client, as_admin, make_user):
    world = as_admin
    person = make_user(email="kari@example.no")

    response = client.post(
        url_for("accounts_admin.hub_roles", slug="regionlab-lister"),
        data={
            "email": "KARI@example.NO",
            "role": "partner_contact",
            "organization_id": world.nav.id,
        },
    )

    assert response.status_code == 302
    db.session.refresh(person)
    assert [(r.hub_id, r.role, r.organization_id) for r in person.roles] == [
        (world.hub.id, Role.PARTNER_CONTACT, world.nav.id)
    ]


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"email": "ukjent@example.no", "role": "member"}, "email", "No user has this email"),
        ({"email": "EMPLOYEE", "role": "partner_contact"}, "organization_id", "speaks for"),
        ({"email": "EMPLOYEE", "role": ""}, "role", "Choose a role."),
    ],
)
def test_invalid_grant_is_422_and_changes_nothing(client, as_admin, data, field, message):
    if data["email"] == "EMPLOYEE":
        data = data | {"email": as_admin.employee.email}
    before = count(HubRole)

    response = client.post(url_for("accounts_admin.hub_roles", slug="regionlab-lister"), data=data)

    assert response.status_code == 422
    page = text(response)
    assert message in field_error(page, field)
    assert f'value="{data["email"]}"' in page
    assert count(HubRole) == before


def test_revoke_a_role(client, as_admin):
    role = as_admin.employee.roles[0]

    response = client.post(
        url_for("accounts_admin.hub_role_revoke", slug="regionlab-lister", role_id=role.id)
    )

    assert response.status_code == 302
    assert db.session.get(HubRole, role.id) is None


# --- memberships --------------------------------------------------------------


def _membership_data(world, **changes):
    return {
        "organization_id": str(world.kommune.id),
        "kind": "partner",
        "starts_on": "2025-01-01",
        "ends_on": "2025-12-31",
        "agreement_reference": "24/1234",
        "yearly_amount_ore": "150 000,50",
        "weight": "1,5",
        "carries_residual": "y",
        "cap_ore": "",
        "monthly_overhead_ore": "",
        "desk_day_rate_ore": "",
        "cell_day_rate_ore": "",
        "room_hour_rate_ore": "",
        "dedicated_area_m2": "12,5",
        "notes": "Intensjonsavtale signert",
    } | changes


def test_create_membership(client, as_admin):
    world = as_admin

    response = client.post(
        url_for("accounts_admin.membership_new", slug="regionlab-lister"),
        data=_membership_data(world),
    )

    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/hubs/regionlab-lister/memberships"
    m = db.session.scalar(
        sa.select(Membership).where(Membership.organization_id == world.kommune.id)
    )
    assert (m.hub_id, m.kind.value, m.starts_on, m.ends_on) == (
        world.hub.id,
        "partner",
        date(2025, 1, 1),
        date(2025, 12, 31),
    )
    assert (m.yearly_amount_ore, m.weight, m.carries_residual, m.dedicated_area_m2) == (
        15_000_050,
        Decimal("1.5"),
        True,
        Decimal("12.5"),
    )
    listing = text(client.get(url_for("accounts_admin.membership_list", slug="regionlab-lister")))
    assert "kr\u00a0150\u00a0000,50" in listing
    assert "kr\u00a0120\u00a0000,00" in listing  # NAV's membership from the fixture


def test_membership_form_groups_terms_by_kind(client, as_admin):
    page = text(client.get(url_for("accounts_admin.membership_new", slug="regionlab-lister")))

    assert "Partner: yearly contribution, weight and share of the residual" in page
    assert "Project and guest: rates per unit of use" in page
    for label in ("Partner", "Project", "Host municipality / host", "Guest"):
        assert f">{label}</option>" in page


@pytest.mark.parametrize(
    ("changes", "field", "message", "kept"),
    [
        (
            {"kind": "guest", "weight": "", "carries_residual": "", "dedicated_area_m2": ""},
            "yearly_amount_ore",
            "does not use this term",
            'value="150 000,50"',
        ),
        (
            {"starts_on": "2025-06-01", "ends_on": "2025-05-31"},
            "ends_on",
            "cannot be before the first day",
            'value="2025-05-31"',
        ),
        (
            {"organization_id": "NAV", "starts_on": "2025-06-01"},
            "starts_on",
            "already has a membership of this kind from 2025-01-01",
            'value="2025-06-01"',
        ),
        ({"cap_ore": "-100"}, "cap_ore", "cannot be negative", 'value="-100"'),
        ({"weight": "-1"}, "weight", "zero or more", 'value="-1"'),
        ({"yearly_amount_ore": "mange penger"}, "yearly_amount_ore", "Write an amount", None),
        ({"weight": "1,23456"}, "weight", "at most 4 decimals", 'value="1,23456"'),
        ({"starts_on": ""}, "starts_on", "Give the first day", None),
        ({"starts_on": "31.01.2025"}, "starts_on", "Write a date like", 'value="31.01.2025"'),
        ({"yearly_amount_ore": "99999999999"}, "yearly_amount_ore", "too large", None),
    ],
)
def test_invalid_membership_is_422_keeps_input_and_changes_nothing(
    client, as_admin, changes, field, message, kept
):
    world = as_admin
    if changes.get("organization_id") == "NAV":
        changes = changes | {"organization_id": str(world.nav.id)}
    before = count(Membership)

    response = client.post(
        url_for("accounts_admin.membership_new", slug="regionlab-lister"),
        data=_membership_data(world, **changes),
    )

    assert response.status_code == 422
    page = text(response)
    assert message in field_error(page, field)
    if kept:
        assert kept in page
    assert 'value="24/1234"' in page
    assert "Intensjonsavtale signert" in page
    assert count(Membership) == before


def test_edit_membership(client, as_admin):
    world = as_admin
    m = world.membership
    data = _membership_data(
        world,
        organization_id=str(world.nav.id),
        yearly_amount_ore="130000",
        cap_ore="200 000",
        ends_on="",
    )

    page = text(
        client.get(
            url_for("accounts_admin.membership_edit", slug=world.hub.slug, membership_id=m.id)
        )
    )
    response = client.post(
        url_for("accounts_admin.membership_edit", slug=world.hub.slug, membership_id=m.id),
        data=data,
    )

    assert 'value="120000"' in page  # stored øre shown as kroner
    assert response.status_code == 302
    db.session.refresh(m)
    assert (m.yearly_amount_ore, m.cap_ore, m.ends_on) == (13_000_000, 20_000_000, None)


def test_edit_membership_into_a_kind_that_does_not_fit_its_terms_is_422(client, as_admin):
    world = as_admin
    m = world.membership
    data = _membership_data(world, organization_id=str(world.nav.id), kind="host")

    response = client.post(
        url_for("accounts_admin.membership_edit", slug=world.hub.slug, membership_id=m.id),
        data=data,
    )

    assert response.status_code == 422
    page = text(response)
    for field in ("yearly_amount_ore", "weight", "carries_residual"):
        assert "does not use this term" in field_error(page, field)
    db.session.refresh(m)
    assert (m.kind.value, m.yearly_amount_ore) == ("partner", 12_000_000)


def test_delete_membership(client, as_admin):
    m = as_admin.membership

    response = client.post(
        url_for("accounts_admin.membership_delete", slug="regionlab-lister", membership_id=m.id)
    )

    assert response.status_code == 302
    assert db.session.get(Membership, m.id) is None
