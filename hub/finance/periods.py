"""Pure date arithmetic for cost periods."""

from __future__ import annotations

import calendar
from datetime import date, timedelta


def add_months(day: date, months: int) -> date:
    """Same day-of-month ``months`` later, clamped to the month's last day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def amortization_end(starts_on: date, months: int) -> date:
    """Last day (inclusive) of a straight-line spread over ``months`` months."""
    return add_months(starts_on, months) - timedelta(days=1)
