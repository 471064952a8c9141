"""Floor plans: a hub's plan image (PNG or SVG) and where its spaces are on it.

The image lives in the database (``floor_plans``), so several web workers on
several machines serve the same file. Positions are percentages of the image
(0-100, two decimals), so they survive a plan replaced by a larger export of the
same drawing.

The first half of this module is pure (bytes in, facts or ``BadImage`` out) and
is tested directly; the second half reads and writes the database.
"""

from __future__ import annotations

import hashlib
import re
import struct
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from xml.etree import ElementTree

import sqlalchemy as sa
from flask_babel import gettext as _

from hub.accounts.models import User
from hub.booking import availability
from hub.booking.availability import SpaceDay
from hub.booking.rules import overlaps
from hub.database import utcnow
from hub.errors import FieldErrors, NotFound, ValidationFailed
from hub.extensions import db
from hub.spaces.models import FloorPlan, Hub, Space, SpaceKind, SpacePosition

MAX_BYTES = 5 * 1024 * 1024
PNG = "image/png"
SVG = "image/svg+xml"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SVG_NS = "http://www.w3.org/2000/svg"
# Elements a plan has no use for and that can run code or pull in other documents.
FORBIDDEN_SVG_ELEMENTS = frozenset(
    {
        "script",
        "foreignObject",
        "handler",
        "listener",
        "set",
        "animate",
        "animateMotion",
        "animateTransform",
        "discard",
        "iframe",
        "embed",
        "object",
    }
)
# Raster images embedded in the SVG itself, as Inkscape and Illustrator write them.
EMBEDDED_IMAGE_RE = re.compile(r"^data:image/(png|jpeg|gif|webp);base64,", re.IGNORECASE)
CSS_URL_RE = re.compile(r"url\(\s*['\"]?\s*([^'\")\s]*)", re.IGNORECASE)
XML_DECLARATION_RE = re.compile(r"^\s*<\?xml\s[^>]*\?>")
LENGTH_RE = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(px)?\s*$")
# SVG drawings come in any unit; a size outside this range is scaled to 1000 on its
# longest side so positions and marker sizes keep their precision.
SVG_SIZE_RANGE = (100, 20_000)
PERCENT_STEP = Decimal("0.01")


class BadImage(ValueError):
    """The file cannot be a floor plan; ``str(exc)`` says why, for the person."""


@dataclass(frozen=True)
class PlanImage:
    content_type: str
    width: int
    height: int


def inspect_image(data: bytes, filename: str = "") -> PlanImage:
    """What kind of plan ``data`` is and how big, or BadImage with the reason.

    The bytes decide, not the name: a file called .png must start like a PNG.
    """
    name = filename.lower()
    if not data:
        raise BadImage(_("The file is empty."))
    if len(data) > MAX_BYTES:
        raise BadImage(
            _(
                "The file is %(size)s MB; a floor plan can be at most %(max)s MB.",
                size=f"{len(data) / 1024 / 1024:.1f}",
                max=MAX_BYTES // 1024 // 1024,
            )
        )
    if data.startswith(PNG_SIGNATURE) or name.endswith(".png"):
        return inspect_png(data)
    if name.endswith(".svg") or data.lstrip()[:1] == b"<" or data.startswith(b"\xef\xbb\xbf"):
        return inspect_svg(data)
    raise BadImage(_("Upload the plan as a PNG or SVG file."))


def inspect_png(data: bytes) -> PlanImage:
    """Check the PNG signature and read the size from the IHDR chunk (with its CRC)."""
    if not data.startswith(PNG_SIGNATURE):
        raise BadImage(_("The file is not a PNG image (it does not start like one)."))
    if len(data) < 33:
        raise BadImage(_("The PNG file is cut short."))
    length, kind = struct.unpack(">I4s", data[8:16])
    body = data[16:29]
    (crc,) = struct.unpack(">I", data[29:33])
    if length != 13 or kind != b"IHDR" or zlib.crc32(kind + body) != crc:
        raise BadImage(_("The PNG file is damaged (its header is not valid)."))
    width, height = struct.unpack(">II", body[:8])
    if not (0 < width < 2**31 and 0 < height < 2**31):
        raise BadImage(_("The PNG file is damaged (its header is not valid)."))
    return PlanImage(PNG, width, height)


def inspect_svg(data: bytes) -> PlanImage:
    """Accept a plain, self-contained SVG drawing and read its size.

    Refused: DOCTYPE and entity declarations (entity expansion attacks),
    processing instructions such as xml-stylesheet, scripts and event
    handlers, animation and foreignObject, and references to anything outside
    the file (href, url(...), @import); raster images embedded as data: URIs are
    allowed.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadImage(_("Save the SVG file as UTF-8 and try again.")) from exc
    lowered = text.lower()
    if "<!doctype" in lowered or "<!entity" in lowered:
        raise BadImage(
            _("The SVG file has a DOCTYPE or entity declarations, which are not allowed.")
        )
    if "<?" in XML_DECLARATION_RE.sub("", text, count=1):
        raise BadImage(_("The SVG file has processing instructions, which are not allowed."))
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError as exc:
        raise BadImage(_("The file is not a valid SVG image (%(error)s).", error=exc)) from exc
    if root.tag != f"{{{SVG_NS}}}svg":
        raise BadImage(_("The file is not an SVG image (its root element is not <svg>)."))
    for element in root.iter():
        _check_svg_element(element)
    width, height = _svg_size(root)
    return PlanImage(SVG, width, height)


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1]


def _check_svg_element(element: ElementTree.Element) -> None:
    tag = _local(str(element.tag))
    if tag == "script":
        raise BadImage(_("The SVG file contains a script. Save the plan without scripts."))
    if tag in FORBIDDEN_SVG_ELEMENTS:
        raise BadImage(
            _("The SVG file contains <%(element)s>, which a floor plan cannot have.", element=tag)
        )
    for name, value in element.attrib.items():
        attribute = _local(name)
        if attribute.lower().startswith("on"):
            raise BadImage(
                _(
                    "The SVG file contains an event handler (%(name)s). "
                    "Save the plan without scripts.",
                    name=attribute,
                )
            )
        if attribute in {"href", "src", "base"}:
            _check_reference(value)
        _check_css(value)
    if tag == "style":
        _check_css(element.text or "")


def _check_reference(value: str) -> None:
    ref = value.strip()
    if ref.startswith("#") or (ref and EMBEDDED_IMAGE_RE.match(ref)):
        return
    raise BadImage(
        _(
            "The SVG file refers to something outside the file (%(ref)s). "
            "Embed everything in the file.",
            ref=ref[:80],
        )
    )


def _check_css(value: str) -> None:
    if "@import" in value.lower():
        raise BadImage(_("The SVG file imports style sheets from outside the file."))
    for ref in CSS_URL_RE.findall(value):
        if not ref.startswith("#") and not EMBEDDED_IMAGE_RE.match(ref):
            _check_reference(ref)


def _svg_size(root: ElementTree.Element) -> tuple[int, int]:
    width = height = None
    view_box = root.get("viewBox")
    if view_box:
        parts = re.split(r"[\s,]+", view_box.strip())
        try:
            numbers = [float(p) for p in parts]
        except ValueError:
            numbers = []
        if len(numbers) == 4 and numbers[2] > 0 and numbers[3] > 0:
            width, height = numbers[2], numbers[3]
    if width is None:
        w_match = LENGTH_RE.match(root.get("width", ""))
        h_match = LENGTH_RE.match(root.get("height", ""))
        if w_match and h_match and float(w_match[1]) > 0 and float(h_match[1]) > 0:
            width, height = float(w_match[1]), float(h_match[1])
    if width is None or height is None:
        raise BadImage(
            _("The SVG file needs a viewBox, or a width and height in pixels, to be shown.")
        )
    longest = max(width, height)
    if not SVG_SIZE_RANGE[0] <= longest <= SVG_SIZE_RANGE[1]:
        scale = 1000 / longest
        width, height = width * scale, height * scale
    return max(1, round(width)), max(1, round(height))


def parse_percent(raw: Any) -> Decimal | None:
    """A percentage typed with a point or a comma; None when empty; ValueError if not 0-100."""
    if raw is None:
        return None
    text = str(raw).strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise ValueError(text) from exc
    if not value.is_finite() or value < 0 or value > 100:
        raise ValueError(text)
    return value.quantize(PERCENT_STEP, rounding=ROUND_HALF_UP)


def format_percent(value: Decimal | None) -> str:
    """For a number input: '12.5', '100', '' (no exponent, no trailing zeros)."""
    if value is None:
        return ""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def natural_key(name: str) -> tuple[Any, ...]:
    """Sort 'Pult 2' before 'Pult 10'."""
    return tuple(int(p) if p.isdigit() else p.casefold() for p in re.split(r"(\d+)", name))


# --- status of a place on one day (pure) ---------------------------------------

FREE, PARTLY, BOOKED, CLOSED, NOT_BOOKABLE = "free", "partly", "booked", "closed", "not_bookable"


def day_status(kind: SpaceKind, day: SpaceDay) -> tuple[str, str | None]:
    """(status, part to book) of a space on one day.

    Desks and cells are booked by the day or half day: free when the whole day
    is, partly when a half is, else booked. Meeting rooms are booked by the
    hour: free with no booking, booked when bookings cover the opening hours.
    """
    if day.opening is None:
        return CLOSED, None
    if kind == SpaceKind.MEETING_ROOM:
        opens, closes = day.opening
        busy = sorted(
            (max(b.starts_at, opens), min(b.ends_at, closes))
            for b in day.busy
            if overlaps(b.starts_at, b.ends_at, opens, closes)
        )
        if not busy:
            return FREE, None
        covered_until = opens
        for start, end in busy:
            if start > covered_until:
                return PARTLY, None
            covered_until = max(covered_until, end)
        return (BOOKED, None) if covered_until >= closes else (PARTLY, None)
    parts = day.free_parts()
    if "day" in parts:
        return FREE, "day"
    if parts:
        return PARTLY, parts[0]
    return BOOKED, None


def status_text(status: str, part: str | None) -> str:
    if status == FREE:
        return _("free all day")
    if status == PARTLY and part == "morning":
        return _("free in the morning")
    if status == PARTLY and part == "afternoon":
        return _("free in the afternoon")
    return {
        PARTLY: _("partly booked"),
        BOOKED: _("fully booked"),
        CLOSED: _("closed"),
        NOT_BOOKABLE: _("not bookable"),
    }[status]


# --- the database ---------------------------------------------------------------


def get_floor_plan(hub: Hub) -> FloorPlan | None:
    return db.session.scalar(sa.select(FloorPlan).where(FloorPlan.hub_id == hub.id))


def require_floor_plan(hub: Hub) -> FloorPlan:
    plan = get_floor_plan(hub)
    if plan is None:
        raise NotFound(_("%(hub)s has no floor plan.", hub=hub.name))
    return plan


def has_floor_plan(hub: Hub) -> bool:
    return db.session.scalar(sa.select(FloorPlan.id).where(FloorPlan.hub_id == hub.id)) is not None


def save_floor_plan(hub: Hub, data: bytes, filename: str = "") -> FloorPlan:
    """Upload or replace the hub's plan; placed spaces keep their positions."""
    try:
        image = inspect_image(data, filename)
    except BadImage as exc:
        raise ValidationFailed({"image": str(exc)}) from exc
    plan = get_floor_plan(hub) or FloorPlan(hub_id=hub.id)
    plan.content_type = image.content_type
    plan.width, plan.height = image.width, image.height
    plan.data = data
    plan.sha256 = hashlib.sha256(data).hexdigest()
    plan.updated_at = utcnow()
    db.session.add(plan)
    db.session.flush()
    return plan


def remove_floor_plan(hub: Hub) -> None:
    """Remove the plan and, with it, where the spaces were on it."""
    plan = require_floor_plan(hub)
    db.session.delete(plan)
    db.session.flush()


def positions_by_space(plan: FloorPlan | None) -> dict[int, SpacePosition]:
    if plan is None:
        return {}
    return {p.space_id: p for p in plan.positions}


def place_spaces(hub: Hub, values: Mapping[str, Any]) -> dict[int, SpacePosition]:
    """Set where the hub's spaces are on its plan, all in one go.

    ``values`` has ``x_<space id>`` and ``y_<space id>`` in percent of the image
    (0-100); both empty takes the space off the plan; a space with neither key
    is left as it is.
    """
    plan = get_floor_plan(hub)
    if plan is None:
        raise ValidationFailed({"image": _("Upload a floor plan before placing spaces on it.")})
    errors = FieldErrors()
    wanted: dict[int, tuple[Decimal, Decimal] | None] = {}
    for space in hub.spaces:
        x_key, y_key = f"x_{space.id}", f"y_{space.id}"
        if x_key not in values and y_key not in values:
            continue
        parsed: dict[str, Decimal | None] = {}
        for key, axis in ((x_key, "x"), (y_key, "y")):
            try:
                parsed[axis] = parse_percent(values.get(key))
            except ValueError:
                errors.add(
                    key,
                    _(
                        "%(axis)s (%%) for %(space)s must be a number from 0 to 100.",
                        axis=axis,
                        space=space.name,
                    ),
                )
                parsed[axis] = None
        if x_key in errors or y_key in errors:
            continue
        x, y = parsed["x"], parsed["y"]
        if (x is None) != (y is None):
            missing = y_key if y is None else x_key
            errors.add(
                missing,
                _(
                    "Give both x and y for %(space)s, or leave both empty to take it off the plan.",
                    space=space.name,
                ),
            )
            continue
        wanted[space.id] = None if x is None or y is None else (x, y)
    errors.raise_if_any()
    existing = positions_by_space(plan)
    for space_id, point in wanted.items():
        position = existing.get(space_id)
        if point is None:
            if position is not None:
                plan.positions.remove(position)
        elif position is None:
            plan.positions.append(
                SpacePosition(space_id=space_id, x_percent=point[0], y_percent=point[1])
            )
        else:
            position.x_percent, position.y_percent = point
    db.session.flush()
    return positions_by_space(plan)


@dataclass(frozen=True)
class Place:
    """One active space of the hub as the public floor plan shows it on one day."""

    space: Space
    x: Decimal | None
    y: Decimal | None
    status: str
    part: str | None
    text: str

    @property
    def placed(self) -> bool:
        return self.x is not None and self.y is not None

    @property
    def bookable(self) -> bool:
        return self.status in (FREE, PARTLY)


def plan_places(hub: Hub, plan: FloorPlan, day: date, viewer: User | None) -> list[Place]:
    """Every active space with its position (if placed) and its status on ``day``."""
    positions = positions_by_space(plan)
    rows = {row.space.id: row.days[0] for row in availability.hub_availability(hub, day, 1, viewer)}
    places = []
    for space in sorted((s for s in hub.spaces if s.active), key=lambda s: natural_key(s.name)):
        space_day = rows.get(space.id)
        if space_day is None:
            status, part = NOT_BOOKABLE, None
        else:
            status, part = day_status(space.kind, space_day)
        position = positions.get(space.id)
        places.append(
            Place(
                space=space,
                x=position.x_percent if position else None,
                y=position.y_percent if position else None,
                status=status,
                part=part,
                text=status_text(status, part),
            )
        )
    return places
