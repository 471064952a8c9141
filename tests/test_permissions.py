"""Role checks that guard against taking over accounts."""

from hub.accounts import permissions, service
from hub.accounts.models import Role
from hub.extensions import db


def test_hub_admin_cannot_change_email_of_someone_who_logged_in(client, login, make_hub, make_user):
    hub = make_hub()
    admin = make_user(hub=hub, role=Role.ADMIN)
    member = make_user(hub=hub, role=Role.MEMBER, email="kari@example.no")
    assert not permissions.can_change_email(admin, member)
    login(admin)
    response = client.post(
        f"/admin/users/{member.id}",
        data={
            "email": "attacker@example.no",
            "name": member.name,
            "home_organization_id": member.home_organization_id,
            "language": "nb",
            "active": "y",
        },
    )
    assert response.status_code in (302, 200)
    db.session.expire_all()
    assert member.email == "kari@example.no"


def test_hub_admin_may_fix_email_of_pending_invitation(app, make_hub, make_user, make_org):
    hub = make_hub()
    admin = make_user(hub=hub, role=Role.ADMIN)
    invited = service.create_user(
        {"email": "ola@exmaple.no", "name": "Ola", "home_organization_id": make_org().id}
    )
    service.grant_role(invited, hub, Role.MEMBER)
    assert permissions.can_change_email(admin, invited)


def test_api_follows_the_same_email_rule_and_sets_projects(client, make_hub, make_user, make_org):
    hub = make_hub()
    admin = make_user(hub=hub, role=Role.ADMIN)
    member = make_user(hub=hub, role=Role.MEMBER, email="kari@example.no")
    project = make_org(name="Stimulab", kind="project")
    _token, secret = service.create_api_token(admin, "test")
    db.session.commit()
    headers = {"Authorization": f"Bearer {secret}"}
    refused = client.patch(
        f"/api/v1/users/{member.id}", json={"email": "x@example.no"}, headers=headers
    )
    assert refused.status_code == 403
    ok = client.patch(
        f"/api/v1/users/{member.id}",
        json={"project_organization_ids": [project.id]},
        headers=headers,
    )
    assert ok.status_code == 200 and ok.get_json()["project_organization_ids"] == [project.id]
