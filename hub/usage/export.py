"""Usage exports per organization, space, day, or all three, as CSV and XLSX.

CSV is for machines: UTF-8 with a byte-order mark (so spreadsheet programs read
Æ, Ø and Å right), comma-separated, decimal points, the API's field names as the
header. XLSX is for people: translated headers, numbers as numbers, a frozen
header row and filters; written with XlsxWriter in constant-memory mode so a
year of a busy hub does not have to fit in memory twice.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
import xlsxwriter
from flask_babel import lazy_gettext as _l

from hub.accounts.models import Organization
from hub.extensions import db
from hub.spaces.models import Hub, Space
from hub.usage import reports
from hub.usage.models import UsageDay

EXPORT_GROUPS = ("organization", "space", "day", "detail")

COLUMN_LABELS = {
    "day": _l("Date"),
    "organization_id": _l("Organization id"),
    "organization": _l("Organization"),
    "space_id": _l("Space id"),
    "space": _l("Space"),
    "kind": _l("Kind"),
    "bookings": _l("Bookings"),
    "booked_desk_days": _l("Booked desk-days"),
    "used_desk_days": _l("Used desk-days"),
    "booked_cell_days": _l("Booked cell-days"),
    "used_cell_days": _l("Used cell-days"),
    "booked_room_hours": _l("Booked room-hours"),
    "used_room_hours": _l("Used room-hours"),
    "booked_hours": _l("Booked hours"),
    "used_hours": _l("Used hours"),
    "booked_days": _l("Booked days"),
    "used_days": _l("Used days"),
    "no_shows": _l("No-shows"),
    "person_days": _l("Person-days"),
    "people": _l("People"),
}

_DETAIL_COLUMNS = (
    "day",
    "organization_id",
    "organization",
    "space_id",
    "space",
    "kind",
    "bookings",
    "booked_days",
    "used_days",
    "booked_hours",
    "used_hours",
    "no_shows",
)


def detail_rows(hub: Hub, first: date, last: date) -> Iterator[dict[str, Any]]:
    """One row per day, space and organization, straight from the roll-up, streamed."""
    rows = db.session.execute(
        sa.select(
            UsageDay.day,
            UsageDay.organization_id,
            Organization.name,
            UsageDay.space_id,
            Space.name,
            Space.kind,
            UsageDay.bookings,
            UsageDay.booked_half_days,
            UsageDay.used_half_days,
            UsageDay.booked_minutes,
            UsageDay.used_minutes,
            UsageDay.no_shows,
        )
        .join(Space, UsageDay.space_id == Space.id)
        .join(Organization, UsageDay.organization_id == Organization.id)
        .where(UsageDay.hub_id == hub.id, UsageDay.day >= first, UsageDay.day <= last)
        .order_by(UsageDay.day, Space.name, Organization.name)
        .execution_options(yield_per=5000)
    )
    for row in rows:
        (day, org_id, org, space_id, space, kind, n, bhd, uhd, bmin, umin, no_shows) = row
        if not (n or uhd or umin):
            continue
        yield {
            "day": day,
            "organization_id": org_id,
            "organization": org,
            "space_id": space_id,
            "space": space,
            "kind": str(kind),
            "bookings": n,
            "booked_days": Decimal(bhd) / 2,
            "used_days": Decimal(uhd) / 2,
            "booked_hours": (Decimal(bmin) / 60).quantize(Decimal("0.01")),
            "used_hours": (Decimal(umin) / 60).quantize(Decimal("0.01")),
            "no_shows": no_shows,
        }


def export_rows(
    hub: Hub, first: date, last: date, group_by: str
) -> tuple[tuple[str, ...], Iterator[dict[str, Any]]]:
    """The columns and the rows of one export."""
    if group_by == "detail":
        return _DETAIL_COLUMNS, detail_rows(hub, first, last)
    rows = reports.usage_by(hub, first, last, group_by)  # type: ignore[arg-type]
    columns = tuple(rows[0] if rows else reports.usage_by_columns(group_by))  # type: ignore[arg-type]
    return columns, iter(rows)


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _plain(value: Any) -> Any:
    """Dates as ISO text; text a spreadsheet would run as a formula gets a quote."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def to_csv(columns: tuple[str, ...], rows: Iterator[dict[str, Any]]) -> Iterator[str]:
    """CSV text in pieces, so a large export streams."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow(columns)
    for n, row in enumerate(rows, start=1):
        writer.writerow([_plain(row.get(c)) for c in columns])
        if n % 1000 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def to_xlsx(columns: tuple[str, ...], rows: Iterator[dict[str, Any]], sheet: str) -> bytes:
    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        output, {"constant_memory": True, "in_memory": False, "default_date_format": "yyyy-mm-dd"}
    )
    worksheet = workbook.add_worksheet(sheet[:31])
    bold = workbook.add_format({"bold": True})
    decimal = workbook.add_format({"num_format": "0.0#"})
    for c, name in enumerate(columns):
        worksheet.write_string(0, c, str(COLUMN_LABELS.get(name, name)), bold)
        worksheet.set_column(c, c, 28 if name in ("organization", "space") else 14)
    count = 0
    for r, row in enumerate(rows, start=1):
        count = r
        for c, name in enumerate(columns):
            value = row.get(name)
            if isinstance(value, Decimal):
                worksheet.write_number(r, c, float(value), decimal)
            elif isinstance(value, date):
                worksheet.write_datetime(r, c, value)
            elif isinstance(value, int):
                worksheet.write_number(r, c, value)
            elif value is not None:
                worksheet.write_string(r, c, str(value))
    worksheet.freeze_panes(1, 0)
    worksheet.autofilter(0, 0, max(count, 1), len(columns) - 1)
    workbook.close()
    return output.getvalue()
