"""The form that turns on (or renews) a calendar subscription."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.validators import InputRequired

PERSONAL_TARGET = "personal"


def target_value(scope: str, target_id: int | None = None) -> str:
    """The select's value for a feed: ``personal``, ``hub-3``, ``space-12``, ``organization-7``."""
    return scope if target_id is None else f"{scope}-{target_id}"


def parse_target(value: str) -> tuple[str, int | None]:
    """The inverse of ``target_value``; the form's choices have already checked it."""
    scope, _sep, ident = value.partition("-")
    return scope, int(ident) if ident else None


class FeedForm(FlaskForm):
    # Choices are set by the view: the feeds this person may subscribe to, by hub.
    target = SelectField(
        _l("Calendar"),
        validators=[InputRequired(_l("Choose a calendar."))],
        description=_l("Your own bookings, a whole hub, one place, or your organization."),
    )
