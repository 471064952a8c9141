"""The audit log's filter form, read from the query string (GET, so no CSRF token)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional, ValidationError

from hub.audit.labels import ENTITY_TYPE_LABELS

ALL = SelectChoice("", _l("All"))


class AuditFilterForm(FlaskForm):
    """Field names are the API's query parameters: hub, entity_type, actor, from, to."""

    class Meta:
        csrf = False

    hub = SelectField(_l("Hub"), validators=[Optional()])
    entity_type = SelectField(
        _l("What changed"),
        choices=[ALL, *(SelectChoice(k, v) for k, v in ENTITY_TYPE_LABELS.items())],
        validators=[Optional()],
    )
    actor = StringField(
        _l("Who"),
        description=_l("Part of an email address, or a job or command name."),
        validators=[Optional(), Length(max=254)],
    )
    date_from = DateField(_l("From"), name="from", validators=[Optional()])
    date_to = DateField(_l("To"), name="to", validators=[Optional()])

    def validate_date_to(self, field: Any) -> None:
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("The end date must not be before the start date."))
