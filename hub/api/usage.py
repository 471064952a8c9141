"""Usage and occupancy of a hub: the same aggregates as the dashboard, as JSON."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from flask_login import current_user
from pydantic import Field

from hub.accounts import permissions
from hub.api import schemas as s
from hub.api.operations import operation, read_query
from hub.spaces import service as spaces
from hub.spaces.models import Hub
from hub.usage import dashboard, params, reports

TAG = "usage"

Units = float  # desk- and cell-days in halves, hours to the hundredth: exact in a double


class UsageQuery(s.Query):
    from_: date | None = Field(default=None, alias="from")
    to: date | None = None
    group_by: Literal["organization", "space", "kind", "day"] = "organization"


class RangeQuery(s.Query):
    from_: date | None = Field(default=None, alias="from")
    to: date | None = None


class UsageRow(s.Out):
    organization_id: s.Id | None = None
    organization: str | None = Field(
        default=None,
        description="For partner contacts, other organizations' rows are merged into one "
        "row with no id when they are fewer than the hub's minimum group size.",
    )
    space_id: s.Id | None = None
    space: str | None = None
    kind: str | None = None
    day: date | None = None
    bookings: int
    booked_desk_days: Units
    used_desk_days: Units
    booked_cell_days: Units
    used_cell_days: Units
    booked_room_hours: Units
    used_room_hours: Units
    booked_hours: Units
    used_hours: Units
    no_shows: int
    person_days: int
    people: int | None = None


class Usage(s.Out):
    hub: str
    first_day: date
    last_day: date = Field(description="Inclusive.")
    group_by: str
    rows: list[UsageRow]
    totals: UsageRow | None = Field(
        description="The whole hub; withheld from a partner contact when it would reveal a "
        "group smaller than the minimum group size."
    )


class KindOccupancy(s.Out):
    kind: str
    spaces: int
    open_hours: Units
    booked_hours: Units
    used_hours: Units
    booked_percent: Units | None
    used_percent: Units | None


class Occupancy(s.Out):
    hub: str
    first_day: date
    last_day: date = Field(description="Inclusive.")
    open_days: int = Field(description="Days the hub was open: no weekends, holidays or closures.")
    kinds: list[KindOccupancy]


def _range(hub: Hub, query: Any) -> tuple[date, date]:
    """``from``/``to`` default to the year to date in the hub's timezone."""
    today = hub.today()
    values = {
        key: value.isoformat()
        for key, value in (("from", query.from_), ("to", query.to))
        if value is not None
    }
    return params.parse_range(values, date(today.year, 1, 1), today)


def _partner_rows(hub: Hub, rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], bool]:
    """What a partner contact may see: own rows, large groups, small ones merged."""
    view = dashboard.partner_split(
        hub, rows, permissions.partner_organization_ids(current_user, hub)
    )
    shown = [g.row for g in view.own + view.visible]
    if view.merged and view.merged_visible:
        merged = dashboard.sum_rows([g.row for g in view.merged])
        shown.append({"organization_id": None, "organization": None} | merged)
    return shown, view.totals_visible


@operation("GET", "/hubs/<slug>/usage", summary="Usage of a hub", tag=TAG, response=Usage)
def hub_usage(slug: str) -> Any:
    """Booked and used units for a range, per organization, space, kind of space or day.

    Query parameters: ``from`` and ``to`` (YYYY-MM-DD, local, inclusive; default the year
    to date, at most three years), ``group_by`` (``organization``, ``space``, ``kind`` or
    ``day``). Hub admins see everything. A partner contact sees ``organization`` rows only:
    their own, and other organizations' only in groups of at least the hub's minimum group
    size; other groupings would show other organizations' use, so they are 403.
    """
    hub = spaces.get_hub(slug)
    permissions.ensure(permissions.can_view_usage(current_user, hub))
    query = read_query(UsageQuery)
    first, last = _range(hub, query)
    is_admin = permissions.can_admin_hub(current_user, hub)
    permissions.ensure(is_admin or query.group_by == "organization")
    rows = reports.usage_by(hub, first, last, query.group_by)
    totals_visible = True
    if not is_admin:
        rows, totals_visible = _partner_rows(hub, rows)
    totals = reports.totals(hub, first, last)
    return {
        "hub": hub.slug,
        "first_day": first,
        "last_day": last,
        "group_by": query.group_by,
        "rows": rows,
        "totals": totals.as_dict() | {"people": totals.people} if totals_visible else None,
    }


@operation(
    "GET", "/hubs/<slug>/occupancy", summary="Occupancy of a hub", tag=TAG, response=Occupancy
)
def hub_occupancy(slug: str) -> Any:
    """Utilization per kind of space: booked and used space-hours over open space-hours.

    Query parameters: ``from`` and ``to`` as for usage. Hub admins only: utilization of a
    small hub can reveal a single agency's use.
    """
    hub = spaces.get_hub(slug)
    permissions.ensure(permissions.can_admin_hub(current_user, hub))
    first, last = _range(hub, read_query(RangeQuery))
    return {
        "hub": hub.slug,
        "first_day": first,
        "last_day": last,
        "open_days": len(reports.open_days(hub, first, last)),
        "kinds": [k.as_dict() for k in reports.occupancy(hub, first, last)],
    }
