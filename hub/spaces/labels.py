"""Norwegian-first labels for enum values, shared by pages, forms and exports."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

SPACE_KIND_LABELS = {
    "desk": _l("Open desk"),
    "cell": _l("Office cell"),
    "meeting_room": _l("Meeting room"),
    "common_area": _l("Common area"),
}
SPACE_KIND_PLURALS = {
    "desk": _l("Open desks"),
    "cell": _l("Office cells"),
    "meeting_room": _l("Meeting rooms"),
    "common_area": _l("Common areas"),
}
WEEKDAY_LABELS = [
    _l("Monday"),
    _l("Tuesday"),
    _l("Wednesday"),
    _l("Thursday"),
    _l("Friday"),
    _l("Saturday"),
    _l("Sunday"),
]
