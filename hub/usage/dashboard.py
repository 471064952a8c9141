"""Everything the host's dashboard and the partner view show for one hub and period.

Composes the aggregates of hub.usage.reports and the chart geometry of
hub.usage.charts into one object per page, so the views stay thin and the
templates only lay it out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import format_date
from flask_babel import gettext as _

from hub.spaces.labels import SPACE_KIND_PLURALS, WEEKDAY_LABELS
from hub.spaces.models import Hub
from hub.usage import charts, periods, privacy, reports
from hub.usage.periods import Period


def period_label(period: Period) -> str:
    if period.grain == "year":
        if period.last < date(period.first.year, 12, 31):
            return _("%(year)s to date", year=period.first.year)
        return str(period.first.year)
    if period.grain == "month":
        return format_date(period.first, "LLLL y")
    if period.grain == "week":
        iso = period.first.isocalendar()
        return _("Week %(week)s, %(year)s", week=iso.week, year=iso.year)
    return format_date(period.first, "full")


def short_label(period: Period) -> str:
    """Axis and link text: month abbreviation, week number, or weekday and date."""
    if period.grain == "month":
        return format_date(period.first, "LLL")
    if period.grain == "week":
        return _("W%(week)s", week=period.first.isocalendar().week)
    if period.grain == "day":
        return format_date(period.first, "EEE d.")
    return str(period.first.year)


@dataclass(frozen=True, slots=True)
class Navigation:
    period: Period
    label: str
    previous: Period
    next: Period | None
    up: Period | None
    children: list[tuple[Period, str]]


def navigation(period: Period, today: date) -> Navigation:
    before, after = periods.neighbours(period, today)
    return Navigation(
        period=period,
        label=period_label(period),
        previous=before,
        next=after if after.first <= today else None,
        up=periods.parent(period),
        children=[(child, short_label(child)) for child in periods.children(period)],
    )


def _buckets(period: Period) -> list[tuple[Period, str]]:
    """The trend's steps: months of a year, days of a month or week, hours are the heatmap's."""
    if period.grain == "year":
        return [(child, short_label(child)) for child in periods.children(period)]
    if period.grain in ("month", "week"):
        return [(periods.day(d), format_date(d, "d")) for d in period.dates()]
    return [(period, short_label(period))]


@dataclass(frozen=True, slots=True)
class Dashboard:
    hub: Hub
    nav: Navigation
    totals: reports.Figures
    occupancy: list[reports.KindOccupancy]
    occupancy_chart: charts.BarChart
    heatmap: reports.Heatmap
    heatmap_grid: charts.Grid
    trend: list[tuple[str, reports.TrendPoint]]
    trend_chart: charts.BarChart
    organizations: list[dict[str, Any]]
    organization_chart: charts.BarChart
    away: list[reports.AwayRow]
    co_presence: reports.CoPresence
    events: list[Any]
    attendance: list[tuple[str, int, int]]

    @property
    def used_percent(self) -> Decimal | None:
        open_hours = sum((k.open_hours for k in self.occupancy), Decimal(0))
        used = sum((k.used_hours for k in self.occupancy), Decimal(0))
        return reports._percent(used, open_hours)

    @property
    def booked_percent(self) -> Decimal | None:
        open_hours = sum((k.open_hours for k in self.occupancy), Decimal(0))
        booked = sum((k.booked_hours for k in self.occupancy), Decimal(0))
        return reports._percent(booked, open_hours)


def occupancy_chart(occupancy: list[reports.KindOccupancy]) -> charts.BarChart:
    return charts.rows(
        [str(SPACE_KIND_PLURALS[k.kind]) for k in occupancy],
        [
            [k.booked_percent or 0 for k in occupancy],
            [k.used_percent or 0 for k in occupancy],
        ],
        maximum=100,
        value_format="{:.0f} %",
        tick_format="{:.0f} %",
        label_width=160,
    )


def heatmap_grid(heatmap: reports.Heatmap) -> charts.Grid:
    return charts.grid(
        [str(WEEKDAY_LABELS[w])[:3] for w in heatmap.weekdays],
        [f"{h:02d}" for h in heatmap.hours],
        [[heatmap.percent[(w, h)] for h in heatmap.hours] for w in heatmap.weekdays],
    )


def trend_chart(points: list[tuple[str, reports.TrendPoint]]) -> charts.BarChart:
    return charts.columns(
        [label for label, _p in points],
        [
            [p.figures.hours() for _l, p in points],
            [p.figures.hours(used=True) for _l, p in points],
        ],
        value_format="{:.0f}",
        tick_format="{:.0f}",
    )


def organization_chart(rows: list[dict[str, Any]]) -> charts.BarChart:
    top = sorted(rows, key=lambda r: (-r["person_days"], r["organization"]))[:12]
    return charts.rows(
        [r["organization"] for r in top],
        [[r["person_days"] for r in top]],
        label_width=240,
    )


def build(hub: Hub, period: Period, today: date) -> Dashboard:
    first, last = period.first, period.last
    occupancy = reports.occupancy(hub, first, last)
    heatmap = reports.heatmap(hub, first, last)
    buckets = _buckets(period)
    # One aggregate by day serves the trend and the totals.
    by_day = reports.figures_by(hub, first, last, "day")
    points = reports.trend(hub, first, last, [(p.first, p.last) for p, _l in buckets], by_day)
    trend = [(label, point) for (_p, label), point in zip(buckets, points, strict=True)]
    organizations = reports.usage_by(hub, first, last, "organization")
    events = reports.events_in(hub, first, last)
    return Dashboard(
        hub=hub,
        nav=navigation(period, today),
        totals=reports.totals(hub, first, last, by_day),
        occupancy=occupancy,
        occupancy_chart=occupancy_chart(occupancy),
        heatmap=heatmap,
        heatmap_grid=heatmap_grid(heatmap),
        trend=trend,
        trend_chart=trend_chart(trend),
        organizations=organizations,
        organization_chart=organization_chart(organizations),
        away=reports.away_from_home(hub, first, last),
        co_presence=reports.co_presence(hub, first, last),
        events=events,
        attendance=reports.attendance_by_organization(events),
    )


# --- the partner view ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PartnerPage:
    hub: Hub
    nav: Navigation
    min_group_size: int
    own: list[dict[str, Any]]
    view: privacy.PartnerView[dict[str, Any]]
    merged_figures: dict[str, Any] | None
    totals: reports.Figures | None
    own_trend: list[tuple[str, dict[str, Any] | None, reports.Figures | None]]
    own_chart: charts.BarChart


def sum_rows(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The figures of several ``usage_by`` rows added up (ids and names left out)."""
    total: dict[str, Any] = {}
    for row in rows:
        for key, value in row.items():
            if isinstance(value, int | Decimal) and not key.endswith("_id"):
                total[key] = total.get(key, 0) + value
    return total


def partner_split(
    hub: Hub, rows: list[dict[str, Any]], own_ids: set[int]
) -> privacy.PartnerView[dict[str, Any]]:
    """Per-organization rows as a partner contact may see them (hub.usage.privacy)."""
    groups = [privacy.Group(r["organization_id"], r["people"], r) for r in rows]
    return privacy.partner_view(groups, own_ids, hub.min_group_size)


def partner_page(hub: Hub, own_ids: set[int], period: Period, today: date) -> PartnerPage:
    """The partner's own figures, the others only as groups of at least the minimum size."""
    first, last = period.first, period.last
    rows = reports.usage_by(hub, first, last, "organization")
    view = partner_split(hub, rows, own_ids)
    trend: list[tuple[str, dict[str, Any] | None, reports.Figures | None]] = []
    for bucket, label in _buckets(period):
        bucket_rows = reports.usage_by(hub, bucket.first, bucket.last, "organization")
        mine = [r for r in bucket_rows if r["organization_id"] in own_ids]
        bucket_view = partner_split(hub, bucket_rows, own_ids)
        hub_total = (
            reports.totals(hub, bucket.first, bucket.last) if bucket_view.totals_visible else None
        )
        trend.append((label, sum_rows(mine) if mine else None, hub_total))
    own_chart = charts.columns(
        [label for label, _m, _t in trend],
        [[(mine or {}).get("person_days", 0) for _l, mine, _t in trend]],
    )
    return PartnerPage(
        hub=hub,
        nav=navigation(period, today),
        min_group_size=hub.min_group_size,
        own=[g.row for g in view.own],
        view=view,
        merged_figures=sum_rows([g.row for g in view.merged]) if view.merged_visible else None,
        totals=reports.totals(hub, first, last) if view.totals_visible else None,
        own_trend=trend,
        own_chart=own_chart,
    )
