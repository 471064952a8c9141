"""API: organizations, memberships, users, invitations and roles."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from db_support import count

from hub import mail
from hub.accounts import service as accounts
from hub.accounts.models import HubRole, Membership, Organization, Role, User
from hub.extensions import db
from hub.spaces.models import Hub

VALID_ORGNR = "974760673"  # Brønnøysundregistrene


@pytest.fixture
def lister(make_hub: Any) -> Hub:
    return make_hub(slug="regionlab-lister", name="RegionLab Lister")


@pytest.fixture
def nav(make_org: Any) -> Organization:
    return make_org(name="NAV Lister", kind="state_agency")


@pytest.fixture
def people(person: Any, make_hub: Any, lister: Hub) -> dict[str, Any]:
    other_hub = make_hub(slug="sentrumsgarden", name="Sentrumsgården")
    return {
        "system_admin": person(is_system_admin=True, name="Systemadministrator"),
        "hub_admin": person(hub=lister, role=Role.ADMIN, name="Vertskap Lister"),
        "other_hub_admin": person(hub=other_hub, role=Role.ADMIN, name="Vertskap Narvik"),
        "employee": person(hub=lister, role=Role.MEMBER, name="Ansatt Lister"),
    }


# --- organizations -----------------------------------------------------------------------


def test_any_user_lists_and_reads_organizations(api, person, nav):
    user = person()

    listed = api("GET", "/organizations", user)
    one = api("GET", f"/organizations/{nav.id}", user)

    assert listed.status_code == 200
    assert nav.name in [o["name"] for o in listed.get_json()]
    assert one.status_code == 200 and one.get_json()["kind"] == "state_agency"


@pytest.mark.parametrize("who", ["system_admin", "hub_admin", "other_hub_admin"])
def test_admins_register_and_correct_organizations(api, people, who):
    created = api(
        "POST",
        "/organizations",
        people[who],
        json={"name": "Skatteetaten", "kind": "state_agency", "org_number": "974 761 076"},
    )

    assert created.status_code == 201, created.get_json()
    org = db.session.get(Organization, created.get_json()["id"])
    assert org.org_number == "974761076"

    patched = api("PATCH", f"/organizations/{org.id}", people[who], json={"short_name": "SKE"})

    assert patched.status_code == 200
    db.session.refresh(org)
    assert (org.name, org.short_name) == ("Skatteetaten", "SKE")


def test_employee_may_not_write_organizations(api, people, nav):
    before = count(Organization)

    created = api("POST", "/organizations", people["employee"], json={"name": "X", "kind": "other"})
    patched = api("PATCH", f"/organizations/{nav.id}", people["employee"], json={"name": "Y"})

    assert (created.status_code, patched.status_code) == (403, 403)
    assert count(Organization) == before
    db.session.refresh(nav)
    assert nav.name == "NAV Lister"


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"name": "Feil", "kind": "state_agency", "org_number": "974760674"}, {"org_number"}),
        ({"name": "Feil", "kind": "state_agency", "org_number": "12345"}, {"org_number"}),
        ({"name": "nav lister", "kind": "state_agency"}, {"name"}),
        ({"name": "Feil", "kind": "ministry"}, {"kind"}),
        ({"name": "Feil", "kind": "other", "contact_email": "not-an-email"}, {"contact_email"}),
        ({"name": "Feil", "kind": "other", "orgnr": VALID_ORGNR}, {"orgnr"}),
        ({"name": "Feil", "kind": "other", "org_number": 974760673}, {"org_number"}),
        ({"kind": "other"}, {"name"}),
    ],
)
def test_invalid_organization_is_422_naming_fields(api, people, nav, body, fields):
    before = count(Organization)

    response = api("POST", "/organizations", people["hub_admin"], json=body)

    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == fields
    assert count(Organization) == before


def test_unknown_organization_is_404(api, people):
    assert api("GET", "/organizations/999999", people["employee"]).status_code == 404
    response = api("PATCH", "/organizations/999999", people["system_admin"], json={"name": "X"})
    assert response.status_code == 404


# --- memberships ---------------------------------------------------------------------------


@pytest.fixture
def membership(lister: Hub, nav: Organization) -> Membership:
    m = accounts.create_membership(
        lister,
        {
            "organization_id": nav.id,
            "kind": "partner",
            "starts_on": date(2025, 1, 1),
            "ends_on": date(2025, 12, 31),
            "yearly_amount_ore": 10_000_000,
        },
    )
    db.session.commit()
    return m


def test_hub_admin_creates_patches_and_deletes_a_membership(api, people, lister, nav):
    admin = people["hub_admin"]

    created = api(
        "POST",
        "/hubs/regionlab-lister/memberships",
        admin,
        json={
            "organization_id": nav.id,
            "kind": "partner",
            "starts_on": "2026-01-01",
            "yearly_amount_ore": 12_000_000,
            "weight": "1.5",
            "carries_residual": True,
        },
    )

    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert (body["starts_on"], body["ends_on"], body["weight"]) == ("2026-01-01", None, "1.5000")
    m = db.session.get(Membership, body["id"])
    assert (m.hub_id, m.yearly_amount_ore, m.weight) == (lister.id, 12_000_000, Decimal("1.5"))

    patched = api("PATCH", f"/memberships/{m.id}", admin, json={"ends_on": "2026-12-31"})

    assert patched.status_code == 200
    db.session.refresh(m)
    assert (m.starts_on, m.ends_on, m.yearly_amount_ore) == (
        date(2026, 1, 1),
        date(2026, 12, 31),
        12_000_000,
    )
    listed = api("GET", "/hubs/regionlab-lister/memberships", admin).get_json()
    assert [x["id"] for x in listed] == [m.id]

    deleted = api("DELETE", f"/memberships/{m.id}", admin)

    assert deleted.status_code == 204
    assert count(Membership) == 0


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"kind": "partner", "starts_on": "2025-06-01"}, {"starts_on"}),  # overlaps 2025
        ({"kind": "partner", "starts_on": "2026-01-01", "ends_on": "2025-01-01"}, {"ends_on"}),
        (
            {"kind": "guest", "starts_on": "2026-01-01", "yearly_amount_ore": 5},
            {"yearly_amount_ore"},
        ),
        ({"kind": "partner", "starts_on": "2026-01-01", "cap_ore": -1}, {"cap_ore"}),
        ({"kind": "partner", "starts_on": "2026-01-01", "cap_ore": 10.5}, {"cap_ore"}),
        ({"kind": "partner", "starts_on": "2026-01-01", "weight": "-1"}, {"weight"}),
        ({"kind": "partner", "starts_on": "01.01.2026"}, {"starts_on"}),
        ({"kind": "partner", "starts_on": "2026-01-01", "discount": 1}, {"discount"}),
        ({"kind": "sponsor", "starts_on": "2026-01-01"}, {"kind"}),
        (
            {"kind": "guest", "starts_on": "2026-01-01", "organization_id": 2**70},
            {"organization_id"},
        ),
    ],
)
def test_invalid_membership_is_422_naming_fields(api, people, nav, membership, body, fields):
    before = count(Membership)

    response = api(
        "POST",
        "/hubs/regionlab-lister/memberships",
        people["hub_admin"],
        json={"organization_id": nav.id} | body,
    )

    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == fields
    assert count(Membership) == before


def test_membership_for_unknown_organization_is_422(api, people):
    response = api(
        "POST",
        "/hubs/regionlab-lister/memberships",
        people["hub_admin"],
        json={"organization_id": 999_999, "kind": "guest", "starts_on": "2026-01-01"},
    )

    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {"organization_id"}


def test_patch_into_an_overlap_is_422_and_changes_nothing(api, people, lister, nav, membership):
    later = accounts.create_membership(
        lister, {"organization_id": nav.id, "kind": "partner", "starts_on": date(2026, 1, 1)}
    )
    db.session.commit()

    response = api(
        "PATCH", f"/memberships/{later.id}", people["hub_admin"], json={"starts_on": "2025-12-01"}
    )

    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {"starts_on"}
    db.session.refresh(later)
    assert later.starts_on == date(2026, 1, 1)


@pytest.mark.parametrize("who", ["employee", "other_hub_admin"])
@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/hubs/regionlab-lister/memberships", None),
        ("POST", "/hubs/regionlab-lister/memberships", {"kind": "guest"}),
        ("GET", "/memberships/{id}", None),
        ("PATCH", "/memberships/{id}", {"yearly_amount_ore": 1}),
        ("DELETE", "/memberships/{id}", None),
    ],
)
def test_memberships_need_an_admin_of_this_hub(api, people, membership, who, method, path, body):
    kwargs = {} if body is None else {"json": body}

    response = api(method, path.format(id=membership.id), people[who], **kwargs)

    assert response.status_code == 403
    assert count(Membership) == 1
    db.session.refresh(membership)
    assert membership.yearly_amount_ore == 10_000_000


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
def test_unknown_membership_is_404(api, people, method):
    kwargs = {"json": {}} if method == "PATCH" else {}

    response = api(method, "/memberships/999999", people["system_admin"], **kwargs)

    assert response.status_code == 404


def test_memberships_of_unknown_hub_is_404(api, people):
    assert api("GET", "/hubs/finnes-ikke/memberships", people["system_admin"]).status_code == 404


# --- users ------------------------------------------------------------------------------------


def test_system_admin_lists_everyone(api, people):
    response = api("GET", "/users", people["system_admin"])

    assert response.status_code == 200
    assert {u["id"] for u in response.get_json()} == {u.id for u in people.values()}


def test_hub_admin_lists_people_with_roles_in_their_hubs(api, people):
    response = api("GET", "/users", people["hub_admin"])

    assert response.status_code == 200
    users = {u["name"]: u for u in response.get_json()}
    assert set(users) == {"Vertskap Lister", "Ansatt Lister"}
    assert [r["hub_slug"] for r in users["Ansatt Lister"]["roles"]] == ["regionlab-lister"]


def test_employee_may_not_list_users(api, people):
    assert api("GET", "/users", people["employee"]).status_code == 403


def test_hub_admin_reads_and_updates_a_person_in_their_hub(api, people):
    employee = people["employee"]

    read = api("GET", f"/users/{employee.id}", people["hub_admin"])
    patched = api(
        "PATCH",
        f"/users/{employee.id}",
        people["hub_admin"],
        json={"name": "Ansatt Omdøpt", "language": "nn", "active": False},
    )

    assert read.status_code == 200 and read.get_json()["email"] == employee.email
    assert patched.status_code == 200, patched.get_json()
    db.session.refresh(employee)
    assert (employee.name, employee.language, employee.active) == ("Ansatt Omdøpt", "nn", False)


@pytest.mark.parametrize(
    ("who", "target", "body"),
    [
        ("other_hub_admin", "employee", {"name": "X"}),
        ("employee", "hub_admin", {"name": "X"}),
        ("hub_admin", "employee", {"is_system_admin": True}),
    ],
)
def test_user_writes_need_the_right_to_manage_them(api, people, who, target, body):
    user = people[target]

    response = api("PATCH", f"/users/{user.id}", people[who], json=body)

    assert response.status_code == 403
    db.session.refresh(user)
    assert user.name != "X" and user.is_system_admin is False


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "ikke-en-adresse"}, "email"),
        ({"email": "SYSTEMADMIN@example.no"}, "email"),
        ({"home_organization_id": 999_999}, "home_organization_id"),
        ({"language": "sv"}, "language"),
        ({"active": "no"}, "active"),
        ({"password": "hunter2hunter2"}, "password"),
    ],
)
def test_invalid_user_patch_is_422_and_changes_nothing(api, people, body, field):
    people["system_admin"].email = "systemadmin@example.no"
    db.session.commit()
    employee = people["employee"]
    email, language = employee.email, employee.language

    response = api("PATCH", f"/users/{employee.id}", people["system_admin"], json=body)

    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]
    db.session.refresh(employee)
    assert (employee.email, employee.language, employee.active) == (email, language, True)


def test_unique_violation_that_slips_past_the_service_is_409(api, people, monkeypatch):
    """A race (two requests with the same email) reaches the database's unique index."""
    employee, other = people["employee"], people["hub_admin"]
    monkeypatch.setattr(accounts, "find_user_by_email", lambda email: None)

    response = api(
        "PATCH", f"/users/{employee.id}", people["system_admin"], json={"email": other.email}
    )

    assert response.status_code == 409
    assert response.get_json()["error"]["status"] == 409
    db.session.refresh(employee)
    assert employee.email != other.email
    assert api("GET", "/me", people["system_admin"]).status_code == 200  # the session recovered


# --- invitations ----------------------------------------------------------------------------


def test_hub_admin_invites_a_known_person_with_a_role(api, people, person, lister):
    known = person(name="Kjent Person")
    mail.sent_mail().clear()

    response = api(
        "POST",
        "/hubs/regionlab-lister/invitations",
        people["hub_admin"],
        json={"email": known.email.upper(), "role": "member"},
    )

    assert response.status_code == 201, response.get_json()
    assert response.get_json()["id"] == known.id
    assert [(r.hub_id, r.role) for r in known.roles] == [(lister.id, Role.MEMBER)]
    assert [m["To"] for m in mail.sent_mail()] == [known.email]


def test_inviting_a_new_person_creates_them(api, app, people, nav, lister):
    if "accounts.accept_invitation" not in app.view_functions:
        pytest.skip("the invitation acceptance page (accounts.accept_invitation) is not built yet")

    response = api(
        "POST",
        "/hubs/regionlab-lister/invitations",
        people["hub_admin"],
        json={
            "email": "ny@nav.no",
            "name": "Ny Person",
            "home_organization_id": nav.id,
            "role": "partner_contact",
            "organization_id": nav.id,
        },
    )

    assert response.status_code == 201, response.get_json()
    user = accounts.find_user_by_email("ny@nav.no")
    assert user.has_password is False
    assert [(r.role, r.organization_id) for r in user.roles] == [(Role.PARTNER_CONTACT, nav.id)]


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"email": "ny@nav.no", "role": "member"}, {"name", "home_organization_id"}),
        ({"email": "ny@nav.no", "name": "Ny", "role": "owner"}, {"role"}),
        ({"email": "ugyldig", "name": "Ny", "home_organization_id": 0, "role": "member"}, None),
        ({"name": "Ny", "role": "member"}, {"email"}),
    ],
)
def test_invalid_invitation_is_422_and_creates_no_one(api, people, body, fields):
    before = (count(User), count(HubRole))

    response = api("POST", "/hubs/regionlab-lister/invitations", people["hub_admin"], json=body)

    assert response.status_code == 422
    if fields is not None:
        assert set(response.get_json()["error"]["fields"]) == fields
    else:
        assert {"email", "home_organization_id"} <= set(response.get_json()["error"]["fields"])
    assert (count(User), count(HubRole)) == before


def test_partner_contact_invitation_of_known_person_needs_organization(api, people, person):
    known = person()

    response = api(
        "POST",
        "/hubs/regionlab-lister/invitations",
        people["hub_admin"],
        json={"email": known.email, "role": "partner_contact"},
    )

    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {"organization_id"}
    db.session.refresh(known)
    assert known.roles == []


@pytest.mark.parametrize("who", ["employee", "other_hub_admin"])
def test_invitations_need_an_admin_of_this_hub(api, people, person, who):
    known = person()

    response = api(
        "POST",
        "/hubs/regionlab-lister/invitations",
        people[who],
        json={"email": known.email, "role": "admin"},
    )

    assert response.status_code == 403
    db.session.refresh(known)
    assert known.roles == []


# --- roles ------------------------------------------------------------------------------------


def test_hub_admin_grants_lists_and_revokes_roles(api, people, person, lister, nav):
    admin, someone = people["hub_admin"], person(name="Kontakt NAV")

    granted = api(
        "POST",
        "/hubs/regionlab-lister/roles",
        admin,
        json={"user_id": someone.id, "role": "partner_contact", "organization_id": nav.id},
    )
    again = api(
        "POST",
        "/hubs/regionlab-lister/roles",
        admin,
        json={"user_id": someone.id, "role": "partner_contact", "organization_id": nav.id},
    )

    assert granted.status_code == 201, granted.get_json()
    assert again.status_code == 200 and again.get_json()["id"] == granted.get_json()["id"]
    listed = api("GET", "/hubs/regionlab-lister/roles", admin).get_json()
    assert ("Kontakt NAV", "partner_contact", nav.id) in [
        (r["user_name"], r["role"], r["organization_id"]) for r in listed
    ]

    revoked = api("DELETE", f"/roles/{granted.get_json()['id']}", admin)

    assert revoked.status_code == 204
    assert db.session.get(HubRole, granted.get_json()["id"]) is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"user_id": 999_999, "role": "member"}, "user_id"),
        ({"user_id": 2**70, "role": "member"}, "user_id"),
        ({"user_id": "{id}", "role": "member"}, "user_id"),
        ({"user_id": 0, "role": "boss"}, "role"),
        ({"user_id": "{me}", "role": "partner_contact"}, "organization_id"),
    ],
)
def test_invalid_role_grant_is_422(api, people, person, body, field):
    someone = person()
    body = {
        k: (someone.id if v == "{me}" else str(someone.id) if v == "{id}" else v)
        for k, v in body.items()
    }
    before = count(HubRole)

    response = api("POST", "/hubs/regionlab-lister/roles", people["hub_admin"], json=body)

    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]
    assert count(HubRole) == before


@pytest.mark.parametrize("who", ["employee", "other_hub_admin"])
def test_roles_need_an_admin_of_this_hub(api, people, who):
    role_id = people["employee"].roles[0].id
    before = count(HubRole)

    listed = api("GET", "/hubs/regionlab-lister/roles", people[who])
    granted = api(
        "POST",
        "/hubs/regionlab-lister/roles",
        people[who],
        json={"user_id": people[who].id, "role": "admin"},
    )
    revoked = api("DELETE", f"/roles/{role_id}", people[who])

    assert (listed.status_code, granted.status_code, revoked.status_code) == (403, 403, 403)
    assert count(HubRole) == before


def test_unknown_role_is_404(api, people):
    assert api("DELETE", "/roles/999999", people["system_admin"]).status_code == 404
