"""Norwegian-first labels for the finance enums, shared by pages, forms and exports."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

COST_CATEGORY_LABELS = {
    "rent": _l("Rent"),
    "operations": _l("Operations"),
    "fit_out": _l("Fit-out"),
    "services": _l("Services"),
    "other": _l("Other"),
}
FUNDING_KIND_LABELS = {
    "grant": _l("Grant"),
    "landlord_discount": _l("Landlord discount"),
    "other": _l("Other"),
}
