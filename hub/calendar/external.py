"""External busy calendars: a meeting room follows an iCal URL and its events block the room.

``fetch`` downloads the feed (timeout, size limit, conditional GET), expands its
recurrences over a window and keeps one ``ExternalBusy`` row per occurrence. A
failed fetch only records its error for the admin: the last good copy and its
busy rows stay. ``sync_all`` is the scheduled job's body (docs/calendar-external.md).

The booking service asks ``busy_between`` before it books a space, and the
availability view shows these intervals as busy.
"""

from __future__ import annotations

import hashlib
import logging
import time as clock
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from http.client import HTTPException
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events
import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from hub.calendar.models import ExternalBusy, ExternalCalendar
from hub.database import begin_write
from hub.errors import FieldErrors
from hub.extensions import db
from hub.spaces.models import Space, SpaceKind

log = logging.getLogger(__name__)

USER_AGENT = "Hub calendar sync"
URL_MAX_LENGTH = 2000
SCHEMES = ("http", "https")
DEFAULT_TIMEOUT = 10.0  # seconds, EXTERNAL_CALENDAR_TIMEOUT
DEFAULT_MAX_BYTES = 2 * 1024 * 1024  # EXTERNAL_CALENDAR_MAX_BYTES
DEFAULT_DAYS_AHEAD = 365  # EXTERNAL_CALENDAR_DAYS_AHEAD
DAYS_BACK = 1
# A room calendar has a few events a day; far more means a broken or hostile feed.
MAX_BUSY_INTERVALS = 20_000
# Rules that repeat this often would expand to millions of occurrences in a year.
REFUSED_FREQUENCIES = {"SECONDLY", "MINUTELY"}
CHUNK = 64 * 1024
UID_MAX_LENGTH = 500


class FetchFailed(Exception):
    """A fetch that could not give a usable calendar; ``message`` is for the admin."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


@dataclass(frozen=True)
class Download:
    """What the server answered: new content, or 304 (``text`` is None)."""

    text: str | None
    etag: str | None
    last_modified: str | None

    @property
    def not_modified(self) -> bool:
        return self.text is None


Interval = tuple[str, datetime, datetime]  # (uid, starts_at, ends_at) in UTC


# --- following ------------------------------------------------------------------


def calendar_of(space: Space) -> ExternalCalendar | None:
    return db.session.scalar(
        sa.select(ExternalCalendar).where(ExternalCalendar.space_id == space.id)
    )


def normalized_url(raw: object) -> str:
    """The URL to store, or ValidationFailed on ``url``. ``webcal://`` is read as https."""
    errors = FieldErrors()
    url = raw.strip() if isinstance(raw, str) else ""
    if url.lower().startswith("webcal://"):
        url = "https://" + url[len("webcal://") :]
    if not url:
        errors.add("url", _("Give the address of the calendar, starting with https://."))
    elif len(url) > URL_MAX_LENGTH:
        errors.add("url", _("The address can have at most %(n)d characters.", n=URL_MAX_LENGTH))
    else:
        try:
            parts = urllib.parse.urlsplit(url)
            parts.port  # noqa: B018  (raises on a port that is not a number)
        except ValueError:
            parts = None
        if parts is None or parts.scheme.lower() not in SCHEMES or not parts.hostname:
            errors.add("url", _("Only http:// and https:// addresses can be followed."))
        elif any(c.isspace() for c in url):
            errors.add("url", _("The address cannot contain spaces."))
    errors.raise_if_any()
    return url


def follow(space: Space, url: object) -> ExternalCalendar:
    """Make a meeting room follow an iCal URL (or change the URL it follows).

    A new URL starts afresh: the old copy, its validators and busy rows are
    dropped. The next fetch (the job, or "Fetch now") fills them again.
    """
    errors = FieldErrors()
    if space.kind != SpaceKind.MEETING_ROOM:
        errors.add("url", _("Only meeting rooms can follow an external calendar."))
        errors.raise_if_any()
    url = normalized_url(url)
    calendar = calendar_of(space)
    if calendar is None:
        calendar = ExternalCalendar(space_id=space.id, url=url)
        db.session.add(calendar)
    elif calendar.url != url:
        _delete_busy(calendar.id)
        calendar.url = url
        calendar.etag = calendar.last_modified = calendar.content = None
        calendar.last_fetched_at = calendar.last_success_at = calendar.last_error = None
    db.session.flush()
    return calendar


def unfollow(space: Space) -> bool:
    """Stop following: the calendar and its busy intervals go. False if there was none."""
    calendar = calendar_of(space)
    if calendar is None:
        return False
    _delete_busy(calendar.id)
    db.session.delete(calendar)
    db.session.flush()
    return True


def busy_count(calendar: ExternalCalendar) -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(ExternalBusy)
            .where(ExternalBusy.calendar_id == calendar.id)
        )
        or 0
    )


def failing_space_ids(space_ids: Iterable[int]) -> set[int]:
    """Spaces whose calendar's last fetch failed (for a warning in the space list)."""
    ids = list(space_ids)
    if not ids:
        return set()
    return set(
        db.session.scalars(
            sa.select(ExternalCalendar.space_id).where(
                ExternalCalendar.space_id.in_(ids), ExternalCalendar.last_error.is_not(None)
            )
        )
    )


# --- busy intervals -------------------------------------------------------------


def busy_between(
    space_ids: Iterable[int], start: datetime, end: datetime
) -> list[tuple[int, datetime, datetime]]:
    """(space_id, starts_at, ends_at) of external busy intervals overlapping [start, end)."""
    ids = list(space_ids)
    if not ids:
        return []
    rows = db.session.execute(
        sa.select(ExternalBusy.space_id, ExternalBusy.starts_at, ExternalBusy.ends_at)
        .where(
            ExternalBusy.space_id.in_(ids),
            ExternalBusy.starts_at < end,
            ExternalBusy.ends_at > start,
        )
        .order_by(ExternalBusy.starts_at, ExternalBusy.ends_at)
        .distinct()
    ).all()
    return [(space_id, starts_at, ends_at) for space_id, starts_at, ends_at in rows]


def _delete_busy(calendar_id: int) -> None:
    db.session.execute(sa.delete(ExternalBusy).where(ExternalBusy.calendar_id == calendar_id))


def _replace_busy(calendar: ExternalCalendar, intervals: set[Interval]) -> None:
    """Make the calendar's rows equal ``intervals``, touching only what changed."""
    existing = {
        (uid, starts_at, ends_at): row_id
        for row_id, uid, starts_at, ends_at in db.session.execute(
            sa.select(
                ExternalBusy.id, ExternalBusy.uid, ExternalBusy.starts_at, ExternalBusy.ends_at
            ).where(ExternalBusy.calendar_id == calendar.id)
        )
    }
    gone = [row_id for key, row_id in existing.items() if key not in intervals]
    for i in range(0, len(gone), 500):
        db.session.execute(sa.delete(ExternalBusy).where(ExternalBusy.id.in_(gone[i : i + 500])))
    new = sorted(intervals - existing.keys(), key=lambda k: (k[1], k[2], k[0]))
    if new:
        db.session.execute(
            sa.insert(ExternalBusy),
            [
                {
                    "calendar_id": calendar.id,
                    "space_id": calendar.space_id,
                    "uid": uid,
                    "starts_at": starts_at,
                    "ends_at": ends_at,
                }
                for uid, starts_at, ends_at in new
            ],
        )


# --- fetching -------------------------------------------------------------------


def _config(name: str, default: float) -> float:
    value = current_app.config.get(name)
    return default if value in (None, "") else float(value)


def fetch(calendar: ExternalCalendar, now: datetime) -> bool:
    """Fetch the calendar now; True when its busy intervals are up to date.

    On any failure the error is recorded with the time of the attempt, and the
    last good copy and its busy rows are kept. The download happens before this
    unit of work writes anything, so no write lock is held while waiting on the
    network.
    """
    calendar_id = calendar.id
    url, etag, last_modified = calendar.url, calendar.etag, calendar.last_modified
    has_copy = calendar.content is not None
    timezone = calendar.space.hub.timezone
    timeout = _config("EXTERNAL_CALENDAR_TIMEOUT", DEFAULT_TIMEOUT)
    max_bytes = int(_config("EXTERNAL_CALENDAR_MAX_BYTES", DEFAULT_MAX_BYTES))
    days_ahead = int(_config("EXTERNAL_CALENDAR_DAYS_AHEAD", DEFAULT_DAYS_AHEAD))

    result: Download | FetchFailed
    try:
        result = download(
            url,
            etag=etag if has_copy else None,
            last_modified=last_modified if has_copy else None,
            timeout=timeout,
            max_bytes=max_bytes,
        )
    except FetchFailed as exc:
        result = exc

    db.session.flush()
    begin_write(db.session())  # SQLite: take the write lock only now
    locked = db.session.scalar(
        sa.select(ExternalCalendar)
        .where(ExternalCalendar.id == calendar_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if locked is None or locked.url != url:  # unfollowed or changed while we downloaded
        return False
    locked.last_fetched_at = now
    try:
        if isinstance(result, FetchFailed):
            raise result
        text = locked.content if result.not_modified else result.text
        if text is None:
            raise FetchFailed(_("The server said nothing had changed, but no copy is kept."))
        intervals = busy_intervals(
            text,
            timezone,
            now - timedelta(days=DAYS_BACK),
            now + timedelta(days=days_ahead),
        )
    except FetchFailed as exc:
        locked.last_error = exc.message[:1000]
        log.warning("external calendar %s (%s): %s", calendar_id, url, exc.message)
        db.session.flush()
        return False
    if not result.not_modified:
        locked.content = result.text
    locked.etag = result.etag
    locked.last_modified = result.last_modified
    locked.last_success_at = now
    locked.last_error = None
    _replace_busy(locked, intervals)
    db.session.flush()
    return True


def sync_all(now: datetime) -> int:
    """Fetch every followed calendar; returns how many succeeded.

    Each calendar is its own transaction, committed at once, so one bad or slow
    feed neither stops nor rolls back the others. Safe to run twice.
    """
    ids = list(db.session.scalars(sa.select(ExternalCalendar.id).order_by(ExternalCalendar.id)))
    db.session.commit()
    succeeded = 0
    for calendar_id in ids:
        try:
            calendar = db.session.get(ExternalCalendar, calendar_id)
            if calendar is not None and fetch(calendar, now):
                succeeded += 1
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("external calendar %s could not be synced", calendar_id)
    return succeeded


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    max_redirections = 5

    def redirect_request(
        self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str
    ) -> urllib.request.Request | None:
        if urllib.parse.urlsplit(newurl).scheme.lower() not in SCHEMES:
            fp.close()
            raise FetchFailed(_redirect_refused())
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def download(
    url: str,
    *,
    etag: str | None,
    last_modified: str | None,
    timeout: float,
    max_bytes: int,
) -> Download:
    """GET the URL with a timeout, a size limit and the validators of the kept copy."""
    headers = {
        "User-Agent": USER_AGENT,
        "Accept": "text/calendar, */*;q=0.5",
        "Accept-Encoding": "identity",
    }
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    opener = urllib.request.build_opener(_HttpOnlyRedirects)
    request = urllib.request.Request(url, headers=headers, method="GET")
    deadline = clock.monotonic() + timeout
    too_slow = _(
        "The calendar server did not answer within %(seconds)s seconds.", seconds=f"{timeout:g}"
    )
    try:
        with opener.open(request, timeout=timeout) as response:
            length = response.headers.get("Content-Length")
            if length and length.isdigit() and int(length) > max_bytes:
                raise FetchFailed(_too_big(max_bytes))
            body = bytearray()
            while chunk := response.read(CHUNK):
                body += chunk
                if len(body) > max_bytes:
                    raise FetchFailed(_too_big(max_bytes))
                if clock.monotonic() > deadline:
                    raise FetchFailed(too_slow)
            charset = response.headers.get_content_charset()
            return Download(
                text=_decode(bytes(body), charset),
                etag=_header(response.headers.get("ETag"), 500),
                last_modified=_header(response.headers.get("Last-Modified"), 100),
            )
    except urllib.error.HTTPError as exc:
        exc.close()
        if exc.code == 304 and (etag or last_modified):
            return Download(
                text=None,
                etag=_header(exc.headers.get("ETag"), 500) or etag,
                last_modified=_header(exc.headers.get("Last-Modified"), 100) or last_modified,
            )
        if 300 <= exc.code < 400:  # too many redirects, or to ftp: and the like
            raise FetchFailed(_("The calendar server's redirect could not be followed.")) from None
        raise FetchFailed(
            _("The calendar server answered with HTTP status %(status)d.", status=exc.code)
        ) from None
    except TimeoutError:
        raise FetchFailed(too_slow) from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            raise FetchFailed(too_slow) from None
        raise FetchFailed(
            _("Could not reach the calendar server: %(reason)s", reason=str(exc.reason))
        ) from None
    except (HTTPException, OSError, ValueError) as exc:
        raise FetchFailed(
            _(
                "The connection to the calendar server failed: %(reason)s",
                reason=str(exc) or type(exc).__name__,
            )
        ) from None


def _redirect_refused() -> str:
    return _("The server redirected to an address that is not http:// or https://.")


def _too_big(max_bytes: int) -> str:
    return _(
        "The calendar is larger than the limit of %(size)s MB.",
        size=f"{max_bytes / (1024 * 1024):g}",
    )


def _header(value: str | None, limit: int) -> str | None:
    return value if value and len(value) <= limit else None


def _decode(body: bytes, charset: str | None) -> str:
    """RFC 5545 says UTF-8; accept a charset the server names as the fallback."""
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    if charset:
        try:
            return body.decode(charset)
        except (LookupError, UnicodeDecodeError):
            pass
    raise FetchFailed(_("The calendar is not UTF-8 text."))


# --- expanding (no database) ------------------------------------------------------


def busy_intervals(
    text: str, timezone: str, window_start: datetime, window_end: datetime
) -> set[Interval]:
    """The busy (uid, starts_at, ends_at) of an iCalendar text, in UTC, within the window.

    Recurrences are expanded (EXDATE, RDATE and moved occurrences with
    RECURRENCE-ID included); cancelled and transparent (free) events are left
    out. All-day events block the hub's local days, from 00:00 to 00:00; floating
    times are read in the hub's timezone.
    """
    zone = ZoneInfo(timezone)
    calendar = parse(text)
    try:
        occurrences = recurring_ical_events.of(calendar, skip_bad_series=True).between(
            window_start, window_end
        )
    except Exception as exc:  # a broken rule or date the library could not expand
        raise FetchFailed(
            _("The events in the calendar could not be read: %(reason)s", reason=_short(exc))
        ) from None
    result: set[Interval] = set()
    for event in occurrences:
        if str(event.get("STATUS", "")).upper() == "CANCELLED":
            continue
        if str(event.get("TRANSP", "")).upper() == "TRANSPARENT":
            continue
        span = _span(event, zone)
        if span is None:
            continue
        starts_at, ends_at = span
        if ends_at <= window_start or starts_at >= window_end:
            continue
        result.add((_uid(event, zone), starts_at, ends_at))
        if len(result) > MAX_BUSY_INTERVALS:
            raise FetchFailed(
                _(
                    "The calendar has more than %(n)d events in the coming period.",
                    n=MAX_BUSY_INTERVALS,
                )
            )
    return result


def parse(text: str) -> icalendar.Calendar:
    if not text.lstrip().upper().startswith("BEGIN:VCALENDAR"):
        raise FetchFailed(_("The address did not return an iCalendar file."))
    try:
        calendar = icalendar.Calendar.from_ical(text)
    except Exception as exc:
        raise FetchFailed(
            _("The calendar file could not be read: %(reason)s", reason=_short(exc))
        ) from None
    if not isinstance(calendar, icalendar.Calendar):
        raise FetchFailed(_("The address did not return an iCalendar file."))
    for event in calendar.walk("VEVENT"):
        rules = event.get("RRULE")
        for rule in rules if isinstance(rules, list) else [rules] if rules else []:
            if set(rule.get("FREQ", [])) & REFUSED_FREQUENCIES:
                raise FetchFailed(_("The calendar has events that repeat every second or minute."))
    return calendar


def _instant(value: date | datetime, zone: ZoneInfo) -> datetime:
    if not isinstance(value, datetime):  # a DATE: the hub's local midnight
        value = datetime.combine(value, time.min)
    if value.tzinfo is None:  # floating (or a date): the hub's local time
        value = value.replace(tzinfo=zone)
    return value.astimezone(UTC)


def _span(event: Any, zone: ZoneInfo) -> tuple[datetime, datetime] | None:
    if "DTSTART" not in event:
        return None
    start = event["DTSTART"].dt
    if "DTEND" in event:
        end = event["DTEND"].dt
    elif "DURATION" in event and isinstance(event["DURATION"].dt, timedelta):
        end = start + event["DURATION"].dt
    elif isinstance(start, datetime):
        return None  # no duration: it takes no time
    else:
        end = start + timedelta(days=1)
    if isinstance(start, datetime) != isinstance(end, datetime):
        return None
    starts_at, ends_at = _instant(start, zone), _instant(end, zone)
    return (starts_at, ends_at) if ends_at > starts_at else None


def _uid(event: Any, zone: ZoneInfo) -> str:
    """The event's UID plus which occurrence, so the rows of a series stay distinct."""
    uid = str(event.get("UID", "")).strip()
    which = event.get("RECURRENCE-ID") or event.get("DTSTART")
    value = which.dt if which is not None else None
    if isinstance(value, datetime):
        stamp = _instant(value, zone).strftime("%Y%m%dT%H%M%SZ")
    elif isinstance(value, date):
        stamp = value.strftime("%Y%m%d")
    else:
        stamp = ""
    text = f"{uid}/{stamp}"
    if len(text) > UID_MAX_LENGTH:
        digest = hashlib.sha256(uid.encode()).hexdigest()
        text = f"sha256:{digest}/{stamp}"
    return text


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]


__all__: Sequence[str] = (
    "Download",
    "FetchFailed",
    "busy_between",
    "busy_intervals",
    "calendar_of",
    "download",
    "fetch",
    "follow",
    "sync_all",
    "unfollow",
)
