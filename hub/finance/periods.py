"""Pure date arithmetic for cost periods and the statement cadence."""

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


def cadence_periods(cadence: str, year: int) -> list[tuple[date, date]]:
    """The statement periods of a year: 12 months, 4 quarters or the whole year."""
    months = {"monthly": 1, "quarterly": 3, "yearly": 12}[cadence]
    out = []
    for start_month in range(1, 13, months):
        first = date(year, start_month, 1)
        out.append((first, add_months(first, months) - timedelta(days=1)))
    return out


def issue_date(issue_day: int, period_last: date) -> date:
    """Statements for a period are issued on ``issue_day`` of the following month."""
    return (period_last + timedelta(days=1)).replace(day=issue_day)


def latest_due(cadence: str, issue_day: int, today: date, year: int) -> tuple[date, date] | None:
    """The last period of ``year`` whose issue date has come by ``today``."""
    due = [p for p in cadence_periods(cadence, year) if issue_date(issue_day, p[1]) <= today]
    return due[-1] if due else None
