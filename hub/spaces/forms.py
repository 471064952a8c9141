"""Forms for administering hubs, their opening hours, closed days and spaces.

Field names are the service field names (docs/conventions.md), so a service's
errors land next to the matching field with ``hub.forms.apply_errors``.
"""

from __future__ import annotations

from datetime import time
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    Field,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import Email, InputRequired, Length, Optional, StopValidation

from hub.forms import select_choices
from hub.spaces.labels import SPACE_KIND_LABELS, WEEKDAY_LABELS

WHOLE_NUMBER_MESSAGE = _l("Give a whole number, like 30.")
DATE_MESSAGE = _l("Give a date like 2025-01-31.")
TIME_MESSAGE = _l("Give a time like 08:00.")


def kept_if_left_out(_form: Any, field: Field) -> None:
    """Required when the form sends the field; a post without it keeps the current value.

    For settings added after the form was first published: an older page (or a
    script) that does not know the field does not reset it.
    """
    if not field.raw_data:
        field.errors[:] = []
        raise StopValidation()
    if not str(field.raw_data[0]).strip():
        raise StopValidation(WHOLE_NUMBER_MESSAGE)


kept_if_left_out.field_flags = {"required": True}  # type: ignore[attr-defined]


def whole_number(
    label: Any,
    description: Any = "",
    required: bool = True,
    minimum: int = 0,
    maximum: int | None = None,
    validator: Any = None,
) -> IntegerField:
    """An integer input with our own message for text that is not a number."""
    render_kw: dict[str, Any] = {"min": minimum, "inputmode": "numeric"}
    if maximum is not None:
        render_kw["max"] = maximum
    if validator is None:
        validator = InputRequired(WHOLE_NUMBER_MESSAGE) if required else Optional()
    return IntegerField(
        label,
        validators=[validator],
        invalid_value_message=WHOLE_NUMBER_MESSAGE,
        description=description,
        render_kw=render_kw,
    )


def day_field(label: Any, description: Any = "", required: bool = True) -> DateField:
    """A date input (type=date); browsers send ISO dates."""
    return DateField(
        label,
        validators=[InputRequired(DATE_MESSAGE) if required else Optional()],
        invalid_value_message=DATE_MESSAGE,
        description=description,
    )


class DecimalCommaField(StringField):
    """A decimal typed the Norwegian way ('10,5') or with a point; ``data`` is a Decimal."""

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        if self.data is None:
            return ""
        text = format(self.data, "f")
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return text.replace(".", ",")

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.raw_data = valuelist
        text = (valuelist[0] if valuelist else "").strip().replace("\u00a0", "").replace(" ", "")
        if not text:
            self.data = None
            return
        try:
            if text.count(",") + text.count(".") > 1:
                raise InvalidOperation(text)
            value = Decimal(text.replace(",", "."))
            if not value.is_finite():
                raise InvalidOperation(text)
        except InvalidOperation as exc:
            self.data = None
            raise ValueError(_l("Write a number, like 10 or 10,5.")) from exc
        self.data = value


# --- hubs --------------------------------------------------------------------


class HubDetailsForm(FlaskForm):
    """What a system administrator gives when creating a hub."""

    name = StringField(
        _l("Name"),
        validators=[InputRequired(_l("Name is required.")), Length(max=200)],
    )
    slug = StringField(
        _l("Short name for addresses"),
        validators=[InputRequired(_l("Give a short name for addresses.")), Length(max=64)],
        description=_l("Used in addresses like /hubs/regionlab-lister."),
        render_kw={"autocapitalize": "none", "spellcheck": "false"},
    )
    municipality = StringField(
        _l("Municipality"),
        validators=[InputRequired(_l("Municipality is required.")), Length(max=100)],
    )
    address = StringField(_l("Address"), validators=[Optional(), Length(max=300)])
    timezone = StringField(
        _l("Timezone"),
        validators=[InputRequired(_l("Give a timezone, such as Europe/Oslo.")), Length(max=64)],
        default="Europe/Oslo",
        description=_l("Opening hours and bookings are shown in this timezone."),
        render_kw={"list": "timezones", "autocapitalize": "none", "spellcheck": "false"},
    )
    description = TextAreaField(_l("Description"), validators=[Optional()])
    contact_email = EmailField(
        _l("Contact email"),
        validators=[Optional(), Email(_l("Check the email address.")), Length(max=254)],
    )


class HubForm(HubDetailsForm):
    """Details and booking rules of an existing hub."""

    booking_horizon_days = whole_number(
        _l("How far ahead people can book (days)"),
        _l("Bookings can start at most this many days from today."),
    )
    max_room_booking_minutes = whole_number(
        _l("Longest meeting room booking (minutes)"),
        _l("One booking of a meeting room can last at most this long. 480 is a working day."),
    )
    max_future_bookings = whole_number(
        _l("Most upcoming bookings per person"),
        _l("How many bookings one person can have ahead of them at the same time."),
    )
    min_notice_minutes = whole_number(
        _l("Notice before a booking starts (minutes)"),
        _l("How long before the start a booking must be made. 0 means right up to the start."),
    )
    cancellation_deadline_minutes = whole_number(
        _l("Cancellation deadline (minutes)"),
        _l("How long before the start a booking can still be cancelled. 0 means any time."),
    )
    checkin_grace_minutes = whole_number(
        _l("Time to check in (minutes)"),
        _l("How long after the start a person has to check in before the booking is a no-show."),
    )
    release_no_shows = BooleanField(
        _l("Release no-shows"),
        description=_l("Free the place for others when nobody checks in within the time above."),
    )
    allow_non_member_bookings = BooleanField(
        _l("Allow bookings from organizations that are not members"),
        description=_l("They pay the hub's unit rates for what they use."),
    )
    guest_days_per_week = whole_number(
        _l("Desk or cell days a week for each guest organization"),
        _l(
            "A quota for organizations with a guest membership or none: at most this many "
            "desk or cell days a week together (a half day counts half). Empty means no limit."
        ),
        required=False,
    )
    retention_months = whole_number(
        _l("Keep personal details in usage for (months)"),
        _l(
            "After this many months, bookings and presence no longer say who it was; the "
            "organization, space and time stay, so reports and cost splits do not change. "
            "From 1 to 120."
        ),
        minimum=1,
        maximum=120,
        validator=kept_if_left_out,
    )
    min_group_size = whole_number(
        _l("Smallest group shown to partners"),
        _l(
            "Partner contacts do not see another organization's figures when fewer people "
            "than this are behind them. From 1 to 100."
        ),
        minimum=1,
        maximum=100,
        validator=kept_if_left_out,
    )


# --- opening hours and closed days ---------------------------------------------


class OpeningHoursForm(FlaskForm):
    """One row per weekday (0 = Monday): open_N, opens_at_N, closes_at_N.

    Flat fields, so the error summary and ``apply_errors`` work as on every form.
    """

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        for weekday in range(7):
            if not self[f"open_{weekday}"].data:
                continue
            for prefix in ("opens_at", "closes_at"):
                f = self[f"{prefix}_{weekday}"]
                if f.data is None and not f.errors:
                    f.errors = [*f.errors, _l("Give a time like 08:00, or untick Open.")]
                    valid = False
        return valid

    def hours(self) -> dict[int, tuple[time, time] | None]:
        """The weekly hours for ``service.set_opening_hours``; closed days map to None."""
        return {
            weekday: (self[f"opens_at_{weekday}"].data, self[f"closes_at_{weekday}"].data)
            if self[f"open_{weekday}"].data
            else None
            for weekday in range(7)
        }

    @staticmethod
    def initial(weekly: dict[int, tuple[time, time]]) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for weekday in range(7):
            span = weekly.get(weekday)
            data[f"open_{weekday}"] = span is not None
            data[f"opens_at_{weekday}"] = span[0] if span else None
            data[f"closes_at_{weekday}"] = span[1] if span else None
        return data


for _weekday, _day in enumerate(WEEKDAY_LABELS):
    setattr(OpeningHoursForm, f"open_{_weekday}", BooleanField(_l("Open on %(day)s", day=_day)))
    for _prefix, _label in (
        ("opens_at", _l("Opening time on %(day)s", day=_day)),
        ("closes_at", _l("Closing time on %(day)s", day=_day)),
    ):
        setattr(
            OpeningHoursForm,
            f"{_prefix}_{_weekday}",
            TimeField(
                _label,
                validators=[Optional()],
                format=["%H:%M", "%H:%M:%S"],
                invalid_value_message=TIME_MESSAGE,
            ),
        )


class ClosureForm(FlaskForm):
    on_date = day_field(_l("Date"))
    reason = StringField(
        _l("Reason"),
        validators=[Optional(), Length(max=200)],
        description=_l("Shown to people who try to book, for example 'Staff seminar'."),
    )


# --- spaces ------------------------------------------------------------------


class SpaceForm(FlaskForm):
    name = StringField(
        _l("Name"), validators=[InputRequired(_l("Name is required.")), Length(max=120)]
    )
    kind = SelectField(
        _l("Kind"),
        choices=select_choices(SPACE_KIND_LABELS),
        validators=[InputRequired(_l("Choose one of the listed values."))],
        validate_choice=False,
    )
    capacity = whole_number(
        _l("Capacity (people)"),
        _l("How many people the space has room for. A meeting room needs at least one."),
    )
    area_m2 = DecimalCommaField(
        _l("Area (m²)"),
        validators=[Optional()],
        description=_l("Floor area in square metres, like 10,5. Used by area-based cost keys."),
        render_kw={"inputmode": "decimal"},
    )
    bookable = BooleanField(
        _l("Bookable"), description=_l("Common areas cannot be booked."), default=True
    )
    active = BooleanField(
        _l("Active"),
        description=_l("Inactive spaces are hidden from booking but keep their history."),
        default=True,
    )
    requires_approval = BooleanField(
        _l("Bookings need approval"),
        description=_l("Bookings wait for a hub administrator to approve or decline them."),
    )
    description = TextAreaField(_l("Description"), validators=[Optional()])


class ExternalCalendarForm(FlaskForm):
    """A meeting room follows an iCal URL (hub.calendar.external)."""

    url = StringField(
        _l("Follow an external calendar (iCal URL)"),
        validators=[
            InputRequired(_l("Give the address of the calendar, starting with https://.")),
        ],
        description=_l(
            "The address of the room's calendar published by another system, for example "
            "Outlook or Google (https:// or webcal://). Its events block the room; it is "
            "fetched every 15 minutes."
        ),
        render_kw={"inputmode": "url", "autocomplete": "off", "spellcheck": "false"},
    )
