"""Secrets at rest: password hashes (KDF, rehash on login), API tokens and feed tokens."""

from __future__ import annotations

import hashlib
import hmac

import pytest
import sqlalchemy as sa
from werkzeug.security import check_password_hash, generate_password_hash

from hub.accounts import service as accounts
from hub.accounts.models import ApiToken, User
from hub.calendar import tokens as feed_tokens
from hub.calendar.models import FeedToken
from hub.extensions import db
from hub.security.passwords import canonical_method, hash_method, needs_rehash

PASSWORD = "correct-horse-battery"

# --- password hashing (pure) -----------------------------------------------------


def test_scrypt_is_the_configured_kdf():
    from hub.config import DEFAULTS

    assert DEFAULTS["PASSWORD_HASH_METHOD"] == "scrypt"
    assert canonical_method("scrypt") == "scrypt:32768:8:1"


@pytest.mark.parametrize(
    ("stored_method", "configured", "rehash"),
    [
        ("pbkdf2:sha256:1000", "scrypt", True),
        ("pbkdf2:sha256:1000", "pbkdf2:sha256:1000", False),
        ("pbkdf2:sha256:1000", "pbkdf2:sha256:2000", True),
        ("scrypt", "scrypt", False),
        ("scrypt:16384:8:1", "scrypt", True),
    ],
)
def test_needs_rehash_compares_the_spelled_out_method(stored_method, configured, rehash):
    stored = generate_password_hash("x", method=stored_method)
    assert needs_rehash(stored, configured) is rehash


def test_hash_method_is_the_part_before_the_salt():
    assert hash_method("pbkdf2:sha256:600000$salt$abc") == "pbkdf2:sha256:600000"


# --- rehash on login ---------------------------------------------------------------


def login(client, email, password):
    return client.post("/login", data={"email": email, "password": password})


def stored_hash(user: User) -> str:
    db.session.expire_all()
    return db.session.get(User, user.id).password_hash


def test_login_moves_an_old_hash_to_the_configured_method(app, client, make_user):
    user = make_user(email="kari@example.no")  # pbkdf2:sha256:1000 in tests
    old = stored_hash(user)
    app.config["PASSWORD_HASH_METHOD"] = "pbkdf2:sha256:2000"

    assert login(client, user.email, PASSWORD).status_code == 302

    new = stored_hash(user)
    assert new != old
    assert new.startswith("pbkdf2:sha256:2000$")
    assert check_password_hash(new, PASSWORD)


def test_no_rehash_with_a_wrong_password_or_the_same_method(app, client, make_user):
    user = make_user(email="kari@example.no")
    old = stored_hash(user)

    assert login(client, user.email, PASSWORD).status_code == 302  # same method
    assert stored_hash(user) == old
    client.post("/logout")

    app.config["PASSWORD_HASH_METHOD"] = "pbkdf2:sha256:2000"
    assert login(client, user.email, "wrong-password").status_code == 422
    assert stored_hash(user) == old


# --- API and feed tokens at rest ------------------------------------------------------


def row_values(model, row_id) -> list[str]:
    """Every column of the stored row, as the database returns it, as text."""
    table = model.__table__
    row = db.session.execute(sa.select(table).where(table.c.id == row_id)).one()
    return [str(value) for value in row]


def assert_secret_not_stored(model, row_id, secret: str) -> None:
    random_part = secret.removeprefix(accounts.TOKEN_PREFIX)
    for value in row_values(model, row_id):
        assert secret not in value
        assert random_part not in value
        # no more than a short, displayable prefix of the secret is anywhere
        assert not any(random_part[i : i + 12] in value for i in range(len(random_part) - 11))


def test_api_token_is_stored_as_sha256_only(app, make_user):
    user = make_user(password=None)
    token, secret = accounts.create_api_token(user, "laptop")
    db.session.commit()

    assert len(secret.removeprefix(accounts.TOKEN_PREFIX)) == 43  # token_urlsafe(32): 256 bits
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert len(token.prefix) <= 10  # what the token list shows to recognise it
    assert_secret_not_stored(ApiToken, token.id, secret)


def test_feed_token_is_stored_as_sha256_only(app, make_user):
    user = make_user(password=None)
    token, secret = feed_tokens.issue(user, "personal")
    db.session.commit()

    assert len(secret) == 43
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert_secret_not_stored(FeedToken, token.id, secret)


def same_length_wrong(secret: str) -> str:
    last = "A" if secret[-1] != "A" else "B"
    return secret[:-1] + last


def test_api_refuses_a_wrong_token_of_the_same_length(app, client, make_user):
    user = make_user(password=None)
    _token, secret = accounts.create_api_token(user, "laptop")
    db.session.commit()

    def me(value):
        return client.get("/api/v1/me", headers={"Authorization": f"Bearer {value}"})

    assert me(secret).status_code == 200
    assert me(same_length_wrong(secret)).status_code == 401
    assert me(secret.upper()).status_code == 401


def test_feed_refuses_a_wrong_secret_of_the_same_length(app, client, make_user):
    user = make_user(password=None)
    _token, secret = feed_tokens.issue(user, "personal")
    db.session.commit()

    assert client.get(f"/feeds/{secret}.ics").status_code == 200
    assert client.get(f"/feeds/{same_length_wrong(secret)}.ics").status_code == 404


@pytest.mark.parametrize("kind", ["api", "feed"])
def test_token_hashes_are_compared_in_constant_time(app, make_user, monkeypatch, kind):
    """The row is found by its hash, then confirmed with hmac.compare_digest."""
    user = make_user(password=None)
    if kind == "api":
        _token, secret = accounts.create_api_token(user, "laptop")
    else:
        _token, secret = feed_tokens.issue(user, "personal")
    db.session.commit()
    calls = []
    real = hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)

    found = accounts.user_for_api_token(secret) if kind == "api" else feed_tokens.resolve(secret)

    assert found is not None
    digest = hashlib.sha256(secret.encode()).hexdigest()
    assert (digest, digest) in calls
