"""Norwegian-first labels for the usage enums, shared by pages, forms and exports."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

EVENT_KIND_LABELS = {
    "faglunsj": _l("Lunch talk"),
    "fagsamling": _l("Professional gathering"),
    "workshop": _l("Workshop"),
    "meeting": _l("Meeting"),
    "other": _l("Other"),
}
