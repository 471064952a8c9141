"""Norwegian-first labels for the accounts enums, shared by pages, forms and mails.

The msgids are English; the bokmål catalog gives Kommune, Fylkeskommune, Partner...
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

ORGANIZATION_KIND_LABELS = {
    "municipality": _l("Municipality"),
    "county": _l("County municipality"),
    "state_agency": _l("State agency"),
    "university": _l("University or university college"),
    "regional_council": _l("Regional council"),
    "project": _l("Project"),
    "company": _l("Company"),
    "other": _l("Other"),
}

MEMBERSHIP_KIND_LABELS = {
    "partner": _l("Partner"),
    "project": _l("Project"),
    "host": _l("Host municipality / host"),
    "guest": _l("Guest"),
}

ROLE_LABELS = {
    "member": _l("Member"),
    "admin": _l("Hub administrator"),
    "partner_contact": _l("Partner contact"),
}

# Each language is named in itself, so it is never translated.
LANGUAGE_LABELS = {
    "nb": "Bokmål",
    "nn": "Nynorsk",
    "en": "English",
}
