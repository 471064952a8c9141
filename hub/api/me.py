"""The caller: their profile, roles and personal API tokens."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_login import current_user

from hub.accounts import service as accounts
from hub.accounts.models import ApiToken
from hub.api import schemas as s
from hub.api.operations import operation, read_body
from hub.api.users import user_out
from hub.errors import NotFound
from hub.extensions import db

TAG = "me"


@operation("GET", "/me", summary="Who the token belongs to", tag=TAG, response=s.User)
def get_me() -> Any:
    return user_out(current_user, all_roles=True)


@operation(
    "GET", "/me/tokens", summary="List my API tokens", tag=TAG, response=s.ApiToken, many=True
)
def list_tokens() -> Any:
    """Revoked tokens are listed too, with ``revoked_at``."""
    return sorted(current_user.api_tokens, key=lambda token: token.id)


@operation(
    "POST",
    "/me/tokens",
    summary="Create an API token",
    tag=TAG,
    request=s.ApiTokenCreate,
    response=s.ApiTokenCreated,
    status=201,
)
def create_token() -> Any:
    """The secret is in this response only; it is stored as a hash."""
    token, secret = accounts.create_api_token(current_user, read_body().name)
    return s.ApiTokenCreated.model_validate(
        s.ApiToken.model_validate(token).model_dump() | {"secret": secret}
    )


@operation(
    "DELETE", "/me/tokens/<id:token_id>", summary="Revoke one of my tokens", tag=TAG, status=204
)
def revoke_token(token_id: int) -> Any:
    """Someone else's token is 404, as if it did not exist."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != current_user.id:
        raise NotFound(_("No such token."))
    accounts.revoke_api_token(token)
    return None
