"""Admin forms for organizations, users, roles and memberships.

Field names are the service's field names; the rules live in the service, the
forms only parse what was typed (kroner, dates, decimals) and require what must
be there. Select choices that come from the database are set by the view.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    Field,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from hub.accounts import labels
from hub.accounts.forms import CHOICE_MESSAGE
from hub.forms import NokField, select_choices

# Anything above a billion kroner is a typing mistake, and would not fit the column.
MAX_AMOUNT_ORE = 100_000_000_000

CHOOSE = SelectChoice("", _l("Choose…"))
NONE_CHOSEN = SelectChoice("", _l("None"))


def optional_int(value: Any) -> int | None:
    """Coerce for selects of database ids where the first option is empty."""
    if value in (None, ""):
        return None
    return int(value)


def _length(limit: int) -> Length:
    return Length(max=limit, message=_l("Write at most %(max)d characters."))


def _amount_not_too_large(_form: FlaskForm, field: Field) -> None:
    if field.data is not None and field.data > MAX_AMOUNT_ORE:
        raise ValidationError(_l("The amount is too large."))


class DecimalTextField(StringField):
    """A decimal typed the Norwegian way ('1,5' or '1.5'); ``data`` is a Decimal."""

    def __init__(
        self, label: Any = None, validators: Any = None, *, places: int, max_digits: int, **kw: Any
    ) -> None:
        super().__init__(label, validators, **kw)
        self.places = places
        self.max_digits = max_digits

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        if self.data is None:
            return ""
        return str(format_decimal(self.data, format="0." + "#" * self.places))

    def process_formdata(self, valuelist: list[Any]) -> None:
        text = str(valuelist[0] if valuelist else "")
        text = text.strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")
        self.data = None
        if not text:
            return
        try:
            value = Decimal(text)
        except InvalidOperation as exc:
            raise ValueError(_l("Write a number, like 1,5.")) from exc
        if not value.is_finite():
            raise ValueError(_l("Write a number, like 1,5."))
        exponent = value.as_tuple().exponent
        if isinstance(exponent, int) and exponent < -self.places:
            raise ValueError(_l("Use at most %(n)d decimals.", n=self.places))
        if abs(value) >= 10 ** (self.max_digits - self.places):
            raise ValueError(_l("The number is too large."))
        self.data = value


def _nok(label: Any, description: Any = None) -> NokField:
    return NokField(
        label,
        validators=[Optional(), _amount_not_too_large],
        description=description,
        render_kw={"inputmode": "decimal"},
    )


# --- organizations ---------------------------------------------------------


class OrganizationForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Name is required.")), _length(200)])
    short_name = StringField(
        _l("Short name"),
        validators=[Optional(), _length(40)],
        description=_l("Shown where space is short, for example NAV or UiA."),
    )
    kind = SelectField(
        _l("Kind of organization"),
        invalid_choice_message=CHOICE_MESSAGE,
        invalid_value_message=CHOICE_MESSAGE,
        choices=[CHOOSE, *select_choices(labels.ORGANIZATION_KIND_LABELS)],
        validators=[DataRequired(_l("Choose the kind of organization."))],
    )
    org_number = StringField(
        _l("Organisation number"),
        validators=[Optional(), _length(20)],
        description=_l("Nine digits, as in the Brønnøysund register."),
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
    home_office = StringField(
        _l("Home office"),
        validators=[Optional(), _length(120)],
        description=_l("Where the organization's own office is"),
    )
    contact_email = EmailField(
        _l("Contact email"),
        validators=[Optional(), _length(254)],
        render_kw={"autocomplete": "off"},
    )


# --- users and roles -------------------------------------------------------


def _email_field() -> EmailField:
    return EmailField(
        _l("Email"),
        validators=[DataRequired(_l("Email is required.")), _length(254)],
        render_kw={"autocomplete": "off"},
    )


def _name_field() -> StringField:
    return StringField(_l("Name"), validators=[DataRequired(_l("Name is required.")), _length(200)])


def _home_org_field() -> SelectField:
    return SelectField(
        _l("Home organization"),
        invalid_choice_message=CHOICE_MESSAGE,
        invalid_value_message=CHOICE_MESSAGE,
        coerce=optional_int,
        validators=[DataRequired(_l("Choose the person's home organization."))],
        description=_l("The organization the person works for."),
    )


def _language_field() -> SelectField:
    return SelectField(
        _l("Language"),
        invalid_choice_message=CHOICE_MESSAGE,
        invalid_value_message=CHOICE_MESSAGE,
        choices=select_choices(labels.LANGUAGE_LABELS),
        validators=[InputRequired(_l("Choose a language."))],
        description=_l("Used for the emails the person gets."),
    )


def _role_field() -> SelectField:
    return SelectField(
        _l("Role"),
        invalid_choice_message=CHOICE_MESSAGE,
        invalid_value_message=CHOICE_MESSAGE,
        choices=[CHOOSE, *select_choices(labels.ROLE_LABELS)],
        validators=[DataRequired(_l("Choose a role."))],
    )


def _speaks_for_field() -> SelectField:
    return SelectField(
        _l("Speaks for organization"),
        invalid_choice_message=CHOICE_MESSAGE,
        invalid_value_message=CHOICE_MESSAGE,
        coerce=optional_int,
        description=_l("Only for a partner contact: the organization whose figures they see."),
    )


class UserInviteForm(FlaskForm):
    email = _email_field()
    name = _name_field()
    home_organization_id = _home_org_field()
    language = _language_field()
    hub_id = SelectField(
        _l("Hub"),
        invalid_choice_message=CHOICE_MESSAGE,
        invalid_value_message=CHOICE_MESSAGE,
        coerce=optional_int,
        validators=[DataRequired(_l("Choose a hub."))],
    )
    role = _role_field()
    organization_id = _speaks_for_field()


class UserEditForm(FlaskForm):
    name = _name_field()
    email = _email_field()
    home_organization_id = _home_org_field()
    language = _language_field()
    active = BooleanField(
        _l("Active"),
        description=_l("A person who is not active cannot log in or use API tokens."),
    )
    is_system_admin = BooleanField(
        _l("System administrator"),
        description=_l("May manage every hub, every person and the installation."),
    )
    project_organization_ids = SelectMultipleField(
        _l("Projects the person works for"),
        coerce=int,
        validators=[Optional()],
        description=_l(
            "The person may bill bookings to these projects as well as to the home organization."
        ),
    )
    card_id = StringField(
        _l("Access card id"),
        validators=[Optional(), _length(64)],
        description=_l(
            "The id the hub's access-card system knows the person by, for presence imports. "
            "Leave empty if the person has no card."
        ),
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )


class GrantRoleForm(FlaskForm):
    email = EmailField(
        _l("Email of the person"),
        validators=[DataRequired(_l("Email is required.")), _length(254)],
        description=_l("The person must already have a user. Invite new people instead."),
        render_kw={"autocomplete": "off"},
    )
    role = _role_field()
    organization_id = _speaks_for_field()


# --- memberships -----------------------------------------------------------


class MembershipForm(FlaskForm):
    organization_id = SelectField(
        _l("Organization"),
        invalid_choice_message=CHOICE_MESSAGE,
        invalid_value_message=CHOICE_MESSAGE,
        coerce=optional_int,
        validators=[DataRequired(_l("Choose an organization."))],
    )
    kind = SelectField(
        _l("Kind of membership"),
        invalid_choice_message=CHOICE_MESSAGE,
        invalid_value_message=CHOICE_MESSAGE,
        choices=[CHOOSE, *select_choices(labels.MEMBERSHIP_KIND_LABELS)],
        validators=[DataRequired(_l("Choose the kind of membership."))],
    )
    starts_on = DateField(
        _l("First day"),
        validators=[InputRequired(_l("Give the first day of the membership."))],
        invalid_value_message=_l("Write a date like 2025-01-31."),
    )
    ends_on = DateField(
        _l("Last day"),
        validators=[Optional()],
        description=_l("The last day the agreement covers. Leave empty if it has no end."),
        invalid_value_message=_l("Write a date like 2025-12-31."),
    )
    agreement_reference = StringField(
        _l("Agreement reference"),
        validators=[Optional(), _length(200)],
        description=_l("For example the case number of the letter of intent."),
    )
    yearly_amount_ore = _nok(_l("Yearly contribution (NOK)"))
    weight = DecimalTextField(
        _l("Weight"),
        validators=[Optional()],
        places=4,
        max_digits=10,
        description=_l("Used when the residual is split by agreed weights."),
        render_kw={"inputmode": "decimal"},
    )
    carries_residual = BooleanField(
        _l("Carries a share of the residual"),
        description=_l("The part of the net cost that fixed contributions do not cover."),
    )
    cap_ore = _nok(
        _l("Cap per year (NOK)"),
        _l("The most the organization pays in a year. Leave empty for no cap."),
    )
    monthly_overhead_ore = _nok(_l("Monthly overhead (NOK)"))
    desk_day_rate_ore = _nok(_l("Rate per desk day (NOK)"))
    cell_day_rate_ore = _nok(_l("Rate per office cell day (NOK)"))
    room_hour_rate_ore = _nok(_l("Rate per meeting room hour (NOK)"))
    dedicated_area_m2 = DecimalTextField(
        _l("Dedicated area (m²)"),
        validators=[Optional()],
        places=2,
        max_digits=8,
        description=_l("Area only this organization uses, for a split by area."),
        render_kw={"inputmode": "decimal"},
    )
    notes = TextAreaField(_l("Notes"), validators=[Optional(), _length(5000)])
