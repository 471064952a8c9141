"""The floor plan: upload, place spaces, the public plan and its image.

Covers hub.spaces.floorplan (the service and its pure checks) and
hub.spaces.floorplan_views (the pages), on SQLite and PostgreSQL.
"""

from __future__ import annotations

import html
import re
import struct
import zlib
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import time_machine

from hub.accounts.models import Role
from hub.booking.availability import BusySlot, SpaceDay
from hub.booking.models import Booking, BookingSource, BookingStatus
from hub.extensions import db
from hub.spaces import floorplan
from hub.spaces.models import FloorPlan, SpaceKind, SpacePosition

# Friday 4 January 2030 at 09:00 in Oslo; Monday 7 January is a normal workday (08-16).
NOW = datetime(2030, 1, 4, 8, 0, tzinfo=UTC)
DAY = "2030-01-07"
OSLO = ZoneInfo("Europe/Oslo")


def png_bytes(width: int = 40, height: int = 30) -> bytes:
    """A tiny, valid PNG (RGB, one black row after another)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\x00\x00\x00" * width for _ in range(height))
    return (
        floorplan.PNG_SIGNATURE
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


SVG_PLAN = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'
    b' viewBox="0 0 800 600" width="800" height="600">'
    b'<defs><linearGradient id="floor"><stop offset="0" stop-color="#eee"/></linearGradient></defs>'
    b"<style>rect { stroke: #333; }</style>"
    b'<rect width="800" height="600" fill="url(#floor)"/><use xlink:href="#floor"/>'
    b"</svg>"
)


def svg(body: str, attrs: str = "") -> bytes:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'
        f' viewBox="0 0 100 100"{attrs}>{body}</svg>'
    ).encode()


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def lister(make_hub, make_space):
    hub = make_hub(slug="regionlab-lister", name="RegionLab Lister")
    spaces = {
        "desk": make_space(hub, name="Pult 3", kind="desk"),
        "desk10": make_space(hub, name="Pult 10", kind="desk"),
        "room": make_space(hub, name="Møterom Lista", kind="meeting_room", capacity=6),
        "canteen": make_space(hub, name="Kantine", kind="common_area", capacity=0),
    }
    return hub, spaces


@pytest.fixture
def admin(lister, make_user, login):
    hub, _spaces = lister
    user = make_user(hub=hub, role=Role.ADMIN, language="en")
    login(user)
    return user


def upload(client, hub, data: bytes, filename: str):
    """POST the file as a browser does; the body is built here, in memory.

    (Given a file, werkzeug's test client spools a large body to a temporary
    file it never closes, which ``filterwarnings = error`` turns into a failure.)
    """
    boundary = "hub-floorplan-test"
    body = (
        (
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="image"; filename="{filename}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return client.post(
        f"/admin/hubs/{hub.slug}/floorplan/image",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def plans() -> list[FloorPlan]:
    db.session.commit()
    return list(db.session.scalars(sa.select(FloorPlan)))


def positions() -> dict[int, tuple[Decimal, Decimal]]:
    db.session.commit()
    return {
        p.space_id: (p.x_percent, p.y_percent) for p in db.session.scalars(sa.select(SpacePosition))
    }


def with_plan(hub, data: bytes = b"", filename: str = "plan.png") -> FloorPlan:
    plan = floorplan.save_floor_plan(hub, data or png_bytes(1000, 500), filename)
    db.session.commit()
    return plan


def book(space, org, start: tuple[int, int], end: tuple[int, int], day=(2030, 1, 7)) -> None:
    db.session.add(
        Booking(
            hub_id=space.hub_id,
            space_id=space.id,
            organization_id=org.id,
            starts_at=datetime(*day, *start, tzinfo=OSLO),
            ends_at=datetime(*day, *end, tzinfo=OSLO),
            status=BookingStatus.CONFIRMED,
            source=BookingSource.WEB,
        )
    )
    db.session.commit()


# --- upload ----------------------------------------------------------------------


def test_upload_png_stores_it_and_serves_it(client, admin, lister):
    hub, _spaces = lister
    data = png_bytes(40, 30)
    response = upload(client, hub, data, "plan.png")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/admin/hubs/{hub.slug}/floorplan")
    [plan] = plans()
    assert (plan.hub_id, plan.content_type, plan.width, plan.height) == (
        hub.id,
        "image/png",
        40,
        30,
    )
    assert plan.data == data

    image = client.get(f"/hubs/{hub.slug}/floorplan.png")
    assert image.status_code == 200
    assert image.mimetype == "image/png"
    assert image.data == data
    assert image.headers["X-Content-Type-Options"] == "nosniff"
    assert image.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert image.headers["Last-Modified"]
    etag = image.headers["ETag"]
    again = client.get(f"/hubs/{hub.slug}/floorplan.png", headers={"If-None-Match": etag})
    assert again.status_code == 304
    # The address names the kind of file the hub has.
    assert client.get(f"/hubs/{hub.slug}/floorplan.svg").status_code == 404


def test_upload_svg_reads_its_size_and_is_served_without_scripts(client, admin, lister):
    hub, _spaces = lister
    assert upload(client, hub, SVG_PLAN, "plan.svg").status_code == 302
    [plan] = plans()
    assert (plan.content_type, plan.width, plan.height) == ("image/svg+xml", 800, 600)
    image = client.get(f"/hubs/{hub.slug}/floorplan.svg")
    assert image.status_code == 200
    assert image.mimetype == "image/svg+xml"
    assert image.headers["X-Content-Type-Options"] == "nosniff"
    csp = image.headers["Content-Security-Policy"]
    assert csp.startswith("default-src 'none'; style-src 'unsafe-inline'")
    assert "script-src" not in csp
    assert client.get(f"/hubs/{hub.slug}/floorplan.png").status_code == 404


SIX_MB = floorplan.PNG_SIGNATURE + b"\x00" * (6 * 1024 * 1024)


@pytest.mark.parametrize(
    ("filename", "data", "message"),
    [
        ("plan.png", b"GIF89a" + b"\x00" * 60, "is not a PNG image"),
        ("plan.png", floorplan.PNG_SIGNATURE + b"\x00" * 40, "PNG file is damaged"),
        ("plan.svg", svg("<script>alert(1)</script>"), "contains a script"),
        ("plan.svg", svg("<rect/>", ' onload="alert(1)"'), "event handler (onload)"),
        ("plan.svg", svg('<rect onclick="x()"/>'), "event handler (onclick)"),
        (
            "plan.svg",
            svg('<image xlink:href="https://evil.example/x.png"/>'),
            "refers to something outside the file (https://evil.example/x.png)",
        ),
        ("plan.svg", svg('<a href="javascript:alert(1)"><rect/></a>'), "outside the file"),
        ("plan.svg", svg('<rect style="fill: url(http://x.example/p)"/>'), "outside the file"),
        ("plan.svg", svg("<style>@import 'http://x.example/s.css';</style>"), "imports style"),
        ("plan.svg", svg("<foreignObject><p>hi</p></foreignObject>"), "<foreignObject>"),
        (
            "plan.svg",
            b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaa">]>'
            b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">&a;</svg>',
            "DOCTYPE or entity",
        ),
        (
            "plan.svg",
            b'<?xml-stylesheet href="http://x.example/s.css"?>'
            b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>',
            "processing instructions",
        ),
        ("plan.svg", b"<svg><unclosed></svg>", "not a valid SVG"),
        ("plan.svg", b"<html xmlns='http://www.w3.org/1999/xhtml'/>", "not an SVG image"),
        ("plan.svg", b'<svg xmlns="http://www.w3.org/2000/svg" width="50%"/>', "needs a viewBox"),
        ("plan.gif", b"GIF89a" + b"\x00" * 60, "as a PNG or SVG file"),
        ("plan.png", b"", "is empty"),
        ("plan.png", SIX_MB, "at most 5 MB"),
    ],
    ids=lambda v: v if isinstance(v, str) and len(v) < 40 else None,
)
def test_bad_files_are_refused_next_to_the_field_and_nothing_is_stored(
    client, admin, lister, filename, data, message
):
    hub, _spaces = lister
    response = upload(client, hub, data, filename)
    assert response.status_code == 422
    page = text(response)
    error = re.search(r'<p class="ds-validation-message"[^>]*id="image-error">(.*?)</p>', page)
    assert error is not None and message in error.group(1), page
    assert 'aria-invalid="true"' in page
    assert plans() == []


def test_a_bad_replacement_keeps_the_plan_there_is(client, admin, lister):
    hub, _spaces = lister
    plan = with_plan(hub)
    before = (plan.sha256, plan.width)
    assert upload(client, hub, svg("<script/>"), "new.svg").status_code == 422
    [kept] = plans()
    assert (kept.sha256, kept.width, kept.content_type) == (*before, "image/png")


def test_upload_without_a_file_is_422(client, admin, lister):
    hub, _spaces = lister
    response = client.post(
        f"/admin/hubs/{hub.slug}/floorplan/image", data={}, content_type="multipart/form-data"
    )
    assert response.status_code == 422
    assert "Choose a PNG or SVG file." in text(response)
    assert plans() == []


def test_replacing_keeps_positions_and_removing_drops_them(client, admin, lister):
    hub, spaces = lister
    with_plan(hub)
    desk = spaces["desk"]
    floorplan.place_spaces(hub, {f"x_{desk.id}": "10", f"y_{desk.id}": "20"})
    db.session.commit()
    assert upload(client, hub, SVG_PLAN, "plan.svg").status_code == 302
    assert positions() == {desk.id: (Decimal("10.00"), Decimal("20.00"))}
    response = client.post(f"/admin/hubs/{hub.slug}/floorplan/delete")
    assert response.status_code == 302
    assert plans() == []
    assert positions() == {}
    # Nothing left to remove.
    assert client.post(f"/admin/hubs/{hub.slug}/floorplan/delete").status_code == 404


# --- placing spaces -----------------------------------------------------------------


def test_place_spaces_in_one_post(client, admin, lister):
    hub, spaces = lister
    with_plan(hub)
    desk, room = spaces["desk"], spaces["room"]
    response = client.post(
        f"/admin/hubs/{hub.slug}/floorplan/positions",
        data={
            f"x_{desk.id}": "12,5",
            f"y_{desk.id}": "40",
            f"x_{room.id}": "0",
            f"y_{room.id}": "100",
            f"x_{spaces['desk10'].id}": "",
            f"y_{spaces['desk10'].id}": "",
        },
    )
    assert response.status_code == 302
    assert positions() == {
        desk.id: (Decimal("12.50"), Decimal("40.00")),
        room.id: (Decimal("0.00"), Decimal("100.00")),
    }
    page = text(client.get(f"/admin/hubs/{hub.slug}/floorplan"))
    assert f'id="x_{desk.id}" name="x_{desk.id}" value="12.5"' in page
    assert f'id="y_{room.id}" name="y_{room.id}" value="100"' in page
    # Both empty takes a space off the plan; spaces not in the form stay where they are.
    response = client.post(
        f"/admin/hubs/{hub.slug}/floorplan/positions",
        data={f"x_{room.id}": "", f"y_{room.id}": ""},
    )
    assert response.status_code == 302
    assert positions() == {desk.id: (Decimal("12.50"), Decimal("40.00"))}


@pytest.mark.parametrize(
    ("x", "y", "field", "message"),
    [
        ("101", "50", "x", "x (%) for Pult 3 must be a number from 0 to 100."),
        ("50", "-1", "y", "y (%) for Pult 3 must be a number from 0 to 100."),
        ("abc", "50", "x", "x (%) for Pult 3 must be a number from 0 to 100."),
        ("NaN", "50", "x", "must be a number from 0 to 100."),
        ("50", "", "y", "Give both x and y for Pult 3"),
        ("", "50", "x", "Give both x and y for Pult 3"),
    ],
)
def test_bad_positions_are_422_naming_the_field_and_change_nothing(
    client, admin, lister, x, y, field, message
):
    hub, spaces = lister
    with_plan(hub)
    desk, room = spaces["desk"], spaces["room"]
    floorplan.place_spaces(hub, {f"x_{room.id}": "5", f"y_{room.id}": "5"})
    db.session.commit()
    response = client.post(
        f"/admin/hubs/{hub.slug}/floorplan/positions",
        data={f"x_{desk.id}": x, f"y_{desk.id}": y, f"x_{room.id}": "60", f"y_{room.id}": "60"},
    )
    assert response.status_code == 422
    page = text(response)
    key = f"{field}_{desk.id}"
    error = re.search(rf'id="{key}-error">(.*?)</p>', page)
    assert error is not None and message in error.group(1), page
    assert f'href="#{key}"' in page  # the error summary links to the field
    # What was typed is kept; nothing is stored, not even the valid row.
    assert f'name="x_{room.id}" value="60"' in page
    assert positions() == {room.id: (Decimal("5.00"), Decimal("5.00"))}


def test_placing_without_a_plan_is_refused(client, admin, lister):
    hub, spaces = lister
    desk = spaces["desk"]
    response = client.post(
        f"/admin/hubs/{hub.slug}/floorplan/positions",
        data={f"x_{desk.id}": "1", f"y_{desk.id}": "1"},
    )
    assert response.status_code == 422
    assert "Upload a floor plan before placing spaces on it." in text(response)
    assert positions() == {}


def test_deleting_a_space_deletes_its_position(lister):
    hub, spaces = lister
    with_plan(hub)
    desk = spaces["desk"]
    floorplan.place_spaces(hub, {f"x_{desk.id}": "1", f"y_{desk.id}": "1"})
    db.session.commit()
    db.session.delete(desk)
    db.session.commit()
    assert positions() == {}


# --- the public plan ---------------------------------------------------------------


def _place_all(hub, spaces) -> None:
    values = {}
    for n, key in enumerate(("desk", "desk10", "room", "canteen"), start=1):
        values[f"x_{spaces[key].id}"] = str(n * 20)
        values[f"y_{spaces[key].id}"] = "50"
    floorplan.place_spaces(hub, values)
    db.session.commit()


def test_public_plan_links_every_placed_space_to_its_booking_page(client, lister):
    hub, spaces = lister
    with_plan(hub)
    _place_all(hub, spaces)
    response = client.get(f"/hubs/{hub.slug}/floorplan?date={DAY}")
    assert response.status_code == 200
    page = text(response)
    svg_part = page[page.index('<svg class="floorplan-svg"') : page.index("</svg>")]
    desk, desk10, room = spaces["desk"], spaces["desk10"], spaces["room"]
    links = re.findall(r'<a class="plan-marker status-(\w+)" href="([^"]+)"', svg_part)
    assert links == [
        ("free", f"/hubs/{hub.slug}/book/{room.id}?date={DAY}"),
        ("free", f"/hubs/{hub.slug}/book/{desk.id}?date={DAY}&part=day"),
        ("free", f"/hubs/{hub.slug}/book/{desk10.id}?date={DAY}&part=day"),
    ]  # sorted by name, Pult 3 before Pult 10: the order Tab takes
    assert 'aria-label="Pult 3 – ' in svg_part
    # The canteen is shown, but is not a link.
    assert re.search(r'<g class="plan-marker status-not_bookable"[^>]*role="img"', svg_part)
    assert '<image class="floorplan-image" href="/hubs/regionlab-lister/floorplan.png?v=' in page
    # The list alternative: the same places, each with a link to book.
    table = page[page.index('<table class="ds-table floorplan-places"') :]
    for space in spaces.values():
        assert f'<tr data-space-id="{space.id}"' in table
    assert f'href="/hubs/{hub.slug}/book/{desk.id}?date={DAY}&part=day"' in table


def test_status_on_the_plan_follows_the_bookings_of_that_day(client, lister, make_org):
    hub, spaces = lister
    with_plan(hub)
    _place_all(hub, spaces)
    org = make_org()
    book(spaces["desk"], org, (8, 0), (16, 0))
    book(spaces["desk10"], org, (8, 0), (12, 0))
    book(spaces["room"], org, (9, 0), (10, 0))
    page = text(client.get(f"/hubs/{hub.slug}/floorplan?date={DAY}"))
    status = dict(re.findall(r'<tr data-space-id="(\d+)" data-status="(\w+)"', page))
    assert status == {
        str(spaces["desk"].id): "booked",
        str(spaces["desk10"].id): "partly",
        str(spaces["room"].id): "partly",
        str(spaces["canteen"].id): "not_bookable",
    }
    # A half-free desk books the free half; a booked one leads to the day's bookings.
    desk10 = spaces["desk10"].id
    assert f'href="/hubs/{hub.slug}/book/{desk10}?date={DAY}&part=afternoon"' in page
    assert f'href="/hubs/{hub.slug}/availability?date={DAY}"' in page
    # The next day everything is free again.
    page = text(client.get(f"/hubs/{hub.slug}/floorplan?date=2030-01-08"))
    status = dict(re.findall(r'<tr data-space-id="(\d+)" data-status="(\w+)"', page))
    assert status[str(spaces["desk"].id)] == "free"


def test_a_closed_day_shows_closed_places_that_are_not_links(client, lister):
    hub, spaces = lister
    with_plan(hub)
    _place_all(hub, spaces)
    page = text(client.get(f"/hubs/{hub.slug}/floorplan?date=2030-01-05"))  # a Saturday
    assert '<a class="plan-marker' not in page
    assert page.count('data-status="closed"') == 6  # three markers, three rows


def test_public_plan_defaults_to_today_and_rejects_bad_dates(client, lister):
    hub, _spaces = lister
    with_plan(hub)
    assert 'value="2030-01-04"' in text(client.get(f"/hubs/{hub.slug}/floorplan"))
    assert client.get(f"/hubs/{hub.slug}/floorplan?date=not-a-day").status_code == 404


def test_hub_page_links_to_the_plan_only_when_there_is_one(client, lister):
    hub, _spaces = lister
    link = f'href="/hubs/{hub.slug}/floorplan"'
    assert link not in text(client.get(f"/hubs/{hub.slug}"))
    with_plan(hub)
    assert link in text(client.get(f"/hubs/{hub.slug}"))


def test_admin_overview_links_to_the_floor_plan_page(client, admin, lister):
    hub, _spaces = lister
    page = text(client.get(f"/admin/hubs/{hub.slug}"))
    assert f'href="/admin/hubs/{hub.slug}/floorplan"' in page


# --- access ---------------------------------------------------------------------------

ADMIN_REQUESTS = [
    ("get", "/admin/hubs/{slug}/floorplan"),
    ("post", "/admin/hubs/{slug}/floorplan/image"),
    ("post", "/admin/hubs/{slug}/floorplan/positions"),
    ("post", "/admin/hubs/{slug}/floorplan/delete"),
]


@pytest.mark.parametrize(("method", "path"), ADMIN_REQUESTS)
@pytest.mark.parametrize(
    ("who", "expected"),
    [("anonymous", 302), ("employee", 403), ("other_admin", 403), ("member", 403)],
)
def test_only_the_hubs_admins_may_change_its_plan(
    client, lister, make_user, make_hub, login, method, path, who, expected
):
    hub, spaces = lister
    with_plan(hub)
    desk = spaces["desk"]
    floorplan.place_spaces(hub, {f"x_{desk.id}": "1", f"y_{desk.id}": "1"})
    db.session.commit()
    people = {
        "employee": lambda: make_user(),
        "other_admin": lambda: make_user(hub=make_hub(), role=Role.ADMIN),
        "member": lambda: make_user(hub=hub, role=Role.MEMBER),
    }
    if who in people:
        login(people[who]())
    response = getattr(client, method)(
        path.format(slug=hub.slug), data={f"x_{desk.id}": "50", f"y_{desk.id}": "50"}
    )
    assert response.status_code == expected
    if expected == 302:
        assert "/login" in response.headers["Location"]
    assert len(plans()) == 1
    assert positions() == {desk.id: (Decimal("1.00"), Decimal("1.00"))}


@pytest.mark.parametrize("who", ["admin", "system_admin"])
def test_hub_and_system_admins_open_the_admin_page(
    client, lister, make_user, login, who, system_admin
):
    hub, _spaces = lister
    login(system_admin if who == "system_admin" else make_user(hub=hub, role=Role.ADMIN))
    response = client.get(f"/admin/hubs/{hub.slug}/floorplan")
    assert response.status_code == 200
    page = text(response)
    assert page.count("<h1") == 1
    assert 'enctype="multipart/form-data"' in page
    assert "floorplan.js" not in page  # nothing to place before there is a plan
    with_plan(hub)
    page = text(client.get(f"/admin/hubs/{hub.slug}/floorplan"))
    assert '<script src="/static/js/floorplan.js"' in page
    assert "style=" not in page


@pytest.mark.parametrize(
    "path",
    [
        "/hubs/{slug}/floorplan",
        "/hubs/{slug}/floorplan.png",
        "/hubs/{slug}/floorplan.svg",
    ],
)
def test_no_plan_is_404(client, lister, path):
    hub, _spaces = lister
    assert client.get(path.format(slug=hub.slug)).status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/hubs/nowhere/floorplan",
        "/hubs/nowhere/floorplan.png",
        "/admin/hubs/nowhere/floorplan",
    ],
)
def test_unknown_hub_is_404(client, system_admin, login, path):
    login(system_admin)
    assert client.get(path).status_code == 404


# --- pure pieces ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0", Decimal("0.00")),
        ("100", Decimal("100.00")),
        ("12,345", Decimal("12.35")),
        (" 7.5 ", Decimal("7.50")),
        ("", None),
        (None, None),
    ],
)
def test_parse_percent(raw, expected):
    assert floorplan.parse_percent(raw) == expected


@pytest.mark.parametrize("raw", ["100.01", "-0.5", "1e3", "Infinity", "x", "1,2,3"])
def test_parse_percent_refuses(raw):
    with pytest.raises(ValueError):
        floorplan.parse_percent(raw)


def test_format_percent():
    assert [floorplan.format_percent(v) for v in (Decimal("12.50"), Decimal("100.00"), None)] == [
        "12.5",
        "100",
        "",
    ]


def test_natural_order():
    names = ["Pult 10", "pult 2", "Møterom", "Pult 1"]
    assert sorted(names, key=floorplan.natural_key) == ["Møterom", "Pult 1", "pult 2", "Pult 10"]


def _slot(start: int, end: int) -> BusySlot:
    return BusySlot(
        booking_id=1,
        starts_at=datetime(2030, 1, 7, start, tzinfo=UTC),
        ends_at=datetime(2030, 1, 7, end, tzinfo=UTC),
        organization="NAV",
        person=None,
        pending=False,
        mine=False,
    )


@pytest.mark.parametrize(
    ("kind", "busy", "expected"),
    [
        (SpaceKind.DESK, [], ("free", "day")),
        (SpaceKind.DESK, [(8, 12)], ("partly", "afternoon")),
        (SpaceKind.DESK, [(12, 16)], ("partly", "morning")),
        (SpaceKind.DESK, [(10, 13)], ("booked", None)),
        (SpaceKind.CELL, [(8, 16)], ("booked", None)),
        (SpaceKind.MEETING_ROOM, [], ("free", None)),
        (SpaceKind.MEETING_ROOM, [(9, 10)], ("partly", None)),
        (SpaceKind.MEETING_ROOM, [(8, 12), (12, 16)], ("booked", None)),
        (SpaceKind.MEETING_ROOM, [(7, 13), (13, 17)], ("booked", None)),
        (SpaceKind.MEETING_ROOM, [(8, 11), (12, 16)], ("partly", None)),
    ],
)
def test_day_status(kind, busy, expected):
    opening = (datetime(2030, 1, 7, 8, tzinfo=UTC), datetime(2030, 1, 7, 16, tzinfo=UTC))
    day = SpaceDay(day=opening[0].date(), opening=opening, busy=[_slot(*b) for b in busy])
    assert floorplan.day_status(kind, day) == expected
    closed = SpaceDay(day=opening[0].date(), opening=None)
    assert floorplan.day_status(kind, closed) == ("closed", None)


def test_large_or_tiny_svg_drawings_are_scaled_to_keep_precision():
    tiny = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0,0,21,29.7"/>'
    assert floorplan.inspect_svg(tiny) == floorplan.PlanImage("image/svg+xml", 707, 1000)
    sized = b'<svg xmlns="http://www.w3.org/2000/svg" width="1200px" height="800"/>'
    assert floorplan.inspect_svg(sized) == floorplan.PlanImage("image/svg+xml", 1200, 800)
    embedded = svg('<image href="data:image/png;base64,iVBORw0KGgo="/>')
    assert floorplan.inspect_svg(embedded).content_type == "image/svg+xml"
