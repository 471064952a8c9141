"""The shape of a hub file, as pydantic models (docs/hubfile.md describes it for people).

These models check only the shape: known keys (a typo is an error), types and
the readable forms (opening hours as "08:00-16:00"). The domain rules (valid
organisation numbers, timezones, capacities, overlapping memberships...) stay in
the services, which the loader calls, so one rule lives in one place.

Every key is the model/service field name, except references to other objects,
which are by name: ``organization``, ``home_organization`` and a role's ``hub``.
"""

from __future__ import annotations

import re
from datetime import date, time
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from hub.accounts.models import Language, MembershipKind, OrganizationKind, Role
from hub.finance.allocation import Key, SurplusPolicy
from hub.finance.models import Cadence, CostCategory, FundingKind
from hub.spaces.models import SpaceKind

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
CLOSED = "closed"
_SPAN_RE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


def _number_to_text(value: Any) -> Any:
    """YAML reads 974761076 as an int; an organisation number is text."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


OrgNumber = Annotated[str | None, BeforeValidator(_number_to_text)]


def parse_span(text: str) -> tuple[time, time]:
    """'08:00-16:00' -> (08:00, 16:00); ValueError with a readable message otherwise."""
    match = _SPAN_RE.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a time range like 08:00-16:00 (or 'closed')")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    try:
        opens, closes = time(h1, m1), time(h2, m2)
    except ValueError:
        raise ValueError(f"{text!r} has a time that does not exist") from None
    if closes <= opens:
        raise ValueError(f"{text!r}: the closing time must be after the opening time")
    return opens, closes


def format_span(opens: time, closes: time) -> str:
    return f"{opens:%H:%M}-{closes:%H:%M}"


class Item(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    def given(self, *, exclude: frozenset[str] = frozenset()) -> dict[str, Any]:
        """The fields the file actually wrote, so left-out keys keep their value."""
        return {
            name: getattr(self, name)
            for name in self.model_fields_set
            if name not in exclude and name in type(self).model_fields
        }


class OrganizationIn(Item):
    name: str
    short_name: str | None = None
    kind: OrganizationKind
    org_number: OrgNumber = None
    home_office: str | None = None
    contact_email: str | None = None


class ClosureIn(Item):
    on_date: date
    reason: str = ""


class SpaceIn(Item):
    name: str
    kind: SpaceKind
    capacity: int = 1
    area_m2: Decimal | None = None
    bookable: bool = True
    active: bool = True
    description: str | None = None


class MembershipIn(Item):
    organization: str = Field(description="The organization's name (or organisation number).")
    kind: MembershipKind
    starts_on: date
    ends_on: date | None = None
    agreement_reference: str | None = None
    yearly_amount_ore: int | None = None
    weight: Decimal | None = None
    carries_residual: bool = False
    cap_ore: int | None = None
    monthly_overhead_ore: int | None = None
    desk_day_rate_ore: int | None = None
    cell_day_rate_ore: int | None = None
    room_hour_rate_ore: int | None = None
    dedicated_area_m2: Decimal | None = None
    notes: str | None = None


class CostItemIn(Item):
    category: CostCategory
    description: str
    amount_ore: int
    starts_on: date
    ends_on: date | None = None
    amortize_months: int | None = None


class FundingIn(Item):
    kind: FundingKind
    source: str
    description: str = ""
    amount_ore: int
    starts_on: date
    ends_on: date


# The precision the financing model stores, so a loaded value is kept as written.
Percent = Annotated[Decimal, Field(decimal_places=2)]
UseWeight = Annotated[Decimal, Field(decimal_places=3)]


class FinancingModelIn(Item):
    """A hub's financing model for one year; left-out keys of a new year get these defaults."""

    year: int
    key: Key = Key.EQUAL
    blend_equal_pct: Percent = Decimal(0)
    blend_weights_pct: Percent = Decimal(0)
    blend_use_pct: Percent = Decimal(0)
    blend_area_pct: Percent = Decimal(0)
    desk_day_weight: UseWeight = Decimal(1)
    cell_day_weight: UseWeight = Decimal("1.5")
    room_hour_weight: UseWeight = Decimal("0.25")
    surplus_policy: SurplusPolicy = SurplusPolicy.CARRY_FORWARD
    cadence: Cadence = Cadence.YEARLY
    issue_day: int = 10
    auto_issue: bool = False
    # None: from the hub's slug (hub.finance.cost_share.default_prefix), LISTER for
    # regionlab-lister.
    statement_prefix: str | None = None


class HubIn(Item):
    slug: str
    name: str
    municipality: str
    address: str = ""
    timezone: str = "Europe/Oslo"
    description: str | None = None
    contact_email: str | None = None
    booking_horizon_days: int = 90
    max_room_booking_minutes: int = 480
    max_future_bookings: int = 30
    min_notice_minutes: int = 0
    cancellation_deadline_minutes: int = 0
    checkin_grace_minutes: int = 60
    release_no_shows: bool = True
    allow_non_member_bookings: bool = False
    retention_months: int = 13
    min_group_size: int = 5
    # weekday name -> "HH:MM-HH:MM", or "closed"/null; a weekday left out is closed.
    opening_hours: dict[str, str | None] | None = None
    closures: list[ClosureIn] = []
    spaces: list[SpaceIn] = []
    memberships: list[MembershipIn] = []
    cost_items: list[CostItemIn] = []
    funding: list[FundingIn] = []
    financing_models: list[FinancingModelIn] = []

    @field_validator("opening_hours")
    @classmethod
    def _check_hours(cls, value: dict[str, str | None] | None) -> dict[str, str | None] | None:
        if value is None:
            return None
        problems = []
        for day, span in value.items():
            if day not in WEEKDAYS:
                problems.append(f"{day!r} is not a weekday (use {', '.join(WEEKDAYS)})")
            elif span is not None and span.strip().lower() != CLOSED:
                try:
                    parse_span(span)
                except ValueError as exc:
                    problems.append(f"{day}: {exc}")
        if problems:
            raise ValueError("; ".join(problems))
        return value

    def weekly_hours(self) -> dict[int, tuple[time, time]]:
        hours: dict[int, tuple[time, time]] = {}
        for day, span in (self.opening_hours or {}).items():
            if span is not None and span.strip().lower() != CLOSED:
                hours[WEEKDAYS.index(day)] = parse_span(span)
        return hours


# Lists inside a hub, validated item by item so one bad space does not hide the rest.
HUB_CHILDREN: dict[str, type[Item]] = {
    "closures": ClosureIn,
    "spaces": SpaceIn,
    "memberships": MembershipIn,
    "cost_items": CostItemIn,
    "funding": FundingIn,
    "financing_models": FinancingModelIn,
}


class RoleIn(Item):
    hub: str = Field(description="The hub's slug.")
    role: Role
    organization: str | None = Field(
        default=None, description="For partner_contact: the organization spoken for."
    )


class UserIn(Item):
    email: str
    name: str
    home_organization: str
    language: Language = Language.NB
    share_name: bool = False
    is_system_admin: bool = False
    active: bool = True
    # Only used when the user is created (demo data); never dumped, never rehashed.
    password: str | None = None
    roles: list[RoleIn] = []


class HubFile(Item):
    organizations: list[OrganizationIn] = []
    hubs: list[HubIn] = []
    users: list[UserIn] = []


SECTIONS: dict[str, type[Item]] = {
    "organizations": OrganizationIn,
    "hubs": HubIn,
    "users": UserIn,
}
