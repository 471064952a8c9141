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
# The key that splits the residual (hub.finance.allocation.Key); the same words as
# the explanations in hub.finance.explain, so a page and a statement agree.
KEY_LABELS = {
    "equal": _l("Equal shares"),
    "weights": _l("Agreed weights"),
    "use": _l("Measured use"),
    "area": _l("Dedicated area"),
    "blend": _l("Blend"),
}
KEY_DESCRIPTIONS = {
    "equal": _l(
        "Each partner that carries the residual pays the same, by the days it is a member."
    ),
    "weights": _l("In proportion to the weights agreed in the letters of intent."),
    "use": _l(
        "In proportion to booked desk-days, cell-days and room-hours, counted with the "
        "weights for use below."
    ),
    "area": _l("In proportion to each partner's dedicated area in square metres."),
    "blend": _l("A mix of the keys above, with the percentages under Blend."),
}
SURPLUS_POLICY_LABELS = {
    "carry_forward": _l("Carry it forward to the next period"),
    "refund": _l("Refund it to those who paid, in proportion to what they paid"),
    "reserve": _l("Keep it as a reserve"),
}
CADENCE_LABELS = {
    "monthly": _l("Monthly"),
    "quarterly": _l("Quarterly"),
    "yearly": _l("Yearly"),
}
