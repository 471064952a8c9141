"""Forms for a hub's cost items and funding; field names are the service's."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional

from hub.finance.labels import COST_CATEGORY_LABELS, FUNDING_KIND_LABELS
from hub.forms import NokField, select_choices
from hub.spaces.forms import day_field, whole_number

AMOUNT_REQUIRED = _l("Give the amount in kroner.")


def _amount() -> NokField:
    return NokField(
        _l("Amount (NOK)"),
        validators=[InputRequired(AMOUNT_REQUIRED)],
        description=_l("In kroner, like 12 500 or 12 500,50."),
        render_kw={"inputmode": "decimal", "autocomplete": "off"},
    )


class CostItemForm(FlaskForm):
    category = SelectField(
        _l("Category"),
        choices=select_choices(COST_CATEGORY_LABELS),
        validators=[InputRequired(_l("Choose one of the listed values."))],
        validate_choice=False,
    )
    description = StringField(
        _l("Description"),
        validators=[
            InputRequired(_l("Describe the cost, for example 'Rent 2026'.")),
            Length(max=200),
        ],
    )
    amount_ore = _amount()
    starts_on = day_field(_l("First day"))
    ends_on = day_field(
        _l("Last day"),
        _l("The last day the amount covers. Leave it empty for an amortized fit-out."),
        required=False,
    )
    amortize_months = whole_number(
        _l("Amortize over (months)"),
        _l(
            "For fit-out: spread the amount straight-line over this many months from the "
            "first day; the last day is then computed."
        ),
        required=False,
        minimum=1,
    )


class FundingForm(FlaskForm):
    kind = SelectField(
        _l("Kind"),
        choices=select_choices(FUNDING_KIND_LABELS),
        validators=[InputRequired(_l("Choose one of the listed values."))],
        validate_choice=False,
    )
    source = StringField(
        _l("Source"),
        validators=[InputRequired(_l("Say who gives the funding.")), Length(max=200)],
        description=_l("Who gives it, for example Agder fylkeskommune or the landlord."),
    )
    description = StringField(_l("Description"), validators=[Optional(), Length(max=200)])
    amount_ore = _amount()
    starts_on = day_field(_l("First day"))
    ends_on = day_field(_l("Last day"))
