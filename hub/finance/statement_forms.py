"""Forms for the statement pages; field names are the service's (period_first, period_last)."""

from __future__ import annotations

from datetime import date
from typing import Any

from babel.dates import format_interval
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from hub.finance import periods
from hub.spaces.forms import day_field

CUSTOM = "custom"
PERIOD_REQUIRED = _l("Choose a period.")
DAY_REQUIRED = _l("Give the day, or choose one of the listed periods.")


def period_value(first: date, last: date) -> str:
    return f"{first.isoformat()}/{last.isoformat()}"


def parse_period_value(value: str) -> tuple[date, date] | None:
    """'2026-01-01/2026-03-31' -> the two days; None when it is not such a pair."""
    first_text, sep, last_text = value.partition("/")
    if not sep:
        return None
    try:
        return date.fromisoformat(first_text), date.fromisoformat(last_text)
    except ValueError:
        return None


def period_label(cadence: str, first: date, last: date) -> str:
    if cadence == "monthly":
        return format_date(first, "LLLL y").capitalize()
    if cadence == "quarterly":
        return _(
            "Quarter %(quarter)d %(year)d (%(days)s)",
            quarter=(first.month - 1) // 3 + 1,
            year=first.year,
            days=format_interval(first, last, "MMMd", locale=get_locale()),
        )
    return _("The whole year %(year)d", year=first.year)


def period_choices(cadence: str, year: int) -> list[tuple[str, str]]:
    """The year's periods of the hub's cadence, then 'another period'."""
    choices = [
        (period_value(first, last), period_label(cadence, first, last))
        for first, last in periods.cadence_periods(cadence, year)
    ]
    choices.append((CUSTOM, _("Another period (give the first and last day below)")))
    return choices


def default_period(cadence: str, year: int, today: date) -> str:
    """The latest period of the year that has ended by today, else the year's first."""
    found = periods.cadence_periods(cadence, year)
    ended = [p for p in found if p[1] < today]
    first, last = ended[-1] if ended else found[0]
    return period_value(first, last)


class PeriodForm(FlaskForm):
    """A period: one of the cadence's periods, or any first and last day."""

    period = SelectField(
        _l("Period"), validators=[InputRequired(PERIOD_REQUIRED)], validate_choice=False
    )
    period_first = day_field(
        _l("First day"), _l("Only when you chose another period."), required=False
    )
    period_last = day_field(
        _l("Last day"), _l("Only when you chose another period."), required=False
    )

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        if not valid:
            return False
        if self.period.data == CUSTOM:
            for field in (self.period_first, self.period_last):
                if field.data is None:
                    field.errors = [*field.errors, DAY_REQUIRED]
                    valid = False
        elif parse_period_value(self.period.data or "") is None:
            self.period.errors = [*self.period.errors, PERIOD_REQUIRED]
            valid = False
        return valid

    def selected(self) -> tuple[date, date]:
        """The chosen first and last day (call after validate)."""
        if self.period.data == CUSTOM:
            return self.period_first.data, self.period_last.data
        found = parse_period_value(self.period.data or "")
        assert found is not None
        return found


class CreateDraftsForm(PeriodForm):
    pass


class ClosePeriodForm(PeriodForm):
    pass


class CreditForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason"),
        validators=[Optional(), Length(max=500, message=_l("Use at most 500 characters."))],
        description=_l("Printed on the credit note, in the language you write it in."),
        render_kw={"rows": 3},
    )
