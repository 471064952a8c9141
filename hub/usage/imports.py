"""Importing presence from an access-card system or a manual list.

Two steps, so nothing is counted before a person has seen the report:

1. ``preview_import`` reads the file, reports every bad line with its line
   number and reason, and stores the text as a ``previewed`` import.
2. ``confirm_import`` reads the stored text again (the same way) and turns the
   good lines into ``UsageRecord`` rows and roll-up counts; or
   ``discard_import`` drops it.

A usage record is one person-day (and space, when the line names one). Several
lines for the same person, local day and space become one record (access
cards log many entries a day). A line is skipped as *already counted* when the
person has a checked-in booking of that space that day, or when an earlier
import already has that person, day and space. Only the hub of the import is
imported: a line naming another hub, or a space of another hub, is a bad line.

Services flush and never commit.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from hub.accounts.models import User
from hub.booking.models import Booking, BookingStatus
from hub.database import begin_write, utcnow
from hub.errors import Conflict, NotFound, ValidationFailed
from hub.extensions import db
from hub.spaces.models import Hub, Space
from hub.usage import importer, rollup
from hub.usage.models import ImportStatus, UsageImport, UsageRecord

MAX_BYTES = 10 * 1024 * 1024
MAX_LINES = importer.MAX_LINES
BATCH = 5_000
IN_CHUNK = 500  # values per IN (...) list, well under SQLite's limit

LINE_REASONS: dict[str, Any] = {
    importer.COLUMNS: _l("The line has %(found)d fields; the header has %(expected)d."),
    importer.NO_TIME: _l("The time is missing."),
    importer.BAD_TIME: _l(
        "“%(value)s” is not a time; write it like 2030-01-07 08:15 or 07.01.2030 08:15."
    ),
    importer.NO_SUCH_TIME: _l(
        "%(value)s does not exist in %(timezone)s (the clocks were put forward)."
    ),
    importer.FUTURE: _l("%(value)s is in the future."),
    importer.NO_PERSON: _l("The line has neither an email nor a card id."),
    importer.BAD_EMAIL: _l("“%(value)s” is not an email address."),
    "unknown_email": _l("No person has the email %(value)s."),
    "unknown_card": _l("No person has the card id %(value)s."),
    "person_mismatch": _l("The email %(email)s and the card id %(card)s are different people."),
    "other_hub": _l("The line is for “%(value)s”, but this import is for %(hub)s."),
    "unknown_space": _l("%(hub)s has no space named “%(value)s”."),
    "other_hub_space": _l("The space “%(value)s” belongs to another hub, not to %(hub)s."),
}

FILE_PROBLEMS: dict[str, Any] = {
    "too_large": _l("The file is larger than %(limit)d MB."),
    "not_text": _l(
        "This is not a CSV text file. Save it as CSV (comma- or semicolon-separated) and try again."
    ),
    importer.EMPTY: _l("The file is empty."),
    importer.NO_HEADER: _l(
        "The first line must name the columns: time, and email or card "
        "(hub and space may be added)."
    ),
    importer.NO_TIME_COLUMN: _l("The first line has no time column (time, tid or tidspunkt)."),
    importer.NO_PERSON_COLUMN: _l(
        "The first line has no email or card column (email, e-post, card, kort or kortnummer)."
    ),
    importer.DUPLICATE_COLUMN: _l("The first line names the column %(name)s twice."),
    importer.NO_LINES: _l("The file has a header but no lines."),
    importer.TOO_MANY_LINES: _l(
        "The file has more than %(limit)d lines. Split it into smaller files."
    ),
    importer.UNREADABLE: _l("Line %(line)d cannot be read as CSV. Check its quotation marks."),
}

ProgressCallback = Callable[[int], Any]
T = TypeVar("T")


@dataclass(slots=True)
class ImportReport:
    """What a file would add (or added): counts and every bad line with its reason."""

    data_lines: int = 0  # non-blank lines after the header
    good: int = 0  # lines that are imported (including duplicates that collapse)
    bad: list[tuple[int, str]] = field(default_factory=list)  # (line number, reason)
    already_counted: int = 0  # skipped: a checked-in booking or an earlier import says so
    duplicates: int = 0  # good lines that repeat another line's person, day and space
    records: int = 0  # person-days (and spaces) that become usage records

    @property
    def bad_count(self) -> int:
        return len(self.bad)


@dataclass(slots=True)
class _Plan:
    report: ImportReport
    # (user_id, day, space_id) -> the record's values, in file order
    records: dict[tuple[int, date, int | None], dict[str, Any]]
    kinds: dict[int, str]  # space_id -> kind


def _reason(code: str, params: Mapping[str, Any]) -> str:
    return str(LINE_REASONS[code]) % dict(params) if params else str(LINE_REASONS[code])


def _file_error(code: str, **params: Any) -> ValidationFailed:
    message = str(FILE_PROBLEMS[code])
    return ValidationFailed({"file": message % params if params else message})


def _chunks(values: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def decode(data: bytes) -> str:
    """The file's text: UTF-8 (with or without BOM), else Windows-1252 as Excel writes it."""
    if len(data) > MAX_BYTES:
        raise _file_error("too_large", limit=MAX_BYTES // 1024 // 1024)
    if not data.strip():
        raise _file_error(importer.EMPTY)
    if b"\x00" in data:
        raise _file_error("not_text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        raise _file_error("not_text") from None


def _clean_filename(filename: str | None) -> str:
    name = os.path.basename((filename or "").replace("\\", "/")).strip()
    return (name or "import.csv")[:200]


# --- reading a file against the database --------------------------------------------


def _users(lines: list[importer.PresenceLine]) -> tuple[dict[str, User], dict[str, User]]:
    emails = sorted({line.email for line in lines if line.email})
    cards = sorted({line.card for line in lines if line.card})
    by_email: dict[str, User] = {}
    by_card: dict[str, User] = {}
    for chunk in _chunks(emails, IN_CHUNK):
        for user in db.session.scalars(
            sa.select(User).where(sa.func.lower(User.email).in_(list(chunk)))
        ):
            by_email[user.email.lower()] = user
    for chunk in _chunks(cards, IN_CHUNK):
        for user in db.session.scalars(sa.select(User).where(User.card_id.in_(list(chunk)))):
            assert user.card_id is not None
            by_card[user.card_id] = user
    return by_email, by_card


def _other_hub_spaces(hub: Hub, names: set[str]) -> set[str]:
    """Of the (lower-case) names, those that are spaces of another hub."""
    found: set[str] = set()
    for chunk in _chunks(sorted(names), IN_CHUNK):
        found.update(
            name.lower()
            for name in db.session.scalars(
                sa.select(Space.name).where(
                    Space.hub_id != hub.id, sa.func.lower(Space.name).in_(list(chunk))
                )
            )
        )
    return found


def _counted_keys(
    hub: Hub, first: date, last: date, exclude_import_id: int | None
) -> set[tuple[int, date, int | None]]:
    """(user, day, space) already counted: checked-in bookings and earlier imports."""
    zone = ZoneInfo(hub.timezone)
    start = datetime.combine(first, datetime.min.time(), tzinfo=zone)
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=zone)
    keys: set[tuple[int, date, int | None]] = set()
    bookings = db.session.execute(
        sa.select(Booking.user_id, Booking.starts_at, Booking.space_id).where(
            Booking.hub_id == hub.id,
            Booking.status == BookingStatus.CONFIRMED,
            Booking.checked_in_at.is_not(None),
            Booking.user_id.is_not(None),
            Booking.starts_at >= start,
            Booking.starts_at < end,
        )
    )
    for user_id, starts_at, space_id in bookings:
        keys.add((user_id, starts_at.astimezone(zone).date(), space_id))
    query = sa.select(UsageRecord.user_id, UsageRecord.day, UsageRecord.space_id).where(
        UsageRecord.hub_id == hub.id,
        UsageRecord.user_id.is_not(None),
        UsageRecord.day.between(first, last),
    )
    if exclude_import_id is not None:
        query = query.where(UsageRecord.import_id != exclude_import_id)
    keys.update(tuple(row) for row in db.session.execute(query))  # type: ignore[misc]
    return keys


def _plan(hub: Hub, text: str, now: datetime | None, exclude_import_id: int | None = None) -> _Plan:
    try:
        parsed = importer.parse(text, hub.timezone, now or utcnow(), max_lines=MAX_LINES)
    except importer.FileProblem as exc:
        raise _file_error(exc.code, **exc.params) from None
    report = ImportReport(data_lines=parsed.data_lines)
    bad: list[tuple[int, str]] = [(p.line, _reason(p.code, p.params)) for p in parsed.problems]

    by_email, by_card = _users(parsed.lines)
    hub_names = {hub.slug.lower(), hub.name.lower()}
    spaces = {space.name.lower(): space for space in hub.spaces}
    unknown = {line.space.lower() for line in parsed.lines if line.space} - spaces.keys()
    elsewhere = _other_hub_spaces(hub, unknown) if unknown else set()

    candidates: list[tuple[importer.PresenceLine, User, Space | None]] = []
    for line in parsed.lines:
        problem: tuple[str, dict[str, Any]] | None = None
        user: User | None = None
        space: Space | None = None
        if line.hub is not None and line.hub.lower() not in hub_names:
            problem = ("other_hub", {"value": line.hub, "hub": hub.name})
        elif line.email is not None and line.email not in by_email:
            problem = ("unknown_email", {"value": line.email})
        elif line.card is not None and line.card not in by_card:
            problem = ("unknown_card", {"value": line.card})
        else:
            user = by_email[line.email] if line.email is not None else by_card[line.card or ""]
            if line.card is not None and by_card[line.card].id != user.id:
                problem = ("person_mismatch", {"email": line.email, "card": line.card})
            elif line.space is not None:
                space = spaces.get(line.space.lower())
                if space is None:
                    code = "other_hub_space" if line.space.lower() in elsewhere else "unknown_space"
                    problem = (code, {"value": line.space, "hub": hub.name})
        if problem is not None:
            bad.append((line.line, _reason(*problem)))
        else:
            assert user is not None
            candidates.append((line, user, space))

    counted: set[tuple[int, date, int | None]] = set()
    if candidates:
        days = [line.day for line, _user, _space in candidates]
        counted = _counted_keys(hub, min(days), max(days), exclude_import_id)
    records: dict[tuple[int, date, int | None], dict[str, Any]] = {}
    kinds: dict[int, str] = {}
    for line, user, space in candidates:
        key = (user.id, line.day, space.id if space else None)
        if key in counted:
            report.already_counted += 1
            continue
        report.good += 1
        if key in records:
            report.duplicates += 1
            records[key]["seen_at"] = min(records[key]["seen_at"], line.seen_at)
            continue
        if space is not None:
            kinds[space.id] = str(space.kind)
        records[key] = {
            "hub_id": hub.id,
            "space_id": space.id if space else None,
            "organization_id": user.home_organization_id,
            "user_id": user.id,
            "day": line.day,
            "seen_at": line.seen_at,
        }
    report.bad = sorted(bad)
    report.records = len(records)
    return _Plan(report=report, records=records, kinds=kinds)


# --- the operations -----------------------------------------------------------------


def imports_of(hub: Hub) -> list[UsageImport]:
    """The hub's imports, newest first."""
    return list(
        db.session.scalars(
            sa.select(UsageImport)
            .where(UsageImport.hub_id == hub.id)
            .order_by(UsageImport.created_at.desc(), UsageImport.id.desc())
        )
    )


def get_import(hub: Hub, import_id: int) -> UsageImport:
    usage_import = db.session.get(UsageImport, import_id)
    if usage_import is None or usage_import.hub_id != hub.id:
        raise NotFound(_("No such import."))
    return usage_import


def preview_import(
    hub: Hub, filename: str | None, data: bytes, actor: User | None, *, now: datetime | None = None
) -> tuple[UsageImport, ImportReport]:
    """Check a file and keep it as a previewed import; nothing is counted yet.

    A file that cannot be read at all (too large, not text, no header, too many
    lines) raises ``ValidationFailed`` on ``file`` and stores nothing.
    """
    begin_write(db.session())
    text = decode(data)
    plan = _plan(hub, text, now)
    usage_import = UsageImport(
        hub_id=hub.id,
        filename=_clean_filename(filename),
        content=text,
        status=ImportStatus.PREVIEWED,
        good_lines=plan.report.good,
        bad_lines=plan.report.bad_count,
        created_by_id=actor.id if actor is not None else None,
        created_at=now or utcnow(),
    )
    db.session.add(usage_import)
    db.session.flush()
    return usage_import, plan.report


def check_import(usage_import: UsageImport, *, now: datetime | None = None) -> ImportReport:
    """The report of a previewed import as the database stands now (changes nothing)."""
    if usage_import.status != ImportStatus.PREVIEWED:
        raise Conflict(_("Only an import that has not been imported or discarded can be checked."))
    return _plan(usage_import.hub, usage_import.content, now, usage_import.id).report


def _lock(usage_import: UsageImport) -> None:
    """Serialize imports of one hub and re-read the import's status.

    SQLite already holds the write lock (``begin_write``). On PostgreSQL, two
    confirmations of one hub wait for each other on the hub row (FOR NO KEY
    UPDATE does not block bookings that only reference it), so neither misses
    the other's records.
    """
    db.session.execute(
        sa.select(Hub.id).where(Hub.id == usage_import.hub_id).with_for_update(key_share=True)
    )
    db.session.execute(
        sa.select(UsageImport)
        .where(UsageImport.id == usage_import.id)
        .execution_options(populate_existing=True)
    )


def _ensure_previewed(usage_import: UsageImport) -> None:
    if usage_import.status == ImportStatus.IMPORTED:
        raise Conflict(_("This file has already been imported."))
    if usage_import.status == ImportStatus.DISCARDED:
        raise Conflict(_("This import has been discarded."))


def _batched(values: Iterable[T], size: int) -> Iterator[list[T]]:
    batch: list[T] = []
    for value in values:
        batch.append(value)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def confirm_import(
    usage_import: UsageImport,
    actor: User | None,
    progress: ProgressCallback | None = None,
    *,
    now: datetime | None = None,
) -> UsageImport:
    """Count the good lines of a previewed import: usage records and the roll-up.

    The stored text is read again against the database as it is now, so what
    is imported is what a fresh preview would show. ``progress(n)`` is called
    after each batch of ``n`` records. Only a previewed import can be confirmed
    (``Conflict`` otherwise); one without good lines is a ``ValidationFailed``.
    """
    begin_write(db.session())
    _lock(usage_import)
    _ensure_previewed(usage_import)
    plan = _plan(usage_import.hub, usage_import.content, now, usage_import.id)
    if plan.report.good == 0:
        raise ValidationFailed({"file": _("The file has no lines to import.")})
    for batch in _batched(plan.records.values(), BATCH):
        rows = [values | {"import_id": usage_import.id} for values in batch]
        db.session.execute(sa.insert(UsageRecord), rows)
        rollup.apply_records(
            db.session,
            [
                (UsageRecord(**row), plan.kinds.get(row["space_id"]) if row["space_id"] else None)
                for row in rows
            ],
        )
        if progress is not None:
            progress(len(rows))
    usage_import.status = ImportStatus.IMPORTED
    usage_import.imported_at = now or utcnow()
    usage_import.good_lines = plan.report.good
    usage_import.bad_lines = plan.report.bad_count
    db.session.flush()
    return usage_import


def discard_import(usage_import: UsageImport, actor: User | None) -> UsageImport:
    """Drop a previewed import; its text (names, emails, card ids) is not kept."""
    begin_write(db.session())
    _lock(usage_import)
    _ensure_previewed(usage_import)
    usage_import.status = ImportStatus.DISCARDED
    usage_import.content = ""
    db.session.flush()
    return usage_import
