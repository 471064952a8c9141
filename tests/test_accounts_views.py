"""The person's own pages: password reset, invitation, profile, password and API tokens."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine
from flask import url_for
from werkzeug.security import check_password_hash

from hub import mail
from hub.accounts import service
from hub.accounts.models import ApiToken, Language, Role
from hub.extensions import db

NEW_PASSWORD = "a-brand-new-passphrase"


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def field_error(page: str, field_id: str) -> str:
    """The validation message rendered next to one field ('' if none)."""
    match = re.search(rf'<p [^>]*id="{field_id}-error"[^>]*>(.*?)</p>', page, re.S)
    return match.group(1).strip() if match else ""


def link_in_last_mail(path: str) -> str:
    body = mail.sent_mail()[-1].get_content()
    match = re.search(rf"http://hub\.test({re.escape(path)}\S+)", body)
    assert match, body
    return match.group(1)


def token_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken))


# --- access ------------------------------------------------------------------

PRIVATE_PAGES = ["accounts.profile", "accounts.tokens"]


@pytest.mark.parametrize("endpoint", PRIVATE_PAGES)
@pytest.mark.parametrize(("who", "status"), [("anonymous", 302), ("employee", 200)])
def test_own_pages_need_login(client, make_user, login, endpoint, who, status):
    if who == "employee":
        login(make_user())

    response = client.get(url_for(endpoint))

    assert response.status_code == status
    if status == 302:
        assert response.headers["Location"].startswith("/login?next=")
    else:
        assert text(response).count("<h1") == 1


@pytest.mark.parametrize(
    ("method", "endpoint", "args"),
    [
        ("post", "accounts.profile", {}),
        ("post", "accounts.change_password", {}),
        ("post", "accounts.tokens", {}),
        ("post", "accounts.revoke_token", {"token_id": 1}),
    ],
)
def test_anonymous_posts_go_to_login_and_change_nothing(client, app, method, endpoint, args):
    response = getattr(client, method)(url_for(endpoint, **args), data={"name": "x"})

    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    assert token_count() == 0


@pytest.mark.parametrize("endpoint", ["accounts.forgot_password", "accounts.login"])
def test_public_pages_open_for_anyone(client, app, endpoint):
    response = client.get(url_for(endpoint))

    assert response.status_code == 200
    assert 'for="email"' in response.get_data(as_text=True)


# --- password reset -----------------------------------------------------------

NEUTRAL = "If the address belongs to a user, we have sent a link"


@pytest.mark.parametrize(("typed", "mails"), [("PERSON1@Example.no", 1), ("nobody@example.no", 0)])
def test_forgot_password_answers_the_same_whether_or_not_the_user_exists(
    client, make_user, typed, mails
):
    make_user(email="person1@example.no")

    response = client.post(url_for("accounts.forgot_password"), data={"email": typed})

    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    assert NEUTRAL in text(client.get("/login"))
    assert len(mail.sent_mail()) == mails


def test_forgot_password_with_a_broken_address_is_422(client, app):
    response = client.post(url_for("accounts.forgot_password"), data={"email": "not-an-email"})

    assert response.status_code == 422
    page = text(response)
    assert field_error(page, "email") == "Check the email address."
    assert 'value="not-an-email"' in page
    assert mail.sent_mail() == []


def test_reset_password_full_flow(client, make_user):
    user = make_user(email="kari@example.no")
    client.post(url_for("accounts.forgot_password"), data={"email": "kari@example.no"})
    message = mail.sent_mail()[-1]
    assert message["To"] == "kari@example.no"
    path = link_in_last_mail("/password/reset/")

    page = client.get(path)
    assert page.status_code == 200
    assert "kari@example.no" in text(page)

    mismatch = client.post(
        path, data={"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD + "x"}
    )
    assert mismatch.status_code == 422
    assert field_error(text(mismatch), "password_confirm") == "The two passwords are not the same."

    short = client.post(path, data={"password": "short", "password_confirm": "short"})
    assert short.status_code == 422
    assert "at least 10 characters" in field_error(text(short), "password")
    assert service.authenticate("kari@example.no", NEW_PASSWORD) is None

    done = client.post(path, data={"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
    assert done.status_code == 302
    assert done.headers["Location"] == "/login"
    db.session.refresh(user)
    assert check_password_hash(user.password_hash, NEW_PASSWORD)
    assert (
        client.post(
            "/login", data={"email": "kari@example.no", "password": NEW_PASSWORD}
        ).status_code
        == 302
    )

    # Single use: the password changed, so the link no longer matches.
    again = client.get(path)
    assert again.status_code == 400
    assert 'href="/password/forgot"' in again.get_data(as_text=True)
    replay = client.post(path, data={"password": "another-password-1", "password_confirm": "x"})
    assert replay.status_code == 400
    db.session.refresh(user)
    assert check_password_hash(user.password_hash, NEW_PASSWORD)


def test_reset_link_expires_after_an_hour(client, make_user):
    user = make_user(email="ola@example.no")
    old_hash = user.password_hash
    start = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        client.post(url_for("accounts.forgot_password"), data={"email": "ola@example.no"})
    path = link_in_last_mail("/password/reset/")

    with time_machine.travel(start + timedelta(minutes=59), tick=False):
        assert client.get(path).status_code == 200
    with time_machine.travel(start + timedelta(hours=1, seconds=1), tick=False):
        expired = client.get(path)
        posted = client.post(
            path, data={"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD}
        )

    assert expired.status_code == 400
    assert "The link does not work" in text(expired)
    assert posted.status_code == 400
    db.session.refresh(user)
    assert user.password_hash == old_hash


@pytest.mark.parametrize("path", ["/password/reset/garbage", "/invitation/garbage"])
def test_tampered_links_are_refused(client, app, path):
    response = client.get(path)

    assert response.status_code == 400
    assert 'href="/password/forgot"' in response.get_data(as_text=True)


# --- invitation ---------------------------------------------------------------


@pytest.fixture
def invited(app, make_hub, make_org, make_user):
    hub = make_hub(name="Sentrumsgården", slug="sentrumsgarden")
    admin = make_user(hub=hub, role=Role.ADMIN)
    user = service.invite_user(
        hub,
        {"email": "Nina@Example.no", "name": "Nina Nord", "home_organization_id": make_org().id},
        Role.MEMBER,
        invited_by=admin,
    )
    db.session.commit()
    return user


def test_invitation_lets_the_person_choose_a_password_and_logs_them_in(client, invited):
    assert not invited.has_password
    path = link_in_last_mail("/invitation/")

    page = client.get(path)
    assert page.status_code == 200
    assert "Nina Nord" in text(page)

    response = client.post(path, data={"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})

    assert response.status_code == 302
    assert response.headers["Location"] == url_for("spaces.hub_list", _external=False)
    db.session.refresh(invited)
    assert check_password_hash(invited.password_hash, NEW_PASSWORD)
    assert client.get(url_for("accounts.profile")).status_code == 200
    assert client.get(path).status_code == 400


def test_invitation_with_different_passwords_is_422_and_sets_nothing(client, invited):
    path = link_in_last_mail("/invitation/")

    response = client.post(path, data={"password": NEW_PASSWORD, "password_confirm": "other"})

    assert response.status_code == 422
    assert field_error(text(response), "password_confirm")
    db.session.refresh(invited)
    assert invited.password_hash is None


def test_invitation_link_is_not_a_reset_link(client, invited):
    token = link_in_last_mail("/invitation/").rsplit("/", 1)[1]

    assert client.get(url_for("accounts.reset_password", token=token)).status_code == 400


def test_invitation_expires_after_seven_days(client, app, make_hub, make_org):
    start = datetime(2025, 5, 5, 8, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        service.invite_user(
            make_hub(),
            {"email": "per@example.no", "name": "Per", "home_organization_id": make_org().id},
            Role.MEMBER,
        )
        db.session.commit()
    path = link_in_last_mail("/invitation/")

    with time_machine.travel(start + timedelta(days=7, seconds=1), tick=False):
        response = client.get(path)

    assert response.status_code == 400


# --- profile ------------------------------------------------------------------


@pytest.fixture
def me(make_user, make_org, make_hub, login):
    hub = make_hub(name="RegionLab Lister", slug="regionlab-lister")
    user = make_user(
        name="Kari Nordmann",
        home_organization=make_org(name="NAV Lister"),
        hub=hub,
        role=Role.MEMBER,
    )
    login(user)
    return user


def test_profile_shows_home_organization_roles_and_language_choices(client, me):
    page = text(client.get(url_for("accounts.profile")))

    assert "NAV Lister" in page
    assert "RegionLab Lister" in page and "Member" in page
    for label in ("Bokmål", "Nynorsk", "English"):
        assert label in page
    assert "Show my name to other members of the hubs where I book" in page
    assert page.count("<h1") == 1


def test_profile_saves_name_language_and_privacy(client, me):
    response = client.post(
        url_for("accounts.profile"),
        data={"name": "Kari N. Nordmann", "language": "nn", "share_name": "y"},
    )

    assert response.status_code == 302
    db.session.refresh(me)
    assert (me.name, me.language, me.share_name) == ("Kari N. Nordmann", Language.NN, True)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": "", "language": "en"}, "name", "Name is required."),
        ({"name": "Kari", "language": "de"}, "language", "Choose one of the listed values."),
    ],
)
def test_profile_with_bad_input_is_422_and_changes_nothing(client, me, data, field, message):
    response = client.post(url_for("accounts.profile"), data=data | {"share_name": "y"})

    assert response.status_code == 422
    assert message in field_error(text(response), field)
    db.session.refresh(me)
    assert (me.name, me.language, me.share_name) == ("Kari Nordmann", Language.EN, False)


def test_change_password(client, me):
    response = client.post(
        url_for("accounts.change_password"),
        data={
            "current_password": "correct-horse-battery",
            "password": NEW_PASSWORD,
            "password_confirm": NEW_PASSWORD,
        },
    )

    assert response.status_code == 302
    db.session.refresh(me)
    assert check_password_hash(me.password_hash, NEW_PASSWORD)


@pytest.mark.parametrize(
    ("current", "new", "confirm", "field", "message"),
    [
        ("wrong-password", NEW_PASSWORD, NEW_PASSWORD, "current_password", "is wrong"),
        ("correct-horse-battery", NEW_PASSWORD, "different", "password_confirm", "not the same"),
        ("correct-horse-battery", "short", "short", "password", "at least 10"),
    ],
)
def test_change_password_refuses_bad_input(client, me, current, new, confirm, field, message):
    old_hash = me.password_hash

    response = client.post(
        url_for("accounts.change_password"),
        data={"current_password": current, "password": new, "password_confirm": confirm},
    )

    assert response.status_code == 422
    page = text(response)
    assert message in field_error(page, field)
    assert 'value="Kari Nordmann"' in page  # the profile form is still filled in
    db.session.refresh(me)
    assert me.password_hash == old_hash


def test_password_page_get_goes_to_the_profile(client, me):
    response = client.get(url_for("accounts.change_password"))

    assert response.status_code == 302
    assert response.headers["Location"].endswith("/profile#change-password")


# --- API tokens ---------------------------------------------------------------


def test_token_secret_is_shown_once(client, me):
    response = client.post(url_for("accounts.tokens"), data={"name": "Rapportskript"})

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = text(response)
    secret = re.search(r'value="(hub_[^"]+)"', page).group(1)
    assert "shown only this once" in page
    token = db.session.scalar(sa.select(ApiToken))
    assert (token.user_id, token.name) == (me.id, "Rapportskript")
    assert token.token_hash == service.hash_token(secret)
    assert service.user_for_api_token(secret).id == me.id

    listing = text(client.get(url_for("accounts.tokens")))
    assert "Rapportskript" in listing and token.prefix in listing
    assert secret not in listing
    assert "shown only this once" not in listing


def test_token_without_a_name_is_422(client, me):
    response = client.post(url_for("accounts.tokens"), data={"name": "  "})

    assert response.status_code == 422
    assert field_error(text(response), "name")
    assert token_count() == 0


def test_revoke_own_token(client, me):
    token, secret = service.create_api_token(me, "Gammel")
    db.session.commit()

    response = client.post(url_for("accounts.revoke_token", token_id=token.id))

    assert response.status_code == 302
    db.session.refresh(token)
    assert token.revoked_at is not None
    assert service.user_for_api_token(secret) is None
    assert "Revoked" in text(client.get(url_for("accounts.tokens")))


@pytest.mark.parametrize("whose", ["someone_else", "nobody"])
def test_revoking_a_token_that_is_not_mine_is_404(client, me, make_user, whose):
    other = make_user()
    token, _secret = service.create_api_token(other, "Naboens")
    db.session.commit()
    token_id = token.id if whose == "someone_else" else token.id + 1000

    response = client.post(url_for("accounts.revoke_token", token_id=token_id))

    assert response.status_code == 404
    db.session.refresh(token)
    assert token.revoked_at is None
    assert "Naboens" not in text(client.get(url_for("accounts.tokens")))


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_revoke_needs_the_csrf_token_from_the_page(client, make_user, app_config):
    user = make_user()
    token, _secret = service.create_api_token(user, "Beskyttet")
    db.session.commit()
    with client.session_transaction() as flask_session:
        flask_session["_user_id"] = str(user.id)
        flask_session["_fresh"] = True

    response = client.post(url_for("accounts.revoke_token", token_id=token.id))

    assert response.status_code == 400
    db.session.refresh(token)
    assert token.revoked_at is None

    page = client.get(url_for("accounts.tokens")).get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    accepted = client.post(
        url_for("accounts.revoke_token", token_id=token.id), data={"csrf_token": csrf}
    )
    assert accepted.status_code == 302
    db.session.refresh(token)
    assert token.revoked_at is not None
