"""Forms for booking a place for (part of) days, or a meeting room for a time."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    widgets,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, NumberRange, Optional

PARTS = [
    SelectChoice("day", _l("Full day")),
    SelectChoice("morning", _l("Morning")),
    SelectChoice("afternoon", _l("Afternoon")),
]


class DayBookingForm(FlaskForm):
    """Desks and cells: a full or half day, on one day or each open day of a range."""

    part = RadioField(_l("When"), choices=PARTS, default="day")
    first_day = DateField(_l("Date"), validators=[DataRequired(_l("Choose a date."))])
    last_day = DateField(
        _l("Until and including"),
        validators=[Optional()],
        description=_l("To book several days at once, for example Monday to Wednesday."),
    )
    organization_id = SelectField(_l("Billed to"), coerce=int)


class RoomBookingForm(FlaskForm):
    """Meeting rooms: any interval on the 15-minute grid within opening hours."""

    day = DateField(_l("Date"), validators=[DataRequired(_l("Choose a date."))])
    start = SelectField(_l("From"), validators=[DataRequired(_l("Choose a start time."))])
    end = SelectField(_l("To"), validators=[DataRequired(_l("Choose an end time."))])
    participants = IntegerField(
        _l("Participants"),
        validators=[
            DataRequired(_l("How many will attend?")),
            NumberRange(min=1, message=_l("At least one person.")),
        ],
    )
    title = StringField(_l("Title"), validators=[Optional()], description=_l("Shown to you only."))
    organization_id = SelectField(_l("Billed to"), coerce=int)


WEEKDAY_CHOICES = [
    SelectChoice(0, _l("Monday")),
    SelectChoice(1, _l("Tuesday")),
    SelectChoice(2, _l("Wednesday")),
    SelectChoice(3, _l("Thursday")),
    SelectChoice(4, _l("Friday")),
]


class WeekdaysField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class SeriesForm(FlaskForm):
    """Weekly on chosen weekdays from a date until a date (RRULE FREQ=WEEKLY)."""

    weekdays = WeekdaysField(_l("Weekdays"), choices=WEEKDAY_CHOICES, coerce=int)
    first_day = DateField(_l("From"), validators=[DataRequired(_l("Choose a date."))])
    until = DateField(_l("Until and including"), validators=[DataRequired(_l("Choose a date."))])
    part = RadioField(_l("When"), choices=PARTS, default="day")
    start = SelectField(_l("From time"), validators=[Optional()])
    end = SelectField(_l("To time"), validators=[Optional()])
    participants = IntegerField(_l("Participants"), validators=[Optional(), NumberRange(min=1)])
    organization_id = SelectField(_l("Billed to"), coerce=int)
