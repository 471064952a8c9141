"""Reading presence lines from CSV text: an access-card export or a manual list.

Pure: text in, plain data out; no Flask, no database. The service
(``hub.usage.imports``) decodes the bytes, resolves people and spaces, and
turns the problem codes below into translated sentences.

The file needs a header row naming its columns (English or Norwegian, any
case; unknown columns are ignored):

- ``time`` / ``tid`` / ``tidspunkt`` (required);
- ``email`` / ``e-post`` / ``epost`` and/or ``card`` / ``card_id`` / ``kort`` /
  ``kortnummer`` (at least one of them; each line needs one value);
- ``hub`` (slug or name) and ``space`` / ``plass`` / ``rom`` (optional).

Times are ISO 8601 (an offset or ``Z`` makes it an instant; without one it is
the hub's local time), ``dd.mm.yyyy hh:mm[:ss]`` or ``yyyy-mm-dd hh:mm[:ss]``;
a date alone means the start of that local day. The delimiter (comma,
semicolon or tab) is read from the header line. Line numbers are physical
lines of the file, the header being line 1.

Problems with the whole file raise ``FileProblem``; problems with one line are
collected as ``LineProblem`` and the other lines are still read.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

MAX_LINES = 200_000

# Column -> the header names that mean it (compared lower-case, spaces as "_").
COLUMN_NAMES: dict[str, tuple[str, ...]] = {
    "time": ("time", "tid", "tidspunkt"),
    "email": ("email", "e-mail", "e-post", "epost"),
    "card": ("card", "card_id", "kort", "kortnummer"),
    "hub": ("hub",),
    "space": ("space", "plass", "rom"),
}
HEADER_NAMES = {name: column for column, names in COLUMN_NAMES.items() for name in names}
DELIMITERS = (",", ";", "\t")

# Line problem codes (the service has a sentence for each).
COLUMNS = "columns"  # found, expected
NO_TIME = "no_time"
BAD_TIME = "bad_time"  # value
NO_SUCH_TIME = "no_such_time"  # value, timezone: a local time skipped by daylight saving
FUTURE = "future"  # value
NO_PERSON = "no_person"
BAD_EMAIL = "bad_email"  # value

# File problem codes.
EMPTY = "empty"
NO_HEADER = "no_header"
NO_TIME_COLUMN = "no_time_column"
NO_PERSON_COLUMN = "no_person_column"
DUPLICATE_COLUMN = "duplicate_column"  # name
NO_LINES = "no_lines"
TOO_MANY_LINES = "too_many_lines"  # limit
UNREADABLE = "unreadable"  # line

NORWEGIAN_TIME = re.compile(
    r"(\d{1,2})\.(\d{1,2})\.(\d{4})(?:[ T]+(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?)?"
)
LOOSE_ISO_TIME = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?")


class FileProblem(Exception):
    """The file as a whole cannot be read; nothing in it is used."""

    def __init__(self, code: str, **params: Any) -> None:
        self.code = code
        self.params = params
        super().__init__(code, params)


@dataclass(frozen=True, slots=True)
class LineProblem:
    line: int
    code: str
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PresenceLine:
    """One readable line: who (email and/or card id), when, and maybe where."""

    line: int
    local_time: datetime  # aware, in the hub's timezone
    seen_at: datetime  # the same instant in UTC
    email: str | None  # lower-case
    card: str | None
    hub: str | None
    space: str | None

    @property
    def day(self) -> date:
        """The local day in the hub's timezone."""
        return self.local_time.date()


@dataclass(slots=True)
class ParsedFile:
    lines: list[PresenceLine]
    problems: list[LineProblem]
    columns: tuple[str, ...]  # the known columns the header has, in file order
    delimiter: str
    data_lines: int  # non-blank lines after the header


class _TimeError(Exception):
    def __init__(self, code: str) -> None:
        self.code = code


def sniff_delimiter(header_line: str) -> str:
    """The most frequent of comma, semicolon and tab outside quotes (comma if none)."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for char in header_line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def header_column(name: str) -> str | None:
    key = "_".join(name.replace("\ufeff", "").strip().lower().split())
    return HEADER_NAMES.get(key)


def parse_time(value: str, zone: ZoneInfo) -> datetime:
    """An aware datetime in ``zone``; raises ``_TimeError`` with a problem code."""
    text = value.strip()
    naive: datetime | None = None
    parsed: datetime | None = None
    if match := NORWEGIAN_TIME.fullmatch(text):
        day, month, year, hour, minute, second = match.groups()
        naive = _make(year, month, day, hour, minute, second)
    elif match := LOOSE_ISO_TIME.fullmatch(text):
        year, month, day, hour, minute, second = match.groups()
        naive = _make(year, month, day, hour, minute, second)
    else:
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            try:
                parsed = datetime.combine(date.fromisoformat(text), datetime.min.time())
            except ValueError:
                raise _TimeError(BAD_TIME) from None
    if parsed is not None and parsed.tzinfo is not None:
        return parsed.astimezone(zone)
    naive = naive if naive is not None else parsed
    assert naive is not None
    local = naive.replace(tzinfo=zone)
    if local.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != naive:
        raise _TimeError(NO_SUCH_TIME)
    return local


def _make(
    year: str, month: str, day: str, hour: str | None, minute: str | None, second: str | None
) -> datetime:
    try:
        return datetime(
            int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0)
        )
    except ValueError:
        raise _TimeError(BAD_TIME) from None


def _rows(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(first physical line, fields) of each CSV record; a quoted newline spans lines."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    end = 0
    while True:
        start = end + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error:
            raise FileProblem(UNREADABLE, line=start) from None
        end = reader.line_num
        yield start, row


def _blank(row: list[str]) -> bool:
    return not any(cell.strip() for cell in row)


def parse(text: str, timezone: str, now: datetime, *, max_lines: int = MAX_LINES) -> ParsedFile:
    """Read every line of ``text``; ``now`` (aware) marks what is in the future."""
    text = text.removeprefix("\ufeff")
    first_line = next((line for line in text.splitlines() if line.strip()), None)
    if first_line is None:
        raise FileProblem(EMPTY)
    delimiter = sniff_delimiter(first_line)
    zone = ZoneInfo(timezone)
    rows = _rows(text, delimiter)
    header: list[str] | None = None
    for _number, row in rows:
        if not _blank(row):
            header = row
            break
    if header is None:
        raise FileProblem(EMPTY)
    index: dict[str, int] = {}
    for position, name in enumerate(header):
        column = header_column(name)
        if column is None:
            continue
        if column in index:
            raise FileProblem(DUPLICATE_COLUMN, name=name.strip())
        index[column] = position
    if not index:
        raise FileProblem(NO_HEADER)
    if "time" not in index:
        raise FileProblem(NO_TIME_COLUMN)
    if "email" not in index and "card" not in index:
        raise FileProblem(NO_PERSON_COLUMN)

    result = ParsedFile(
        lines=[],
        problems=[],
        columns=tuple(sorted(index, key=index.__getitem__)),
        delimiter=delimiter,
        data_lines=0,
    )
    width = len(header)
    for number, row in rows:
        if _blank(row):
            continue
        result.data_lines += 1
        if result.data_lines > max_lines:
            raise FileProblem(TOO_MANY_LINES, limit=max_lines)
        problem = _read_line(result, number, row, width, index, zone, now)
        if problem is not None:
            result.problems.append(problem)
    if result.data_lines == 0:
        raise FileProblem(NO_LINES)
    return result


def _read_line(
    result: ParsedFile,
    number: int,
    row: list[str],
    width: int,
    index: dict[str, int],
    zone: ZoneInfo,
    now: datetime,
) -> LineProblem | None:
    if len(row) < width or (len(row) > width and not _blank(row[width:])):
        return LineProblem(number, COLUMNS, {"found": len(row), "expected": width})

    def cell(column: str) -> str | None:
        position = index.get(column)
        value = row[position].strip() if position is not None else ""
        return value or None

    raw_time = cell("time")
    if raw_time is None:
        return LineProblem(number, NO_TIME)
    try:
        local = parse_time(raw_time, zone)
    except _TimeError as exc:
        params = {"value": raw_time}
        if exc.code == NO_SUCH_TIME:
            params["timezone"] = zone.key
        return LineProblem(number, exc.code, params)
    seen_at = local.astimezone(UTC)
    if seen_at > now:
        return LineProblem(number, FUTURE, {"value": raw_time})
    email, card = cell("email"), cell("card")
    if email is None and card is None:
        return LineProblem(number, NO_PERSON)
    if email is not None:
        email = email.lower()
        if "@" not in email.strip("@"):
            return LineProblem(number, BAD_EMAIL, {"value": email})
    result.lines.append(
        PresenceLine(
            line=number,
            local_time=local,
            seen_at=seen_at,
            email=email,
            card=card,
            hub=cell("hub"),
            space=cell("space"),
        )
    )
    return None
