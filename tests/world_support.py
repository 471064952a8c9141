"""One seeded world for the API fuzz and the authorization matrix.

Two hubs: X ("hub-x", the busy one) and Y ("hub-y"). Agencies A and B are
partners of both; a host and a guest in X. People: an employee of A who books
in X, a partner contact of B in X, an admin of hub X only, an admin of hub Y,
and a system admin. X has a cost item, funding, the 2030 financing model, issued
Q1 2030 statements for A and B (and a credit note for B's), Q2 drafts, a closed
day, an event with attendance, checked-in bookings, a previewed usage import,
and a meeting room that follows an external calendar. Feed tokens and API
tokens for everyone. Built through the services, as the pages would.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from hub.accounts import service as accounts
from hub.accounts.models import Membership, Organization, Role, User
from hub.booking import service as booking
from hub.booking.models import Booking
from hub.calendar import external, tokens
from hub.calendar.models import FeedScope
from hub.extensions import db
from hub.finance import financing, statements
from hub.finance import service as finance
from hub.finance.models import DeliveryStatus, Statement, StatementDelivery
from hub.spaces import service as spaces
from hub.spaces.models import Hub, Space
from hub.usage import imports
from hub.usage.models import Event, EventAttendance, UsageImport

MONDAY = date(2030, 1, 7)  # week 2 of 2030; Oslo is UTC+1
BEFORE = datetime(2030, 1, 6, 12, tzinfo=UTC)
Q1 = (date(2030, 1, 1), date(2030, 3, 31))
Q2 = (date(2030, 4, 1), date(2030, 6, 30))
PASSWORD = "correct-horse-battery"
CALENDAR = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\n"
    "UID:busy-1@test\r\nDTSTART:20300108T090000Z\r\nDTEND:20300108T100000Z\r\n"
    "SUMMARY:Busy\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)
PRESENCE_CSV = "tid;e-post;kort;plass\n09.01.2030 08:01;employee@a.example.no;;Pult X1\n"


def at(day: date, hour: int) -> datetime:
    """``hour`` o'clock in Oslo in winter, as UTC."""
    return datetime(day.year, day.month, day.day, hour - 1, tzinfo=UTC)


def fake_download(url: str, **_kwargs: Any) -> external.Download:
    """No network in tests: every external calendar answers with one busy hour."""
    return external.Download(text=CALENDAR, etag=None, last_modified=None)


@dataclass
class World:
    hub_x: Hub
    hub_y: Hub
    org_a: Organization
    org_b: Organization
    host: Organization
    guest: Organization
    desk_x: Space
    room_x: Space
    desk_y: Space
    people: dict[str, User]
    statement_a: Statement  # issued, Q1, agency A in hub X
    statement_b: Statement  # issued, Q1, agency B in hub X (credited)
    credit_b: Statement
    draft_a: Statement  # Q2 draft for A
    statement_y_a: Statement  # issued, Q1, agency A in hub Y
    booking_employee: Booking
    booking_admin_y: Booking
    event_x: Event
    usage_import: UsageImport
    api_tokens: dict[str, str] = field(default_factory=dict)  # role -> secret
    feed_tokens: dict[str, str] = field(default_factory=dict)  # name -> secret
    ids: dict[str, int] = field(default_factory=dict)

    def ids_of(self, prefix: str) -> list[int]:
        """The ids recorded under ``prefix_...`` (e.g. every membership's)."""
        return [value for key, value in self.ids.items() if key.startswith(f"{prefix}_")]


def build_world(*, password: str | None = PASSWORD) -> World:
    hub_x = spaces.create_hub({"slug": "hub-x", "name": "Hub X", "municipality": "Lyngdal"})
    hub_y = spaces.create_hub({"slug": "hub-y", "name": "Hub Y", "municipality": "Farsund"})
    desk_x = spaces.create_space(hub_x, {"name": "Pult X1", "kind": "desk", "capacity": 1})
    spaces.create_space(hub_x, {"name": "Celle X", "kind": "cell", "capacity": 1})
    room_x = spaces.create_space(
        hub_x, {"name": "Møterom X", "kind": "meeting_room", "capacity": 8}
    )
    desk_y = spaces.create_space(hub_y, {"name": "Pult Y1", "kind": "desk", "capacity": 1})
    spaces.add_closure(hub_x, MONDAY + timedelta(days=1), "Stengt")

    host = accounts.create_organization({"name": "Lyngdal kommune", "kind": "municipality"})
    org_a = accounts.create_organization({"name": "Agency A", "kind": "state_agency"})
    org_b = accounts.create_organization({"name": "Agency B", "kind": "state_agency"})
    guest = accounts.create_organization({"name": "Guest C", "kind": "state_agency"})
    year = {"starts_on": date(2030, 1, 1)}
    partner_a = {"kind": "partner", "yearly_amount_ore": 12_000_000, "carries_residual": True}
    partner_b = {"kind": "partner", "yearly_amount_ore": 6_000_000}
    for hub in (hub_x, hub_y):
        accounts.create_membership(hub, {"organization_id": host.id, "kind": "host"} | year)
        accounts.create_membership(hub, {"organization_id": org_a.id} | year | partner_a)
        accounts.create_membership(hub, {"organization_id": org_b.id} | year | partner_b)
        finance.create_cost_item(
            hub,
            {
                "category": "rent",
                "description": "Husleie",
                "amount_ore": 120_000_000,
                "starts_on": date(2030, 1, 1),
                "ends_on": date(2030, 12, 31),
            },
        )
    accounts.create_membership(
        hub_x,
        {"organization_id": guest.id, "kind": "guest", "desk_day_rate_ore": 25_000} | year,
    )
    finance.create_funding(
        hub_x,
        {
            "kind": "grant",
            "source": "Agder fylkeskommune",
            "amount_ore": 24_000_000,
            "starts_on": date(2030, 1, 1),
            "ends_on": date(2030, 12, 31),
        },
    )
    financing.save_model(hub_x, 2030, {})
    db.session.flush()

    def person(key: str, home: Organization, **values: Any) -> User:
        data = {"email": f"{key}@{home.name[-1].lower()}.example.no", "name": key.title()}
        data |= {"home_organization_id": home.id, "language": "en"} | values
        return accounts.create_user(data, password=password)

    people = {
        "employee": person("employee", org_a),
        "colleague": person("colleague", org_a),
        "partner": person("partner", org_b),
        "admin_x": person("admin-x", host),
        "admin_y": person("admin-y", host),
        "system_admin": person("root", host, is_system_admin=True),
    }
    accounts.grant_role(people["employee"], hub_x, Role.MEMBER)
    accounts.grant_role(people["colleague"], hub_x, Role.MEMBER)
    accounts.grant_role(people["partner"], hub_x, Role.MEMBER)
    accounts.grant_role(people["partner"], hub_x, Role.PARTNER_CONTACT, org_b.id)
    accounts.grant_role(people["admin_x"], hub_x, Role.ADMIN)
    accounts.grant_role(people["admin_y"], hub_y, Role.ADMIN)
    db.session.flush()

    employee, colleague = people["employee"], people["colleague"]
    wednesday = MONDAY + timedelta(days=2)
    for day in (MONDAY, wednesday):
        mine = booking.create_booking(employee, desk_x, at(day, 8), at(day, 16), now=BEFORE)
        booking.check_in(mine, employee, now=at(day, 8))
    meeting = booking.create_booking(
        colleague, room_x, at(wednesday, 9), at(wednesday, 11), now=BEFORE
    )
    booking.check_in(meeting, colleague, now=at(wednesday, 9))
    partner_booking = booking.create_booking(
        people["partner"],
        desk_x,
        at(MONDAY + timedelta(days=3), 8),
        at(MONDAY + timedelta(days=3), 16),
        now=BEFORE,
    )
    future = booking.create_booking(
        employee,
        desk_x,
        at(MONDAY + timedelta(days=7), 8),
        at(MONDAY + timedelta(days=7), 12),
        now=BEFORE,
    )
    booking_admin_y = booking.create_booking(
        people["admin_y"], desk_y, at(MONDAY, 8), at(MONDAY, 16), now=BEFORE
    )
    event = Event(
        hub_id=hub_x.id, space_id=room_x.id, kind="faglunsj", title="Faglunsj", on_date=wednesday
    )
    event.attendance = [
        EventAttendance(organization_id=org_a.id, attendees=4),
        EventAttendance(organization_id=org_b.id, attendees=6),
    ]
    db.session.add(event)
    db.session.flush()

    drafts = {s.organization_id: s for s in statements.create_drafts(hub_x, *Q1)}
    statement_a = statements.issue(drafts[org_a.id], people["admin_x"])
    statement_b = statements.issue(drafts[org_b.id], people["admin_x"])
    for other in drafts.values():
        if other.id not in (statement_a.id, statement_b.id):
            statements.delete_draft(other)
    credit_b = statements.credit(statement_b, people["admin_x"], "Feil beløp")
    draft_a = statements.create_draft(hub_x, org_a, *Q2)
    statement_y_a = statements.issue(statements.create_draft(hub_y, org_a, *Q1), people["admin_y"])

    external.follow(room_x, "https://calendar.example.no/room.ics")
    usage_import, _report = imports.preview_import(
        hub_x, "presence.csv", PRESENCE_CSV.encode(), people["admin_x"], now=BEFORE
    )

    world = World(
        hub_x=hub_x,
        hub_y=hub_y,
        org_a=org_a,
        org_b=org_b,
        host=host,
        guest=guest,
        desk_x=desk_x,
        room_x=room_x,
        desk_y=desk_y,
        people=people,
        statement_a=statement_a,
        statement_b=statement_b,
        credit_b=credit_b,
        draft_a=draft_a,
        statement_y_a=statement_y_a,
        booking_employee=future,
        booking_admin_y=booking_admin_y,
        event_x=event,
        usage_import=usage_import,
    )
    world.ids["partner_booking"] = partner_booking.id
    world.ids["meeting"] = meeting.id
    for key, user in people.items():
        world.api_tokens[key] = accounts.create_api_token(user, "world")[1]
    feeds = {
        "employee_personal": (employee, FeedScope.PERSONAL, {}),
        "employee_hub_x": (employee, FeedScope.HUB, {"hub": hub_x}),
        "partner_org_b": (people["partner"], FeedScope.ORGANIZATION, {"organization": org_b}),
        "admin_y_space": (people["admin_y"], FeedScope.SPACE, {"space": desk_y}),
    }
    for name, (user, scope, target) in feeds.items():
        token, secret = tokens.issue(user, scope, **target)
        world.feed_tokens[name] = secret
        world.ids[f"feed_{name}"] = token.id
    # Hub Y's own objects, the targets of "an admin of X acting on Y".
    world.ids["closure_y"] = spaces.add_closure(hub_y, MONDAY + timedelta(days=1), "Stengt").id
    room_y = spaces.create_space(
        hub_y, {"name": "Møterom Y", "kind": "meeting_room", "capacity": 6}
    )
    world.ids["room_y"] = room_y.id
    external.follow(room_y, "https://calendar.example.no/room-y.ics")
    event_y = Event(hub_id=hub_y.id, space_id=room_y.id, kind="faglunsj", title="Y", on_date=MONDAY)
    event_y.attendance = [EventAttendance(organization_id=org_a.id, attendees=3)]
    db.session.add(event_y)
    funding_y = finance.create_funding(
        hub_y,
        {
            "kind": "grant",
            "source": "Fylket",
            "amount_ore": 1_000_000,
            "starts_on": date(2030, 1, 1),
            "ends_on": date(2030, 12, 31),
        },
    )
    import_y, _report = imports.preview_import(
        hub_y, "y.csv", PRESENCE_CSV.encode(), people["admin_y"], now=BEFORE
    )
    delivery_y = StatementDelivery(
        statement=statement_y_a, email="billing@a.example.no", status=DeliveryStatus.FAILED
    )
    db.session.add(delivery_y)
    db.session.flush()
    world.ids |= {
        "event_y": event_y.id,
        "funding_y": funding_y.id,
        "import_y": import_y.id,
        "delivery_y": delivery_y.id,
        "cost_item_y": finance.cost_items_of(hub_y)[0].id,
        "membership_y": accounts_memberships(hub_y)[0].id,
        "role_admin_y": people["admin_y"].roles[0].id,
    }
    for membership in accounts_memberships(hub_x):
        world.ids[f"membership_{membership.id}"] = membership.id
    for item in finance.cost_items_of(hub_x):
        world.ids[f"cost_item_{item.id}"] = item.id
    for funding in finance.funding_of(hub_x):
        world.ids[f"funding_{funding.id}"] = funding.id
    for role in people["colleague"].roles:
        world.ids[f"role_{role.id}"] = role.id
    for key, user in people.items():
        spare, _secret = accounts.create_api_token(user, "spare")
        world.ids[f"api_token_{key}"] = spare.id
    db.session.commit()
    return world


def accounts_memberships(hub: Hub) -> list[Membership]:
    return list(db.session.scalars(sa.select(Membership).where(Membership.hub_id == hub.id)))
