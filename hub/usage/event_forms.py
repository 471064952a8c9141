"""The form for a hub's events; field names are the service's.

Attendance is a fixed number of flat row pairs, ``attendance_<n>_organization_id``
and ``attendance_<n>_attendees`` (as the opening hours form does with its
weekdays), so the page works without JavaScript and the error summary and
``apply_errors`` work as on every form. Blank rows are ignored.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, SelectField, StringField
from wtforms.validators import InputRequired, Length

from hub.accounts.admin_forms import optional_int
from hub.accounts.forms import CHOICE_MESSAGE
from hub.errors import ValidationFailed
from hub.forms import apply_errors, select_choices
from hub.spaces.forms import day_field, whole_number
from hub.usage.labels import EVENT_KIND_LABELS

ATTENDANCE_ROWS = 6  # empty rows on a new event
EXTRA_ROWS = 3  # empty rows below the saved ones when editing
MAX_ROWS = 200
ROW_KEY = re.compile(r"attendance_(\d{1,4})_(?:organization_id|attendees)")
SERVICE_ROW_ERROR = re.compile(r"attendance\.(\d+)\.(organization_id|attendees)")


class EventForm(FlaskForm):
    """The event itself; ``event_form(rows)`` adds the attendance rows."""

    rows = 0

    kind = SelectField(
        _l("Kind"),
        choices=select_choices(EVENT_KIND_LABELS),
        validators=[InputRequired(CHOICE_MESSAGE)],
        validate_choice=False,
    )
    title = StringField(
        _l("Title"),
        validators=[
            InputRequired(_l("Give the event a title, for example 'Lunch talk on AI'.")),
            Length(max=200, message=_l("Write at most %(max)d characters.")),
        ],
    )
    on_date = day_field(_l("Date"))
    space_id = SelectField(
        _l("Room"),
        coerce=optional_int,
        invalid_choice_message=CHOICE_MESSAGE,
        invalid_value_message=CHOICE_MESSAGE,
        description=_l("The meeting room or common area where it took place."),
    )

    def row_fields(self) -> list[tuple[Field, Field]]:
        """(organization, attendees) field pairs, in the order shown."""
        return [
            (self[f"attendance_{n}_organization_id"], self[f"attendance_{n}_attendees"])
            for n in range(self.rows)
        ]

    def set_organization_choices(self, choices: list[Any]) -> None:
        for organization, _attendees in self.row_fields():
            organization.choices = choices

    def fill_attendance(self, rows: list[tuple[int, int]]) -> None:
        """Show saved ``(organization_id, attendees)`` rows; the rest stay empty."""
        for (organization, attendees), (org_id, count) in zip(
            self.row_fields(), rows, strict=False
        ):
            organization.data, attendees.data = org_id, count

    def event_values(self) -> dict[str, Any]:
        """The service's values; ``attendance`` holds the rows that are not blank."""
        self._row_numbers: list[int] = []
        attendance = []
        for n, (organization, attendees) in enumerate(self.row_fields()):
            if organization.data is None and attendees.data is None:
                continue
            self._row_numbers.append(n)
            attendance.append({"organization_id": organization.data, "attendees": attendees.data})
        return {
            "kind": self.kind.data,
            "title": self.title.data,
            "on_date": self.on_date.data,
            "space_id": self.space_id.data,
            "attendance": attendance,
        }

    def apply_errors(self, exc: ValidationFailed) -> None:
        """Service errors next to the fields; ``attendance.<i>.<field>`` on its row."""
        rest: dict[str, list[str]] = {}
        numbers = getattr(self, "_row_numbers", [])
        for name, messages in exc.errors.items():
            match = SERVICE_ROW_ERROR.fullmatch(name)
            if match and int(match[1]) < len(numbers):
                field = self[f"attendance_{numbers[int(match[1])]}_{match[2]}"]
                field.errors = [*list(field.errors), *messages]
            else:
                rest[name] = messages
        if rest:
            apply_errors(self, ValidationFailed(rest))


@functools.cache
def _form_class(rows: int) -> type[EventForm]:
    fields: dict[str, Any] = {"rows": rows}
    for n in range(rows):
        fields[f"attendance_{n}_organization_id"] = SelectField(
            _l("Organization (row %(row)d)", row=n + 1),
            coerce=optional_int,
            invalid_choice_message=CHOICE_MESSAGE,
            invalid_value_message=CHOICE_MESSAGE,
        )
        fields[f"attendance_{n}_attendees"] = whole_number(
            _l("Attendees (row %(row)d)", row=n + 1), required=False, minimum=1
        )
    return type(f"EventForm{rows}", (EventForm,), fields)


def rows_in(keys: Any) -> int:
    """How many attendance rows a submitted form had (so none is lost on a 422)."""
    numbers = [int(m[1]) for key in keys if (m := ROW_KEY.fullmatch(key))]
    return max(numbers, default=-1) + 1


def event_form(rows: int = ATTENDANCE_ROWS, **kwargs: Any) -> EventForm:
    """An event form with ``rows`` attendance rows (at least the default, at most MAX_ROWS)."""
    return _form_class(min(max(rows, ATTENDANCE_ROWS), MAX_ROWS))(**kwargs)
