"""Labels for the audit log page: what kind of thing changed, how, and which fields."""

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

# The fields people recognise from the admin forms, with the forms' own words; any
# other field is shown by its technical name (as in the API).
FIELD_LABELS = {
    "active": _l("Active"),
    "address": _l("Address"),
    "agreement_reference": _l("Agreement reference"),
    "amount_ore": _l("Amount"),
    "area_m2": _l("Area (m²)"),
    "bookable": _l("Bookable"),
    "capacity": _l("Capacity"),
    "category": _l("Category"),
    "contact_email": _l("Contact email"),
    "dedicated_area_m2": _l("Dedicated area (m²)"),
    "description": _l("Description"),
    "email": _l("Email"),
    "home_office": _l("Home office"),
    "home_organization_id": _l("Home organization"),
    "hub_id": _l("Hub"),
    "is_system_admin": _l("System administrator"),
    "kind": _l("Kind"),
    "language": _l("Language"),
    "municipality": _l("Municipality"),
    "name": _l("Name"),
    "notes": _l("Notes"),
    "on_date": _l("Date"),
    "organization_id": _l("Organization"),
    "password_hash": _l("Password"),
    "period_first": _l("From"),
    "period_last": _l("To"),
    "reason": _l("Reason"),
    "role": _l("Role"),
    "short_name": _l("Short name"),
    "source": _l("Source"),
    "space_id": _l("Space"),
    "timezone": _l("Timezone"),
    "user_id": _l("User"),
    "weekday": _l("Weekday"),
    "weight": _l("Weight"),
    "year": _l("Year"),
}
