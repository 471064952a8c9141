"""Labels for the audit log page: what kind of thing changed, and how."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

ENTITY_TYPE_LABELS = {
    "organization": _l("Organization"),
    "user": _l("User"),
    "hub_role": _l("Role in a hub"),
    "membership": _l("Membership"),
    "hub": _l("Hub"),
    "space": _l("Space"),
    "opening_hours": _l("Opening hours"),
    "hub_closure": _l("Closed day"),
    "cost_item": _l("Cost item"),
    "funding": _l("Funding"),
    "financing_model": _l("Financing model"),
    "closed_period": _l("Closed period"),
    "external_calendar": _l("External calendar"),
    "statement": _l("Statement"),
}

ACTION_LABELS = {
    "created": _l("Created"),
    "updated": _l("Changed"),
    "deleted": _l("Deleted"),
    "issued": _l("Issued"),
    "credited": _l("Credited"),
}
