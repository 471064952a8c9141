"""The JSON API for privacy: the caller's own data, and deleting their account."""

from __future__ import annotations

from typing import Any

from flask import jsonify
from flask_login import current_user
from pydantic import Field

from hub.accounts import privacy
from hub.api import schemas as s
from hub.api.operations import operation, read_body

TAG = "me"


class AccountDeletion(s.Body):
    confirm_email: str = Field(
        max_length=254, description="The account's email address, to confirm the deletion."
    )


PERSONAL_DATA = {
    "type": "object",
    "description": "Everything the hub holds about the caller (docs/privacy.md): "
    "`format`, `format_version`, `generated_at`, `profile`, `home_organization`, "
    "`project_organizations`, `hub_roles`, `bookings`, `booking_series`, `presence_days`, "
    "`usage_records`, `api_tokens`, `calendar_feeds`, `created_by_you`, "
    "`audit_events_by_you`. Instants are UTC; no secrets or hashes.",
    "required": ["format", "format_version", "generated_at", "profile", "bookings"],
    "properties": {
        "format": {"type": "string", "const": privacy.FORMAT},
        "format_version": {"type": "integer"},
        "generated_at": {"type": "string", "format": "date-time"},
        "profile": {"type": "object"},
        "bookings": {"type": "array", "items": {"type": "object"}},
    },
}


@operation("GET", "/me/data", summary="Download all my data", tag=TAG, response=PERSONAL_DATA)
def get_my_data() -> Any:
    """The same document as the profile page's download; never stored by a cache."""
    response = jsonify(privacy.export_personal_data(current_user._get_current_object()))
    response.headers["Cache-Control"] = "no-store"
    return response


@operation(
    "DELETE",
    "/me",
    summary="Delete my account",
    tag=TAG,
    request=AccountDeletion,
    status=204,
)
def delete_me() -> Any:
    """Cancels future bookings, anonymizes past ones and usage, removes tokens, feeds and
    roles, and anonymizes the account (docs/privacy.md). ``confirm_email`` must be the
    account's email (422 otherwise); the last active system administrator gets 409."""
    me = current_user._get_current_object()
    body = read_body()
    privacy.check_email_confirmation(me, {"confirm_email": body.confirm_email})
    privacy.delete_account(me, me)
    return None
