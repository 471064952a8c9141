"""Report periods a host drills through: year to date, month, ISO week, day.

Pure: the period is named in the address ("2026", "2026-03", "2026-W12",
"2026-03-14"), so every view of the dashboard is a link that can be shared,
bookmarked and printed.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

Grain = Literal["year", "month", "week", "day"]

_PATTERNS: tuple[tuple[Grain, re.Pattern[str]], ...] = (
    ("year", re.compile(r"^(\d{4})$")),
    ("month", re.compile(r"^(\d{4})-(\d{2})$")),
    ("week", re.compile(r"^(\d{4})-W(\d{2})$")),
    ("day", re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")),
)


@dataclass(frozen=True, slots=True)
class Period:
    grain: Grain
    first: date
    last: date  # inclusive
    key: str

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def dates(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range(self.days)]


def year(y: int, today: date | None = None) -> Period:
    """The whole year, or year to date when it is the current one."""
    last = date(y, 12, 31)
    if today is not None and today.year == y:
        last = today
    return Period("year", date(y, 1, 1), last, f"{y:04d}")


def month(y: int, m: int) -> Period:
    last = date(y, m, calendar.monthrange(y, m)[1])
    return Period("month", date(y, m, 1), last, f"{y:04d}-{m:02d}")


def week(y: int, w: int) -> Period:
    monday = date.fromisocalendar(y, w, 1)
    return Period("week", monday, monday + timedelta(days=6), f"{y:04d}-W{w:02d}")


def day(d: date) -> Period:
    return Period("day", d, d, d.isoformat())


def parse(text: str | None, today: date) -> Period | None:
    """The period named by ``text``; year to date when empty; None when not a period."""
    if not text:
        return year(today.year, today)
    for grain, pattern in _PATTERNS:
        match = pattern.match(text.strip())
        if not match:
            continue
        numbers = [int(g) for g in match.groups()]
        try:
            if grain == "year":
                return year(numbers[0], today) if 2000 <= numbers[0] <= 2100 else None
            if grain == "month":
                return month(*numbers)
            if grain == "week":
                return week(*numbers)
            return day(date(*numbers))
        except ValueError:
            return None
    return None


def children(period: Period) -> list[Period]:
    """What a period drills down to: months of a year, weeks of a month, days of a week."""
    if period.grain == "year":
        return [month(period.first.year, m) for m in range(1, period.last.month + 1)]
    if period.grain == "month":
        weeks: list[Period] = []
        cursor = period.first - timedelta(days=period.first.weekday())
        while cursor <= period.last:
            iso = cursor.isocalendar()
            weeks.append(week(iso.year, iso.week))
            cursor += timedelta(days=7)
        return weeks
    if period.grain == "week":
        return [day(d) for d in period.dates()]
    return []


def parent(period: Period) -> Period | None:
    """Up one level: a day to its ISO week, a week to the month of its Thursday."""
    if period.grain == "day":
        iso = period.first.isocalendar()
        return week(iso.year, iso.week)
    if period.grain == "week":
        thursday = period.first + timedelta(days=3)
        return month(thursday.year, thursday.month)
    if period.grain == "month":
        return year(period.first.year)
    return None


def neighbours(period: Period, today: date) -> tuple[Period, Period]:
    """The previous and the next period of the same grain."""
    if period.grain == "year":
        y = period.first.year
        return year(y - 1, today), year(y + 1, today)
    if period.grain == "month":
        before = period.first - timedelta(days=1)
        after = period.last + timedelta(days=1)
        return month(before.year, before.month), month(after.year, after.month)
    if period.grain == "week":
        before = (period.first - timedelta(days=7)).isocalendar()
        after = (period.first + timedelta(days=7)).isocalendar()
        return week(before.year, before.week), week(after.year, after.week)
    return day(period.first - timedelta(days=1)), day(period.first + timedelta(days=1))


def months_between(first: date, last: date) -> list[tuple[int, int]]:
    """(year, month) for every month the range touches, in order."""
    result = []
    y, m = first.year, first.month
    while (y, m) <= (last.year, last.month):
        result.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return result
