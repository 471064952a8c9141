"""Form plumbing shared by every domain: money fields and service errors on fields."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, StringField
from wtforms.fields.choices import SelectChoice

from hub.errors import ValidationFailed
from hub.money import ore_to_input, parse_nok

NOT_VALUES = frozenset({"csrf_token"})


class NokField(StringField):
    """Kroner typed as text ('12 500,50'); ``data`` holds integer øre."""

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return ore_to_input(self.data)

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.raw_data = valuelist
        text = (valuelist[0] if valuelist else "").strip()
        if not text:
            self.data = None
            return
        try:
            self.data = parse_nok(text)
        except ValueError as exc:
            self.data = None
            raise ValueError(_l("Write an amount in kroner, like 12500 or 12 500,50.")) from exc


def apply_errors(form: FlaskForm, exc: ValidationFailed) -> None:
    """Put a service's field errors next to the matching form fields."""
    for name, messages in exc.errors.items():
        field: Field | None = form._fields.get(name.split(".")[0])
        if field is not None:
            field.errors = [*list(field.errors), *messages]
        else:
            form.form_errors.extend(messages)


T = TypeVar("T")


def save_submitted(
    form: FlaskForm,
    save: Callable[[], T],
    on_errors: Callable[[ValidationFailed], None] | None = None,
) -> T | None:
    """Validate a submitted form, then let one service call save it.

    Returns what ``save`` returned (the saved row), or None when nothing was
    saved: not submitted, the form's own checks failed, or the service refused
    with ``ValidationFailed``, whose field errors are then next to the fields
    (``on_errors`` places them for forms with their own field layout).
    """
    if not form.validate_on_submit():
        return None
    try:
        return save()
    except ValidationFailed as exc:
        if on_errors is None:
            apply_errors(form, exc)
        else:
            on_errors(exc)
        return None


def form_errors(form: FlaskForm) -> list[tuple[str, str, str]]:
    """(field id, label, message) for the error summary at the top of a form."""
    rows: list[tuple[str, str, str]] = []
    for field in form:
        for message in field.errors:
            rows.append((field.id, str(field.label.text), str(message)))
    for message in form.form_errors:
        rows.append(("main", _("Form"), str(message)))
    return rows


def select_choices(value_labels: Mapping[Any, Any]) -> list[SelectChoice]:
    """Options for a select from a value -> label mapping (as in the ``labels`` modules)."""
    return [SelectChoice(value, label) for value, label in value_labels.items()]


def form_values(form: FlaskForm) -> dict[str, Any]:
    """The typed values by field name, which are also the services' field names."""
    return {name: field.data for name, field in form._fields.items() if name not in NOT_VALUES}


def form_status(*forms: FlaskForm) -> int:
    """422 when a submitted form has errors, so the request boundary rolls back."""
    return 422 if any(form.errors or form.form_errors for form in forms) else 200
