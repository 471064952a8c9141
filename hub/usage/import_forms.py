"""The upload form for presence imports."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired


class UsageImportForm(FlaskForm):
    # Named like the service's field, so its errors land next to this input.
    file = FileField(
        _l("CSV file"),
        validators=[
            FileRequired(_l("Choose a CSV file.")),
            FileAllowed(["csv", "txt"], _l("Choose a CSV file (.csv or .txt).")),
        ],
        description=_l(
            "Comma- or semicolon-separated, at most 10 MB. The first line names the columns: "
            "time, email or card, and optionally hub and space."
        ),
        render_kw={"accept": ".csv,.txt,text/csv,text/plain"},
    )
