"""Per-hub booking rules applied by the service: quotas for guests and approval."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from hub.accounts import service as accounts
from hub.accounts.models import Role
from hub.booking import rules, service
from hub.booking.models import BookingStatus
from hub.errors import ValidationFailed
from hub.extensions import db
from hub.mail import sent_mail

NOW = datetime(2030, 1, 4, 12, tzinfo=UTC)


def day(n: int) -> tuple[datetime, datetime]:
    """Monday 7 January 2030 + n days, 08-16 Oslo."""
    start = datetime(2030, 1, 7, 7, tzinfo=UTC) + timedelta(days=n)
    return start, start + timedelta(hours=8)


def test_guest_organizations_have_a_weekly_quota(app, make_hub, make_space, make_user, make_org):
    hub = make_hub(guest_days_per_week=2)
    desks = [make_space(hub, kind="desk") for _ in range(3)]
    guest_org, partner_org = make_org(), make_org()
    accounts.create_membership(
        hub, {"organization_id": guest_org.id, "kind": "guest", "starts_on": date(2029, 1, 1)}
    )
    accounts.create_membership(
        hub, {"organization_id": partner_org.id, "kind": "partner", "starts_on": date(2029, 1, 1)}
    )
    guest, partner = (
        make_user(home_organization=guest_org),
        make_user(home_organization=partner_org),
    )
    # Two guest days across two people of the same organization use up the quota...
    service.create_booking(guest, desks[0], *day(0), now=NOW)
    service.create_booking(make_user(home_organization=guest_org), desks[1], *day(1), now=NOW)
    with pytest.raises(ValidationFailed) as exc:
        service.create_booking(guest, desks[0], *day(2), now=NOW)
    assert list(exc.value.errors) == ["organization_id"]
    # ...but the next week is a new week, and partners have no quota.
    service.create_booking(guest, desks[0], *day(7), now=NOW)
    for n in range(4):
        service.create_booking(partner, desks[2], *day(n), now=NOW)


def test_half_days_count_half(app, make_hub, make_space, make_user):
    hub = make_hub(guest_days_per_week=1)
    desk = make_space(hub)
    user = make_user()  # no membership at all: treated as a guest
    start, end = day(0)
    service.create_bookings(
        user,
        desk,
        [(start, start + timedelta(hours=4)), (start + timedelta(hours=4), end)],
        now=NOW,
    )
    with pytest.raises(ValidationFailed):
        service.create_booking(user, make_space(hub), *day(1), now=NOW)


def test_space_needing_approval_is_pending_until_an_admin_decides(
    app, client, login, make_hub, make_space, make_user
):
    hub = make_hub()
    room = make_space(hub, kind="meeting_room", capacity=10, requires_approval=True)
    user = make_user(email="ola@example.no")
    start, _end = day(0)
    booking = service.create_booking(
        user, room, start, start + timedelta(hours=2), participants=4, now=NOW
    )
    db.session.commit()
    assert booking.status == BookingStatus.PENDING
    # A pending booking blocks the slot.
    assert service.active_conflicts(room.id, start, start + timedelta(hours=1)) == [booking]

    admin = make_user(hub=hub, role=Role.ADMIN)
    login(admin)
    page = client.get(f"/admin/hubs/{hub.slug}/approvals")
    assert page.status_code == 200 and room.name in page.get_data(as_text=True)
    response = client.post(
        f"/admin/hubs/{hub.slug}/approvals/{booking.id}", data={"decision": "decline"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert booking.status == BookingStatus.DECLINED
    assert sent_mail()[-1]["To"] == "ola@example.no"
    assert service.active_conflicts(room.id, start, start + timedelta(hours=1)) == []


def test_approvals_page_is_for_admins_only(client, login, make_hub, make_user):
    hub = make_hub()
    login(make_user(hub=hub, role=Role.MEMBER))
    assert client.get(f"/admin/hubs/{hub.slug}/approvals").status_code == 403


@pytest.mark.parametrize(("minutes", "units"), [(240, 0.5), (241, 1.0), (480, 1.0), (120, 0.5)])
def test_day_units(minutes, units):
    start = datetime(2030, 1, 7, 7, tzinfo=UTC)
    opening = (start, start + timedelta(hours=8))
    assert rules.day_units(start, start + timedelta(minutes=minutes), opening) == units
