"""API: booking, listing, cancelling, check-in/out, availability and approvals."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
import time_machine

from hub.accounts.models import ApiToken, Role
from hub.booking import service
from hub.booking.models import Booking, BookingSource, BookingStatus
from hub.extensions import db
from hub.mail import sent_mail

# Friday 4 January 2030 at 09:00 in Oslo (08:00 UTC); Monday 7 January is a normal workday.
NOW = datetime(2030, 1, 4, 8, 0, tzinfo=UTC)
# Monday 7 January 2030, 08:00-16:00 in Oslo (UTC+1) = 07:00-15:00 UTC.
MON_START, MON_END = "2030-01-07T08:00:00+01:00", "2030-01-07T16:00:00+01:00"
TUE_START, TUE_END = "2030-01-08T07:00:00Z", "2030-01-08T15:00:00Z"


@pytest.fixture(autouse=True)
def frozen_time() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def lister(make_hub: Any) -> Any:
    # A long horizon so 17 May (constitution day) can be tried from January.
    return make_hub(slug="regionlab-lister", name="RegionLab Lister", booking_horizon_days=200)


@pytest.fixture
def desk(lister: Any, make_space: Any) -> Any:
    return make_space(lister, name="Pult 1", kind="desk")


@pytest.fixture
def room(lister: Any, make_space: Any) -> Any:
    return make_space(lister, name="Møterom Lista", kind="meeting_room", capacity=6)


@pytest.fixture
def member(person: Any, lister: Any) -> Any:
    return person(hub=lister, role=Role.MEMBER)


def rows() -> list[Booking]:
    db.session.commit()  # end the test's read snapshot so the request's writes are visible
    return list(db.session.scalars(sa.select(Booking).order_by(Booking.id)))


def book(api: Any, user: Any, space: Any, start: str, end: str, **extra: Any) -> Any:
    body = {"space_id": space.id, "start": start, "end": end, **extra}
    return api("POST", "/bookings", user, json=body)


def booked(user: Any, space: Any, start: str, end: str, **options: Any) -> Booking:
    booking = service.create_booking(
        user, space, datetime.fromisoformat(start), datetime.fromisoformat(end), **options
    )
    db.session.commit()
    return booking


def span(day: str, start: str, end: str, offset: str = "+01:00") -> dict[str, str]:
    return {"start": f"{day}T{start}:00{offset}", "end": f"{day}T{end}:00{offset}"}


# --- create -------------------------------------------------------------------------


def test_create_is_201_with_the_booking_in_utc(api, member, desk):
    response = book(api, member, desk, MON_START, MON_END, title="Skrivedag")

    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    [row] = rows()
    assert body["id"] == row.id
    assert body["space_id"] == desk.id
    assert body["space_name"] == "Pult 1"
    assert body["hub"] == "regionlab-lister"
    assert (body["start"], body["end"]) == ("2030-01-07T07:00:00Z", "2030-01-07T15:00:00Z")
    assert body["status"] == "confirmed"
    assert body["organization_id"] == member.home_organization_id
    assert body["user_id"] == member.id
    assert body["source"] == "api"
    assert body["title"] == "Skrivedag"
    assert body["checked_in_at"] is None
    assert body["participants"] is None
    assert body["series_id"] is None
    assert row.source == BookingSource.API
    assert db.session.scalar(sa.select(ApiToken.last_used_at)) == NOW  # the token use is kept
    assert row.starts_at == datetime(2030, 1, 7, 7, tzinfo=UTC)


def test_meeting_room_with_participants(api, member, room):
    response = book(
        api, member, room, "2030-01-07T10:00:00+01:00", "2030-01-07T11:30:00+01:00", participants=6
    )

    assert response.status_code == 201, response.get_json()
    assert response.get_json()["participants"] == 6


@pytest.mark.parametrize(
    ("day", "start", "end", "utc_start", "utc_end"),
    [
        # Friday before the last Sunday of March: still winter time (UTC+1).
        ("friday", "2030-03-29T09:00:00+01:00", "2030-03-29T10:00:00+01:00", "08:00", "09:00"),
        # Monday after it: summer time (UTC+2).
        ("monday", "2030-04-01T09:00:00+02:00", "2030-04-01T10:00:00+02:00", "07:00", "08:00"),
    ],
)
def test_daylight_saving_keeps_local_hours(api, member, room, day, start, end, utc_start, utc_end):
    response = book(api, member, room, start, end)

    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["start"] == f"{start[:10]}T{utc_start}:00Z"
    assert body["end"] == f"{start[:10]}T{utc_end}:00Z"


def test_conflict_is_409_with_the_clashing_interval_and_changes_nothing(api, member, person, desk):
    booked(person(), desk, MON_START, MON_END)

    response = book(api, member, desk, "2030-01-07T12:00:00+01:00", MON_END)

    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["status"] == 409
    assert "Pult 1" in error["message"]
    assert error["conflicts"] == [{"start": "2030-01-07T07:00:00Z", "end": "2030-01-07T15:00:00Z"}]
    assert len(rows()) == 1


def test_touching_bookings_do_not_conflict(api, member, person, room):
    booked(person(), room, "2030-01-07T09:00:00+01:00", "2030-01-07T10:00:00+01:00")

    response = book(api, member, room, "2030-01-07T10:00:00+01:00", "2030-01-07T11:00:00+01:00")

    assert response.status_code == 201


@pytest.mark.parametrize(
    ("space", "changes", "field"),
    [
        ("desk", {"start": "2030-01-07T08:00:00"}, "start"),
        ("desk", {"end": "2030-01-07T16:00:00"}, "end"),
        ("desk", {"start": MON_END, "end": MON_START}, "end"),
        ("desk", span("2030-01-05", "08:00", "16:00", "+01:00"), "start"),
        ("desk", span("2030-05-17", "08:00", "16:00", "+02:00"), "start"),
        ("desk", {"start": "2030-01-07T07:00:00+01:00"}, "start"),
        ("room", span("2030-01-07", "09:10", "10:00", "+01:00"), "start"),
        ("room", span("2030-01-07", "09:00", "10:00") | {"participants": 7}, "participants"),
        ("room", span("2030-01-07", "09:00", "10:00") | {"participants": 0}, "participants"),
        ("desk", {"organization_id": "other"}, "organization_id"),
        ("desk", {"colour": "blue"}, "colour"),
        ("desk", {"space_id": 987654}, "space_id"),
        ("desk", {"space_id": "1"}, "space_id"),
        ("desk", span("2029-12-31", "08:00", "16:00", "+01:00"), "start"),
        ("inactive", {}, "space_id"),
    ],
    ids=[
        "start without offset",
        "end without offset",
        "end before start",
        "saturday",
        "17 May",
        "before opening",
        "off the 15-minute grid",
        "too many participants",
        "zero participants",
        "organization not billable",
        "unknown key",
        "unknown space",
        "space id as string",
        "in the past",
        "inactive space",
    ],
)  # fmt: skip
def test_broken_rules_are_422_naming_the_field_and_change_nothing(
    api, member, make_org, make_space, lister, desk, room, space, changes, field
):
    spaces = {
        "desk": desk,
        "room": room,
        "inactive": make_space(lister, name="Gammel pult", kind="desk", active=False),
    }
    body = {"space_id": spaces[space].id, "start": MON_START, "end": MON_END} | changes
    if body.get("organization_id") == "other":
        body["organization_id"] = make_org().id

    response = api("POST", "/bookings", member, json=body)

    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["error"]["fields"]
    assert rows() == []


def test_malformed_body_is_400(api, member):
    response = api(
        "POST", "/bookings", member, data="{", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400


# --- list ---------------------------------------------------------------------------


@pytest.fixture
def some_bookings(person, member, lister, make_hub, make_space, desk, room):
    """The member's bookings on two days, two spaces and two hubs, one cancelled; and others'."""
    other_hub = make_hub(slug="sentrumsgarden", name="Sentrumsgården")
    narvik_desk = make_space(other_hub, name="Pult N", kind="desk")
    mine = {
        "monday_desk": booked(member, desk, MON_START, MON_END),
        "tuesday_desk": booked(member, desk, TUE_START, TUE_END),
        "monday_room": booked(
            member, room, "2030-01-07T09:00:00+01:00", "2030-01-07T10:00:00+01:00"
        ),
        "narvik": booked(member, narvik_desk, MON_START, MON_END),
    }
    cancelled = booked(member, room, "2030-01-08T09:00:00+01:00", "2030-01-08T10:00:00+01:00")
    service.cancel_booking(cancelled, member)
    db.session.commit()
    mine["cancelled"] = cancelled
    others = booked(person(), desk, "2030-01-09T08:00:00+01:00", "2030-01-09T16:00:00+01:00")
    return mine, others


def ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.get_json()
    return [b["id"] for b in response.get_json()]


def test_list_is_own_bookings_by_start(api, member, some_bookings):
    mine, _others = some_bookings

    assert ids(api("GET", "/bookings", member)) == [
        mine["monday_desk"].id,
        mine["narvik"].id,
        mine["monday_room"].id,
        mine["tuesday_desk"].id,
        mine["cancelled"].id,
    ]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("from=2030-01-08", ["tuesday_desk", "cancelled"]),
        ("to=2030-01-07", ["monday_desk", "narvik", "monday_room"]),
        ("from=2030-01-08&to=2030-01-08", ["tuesday_desk", "cancelled"]),
        ("from=2030-01-07T09:30:00%2B01:00&to=2030-01-08T07:30:00Z",
         ["monday_desk", "narvik", "monday_room", "tuesday_desk"]),
        ("from=2030-01-07T09:00:00Z&to=2030-01-07T23:00:00Z", ["monday_desk", "narvik"]),
        ("status=cancelled", ["cancelled"]),
        ("status=confirmed&hub=regionlab-lister",
         ["monday_desk", "monday_room", "tuesday_desk"]),
        ("hub=sentrumsgarden", ["narvik"]),
        ("space_id={room}", ["monday_room", "cancelled"]),
        ("limit=2", ["monday_desk", "narvik"]),
        ("limit=2&offset=2", ["monday_room", "tuesday_desk"]),
        ("offset=4", ["cancelled"]),
    ],
)  # fmt: skip
def test_list_filters(api, member, room, some_bookings, query, expected):
    mine, _others = some_bookings

    response = api("GET", "/bookings?" + query.format(room=room.id), member)

    assert ids(response) == [mine[name].id for name in expected]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=2030-01-07T08:00:00", "from"),
        ("from=yesterday", "from"),
        ("to=2030-13-01", "to"),
        ("status=lost", "status"),
        ("limit=501", "limit"),
        ("limit=0", "limit"),
        ("offset=-1", "offset"),
        ("space_id=x", "space_id"),
        ("colour=blue", "colour"),
        ("all=true", "hub"),
    ],
)
def test_bad_list_parameters_are_422(api, member, query, field):
    response = api("GET", "/bookings?" + query, member)

    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]


def test_unknown_hub_filter_is_404(api, member):
    assert api("GET", "/bookings?hub=nowhere", member).status_code == 404


def test_hub_admin_lists_all_bookings_of_the_hub(api, person, lister, some_bookings):
    mine, others = some_bookings
    admin = person(hub=lister, role=Role.ADMIN)

    response = api("GET", "/bookings?hub=regionlab-lister&all=true", admin)

    assert ids(response) == [
        mine["monday_desk"].id,
        mine["monday_room"].id,
        mine["tuesday_desk"].id,
        mine["cancelled"].id,
        others.id,
    ]
    # Without all=true an admin sees only their own (none).
    assert ids(api("GET", "/bookings?hub=regionlab-lister", admin)) == []


@pytest.mark.parametrize("who", ["member", "other_hub_admin"])
def test_all_bookings_of_a_hub_is_403_for_others(api, person, make_hub, member, who):
    caller = member
    if who == "other_hub_admin":
        caller = person(hub=make_hub(slug="elsewhere"), role=Role.ADMIN)

    response = api("GET", "/bookings?hub=regionlab-lister&all=true", caller)

    assert response.status_code == 403


# --- one booking: read, cancel, check in/out -----------------------------------------


@pytest.mark.parametrize(
    ("method", "suffix"),
    [
        ("GET", ""),
        ("DELETE", ""),
        ("POST", "/check-in"),
        ("POST", "/check-out"),
        ("POST", "/approve"),
        ("POST", "/decline"),
    ],
)
def test_someone_elses_booking_is_404(api, person, make_hub, member, desk, method, suffix):
    booking = booked(member, desk, MON_START, MON_END)
    stranger = person(hub=make_hub(slug="elsewhere"), role=Role.ADMIN)

    response = api(method, f"/bookings/{booking.id}{suffix}", stranger)
    missing = api(method, f"/bookings/{booking.id + 1000}{suffix}", stranger)

    assert response.status_code == missing.status_code == 404
    assert response.get_json() == missing.get_json()
    assert rows()[0].status == BookingStatus.CONFIRMED


def test_own_booking_and_hub_admin_may_read(api, person, lister, member, desk):
    booking = booked(member, desk, MON_START, MON_END)
    admin = person(hub=lister, role=Role.ADMIN)

    for caller in (member, admin):
        response = api("GET", f"/bookings/{booking.id}", caller)
        assert response.status_code == 200
        assert response.get_json()["start"] == "2030-01-07T07:00:00Z"


def test_cancel_keeps_the_row_and_a_second_cancel_is_422(api, member, desk):
    booking = booked(member, desk, MON_START, MON_END)

    response = api("DELETE", f"/bookings/{booking.id}", member)

    assert response.status_code == 200
    assert response.get_json()["status"] == "cancelled"
    assert response.get_json()["cancelled_at"] == "2030-01-04T08:00:00Z"
    [row] = rows()
    assert row.status == BookingStatus.CANCELLED
    again = api("DELETE", f"/bookings/{booking.id}", member)
    assert again.status_code == 422
    assert "status" in again.get_json()["error"]["fields"]
    # The slot is free again.
    assert book(api, member, desk, MON_START, MON_END).status_code == 201


def test_cancellation_deadline_is_422_but_hub_admin_may_cancel(
    api, person, make_hub, make_space, member
):
    hub = make_hub(slug="strict", cancellation_deadline_minutes=60 * 24 * 7)
    desk = make_space(hub, kind="desk")
    booking = booked(member, desk, MON_START, MON_END)

    refused = api("DELETE", f"/bookings/{booking.id}", member)
    admin = api("DELETE", f"/bookings/{booking.id}", person(hub=hub, role=Role.ADMIN))

    assert refused.status_code == 422
    assert admin.status_code == 200


def test_check_in_and_out(api, member, desk):
    booking = booked(member, desk, MON_START, MON_END)
    url = f"/bookings/{booking.id}"

    too_early = api("POST", url + "/check-in", member)
    assert too_early.status_code == 422
    assert "status" in too_early.get_json()["error"]["fields"]
    assert api("POST", url + "/check-out", member).status_code == 422  # not checked in

    with time_machine.travel(datetime(2030, 1, 7, 8, 15, tzinfo=UTC), tick=False):
        checked_in = api("POST", url + "/check-in", member)
        assert checked_in.status_code == 200
        assert checked_in.get_json()["checked_in_at"] == "2030-01-07T08:15:00Z"
    with time_machine.travel(datetime(2030, 1, 7, 12, 30, tzinfo=UTC), tick=False):
        checked_out = api("POST", url + "/check-out", member)
        assert checked_out.status_code == 200
        body = checked_out.get_json()
        assert body["checked_out_at"] == body["end"] == "2030-01-07T12:30:00Z"
        assert api("POST", url + "/check-out", member).status_code == 422
    row = rows()[0]
    assert row.checked_in_at == datetime(2030, 1, 7, 8, 15, tzinfo=UTC)
    assert row.ends_at == datetime(2030, 1, 7, 12, 30, tzinfo=UTC)


def test_only_the_person_who_booked_may_check_out(api, person, lister, member, desk):
    booking = booked(member, desk, MON_START, MON_END)
    admin = person(hub=lister, role=Role.ADMIN)
    with time_machine.travel(datetime(2030, 1, 7, 8, 15, tzinfo=UTC), tick=False):
        assert api("POST", f"/bookings/{booking.id}/check-in", admin).status_code == 200
        assert api("POST", f"/bookings/{booking.id}/check-out", admin).status_code == 403


# --- availability -------------------------------------------------------------------


def test_availability_shape(api, member, person, lister, desk, room):
    booked(member, room, "2030-01-07T09:00:00+01:00", "2030-01-07T10:00:00+01:00")

    response = api("GET", "/hubs/regionlab-lister/availability?date=2030-01-05&days=3", person())

    assert response.status_code == 200
    spaces = response.get_json()
    assert [s["space"] for s in spaces] == [
        {"id": room.id, "name": "Møterom Lista", "kind": "meeting_room", "capacity": 6},
        {"id": desk.id, "name": "Pult 1", "kind": "desk", "capacity": 1},
    ]
    by_id = {s["space"]["id"]: s["days"] for s in spaces}
    saturday, sunday, monday = by_id[room.id]
    assert [d["date"] for d in (saturday, sunday, monday)] == [
        "2030-01-05",
        "2030-01-06",
        "2030-01-07",
    ]
    assert saturday == {
        "date": "2030-01-05",
        "open": False,
        "opens_at": None,
        "closes_at": None,
        "busy": [],
    }
    assert monday["open"] is True
    assert (monday["opens_at"], monday["closes_at"]) == (
        "2030-01-07T07:00:00Z",
        "2030-01-07T15:00:00Z",
    )
    [slot] = monday["busy"]
    assert slot == {
        "start": "2030-01-07T08:00:00Z",
        "end": "2030-01-07T09:00:00Z",
        "organization": member.home_organization.name,
        "person": None,  # the viewer is not a member of the hub
        "pending": False,
        "mine": False,
    }
    assert by_id[desk.id][2]["busy"] == []


def test_availability_filters_and_default_day(api, member, lister, desk, room):
    rooms = api("GET", "/hubs/regionlab-lister/availability?kind=meeting_room", member)
    big = api("GET", "/hubs/regionlab-lister/availability?capacity=2", member)

    assert [s["space"]["id"] for s in rooms.get_json()] == [room.id]
    assert [s["space"]["id"] for s in big.get_json()] == [room.id]
    # Without a date: today in the hub's timezone (Friday 4 January).
    assert [d["date"] for d in rooms.get_json()[0]["days"]] == ["2030-01-04"]


@pytest.mark.parametrize(
    "query", ["days=0", "days=15", "date=2030-02-30", "kind=sofa", "capacity=x", "colour=1"]
)
def test_bad_availability_parameters_are_422(api, member, lister, query):
    response = api("GET", "/hubs/regionlab-lister/availability?" + query, member)

    assert response.status_code == 422


def test_unknown_hub_availability_is_404(api, member):
    assert api("GET", "/hubs/nowhere/availability", member).status_code == 404


def test_availability_shows_names_only_where_allowed(api, person, lister, room):
    private = person(hub=lister, role=Role.MEMBER, name="Kari Privat", share_name=False)
    open_ = person(hub=lister, role=Role.MEMBER, name="Ola Åpen", share_name=True)
    viewer = person(hub=lister, role=Role.MEMBER)
    outsider = person()
    admin = person(hub=lister, role=Role.ADMIN)
    booked(private, room, "2030-01-07T09:00:00+01:00", "2030-01-07T10:00:00+01:00")
    booked(open_, room, "2030-01-07T10:00:00+01:00", "2030-01-07T11:00:00+01:00")

    def people(user: Any) -> list[tuple[str | None, bool]]:
        response = api("GET", "/hubs/regionlab-lister/availability?date=2030-01-07", user)
        assert response.status_code == 200
        [space] = response.get_json()
        return [(slot["person"], slot["mine"]) for slot in space["days"][0]["busy"]]

    assert people(viewer) == [(None, False), ("Ola Åpen", False)]
    assert people(private) == [("Kari Privat", True), ("Ola Åpen", False)]
    assert people(outsider) == [(None, False), (None, False)]
    assert people(admin) == [("Kari Privat", False), ("Ola Åpen", False)]


# --- approvals ----------------------------------------------------------------------


def test_approval_flow(api, person, lister, make_space, member):
    hall = make_space(
        lister, name="Storsalen", kind="meeting_room", capacity=40, requires_approval=True
    )
    admin = person(hub=lister, role=Role.ADMIN)
    other_member = person(hub=lister, role=Role.MEMBER)
    first = book(api, member, hall, "2030-01-07T09:00:00+01:00", "2030-01-07T11:00:00+01:00")
    second = book(api, member, hall, "2030-01-08T09:00:00+01:00", "2030-01-08T11:00:00+01:00")
    assert first.status_code == second.status_code == 201
    assert first.get_json()["status"] == "pending"
    first_id, second_id = first.get_json()["id"], second.get_json()["id"]

    # A pending booking still blocks the slot.
    clash = book(api, other_member, hall, "2030-01-07T10:00:00+01:00", "2030-01-07T12:00:00+01:00")
    assert clash.status_code == 409

    assert api("GET", "/hubs/regionlab-lister/approvals", member).status_code == 403
    listed = api("GET", "/hubs/regionlab-lister/approvals", admin)
    assert listed.status_code == 200
    assert [(b["id"], b["user_name"]) for b in listed.get_json()] == [
        (first_id, member.name),
        (second_id, member.name),
    ]

    assert api("POST", f"/bookings/{first_id}/approve", member).status_code == 403
    assert api("POST", f"/bookings/{first_id}/approve", other_member).status_code == 404
    approved = api("POST", f"/bookings/{first_id}/approve", admin)
    declined = api("POST", f"/bookings/{second_id}/decline", admin)
    assert approved.status_code == declined.status_code == 200
    assert approved.get_json()["status"] == "confirmed"
    assert declined.get_json()["status"] == "declined"
    again = api("POST", f"/bookings/{first_id}/decline", admin)
    assert again.status_code == 422
    assert "status" in again.get_json()["error"]["fields"]

    # Two "awaiting approval" mails when booked, then the two decisions.
    assert [m["To"] for m in sent_mail()] == [member.email] * 4
    assert [m.get_content_type() for m in sent_mail()] == ["multipart/mixed"] * 4
    assert api("GET", "/hubs/regionlab-lister/approvals", admin).get_json() == []
    assert [r.status for r in rows()] == [BookingStatus.CONFIRMED, BookingStatus.DECLINED]


def test_hub_admin_booking_a_space_needing_approval_is_confirmed(api, person, lister, make_space):
    hall = make_space(lister, name="Storsalen", kind="meeting_room", requires_approval=True)
    admin = person(hub=lister, role=Role.ADMIN)

    response = book(api, admin, hall, "2030-01-07T09:00:00+01:00", "2030-01-07T10:00:00+01:00")

    assert response.get_json()["status"] == "confirmed"


# --- the document -------------------------------------------------------------------


def test_booking_operations_are_in_the_openapi_document(client, app):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]

    create = paths["/bookings"]["post"]
    assert create["operationId"] == "create_booking"
    assert create["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "BookingCreate"
    )
    assert {"201", "409", "422"} <= set(create["responses"])
    assert set(paths["/bookings/{booking_id}"]) == {"get", "delete"}
    assert "get" in paths["/hubs/{slug}/availability"]
    assert "get" in paths["/hubs/{slug}/approvals"]
    for action in ("check-in", "check-out", "approve", "decline"):
        assert "post" in paths[f"/bookings/{{booking_id}}/{action}"]
