"""Forms for a hub's financing model and the what-if candidates; field names are the service's.

``hub.finance.financing`` checks every rule (a blend adds up to 100, use must
count, the issue day, the prefix); these forms only turn typed text into values,
so the service's messages land next to the fields with ``hub.forms.apply_errors``.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from hub.finance.labels import CADENCE_LABELS, KEY_LABELS, SURPLUS_POLICY_LABELS
from hub.forms import select_choices
from hub.spaces.forms import DecimalCommaField, whole_number

CANDIDATE_FIELDS = (
    "key",
    "blend_equal_pct",
    "blend_weights_pct",
    "blend_use_pct",
    "blend_area_pct",
    "desk_day_weight",
    "cell_day_weight",
    "room_hour_weight",
    "surplus_policy",
)


def _number(label: Any, description: Any = "") -> DecimalCommaField:
    return DecimalCommaField(
        label,
        validators=[Optional()],
        description=description,
        render_kw={"inputmode": "decimal", "autocomplete": "off", "size": 6},
    )


class CandidateForm(FlaskForm):
    """The key and the surplus policy: what a what-if candidate varies."""

    key = RadioField(
        _l("How the residual is split"),
        choices=select_choices(KEY_LABELS),
        validate_choice=False,
    )
    blend_equal_pct = _number(_l("Equal shares (%)"))
    blend_weights_pct = _number(_l("Agreed weights (%)"))
    blend_use_pct = _number(_l("Measured use (%)"))
    blend_area_pct = _number(_l("Dedicated area (%)"))
    desk_day_weight = _number(_l("One desk-day counts as"))
    cell_day_weight = _number(_l("One cell-day counts as"))
    room_hour_weight = _number(_l("One room-hour counts as"))
    surplus_policy = RadioField(
        _l("When the partners have paid more than the net cost"),
        choices=select_choices(SURPLUS_POLICY_LABELS),
        validate_choice=False,
    )

    def allow_not_used(self, label: Any) -> None:
        """An optional candidate (3 and 4 on the what-if page): an empty key leaves it out."""
        self.key.choices = [SelectChoice("", label), *select_choices(KEY_LABELS)]


class FinancingModelForm(CandidateForm):
    """A hub's model for one year: the key, the surplus policy and the statements."""

    cadence = SelectField(
        _l("Statements are made"),
        choices=select_choices(CADENCE_LABELS),
        validate_choice=False,
    )
    issue_day = whole_number(
        _l("Day of the month statements are issued"),
        _l("Statements for a period are issued on this day of the month after it ends. 1 to 28."),
        minimum=1,
        maximum=28,
    )
    auto_issue = BooleanField(
        _l("Issue and send statements automatically"),
        description=_l(
            "On the issue day, statements are issued and emailed to the partner contacts "
            "without anyone pressing a button."
        ),
    )
    statement_prefix = StringField(
        _l("Prefix of statement numbers"),
        validators=[InputRequired(_l("Give a prefix, like LISTER.")), Length(max=20)],
        description=_l(
            "2 to 20 capital letters or digits. LISTER gives numbers like LISTER-2026-0001."
        ),
        render_kw={"autocapitalize": "characters", "spellcheck": "false", "size": 20},
    )
