"""Pydantic models for API bodies and responses; the OpenAPI schemas come from these.

Request models are strict (JSON types only: no "5" for 5, no true for 1) and
forbid unknown keys, so a typo is a 422 naming the key. They check types and
storage limits only; the domain rules live in the services, which raise
``ValidationFailed`` with the same field names.

Conventions: money is integer øre (``*_ore``); dates are ``YYYY-MM-DD``;
instants are ISO 8601 in UTC; decimals (``weight``, ``area_m2``,
``dedicated_area_m2``) are returned as strings ("12.50") and accepted as
strings or JSON numbers; times of day are ``HH:MM`` in the hub's timezone.
"""

from __future__ import annotations

import copy
from datetime import date, datetime, time
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
    create_model,
    field_validator,
    model_validator,
)

from hub.accounts.models import Language, MembershipKind, OrganizationKind, Role
from hub.booking.models import BookingSource, BookingStatus
from hub.database import utc_iso
from hub.finance.allocation import Key, SurplusPolicy
from hub.finance.models import (
    Cadence,
    CostCategory,
    DeliveryStatus,
    FundingKind,
    StatementKind,
    StatementStatus,
)
from hub.spaces.models import SpaceKind
from hub.usage.models import EventKind

INT32 = 2**31 - 1
INT64 = 2**63 - 1

Money = Annotated[int, Field(ge=-INT64, le=INT64, description="Integer øre (NOK x 100).")]
Count = Annotated[int, Field(ge=-INT32, le=INT32)]
Id = Annotated[int, Field(ge=0, le=INT64, description="The id of an existing row.")]
ClockTime = Annotated[
    time,
    PlainSerializer(lambda t: t.strftime("%H:%M"), return_type=str),
    WithJsonSchema(
        {"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$", "examples": ["08:00"]}
    ),
]

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class Body(BaseModel):
    """Base for request bodies."""

    model_config = ConfigDict(extra="forbid", strict=True)


class Out(BaseModel):
    """Base for responses, read from ORM objects."""

    model_config = ConfigDict(from_attributes=True)


def _no_defaults(schema: dict[str, Any]) -> None:
    """PATCH bodies: a missing key means "unchanged", so no property has a default."""
    for prop in schema.get("properties", {}).values():
        prop.pop("default", None)


class PatchBody(Body):
    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra=_no_defaults)


def partial(model: type[BaseModel], name: str, *, exclude: tuple[str, ...] = ()) -> Any:
    """The PATCH twin of a create model: same fields and types, all optional.

    Handlers apply only the keys that were sent (``model_dump(exclude_unset=True)``);
    a field that may not be empty keeps its non-null type, so ``null`` there is a 422.
    """
    fields: dict[str, Any] = {}
    for field_name, info in model.model_fields.items():
        if field_name not in exclude:
            optional = copy.copy(info)
            optional.default = None
            fields[field_name] = (info.annotation, optional)
    doc = f"Partial update of {model.__name__}: only the keys given change."
    return create_model(name, __base__=PatchBody, __doc__=doc, __module__=__name__, **fields)


# --- errors --------------------------------------------------------------------------


class ErrorDetail(BaseModel):
    model_config = ConfigDict(extra="allow")

    status: int
    message: str
    fields: dict[str, list[str]] | None = Field(
        default=None, description="Only on 422: problems per field (dotted path for nested keys)."
    )


class Error(BaseModel):
    """Every error response: ``{"error": {"status", "message", "fields"?}}``."""

    error: ErrorDetail


# --- hubs ----------------------------------------------------------------------------


class DayHours(Body):
    """Opening hours for one weekday, local time in the hub's timezone."""

    opens_at: ClockTime
    closes_at: ClockTime


class WeeklyHours(Body):
    """The week's opening hours; a weekday that is null (or left out) is closed."""

    monday: DayHours | None = None
    tuesday: DayHours | None = None
    wednesday: DayHours | None = None
    thursday: DayHours | None = None
    friday: DayHours | None = None
    saturday: DayHours | None = None
    sunday: DayHours | None = None

    @classmethod
    def from_rows(cls, rows: Any) -> WeeklyHours:
        return cls.model_validate(
            {
                WEEKDAYS[row.weekday]: DayHours(opens_at=row.opens_at, closes_at=row.closes_at)
                for row in rows
            }
        )

    def as_mapping(self) -> dict[int, tuple[time, time] | None]:
        """The shape ``hub.spaces.service.set_opening_hours`` takes (0 = Monday)."""
        days = (getattr(self, name) for name in WEEKDAYS)
        return {n: (d.opens_at, d.closes_at) if d else None for n, d in enumerate(days)}


class HubCreate(Body):
    slug: str = Field(max_length=64, description="Lower-case address, like regionlab-lister.")
    name: str = Field(max_length=200)
    municipality: str = Field(max_length=100)
    address: str = Field(default="", max_length=300)
    timezone: str = Field(default="Europe/Oslo", max_length=64)
    description: str | None = None
    contact_email: str | None = Field(default=None, max_length=254)
    booking_horizon_days: Count = 90
    max_room_booking_minutes: Count = 480
    max_future_bookings: Count = 30
    min_notice_minutes: Count = 0
    cancellation_deadline_minutes: Count = 0
    checkin_grace_minutes: Count = 60
    release_no_shows: bool = True
    allow_non_member_bookings: bool = False
    retention_months: Count = Field(
        default=13,
        description="Personal details in usage older than this are anonymized (1-120).",
    )
    min_group_size: Count = Field(
        default=5,
        description="Partners see no other agency's figures for fewer people (1-100).",
    )
    opening_hours: WeeklyHours | None = Field(
        default=None, description="Left out: Monday to Friday 08:00-16:00."
    )


HubUpdate = partial(HubCreate, "HubUpdate", exclude=("opening_hours",))


class Hub(Out):
    id: int
    slug: str
    name: str
    municipality: str
    address: str
    timezone: str
    description: str | None
    contact_email: str | None
    booking_horizon_days: int
    max_room_booking_minutes: int
    max_future_bookings: int
    min_notice_minutes: int
    cancellation_deadline_minutes: int
    checkin_grace_minutes: int
    release_no_shows: bool
    allow_non_member_bookings: bool
    retention_months: int
    min_group_size: int
    opening_hours: WeeklyHours
    created_at: datetime
    updated_at: datetime

    @field_validator("opening_hours", mode="before")
    @classmethod
    def _rows_to_week(cls, value: Any) -> Any:
        return WeeklyHours.from_rows(value) if isinstance(value, list) else value


class ClosureCreate(Body):
    on_date: date
    reason: str = Field(default="", max_length=200)


class Closure(Out):
    on_date: date
    reason: str


# --- spaces --------------------------------------------------------------------------


class SpaceCreate(Body):
    name: str = Field(max_length=120)
    kind: SpaceKind
    capacity: Count = 1
    area_m2: Decimal | None = Field(
        default=None, description='Square metres: a decimal string such as "12.50" or a number.'
    )
    bookable: bool = True
    active: bool = True
    description: str | None = None


SpaceUpdate = partial(SpaceCreate, "SpaceUpdate")


class Space(Out):
    id: int
    hub_id: int
    name: str
    kind: SpaceKind
    capacity: int
    area_m2: Decimal | None
    bookable: bool
    active: bool
    description: str | None
    created_at: datetime
    updated_at: datetime


# --- organizations -------------------------------------------------------------------


class OrganizationCreate(Body):
    name: str = Field(max_length=200)
    kind: OrganizationKind
    short_name: str | None = Field(default=None, max_length=40)
    org_number: str | None = Field(
        default=None, max_length=20, description="Organisasjonsnummer: nine digits, mod-11 checked."
    )
    home_office: str | None = Field(default=None, max_length=120)
    contact_email: str | None = Field(default=None, max_length=254)


OrganizationUpdate = partial(OrganizationCreate, "OrganizationUpdate")


class Organization(Out):
    id: int
    name: str
    short_name: str | None
    kind: OrganizationKind
    org_number: str | None
    home_office: str | None
    contact_email: str | None
    created_at: datetime
    updated_at: datetime


# --- memberships ---------------------------------------------------------------------

Weight = Annotated[Decimal, Field(max_digits=10, decimal_places=4)]
Area = Annotated[Decimal, Field(max_digits=8, decimal_places=2)]


class MembershipCreate(Body):
    """Which financing terms a kind may carry: see docs/api.md and DESIGN.md section 6."""

    organization_id: Id
    kind: MembershipKind
    starts_on: date
    ends_on: date | None = Field(default=None, description="Inclusive; null is open-ended.")
    agreement_reference: str | None = Field(default=None, max_length=200)
    notes: str | None = None
    yearly_amount_ore: Money | None = None
    weight: Weight | None = None
    carries_residual: bool = False
    cap_ore: Money | None = None
    monthly_overhead_ore: Money | None = None
    desk_day_rate_ore: Money | None = None
    cell_day_rate_ore: Money | None = None
    room_hour_rate_ore: Money | None = None
    dedicated_area_m2: Area | None = None


MembershipUpdate = partial(MembershipCreate, "MembershipUpdate")


class Membership(Out):
    id: int
    hub_id: int
    organization_id: int
    kind: MembershipKind
    starts_on: date
    ends_on: date | None
    agreement_reference: str | None
    notes: str | None
    yearly_amount_ore: int | None
    weight: Decimal | None
    carries_residual: bool
    cap_ore: int | None
    monthly_overhead_ore: int | None
    desk_day_rate_ore: int | None
    cell_day_rate_ore: int | None
    room_hour_rate_ore: int | None
    dedicated_area_m2: Decimal | None
    created_at: datetime
    updated_at: datetime


# --- finance -------------------------------------------------------------------------


class CostItemCreate(Body):
    category: CostCategory
    description: str = Field(max_length=200)
    amount_ore: Money
    starts_on: date
    ends_on: date | None = Field(
        default=None, description="Inclusive. With amortize_months it is computed; leave it out."
    )
    amortize_months: Count | None = None


CostItemUpdate = partial(CostItemCreate, "CostItemUpdate")


class CostItem(Out):
    id: int
    hub_id: int
    category: CostCategory
    description: str
    amount_ore: int
    starts_on: date
    ends_on: date
    amortize_months: int | None
    created_at: datetime
    updated_at: datetime


class FundingCreate(Body):
    kind: FundingKind
    source: str = Field(max_length=200)
    description: str = Field(default="", max_length=200)
    amount_ore: Money
    starts_on: date
    ends_on: date = Field(description="Inclusive.")


FundingUpdate = partial(FundingCreate, "FundingUpdate")


class Funding(Out):
    id: int
    hub_id: int
    kind: FundingKind
    source: str
    description: str
    amount_ore: int
    starts_on: date
    ends_on: date
    created_at: datetime
    updated_at: datetime


# --- users, roles, tokens ------------------------------------------------------------


class HubRole(Out):
    id: int
    user_id: int
    user_name: str
    user_email: str
    hub_id: int
    hub_slug: str
    role: Role
    organization_id: int | None = Field(description="Set for partner_contact only.")
    created_at: datetime

    @model_validator(mode="before")
    @classmethod
    def _from_row(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return data
        return {
            "id": data.id,
            "user_id": data.user_id,
            "user_name": data.user.name,
            "user_email": data.user.email,
            "hub_id": data.hub_id,
            "hub_slug": data.hub.slug,
            "role": data.role,
            "organization_id": data.organization_id,
            "created_at": data.created_at,
        }


class RoleGrant(Body):
    user_id: Id
    role: Role
    organization_id: Id | None = Field(default=None, description="Required for partner_contact.")


class User(Out):
    id: int
    email: str
    name: str
    home_organization_id: int
    language: Language
    share_name: bool
    active: bool
    is_system_admin: bool
    has_password: bool = Field(description="False until an invitation is accepted.")
    project_organization_ids: list[int] = Field(
        description="Projects the person works for; bookings may be billed to them."
    )
    last_login_at: datetime | None
    created_at: datetime
    roles: list[HubRole] = Field(description="Roles in the hubs the caller may see.")
    card_id: str | None = Field(
        default=None,
        description="The access-card id usage imports know the person by; only shown to "
        "administrators who manage the person, null otherwise.",
    )


class UserUpdate(PatchBody):
    """Partial update: only the keys given change."""

    email: str = Field(default=None, max_length=254)
    name: str = Field(default=None, max_length=200)
    home_organization_id: Id = None  # type: ignore[assignment]
    language: Language = None  # type: ignore[assignment]
    share_name: bool = None  # type: ignore[assignment]
    active: bool = None  # type: ignore[assignment]
    is_system_admin: bool = Field(default=None, description="Only a system admin may change it.")
    project_organization_ids: list[Id] = Field(
        default=None, description="Replaces the projects the person works for."
    )
    card_id: str | None = Field(
        default=None,
        max_length=64,
        description="The access-card id (unique); null or empty removes it.",
    )


class InvitationCreate(Body):
    """Invite a person by email with a role in the hub; a new person gets a link by email.

    ``name`` and ``home_organization_id`` are needed for a person not yet known.
    """

    email: str = Field(max_length=254)
    name: str | None = Field(default=None, max_length=200)
    home_organization_id: Id | None = None
    language: Language | None = None
    role: Role
    organization_id: Id | None = Field(default=None, description="Required for partner_contact.")


class ApiTokenCreate(Body):
    name: str = Field(max_length=100)


class ApiToken(Out):
    id: int
    name: str
    prefix: str = Field(description="The first characters of the secret, to recognise it.")
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiTokenCreated(ApiToken):
    secret: str = Field(description="Shown once: store it now. Send as 'Authorization: Bearer'.")


# --- bookings ------------------------------------------------------------------------


Instant = Annotated[
    datetime,
    PlainSerializer(utc_iso, return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time", "examples": ["2030-01-07T07:00:00Z"]}),
]
Day = date  # a field named ``date`` cannot be annotated ``date`` in its own class
OffsetDateTime = Annotated[
    AwareDatetime,
    Field(description="ISO 8601 with an offset: 2030-01-07T08:00:00+01:00 or ...T07:00:00Z."),
]


class BookingCreate(Body):
    """Book one space for one interval [start, end)."""

    space_id: Id
    start: OffsetDateTime
    end: OffsetDateTime
    organization_id: Id | None = Field(
        default=None, description="Billed organization; left out: the person's home organization."
    )
    participants: Annotated[int, Field(ge=1, le=INT32)] | None = Field(
        default=None, description="Meeting rooms: at most the room's capacity."
    )
    title: str | None = Field(default=None, max_length=200)


class Booking(Out):
    """One booking; instants are UTC. Cancelled, released and declined rows are kept."""

    id: int
    hub: str = Field(description="The hub's slug.")
    hub_id: int
    space_id: int
    space_name: str
    user_id: int | None = Field(description="Null once personal details are anonymized.")
    organization_id: int = Field(description="The organization the booking is billed to.")
    start: Instant
    end: Instant
    status: BookingStatus
    source: BookingSource
    participants: int | None
    title: str | None
    series_id: int | None
    checked_in_at: Instant | None
    checked_out_at: Instant | None
    cancelled_at: Instant | None
    created_at: Instant
    updated_at: Instant

    @model_validator(mode="before")
    @classmethod
    def _from_row(cls, data: Any) -> Any:
        return data if isinstance(data, dict) else _booking_fields(data)


def _booking_fields(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "hub": row.hub.slug,
        "hub_id": row.hub_id,
        "space_id": row.space_id,
        "space_name": row.space.name,
        "user_id": row.user_id,
        "organization_id": row.organization_id,
        "start": row.starts_at,
        "end": row.ends_at,
        "status": row.status,
        "source": row.source,
        "participants": row.participants,
        "title": row.title,
        "series_id": row.series_id,
        "checked_in_at": row.checked_in_at,
        "checked_out_at": row.checked_out_at,
        "cancelled_at": row.cancelled_at,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }


class BookingApproval(Booking):
    """A booking awaiting approval, with who asked (hub administrators only)."""

    user_name: str | None

    @model_validator(mode="before")
    @classmethod
    def _from_row(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return data
        return _booking_fields(data) | {"user_name": data.user.name if data.user else None}


def _instant_or_date(value: Any) -> Any:
    """``YYYY-MM-DD`` stays a date; anything longer must be an instant with an offset."""
    if isinstance(value, str) and len(value) == 10:
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ValueError("Input should be a date (YYYY-MM-DD) or an instant") from None
    if isinstance(value, str):
        try:
            instant = datetime.fromisoformat(value.replace("z", "Z"))
        except ValueError:
            raise ValueError("Input should be a date (YYYY-MM-DD) or an instant") from None
        if instant.tzinfo is None:
            raise ValueError("An instant needs an offset, such as +01:00 or Z")
        return instant
    return value


InstantOrDate = Annotated[datetime | date, BeforeValidator(_instant_or_date)]


class Query(BaseModel):
    """Base for query strings: values arrive as text; unknown parameters are a 422."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class BookingQuery(Query):
    """``GET /bookings``: the caller's bookings, or with ``all=true`` a hub's (its admins)."""

    from_: InstantOrDate | None = Field(default=None, alias="from")
    to: InstantOrDate | None = None
    status: BookingStatus | None = None
    space_id: Id | None = None
    hub: str | None = None
    all: bool = False
    limit: int = Field(default=100, ge=1, le=500)
    offset: int = Field(default=0, ge=0, le=INT64)


class AvailabilityQuery(Query):
    date: Day | None = None
    days: int = Field(default=1, ge=1, le=14)
    kind: SpaceKind | None = None
    capacity: int | None = Field(default=None, ge=1, le=INT32)


class BusySlot(Out):
    start: Instant
    end: Instant
    organization: str | None = Field(
        description="Short name (or name) of the billed organization; null for time the "
        "meeting room's external calendar marks busy."
    )
    person: str | None = Field(
        description="Only for the viewer's own bookings, hub admins, or to members of the hub "
        "when the person shares their name; otherwise null."
    )
    pending: bool = Field(description="Awaiting approval (still blocks the slot).")
    mine: bool

    @model_validator(mode="before")
    @classmethod
    def _from_slot(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return data
        return {
            "start": data.starts_at,
            "end": data.ends_at,
            "organization": data.organization,
            "person": data.person,
            "pending": data.pending,
            "mine": data.mine,
        }


class AvailabilityDay(Out):
    date: Day = Field(description="The local day in the hub's timezone.")
    open: bool
    opens_at: Instant | None = Field(description="Opening hours that day (UTC); null if closed.")
    closes_at: Instant | None
    busy: list[BusySlot]

    @model_validator(mode="before")
    @classmethod
    def _from_day(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return data
        opening = data.opening
        return {
            "date": data.day,
            "open": opening is not None,
            "opens_at": opening[0] if opening else None,
            "closes_at": opening[1] if opening else None,
            "busy": data.busy,
        }


class AvailabilitySpace(Out):
    id: int
    name: str
    kind: SpaceKind
    capacity: int


class SpaceAvailability(Out):
    """One bookable space and what is busy on each day asked for."""

    space: AvailabilitySpace
    days: list[AvailabilityDay]


# --- events --------------------------------------------------------------------------


class EventAttendanceInput(Body):
    """How many people came from one organization."""

    organization_id: Id
    attendees: Count = Field(description="A whole number, one or more.")


class EventCreate(Body):
    kind: EventKind
    title: str = Field(max_length=200)
    on_date: date
    space_id: Id | None = Field(default=None, description="A space of the hub; null for none.")
    attendance: list[EventAttendanceInput] = Field(
        default=[], description="One row per organization; on update the whole list is replaced."
    )


EventUpdate = partial(EventCreate, "EventUpdate")


class EventAttendance(Out):
    organization_id: int
    organization_name: str
    attendees: int

    @model_validator(mode="before")
    @classmethod
    def _from_row(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return data
        return {
            "organization_id": data.organization_id,
            "organization_name": data.organization.name,
            "attendees": data.attendees,
        }


class Event(Out):
    """A gathering in the hub (faglunsj, fagsamling, workshop, meeting) with attendance."""

    id: int
    hub_id: int
    kind: EventKind
    title: str
    on_date: date
    space_id: int | None
    attendance: list[EventAttendance]
    total_attendees: int
    created_by_id: int | None
    created_at: datetime
    updated_at: datetime


class EventQuery(Query):
    """``GET /hubs/{slug}/events``: events from ``from`` through ``to`` (inclusive dates)."""

    from_: date | None = Field(default=None, alias="from")
    to: date | None = None


# --- usage imports -------------------------------------------------------------------

from hub.usage.models import ImportStatus  # noqa: E402


class UsageImportCreate(Body):
    """A CSV file of presence lines, sent as JSON text (see docs/usage-import.md)."""

    filename: str = Field(default="import.csv", max_length=200)
    content: str = Field(
        max_length=10 * 1024 * 1024,
        description="The CSV text: a header line, then one line per presence "
        "(time, email or card, optionally hub and space). At most 10 MB.",
    )


class UsageImportProblem(Out):
    line: int = Field(description="The physical line number in the file; the header is line 1.")
    reason: str


class UsageImportSummary(Out):
    id: int
    hub_id: int
    filename: str
    status: ImportStatus
    good_lines: int
    bad_lines: int
    created_by_id: int | None
    created_at: datetime
    imported_at: datetime | None


class UsageImportReport(UsageImportSummary):
    """An import with its report; the report is there only while it is previewed."""

    already_counted: int | None = Field(
        description="Lines skipped because a checked-in booking or an earlier import "
        "already counts that person, day and space (null once imported or discarded)."
    )
    records: int | None = Field(
        description="Presence records the good lines become (null once imported or discarded)."
    )
    problems: list[UsageImportProblem] = Field(
        description="Every bad line with its reason, while previewed; empty afterwards."
    )


# --- cost share, financing model, statements -----------------------------------------

PCT_SCALE, WEIGHT_SCALE = Decimal("0.01"), Decimal("0.001")  # as stored: Numeric(5, 2), (6, 3)


class CostShareQuery(Query):
    """``GET /hubs/{slug}/cost-share``: both days are required; checked by the service."""

    from_: str | None = Field(
        default=None, alias="from", description="The first day, YYYY-MM-DD (required)."
    )
    to: str | None = Field(
        default=None,
        description="The last day, YYYY-MM-DD, inclusive and in the same calendar year (required).",
    )


class CostSharePart(Out):
    component: str = Field(
        description="contribution, overhead, usage, residual, host or refund; on the hub's "
        "own lines uncovered or surplus."
    )
    label: str
    amount_ore: int
    explanation: str = Field(description="Units, rates, percentages and the key behind it.")


class CostShareLine(Out):
    organization_id: int | None = Field(
        description="Null on the hub's own lines: what no one covers, or a surplus it keeps."
    )
    organization: str
    amount_ore: int = Field(description="The sum of the parts.")
    explanation: str = Field(description="Every part as 'label: explanation', joined by '; '.")
    parts: list[CostSharePart]


class BlendPart(Out):
    key: Key
    pct: Decimal = Field(description="Percent of the residual split by this key.")


class CostShareModel(Out):
    """The year's financing model the figures were computed with."""

    year: int
    saved: bool = Field(
        description="False when the year inherits the model (see financing-models)."
    )
    key: Key
    blend: list[BlendPart] = Field(description="The base keys of a blend; empty for other keys.")
    desk_day_weight: Decimal
    cell_day_weight: Decimal
    room_hour_weight: Decimal
    surplus_policy: SurplusPolicy


class CostShare(Out):
    """A computed preview: nothing is stored, and issued statements are not involved."""

    model_config = ConfigDict(from_attributes=True, serialize_by_alias=True, validate_by_name=True)

    from_: date = Field(alias="from")
    to: date = Field(description="Inclusive.")
    net_cost_ore: int = Field(description="cost_ore minus funding_ore; the lines add up to it.")
    cost_ore: int = Field(description="Cost items prorated by day to the period.")
    funding_ore: int = Field(description="Grants and discounts prorated the same way.")
    residual_ore: int = Field(
        description="Net cost minus contributions, overhead and use at unit rates; negative "
        "when they pay more than the net cost."
    )
    surplus_ore: int
    refunded_ore: int
    uncovered_ore: int = Field(description="What no one carries when the hub has no host.")
    model: CostShareModel
    lines: list[CostShareLine] = Field(
        description="Partner contacts get only their own organizations' lines."
    )


def quantized(value: Any, scale: Decimal) -> Any:
    return value.quantize(scale) if isinstance(value, Decimal) else value


class FinancingModelValues(Body):
    """A hub's financing model for one year (DESIGN.md section 6, docs/api.md)."""

    key: Key = Field(description="How the residual is split among the partners that carry it.")
    blend_equal_pct: Decimal = Field(description="With key blend: percent split equally.")
    blend_weights_pct: Decimal = Field(description="With key blend: percent by agreed weights.")
    blend_use_pct: Decimal = Field(description="With key blend: percent by measured use.")
    blend_area_pct: Decimal = Field(
        description="With key blend: percent by dedicated area. The four add up to 100."
    )
    desk_day_weight: Decimal = Field(description="What a desk-day counts for under use (0-1000).")
    cell_day_weight: Decimal = Field(description="What a cell-day counts for under use.")
    room_hour_weight: Decimal = Field(description="What a room-hour counts for under use.")
    surplus_policy: SurplusPolicy
    cadence: Cadence = Field(description="How often statements are made.")
    issue_day: Count = Field(
        description="Day of the month after a period that it is issued (1-28)."
    )
    auto_issue: bool = Field(description="Issue and email statements on the issue day.")
    statement_prefix: str = Field(
        description="2 to 20 capital letters or digits; statements are PREFIX-YEAR-NNNN."
    )


FinancingModelUpdate = partial(FinancingModelValues, "FinancingModelUpdate")


class FinancingModel(Out):
    """The year's model: saved, or inherited from the latest earlier year, or the defaults."""

    id: int | None = Field(description="Null while the year has no model of its own.")
    hub_id: int
    year: int
    saved: bool = Field(
        description="False: nothing is saved for the year, and this is a copy of the latest "
        "earlier year's model (or the defaults) that a PUT would start from."
    )
    key: Key
    blend_equal_pct: Decimal
    blend_weights_pct: Decimal
    blend_use_pct: Decimal
    blend_area_pct: Decimal
    desk_day_weight: Decimal
    cell_day_weight: Decimal
    room_hour_weight: Decimal
    surplus_policy: SurplusPolicy
    cadence: Cadence
    issue_day: int
    auto_issue: bool
    statement_prefix: str
    created_at: datetime | None
    updated_at: datetime | None

    @model_validator(mode="before")
    @classmethod
    def _from_row(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return data
        return {
            "id": data.id,
            "hub_id": data.hub_id,
            "year": data.year,
            "saved": data.id is not None,
            "key": data.key,
            **{
                name: quantized(getattr(data, name), PCT_SCALE)
                for name in (
                    "blend_equal_pct",
                    "blend_weights_pct",
                    "blend_use_pct",
                    "blend_area_pct",
                )
            },
            **{
                name: quantized(getattr(data, name), WEIGHT_SCALE)
                for name in ("desk_day_weight", "cell_day_weight", "room_hour_weight")
            },
            "surplus_policy": data.surplus_policy,
            "cadence": data.cadence,
            "issue_day": data.issue_day,
            "auto_issue": data.auto_issue,
            "statement_prefix": data.statement_prefix,
            "created_at": data.created_at,
            "updated_at": data.updated_at,
        }


class StatementQuery(Query):
    """``GET /hubs/{slug}/statements``."""

    year: int | None = Field(default=None, ge=1, le=9999, description="Periods starting that year.")
    organization_id: Id | None = None


class StatementCreate(Body):
    """A draft statement for one organization and period (within one calendar year)."""

    organization_id: Id
    period_first: date
    period_last: date = Field(description="Inclusive.")


class Period(Body):
    """An inclusive period within one calendar year."""

    period_first: date
    period_last: date = Field(description="Inclusive.")


class StatementCredit(Body):
    reason: str = Field(
        default="", max_length=500, description="Printed on the credit note under its first note."
    )


class StatementLine(Out):
    label: str
    explanation: str
    amount_ore: int


class StatementDelivery(Out):
    """One email of an issued statement to one partner contact."""

    email: str
    status: DeliveryStatus
    attempts: int
    last_error: str | None
    sent_at: datetime | None


class Statement(Out):
    """A statement or credit note. Lines are frozen in Norwegian when it is issued."""

    id: int
    hub_id: int
    number: str | None = Field(description="PREFIX-YEAR-NNNN once issued; null for a draft.")
    kind: StatementKind
    status: StatementStatus
    organization_id: int
    organization: str
    period_first: date
    period_last: date = Field(description="Inclusive.")
    total_ore: int
    credits_id: int | None = Field(description="On a credit note: the statement it credits.")
    credited_by_id: int | None = Field(description="The credit note that cancels this one.")
    content_hash: str | None = Field(description="SHA-256 of the frozen content, once issued.")
    issued_at: datetime | None
    lines: list[StatementLine]
    deliveries: list[StatementDelivery] | None = Field(
        description="Emails to the partner contacts; hub administrators only (null otherwise)."
    )

    @model_validator(mode="before")
    @classmethod
    def _from_row(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return data
        return {
            "id": data.id,
            "hub_id": data.hub_id,
            "number": data.number,
            "kind": data.kind,
            "status": data.status,
            "organization_id": data.organization_id,
            "organization": data.organization.name,
            "period_first": data.period_first,
            "period_last": data.period_last,
            "total_ore": data.total_ore,
            "credits_id": data.credits_id,
            "credited_by_id": data.credited_by.id if data.credited_by is not None else None,
            "content_hash": data.content_hash,
            "issued_at": data.issued_at,
            "lines": (data.document or {}).get("lines", []),
            "deliveries": data.deliveries,
        }


class ClosedPeriod(Out):
    id: int
    hub_id: int
    period_first: date
    period_last: date = Field(description="Inclusive.")
    closed_at: datetime
    closed_by_id: int | None
