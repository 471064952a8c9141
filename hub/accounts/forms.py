"""Forms for logging in and the person's own account."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, InputRequired, Length

from hub.accounts import labels
from hub.accounts.service import MIN_PASSWORD_LENGTH
from hub.forms import select_choices

CHOICE_MESSAGE = _l("Choose one of the listed values.")


class LoginForm(FlaskForm):
    email = EmailField(
        _l("Email"),
        validators=[
            DataRequired(_l("Write your email address.")),
            Email(_l("Check the email address.")),
        ],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(_l("Write your password."))],
        render_kw={"autocomplete": "current-password"},
    )


class ForgotPasswordForm(FlaskForm):
    email = EmailField(
        _l("Email"),
        validators=[
            DataRequired(_l("Write your email address.")),
            Email(_l("Check the email address.")),
        ],
        render_kw={"autocomplete": "email"},
    )


def _new_password_field() -> PasswordField:
    return PasswordField(
        _l("New password"),
        validators=[InputRequired(_l("Write a new password."))],
        description=_l("At least %(n)d characters.", n=MIN_PASSWORD_LENGTH),
        render_kw={"autocomplete": "new-password"},
    )


def _repeat_password_field() -> PasswordField:
    return PasswordField(
        _l("Repeat the new password"),
        validators=[
            InputRequired(_l("Write the new password once more.")),
            EqualTo("password", _l("The two passwords are not the same.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )


class NewPasswordForm(FlaskForm):
    """A new password typed twice: resetting it, or accepting an invitation."""

    password = _new_password_field()
    password_confirm = _repeat_password_field()


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[InputRequired(_l("Write your current password."))],
        render_kw={"autocomplete": "current-password"},
    )
    password = _new_password_field()
    password_confirm = _repeat_password_field()


class ProfileForm(FlaskForm):
    name = StringField(
        _l("Name"),
        validators=[
            DataRequired(_l("Name is required.")),
            Length(max=200, message=_l("The name can have at most %(max)d characters.")),
        ],
        render_kw={"autocomplete": "name"},
    )
    language = SelectField(
        _l("Language"),
        invalid_choice_message=CHOICE_MESSAGE,
        invalid_value_message=CHOICE_MESSAGE,
        choices=select_choices(labels.LANGUAGE_LABELS),
        validators=[InputRequired(_l("Choose a language."))],
    )
    share_name = BooleanField(
        _l("Show my name to other members of the hubs where I book"),
        description=_l("Otherwise others only see that a place is busy."),
    )


class ApiTokenForm(FlaskForm):
    name = StringField(
        _l("Name of the token"),
        validators=[DataRequired(_l("Give the token a name so you can recognise it later."))],
        description=_l("For example the program or script that will use it."),
        render_kw={"autocomplete": "off", "maxlength": 100},
    )
