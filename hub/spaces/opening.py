"""Pure calendar rules: which local days a hub is open and when, as UTC instants.

Plain data in and out (no Flask, no database), so booking presets and
occupancy reports share one definition of "open".
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from datetime import UTC, date, datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

import holidays

WeeklyHours = Mapping[int, tuple[time, time]]

# Monday to Friday, 08:00-16:00: the usual state office day.
DEFAULT_WEEKLY_HOURS: dict[int, tuple[time, time]] = {
    weekday: (time(8, 0), time(16, 0)) for weekday in range(5)
}


@lru_cache(maxsize=64)
def public_holidays(year: int, language: str = "no") -> dict[date, str]:
    """Norwegian public holidays (helligdager) for a year; Sundays are weekends, not listed."""
    lang = language if language in {"no", "en_US"} else "no"
    return dict(holidays.country_holidays("NO", years=year, language=lang))


def is_valid_timezone(name: str) -> bool:
    return name in _timezones()


@lru_cache(maxsize=1)
def _timezones() -> frozenset[str]:
    return frozenset(available_timezones())


def is_open_day(day: date, weekly: WeeklyHours, closed_days: Set[date] = frozenset()) -> bool:
    return (
        day.weekday() in weekly and day not in closed_days and day not in public_holidays(day.year)
    )


def local_day(instant: datetime, timezone: str) -> date:
    """The date on the hub's wall calendar at that instant."""
    return instant.astimezone(ZoneInfo(timezone)).date()


def opening_interval(
    day: date,
    weekly: WeeklyHours,
    timezone: str,
    closed_days: Set[date] = frozenset(),
) -> tuple[datetime, datetime] | None:
    """The day's opening hours as a UTC half-open interval, or None when closed.

    Local wall-clock times are resolved in the hub's timezone, so the interval
    is right on daylight-saving days too.
    """
    if not is_open_day(day, weekly, closed_days):
        return None
    opens, closes = weekly[day.weekday()]
    zone = ZoneInfo(timezone)
    start = datetime.combine(day, opens, tzinfo=zone).astimezone(UTC)
    end = datetime.combine(day, closes, tzinfo=zone).astimezone(UTC)
    return start, end
