"""Usage reports, the dashboard, the partner view and the exports, on both databases."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from usage_support import MONDAY

from hub.accounts.models import Role
from hub.extensions import db
from hub.usage import reports

WEEK = (MONDAY, MONDAY + timedelta(days=6))


def test_use_per_organization(busy_hub):
    rows = {r["organization"]: r for r in reports.usage_by(busy_hub["hub"], *WEEK, "organization")}
    nav, tax = rows["NAV Lister"], rows["Skatteetaten"]
    assert (nav["booked_desk_days"], nav["used_desk_days"], nav["person_days"], nav["people"]) == (
        Decimal(2),
        Decimal(2),
        2,
        1,
    )
    assert tax["booked_cell_days"] == Decimal("0.5") and tax["used_cell_days"] == 0
    assert tax["booked_room_hours"] == Decimal("2.00") and tax["used_room_hours"] == Decimal("2.00")
    assert tax["booked_desk_days"] == 1
    # Ola on Monday and Thursday, Per on Wednesday: three person-days, two people.
    assert (tax["person_days"], tax["people"], tax["bookings"]) == (3, 2, 3)


def test_grouped_by_kind_space_and_day_add_up_to_the_same(busy_hub):
    hub = busy_hub["hub"]
    by_kind = reports.usage_by(hub, *WEEK, "kind")
    by_space = reports.usage_by(hub, *WEEK, "space")
    by_day = reports.usage_by(hub, *WEEK, "day")
    for rows in (by_kind, by_space, by_day):
        assert sum(r["bookings"] for r in rows) == 5
        assert sum(r["booked_hours"] for r in rows) == Decimal("30.00")
    days = [MONDAY + timedelta(days=n) for n in (0, 2, 3)]
    assert [r["day"] for r in by_day] == days


def test_occupancy_counts_only_open_hours(busy_hub):
    by_kind = {k.kind: k for k in reports.occupancy(busy_hub["hub"], *WEEK)}
    # Four open days (Tuesday closed, weekend closed) of 8 hours for one desk.
    desk = by_kind["desk"]
    assert desk.open_hours == Decimal("32.00")
    assert desk.booked_hours == Decimal("24.00") and desk.used_hours == Decimal("16.00")
    assert desk.booked_percent == Decimal("75.0") and desk.used_percent == Decimal("50.0")
    assert by_kind["meeting_room"].booked_percent == Decimal("6.3")


def test_heatmap_co_presence_and_away_from_home(busy_hub):
    hub = busy_hub["hub"]
    heat = reports.heatmap(hub, *WEEK)
    # Wednesday 09-11: the desk and the room of three spaces are booked.
    assert heat.percent[(2, 9)] == Decimal("66.7")
    assert heat.percent[(1, 9)] is None  # closed Tuesday: no open hours
    assert heat.peak == (0, 8)  # Monday 08-12 was as busy (desk and cell); the earliest wins
    together = reports.co_presence(hub, *WEEK)
    nav, tax = busy_hub["nav"].id, busy_hub["tax"].id
    assert together.shared_days[(min(nav, tax), max(nav, tax))] == 2  # Monday and Wednesday
    assert together.days_present == {nav: 2, tax: 3}
    away = reports.away_from_home(hub, *WEEK)
    assert [(a.organization, a.home_office, a.person_days, a.people) for a in away] == [
        ("Skatteetaten", "Kristiansand", 3, 2)
    ]


# --- pages -------------------------------------------------------------------------------


def test_dashboard_for_the_host(client, login, busy_hub, hub_admin):
    hub = busy_hub["hub"]
    login(hub_admin(hub))
    response = client.get(f"/hubs/{hub.slug}/usage?period=2030-W02")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Week 2, 2030" in page
    assert page.count("<svg") == 4  # utilization, heatmap, trend, organizations
    assert "Skatteetaten" in page and "Kristiansand" in page and "Faglunsj" in page
    assert f'href="/hubs/{hub.slug}/usage?period=2030-01-07"' in page  # drill down to a day


def test_a_wrong_period_is_explained_and_kept(client, login, busy_hub, hub_admin):
    hub = busy_hub["hub"]
    login(hub_admin(hub))
    response = client.get(f"/hubs/{hub.slug}/usage?period=march")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'value="march"' in page and 'aria-invalid="true"' in page


def test_partner_sees_own_figures_and_no_small_groups(client, login, busy_hub, make_user):
    hub = busy_hub["hub"]
    contact = make_user(hub=hub, role=Role.PARTNER_CONTACT, organization=busy_hub["tax"])
    login(contact)
    page = client.get(f"/hubs/{hub.slug}/usage?period=2030-W02").get_data(as_text=True)
    assert "Skatteetaten" in page
    # NAV Lister is one person, under the minimum of five: never named, and the
    # totals (which would reveal it) are withheld.
    assert "NAV Lister" not in page
    assert "totals are hidden for this period" in page


def test_partner_sees_others_when_groups_are_large_enough(client, login, busy_hub, make_user):
    hub = busy_hub["hub"]
    hub.min_group_size = 1
    db.session.commit()
    contact = make_user(hub=hub, role=Role.PARTNER_CONTACT, organization=busy_hub["tax"])
    login(contact)
    page = client.get(f"/hubs/{hub.slug}/usage?period=2030-W02").get_data(as_text=True)
    assert "NAV Lister" in page and "totals are hidden" not in page


@pytest.mark.parametrize("role", [None, Role.MEMBER])
def test_others_may_not_see_usage(client, login, busy_hub, make_user, role):
    hub = busy_hub["hub"]
    login(make_user(hub=hub, role=role) if role else make_user())
    assert client.get(f"/hubs/{hub.slug}/usage").status_code == 403
    assert client.get(f"/hubs/{hub.slug}/usage/export").status_code == 403


def test_partner_may_not_export(client, login, busy_hub, make_user):
    hub = busy_hub["hub"]
    login(make_user(hub=hub, role=Role.PARTNER_CONTACT, organization=busy_hub["tax"]))
    assert client.get(f"/hubs/{hub.slug}/usage/export").status_code == 403


def test_csv_export_per_day_space_and_organization(client, login, busy_hub, hub_admin):
    hub = busy_hub["hub"]
    login(hub_admin(hub))
    response = client.get(
        f"/hubs/{hub.slug}/usage/export?from=2030-01-07&to=2030-01-13&group_by=detail&format=csv"
    )
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(rows) == 5
    assert sum(Decimal(r["booked_hours"]) for r in rows) == Decimal("30")
    assert {r["organization"] for r in rows} == {"NAV Lister", "Skatteetaten"}


def test_xlsx_export_opens_as_a_spreadsheet(client, login, busy_hub, hub_admin):
    hub = busy_hub["hub"]
    login(hub_admin(hub))
    response = client.get(
        f"/hubs/{hub.slug}/usage/export?from=2030-01-07&to=2030-01-13&group_by=organization&format=xlsx"
    )
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    header = [c.value for c in sheet[1]]
    assert header[:2] == ["Organization id", "Organization"]
    names = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert names == ["NAV Lister", "Skatteetaten"]
    person_days = header.index("Person-days")
    assert [row[person_days] for row in sheet.iter_rows(min_row=2, values_only=True)] == [2, 3]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=2030-13-01", "from"),
        ("from=2030-02-01&to=2030-01-01", "to"),
        ("from=2020-01-01&to=2030-01-01", "to"),
        ("group_by=people", "group_by"),
        ("format=pdf", "format"),
    ],
)
def test_a_wrong_export_request_is_explained(client, login, busy_hub, hub_admin, query, field):
    hub = busy_hub["hub"]
    login(hub_admin(hub))
    response = client.get(f"/hubs/{hub.slug}/usage/export?{query}")
    assert response.status_code == 422
    assert f'id="export-{field}-error"' in response.get_data(as_text=True)


def test_usage_is_in_the_menu_for_hosts_and_partners(client, login, busy_hub, hub_admin, make_user):
    hub = busy_hub["hub"]
    member = make_user(hub=hub, role=Role.MEMBER)
    login(member)
    assert 'href="/usage"' not in client.get("/").get_data(as_text=True)
    client.post("/logout")
    login(hub_admin(hub))
    assert 'href="/usage"' in client.get("/").get_data(as_text=True)
    page = client.get("/usage").get_data(as_text=True)
    assert f'href="/hubs/{hub.slug}/usage"' in page


def test_totals_from_the_days_equal_totals_read_directly(busy_hub):
    hub = busy_hub["hub"]
    by_day = reports.figures_by(hub, *WEEK, "day")
    direct, derived = reports.totals(hub, *WEEK), reports.totals(hub, *WEEK, by_day)
    assert derived.as_dict() == direct.as_dict()
    assert (derived.people, derived.bookings) == (direct.people, 5)
