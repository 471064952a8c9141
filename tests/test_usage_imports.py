"""Presence imports: the service, the CLI, the admin pages and the API, on both databases."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from db_support import count
from test_usage_rollup import snapshot

from hub.accounts.models import Role
from hub.booking import service as booking
from hub.errors import Conflict, ValidationFailed
from hub.extensions import db
from hub.usage import imports, rollup
from hub.usage.models import ImportStatus, PresenceDay, UsageDay, UsageImport, UsageRecord

MONDAY = date(2025, 1, 6)  # in the past, so the views and the CLI (real clock) accept it
TUESDAY = MONDAY + timedelta(days=1)
OPENS = datetime(2025, 1, 6, 7, tzinfo=UTC)  # 08:00 in Oslo
BEFORE = datetime(2025, 1, 5, 12, tzinfo=UTC)
NOW = datetime(2025, 2, 1, 12, tzinfo=UTC)


@pytest.fixture
def place(make_hub, make_space, make_user, make_org) -> dict[str, Any]:
    lister = make_hub(slug="regionlab-lister", name="RegionLab Lister")
    other = make_hub(slug="sentrumsgarden", name="Sentrumsgården")
    nav, kommune = make_org(name="NAV"), make_org(name="Lyngdal kommune")
    return {
        "hub": lister,
        "other_hub": other,
        "desk": make_space(lister, name="Plass 1", kind="desk"),
        "cell": make_space(lister, name="Cellekontor Ø", kind="cell"),
        "room": make_space(lister, name="Møterom Lista", kind="meeting_room", capacity=8),
        "elsewhere": make_space(other, name="Plass 9", kind="desk"),
        "kari": make_user(
            email="kari@nav.no", card_id="04A1", home_organization=nav, password=None
        ),
        "ola": make_user(email="ola@lyngdal.kommune.no", home_organization=kommune, password=None),
        "nav": nav,
        "kommune": kommune,
    }


def csv_bytes(*lines: str, encoding: str = "utf-8") -> bytes:
    return ("\n".join(lines) + "\n").encode(encoding)


def preview(place: dict[str, Any], *lines: str):
    return imports.preview_import(place["hub"], "kort.csv", csv_bytes(*lines), None, now=NOW)


def records() -> list[tuple]:
    return [
        tuple(row)
        for row in db.session.execute(
            sa.select(
                UsageRecord.user_id, UsageRecord.day, UsageRecord.space_id, UsageRecord.seen_at
            ).order_by(UsageRecord.user_id, UsageRecord.day, UsageRecord.space_id)
        )
    ]


MIXED = (
    "tid;e-post;kort;plass",  # 1
    "06.01.2025 08:01;kari@nav.no;;Plass 1",  # 2 good
    "06.01.2025 12:30;KARI@nav.no;;plass 1",  # 3 the same person, day and space: collapses
    "06.01.2025 08:00;;04A1;Plass 1",  # 4 the same again, by card id, and earlier
    "06.01.2025 09:00;ola@lyngdal.kommune.no;;",  # 5 good, the hub only
    "07.01.2025 09:00;ola@lyngdal.kommune.no;;Cellekontor Ø",  # 6 good
    "07.01.2025 09:00;nobody@x.no;;",  # 7 unknown email
    "07.01.2025 09:00;;FFFF;",  # 8 unknown card
    "07.01.2025 09:00;kari@nav.no;;Plass 404",  # 9 unknown space
    "07.01.2025 09:00;kari@nav.no;;Plass 9",  # 10 a space of another hub
    "07.01.2025 09:00;ola@lyngdal.kommune.no;04A1;",  # 11 email and card of different people
    "01.03.2099 09:00;kari@nav.no;;",  # 12 in the future
    "07.01.2025 09:00;kari@nav.no;;Møterom Lista",  # 13 good, a meeting room
)


# --- the service --------------------------------------------------------------------


def test_preview_reports_every_bad_line_and_counts_nothing_yet(place):
    usage_import, report = preview(place, *MIXED)

    assert [line for line, _reason in report.bad] == [7, 8, 9, 10, 11, 12]
    reasons = dict(report.bad)
    assert reasons[7] == "No person has the email nobody@x.no."
    assert reasons[8] == "No person has the card id FFFF."
    assert reasons[9] == "RegionLab Lister has no space named “Plass 404”."
    assert reasons[10] == "The space “Plass 9” belongs to another hub, not to RegionLab Lister."
    assert "different people" in reasons[11]
    assert reasons[12] == "01.03.2099 09:00 is in the future."
    assert (report.good, report.duplicates, report.records, report.already_counted) == (6, 2, 4, 0)
    db.session.commit()
    stored = db.session.get(UsageImport, usage_import.id)
    assert stored.status == ImportStatus.PREVIEWED
    assert (stored.good_lines, stored.bad_lines, stored.filename) == (6, 6, "kort.csv")
    assert stored.content.startswith("tid;e-post")
    assert count(UsageRecord) == 0
    assert count(PresenceDay) == 0


def test_confirm_creates_one_record_per_person_day_and_space_and_the_roll_up(place):
    usage_import, _report = preview(place, *MIXED)
    seen: list[int] = []

    imports.confirm_import(usage_import, None, progress=seen.append, now=NOW)
    db.session.commit()

    kari, ola = place["kari"].id, place["ola"].id
    desk, cell, room = place["desk"].id, place["cell"].id, place["room"].id
    expected = [
        (kari, MONDAY, desk, datetime(2025, 1, 6, 7, 0, tzinfo=UTC)),  # the earliest line
        (kari, TUESDAY, room, datetime(2025, 1, 7, 8, 0, tzinfo=UTC)),
        (ola, MONDAY, None, datetime(2025, 1, 6, 8, 0, tzinfo=UTC)),
        (ola, TUESDAY, cell, datetime(2025, 1, 7, 8, 0, tzinfo=UTC)),
    ]
    assert sorted(records(), key=lambda r: (r[0], r[1], r[2] or 0)) == sorted(
        expected, key=lambda r: (r[0], r[1], r[2] or 0)
    )
    assert seen == [4]
    stored = db.session.get(UsageImport, usage_import.id)
    assert stored.status == ImportStatus.IMPORTED
    assert stored.imported_at == NOW
    organizations = set(db.session.scalars(sa.select(UsageRecord.organization_id)))
    assert organizations == {place["nav"].id, place["kommune"].id}  # the home organizations

    rolled = snapshot()
    nav, kommune = place["nav"].id, place["kommune"].id
    presence = [
        (MONDAY, nav, kari, 1),
        (TUESDAY, nav, kari, 1),
        (MONDAY, kommune, ola, 1),
        (TUESDAY, kommune, ola, 1),
    ]
    assert rolled["presence"] == sorted(presence)
    # A used desk- and cell-day (2 half days) where a line names one; rooms count no day.
    assert rolled["days"] == sorted(
        [(MONDAY, desk, nav, 0, 0, 0, 2, 0, 0), (TUESDAY, cell, kommune, 0, 0, 0, 2, 0, 0)]
    )
    # The roll-up equals a rebuild from scratch.
    rollup.rebuild(db.session, place["hub"].id, MONDAY, TUESDAY)
    assert snapshot() == rolled


def test_a_checked_in_booking_or_an_earlier_import_counts_the_line_already(place):
    kari, desk = place["kari"], place["desk"]
    stay = booking.create_booking(kari, desk, OPENS, OPENS + timedelta(hours=8), now=BEFORE)
    db.session.commit()
    booking.check_in(stay, kari, now=OPENS)
    db.session.commit()
    lines = (
        "time,email,space",
        "2025-01-06 09:00,kari@nav.no,Plass 1",  # the checked-in booking counts it
        "2025-01-06 09:30,kari@nav.no,Cellekontor Ø",  # another space: imported
        "2025-01-06 09:30,kari@nav.no,",  # the hub only: imported
    )

    first, report = preview(place, *lines)
    assert (report.good, report.already_counted, report.records) == (2, 1, 2)
    imports.confirm_import(first, None, now=NOW)
    db.session.commit()
    used = db.session.scalar(sa.select(UsageDay.used_half_days).where(UsageDay.space_id == desk.id))
    assert used == 2  # the booking's, not counted twice

    second, again = preview(place, *lines)
    assert (again.good, again.already_counted, again.records, again.bad) == (0, 3, 0, [])
    with pytest.raises(ValidationFailed) as caught:
        imports.confirm_import(second, None, now=NOW)
    assert caught.value.errors == {"file": ["The file has no lines to import."]}
    db.session.rollback()
    assert count(UsageRecord) == 2


def test_a_second_confirm_and_a_late_discard_are_refused(place):
    usage_import, _report = preview(place, *MIXED)
    imports.confirm_import(usage_import, None, now=NOW)
    db.session.commit()

    with pytest.raises(Conflict):
        imports.confirm_import(usage_import, None, now=NOW)
    db.session.rollback()
    with pytest.raises(Conflict):
        imports.discard_import(usage_import, None)
    db.session.rollback()
    assert count(UsageRecord) == 4
    assert db.session.get(UsageImport, usage_import.id).status == ImportStatus.IMPORTED


def test_discard_keeps_the_row_without_the_text_and_cannot_be_confirmed(place):
    usage_import, _report = preview(place, *MIXED)
    db.session.commit()

    imports.discard_import(usage_import, None)
    db.session.commit()

    stored = db.session.get(UsageImport, usage_import.id)
    assert stored.status == ImportStatus.DISCARDED
    assert stored.content == ""
    with pytest.raises(Conflict):
        imports.confirm_import(stored, None, now=NOW)
    db.session.rollback()
    assert count(UsageRecord) == 0
    assert count(PresenceDay) == 0


def test_a_hub_column_must_name_the_import_hub(place):
    _import, report = preview(
        place,
        "tid;hub;e-post",
        "06.01.2025 09:00;regionlab-lister;kari@nav.no",
        "06.01.2025 09:00;RegionLab LISTER;ola@lyngdal.kommune.no",
        "06.01.2025 09:00;;kari@nav.no",
        "06.01.2025 09:00;sentrumsgarden;kari@nav.no",
    )

    assert report.bad == [
        (5, "The line is for “sentrumsgarden”, but this import is for RegionLab Lister.")
    ]
    assert (report.good, report.records, report.duplicates) == (3, 2, 1)


@pytest.mark.parametrize(
    "data",
    [
        csv_bytes("tid;e-post;plass", "06.01.2025 09:00;kari@nav.no;Cellekontor Ø"),
        b"\xef\xbb\xbf"
        + csv_bytes("tid;e-post;plass", "06.01.2025 09:00;kari@nav.no;Cellekontor Ø"),
        csv_bytes(
            "tid;e-post;plass", "06.01.2025 09:00;kari@nav.no;Cellekontor Ø", encoding="cp1252"
        ),
    ],
    ids=["utf-8", "utf-8 with BOM", "cp1252"],
)
def test_encodings(place, data):
    usage_import, report = imports.preview_import(place["hub"], "x.csv", data, None, now=NOW)

    assert report.bad == []
    assert report.records == 1
    assert usage_import.content.startswith("tid;")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"  \n", "The file is empty."),
        (b"PK\x03\x04\x00\x00binary", "This is not a CSV text file."),
        (b"x" * (imports.MAX_BYTES + 1), "The file is larger than 10 MB."),
        (csv_bytes("06.01.2025 09:00;kari@nav.no"), "The first line must name the columns"),
        (csv_bytes("tid;plass", "06.01.2025 09:00;Plass 1"), "no email or card column"),
        (csv_bytes("tid;e-post"), "The file has a header but no lines."),
    ],
)
def test_unreadable_files_are_refused_on_file_and_store_nothing(place, data, message):
    with pytest.raises(ValidationFailed) as caught:
        imports.preview_import(place["hub"], "x.csv", data, None, now=NOW)

    assert list(caught.value.errors) == ["file"]
    assert message in caught.value.errors["file"][0]
    db.session.rollback()
    assert count(UsageImport) == 0


def test_too_many_lines(place, monkeypatch):
    monkeypatch.setattr(imports, "MAX_LINES", 2)
    with pytest.raises(ValidationFailed) as caught:
        preview(place, "tid;e-post", *["06.01.2025 09:00;kari@nav.no"] * 3)

    assert caught.value.errors["file"] == [
        "The file has more than 2 lines. Split it into smaller files."
    ]


# --- the command line ---------------------------------------------------------------


def run(app, *args: str, **kwargs: Any):
    return app.test_cli_runner().invoke(args=["hub", "usage", *args], **kwargs)


def write(tmp_path, *lines: str):
    path = tmp_path / "kort.csv"
    path.write_bytes(csv_bytes(*lines))
    return path


def test_cli_lists_bad_lines_and_exits_1_without_changes_when_nothing_is_good(app, place, tmp_path):
    path = write(tmp_path, "tid;e-post", "06.01.2025 09:00;nobody@x.no", "i går;kari@nav.no")

    result = run(app, "import", str(path), "--hub", "regionlab-lister", "--yes")

    assert result.exit_code == 1
    assert "line 2: No person has the email nobody@x.no." in result.output
    assert "line 3: “i går” is not a time" in result.output
    assert "0 good lines" in result.output
    assert "2 bad lines" in result.output
    assert "Nothing was changed" in result.output
    db.session.rollback()
    assert count(UsageImport) == 0


def test_cli_answering_no_changes_nothing(app, place, tmp_path):
    path = write(tmp_path, *MIXED[:6])

    result = run(app, "import", str(path), "--hub", "regionlab-lister", input="n\n")

    assert result.exit_code == 1
    assert "Import 5 lines?" in result.output
    assert "Nothing was changed" in result.output
    db.session.rollback()
    assert count(UsageImport) == 0
    assert count(UsageRecord) == 0


def test_cli_imports_after_yes_with_a_progress_bar(app, place, tmp_path):
    path = write(tmp_path, *MIXED)

    result = run(app, "import", str(path), "--hub", "regionlab-lister", input="y\n")

    assert result.exit_code == 0, result.output
    assert "line 7: No person has the email nobody@x.no." in result.output
    assert "6 good lines (4 presence records, 2 repeated lines collapsed), 6 bad lines" in (
        result.output
    )
    assert "Importing" in result.output
    db.session.rollback()
    assert count(UsageRecord) == 4
    assert db.session.scalar(sa.select(UsageImport.status)) == ImportStatus.IMPORTED
    assert count(PresenceDay) == 4


def test_cli_yes_imports_without_asking(app, place, tmp_path):
    path = write(tmp_path, *MIXED[:3])

    result = run(app, "import", str(path), "--hub", "regionlab-lister", "--yes")

    assert result.exit_code == 0, result.output
    assert "?" not in result.output
    db.session.rollback()
    assert count(UsageRecord) == 1


def test_cli_unknown_hub(app, place, tmp_path):
    path = write(tmp_path, *MIXED[:3])

    result = run(app, "import", str(path), "--hub", "nowhere", "--yes")

    assert result.exit_code == 1
    assert "Nothing was changed" in result.output


def test_cli_rebuild(app, place, tmp_path):
    kari, desk = place["kari"], place["desk"]
    booking.create_booking(kari, desk, OPENS, OPENS + timedelta(hours=8), now=BEFORE)
    db.session.commit()
    before = snapshot()
    db.session.execute(sa.delete(UsageDay))
    db.session.commit()

    result = run(
        app, "rebuild", "--hub", "regionlab-lister", "--from", "2025-01-01", "--to", "2025-01-31"
    )

    assert result.exit_code == 0, result.output
    assert "read 1 bookings" in result.output
    db.session.rollback()
    assert snapshot() == before
    bad = run(
        app, "rebuild", "--hub", "regionlab-lister", "--from", "2025-01-31", "--to", "2025-01-01"
    )
    assert bad.exit_code == 1


# --- the admin pages ----------------------------------------------------------------


def upload(client, slug: str, data: bytes | None, filename: str = "kort.csv"):
    """POST the file as a browser does, with the body built in memory.

    (Given a file, werkzeug's test client spools a large body to a temporary
    file it never closes, which ``filterwarnings = error`` turns into a failure.)
    """
    boundary = "hub-usage-import-test"
    part = f'--{boundary}\r\nContent-Disposition: form-data; name="other"\r\n\r\nx\r\n'.encode()
    if data is not None:
        part = (
            (
                f"--{boundary}\r\n"
                f'Content-Disposition: form-data; name="file"; filename="{filename}"\r\n'
                "Content-Type: text/csv\r\n\r\n"
            ).encode()
            + data
            + b"\r\n"
        )
    return client.post(
        f"/admin/hubs/{slug}/usage-imports/new",
        data=part + f"--{boundary}--\r\n".encode(),
        content_type=f"multipart/form-data; boundary={boundary}",
    )


@pytest.fixture
def admin(make_user, login, place):
    user = make_user(hub=place["hub"], role=Role.ADMIN)
    login(user)
    return user


def test_upload_preview_confirm(client, admin, place):
    response = upload(client, "regionlab-lister", csv_bytes(*MIXED))

    assert response.status_code == 303
    usage_import = db.session.scalars(sa.select(UsageImport)).one()
    assert usage_import.created_by_id == admin.id
    page = client.get(response.headers["Location"])
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert html.count("<h1") == 1
    assert "No person has the email nobody@x.no." in html
    assert '<td class="numeric">7</td>' in html
    assert "Import 6 lines" in html
    assert count(UsageRecord) == 0

    csv_page = client.get(
        f"/admin/hubs/regionlab-lister/usage-imports/{usage_import.id}/bad-lines.csv"
    )
    assert csv_page.mimetype == "text/csv"
    assert "7,No person has the email nobody@x.no." in csv_page.get_data(as_text=True)

    done = client.post(f"/admin/hubs/regionlab-lister/usage-imports/{usage_import.id}/confirm")
    assert done.status_code == 303
    assert done.headers["Location"].endswith("/admin/hubs/regionlab-lister/usage-imports")
    db.session.rollback()
    assert count(UsageRecord) == 4
    assert db.session.get(UsageImport, usage_import.id).status == ImportStatus.IMPORTED
    listing = client.get("/admin/hubs/regionlab-lister/usage-imports").get_data(as_text=True)
    assert "kort.csv" in listing
    assert admin.name in listing
    assert "6 lines from kort.csv have been imported." in listing

    again = client.post(f"/admin/hubs/regionlab-lister/usage-imports/{usage_import.id}/confirm")
    assert again.status_code == 303
    db.session.rollback()
    assert count(UsageRecord) == 4


def test_a_file_without_good_lines_shows_the_report_and_no_import_button(client, admin, place):
    response = upload(client, "regionlab-lister", csv_bytes("tid;e-post", "i går;kari@nav.no"))

    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "“i går” is not a time" in html
    assert "/confirm" not in html
    assert "/discard" in html


def test_discard_from_the_page(client, admin, place):
    response = upload(client, "regionlab-lister", csv_bytes(*MIXED))
    usage_import = db.session.scalars(sa.select(UsageImport)).one()

    done = client.post(f"/admin/hubs/regionlab-lister/usage-imports/{usage_import.id}/discard")

    assert done.status_code == 303
    db.session.rollback()
    assert db.session.get(UsageImport, usage_import.id).status == ImportStatus.DISCARDED
    assert count(UsageRecord) == 0
    assert client.get(response.headers["Location"]).status_code == 200


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (None, "kort.csv", "Choose a CSV file."),
        (b"tid;e-post\n", "kort.xlsx", "Choose a CSV file (.csv or .txt)."),
        (b"tid;e-post\n", "kort.csv", "The file has a header but no lines."),
        (b"x" * (imports.MAX_BYTES + 1), "kort.csv", "The file is larger than 10 MB."),
    ],
    ids=["no file", "not csv", "no lines", "too large"],
)
def test_bad_uploads_are_422_next_to_the_field(client, admin, place, data, filename, message):
    response = upload(client, "regionlab-lister", data, filename)

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="file-error"' in html
    assert message in html
    assert count(UsageImport) == 0


def test_the_pages_are_for_the_hubs_admins_only(client, make_user, login, place):
    usage_import, _report = preview(place, *MIXED)
    db.session.commit()
    login(make_user(hub=place["hub"], role=Role.MEMBER))
    base = "/admin/hubs/regionlab-lister/usage-imports"

    for path in ("", "/new", f"/{usage_import.id}", f"/{usage_import.id}/bad-lines.csv"):
        assert client.get(base + path).status_code == 403, path
    assert upload(client, "regionlab-lister", csv_bytes(*MIXED)).status_code == 403
    assert client.post(f"{base}/{usage_import.id}/confirm").status_code == 403
    assert client.post(f"{base}/{usage_import.id}/discard").status_code == 403
    db.session.rollback()
    assert count(UsageImport) == 1
    assert count(UsageRecord) == 0


def test_an_import_of_another_hub_is_404(client, admin, place, make_user):
    other = imports.preview_import(place["other_hub"], "x.csv", csv_bytes(*MIXED), None, now=NOW)[0]
    db.session.commit()

    assert client.get(f"/admin/hubs/regionlab-lister/usage-imports/{other.id}").status_code == 404
    assert (
        client.post(f"/admin/hubs/regionlab-lister/usage-imports/{other.id}/confirm").status_code
        == 404
    )


# --- the API ------------------------------------------------------------------------


@pytest.fixture
def api_admin(person, place):
    return person(hub=place["hub"], role=Role.ADMIN)


def test_api_create_get_confirm_and_conflicts(api, api_admin, place):
    base = "/hubs/regionlab-lister/usage-imports"
    created = api(
        "POST", base, api_admin, json={"filename": "kort.csv", "content": "\n".join(MIXED)}
    )

    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["status"] == "previewed"
    assert (body["good_lines"], body["bad_lines"], body["records"]) == (6, 6, 4)
    assert body["problems"][0] == {"line": 7, "reason": "No person has the email nobody@x.no."}
    assert [p["line"] for p in body["problems"]] == [7, 8, 9, 10, 11, 12]
    assert body["created_by_id"] == api_admin.id
    assert count(UsageRecord) == 0

    one = api("GET", f"{base}/{body['id']}", api_admin).get_json()
    assert one["problems"] == body["problems"]
    listed = api("GET", base, api_admin).get_json()
    assert [item["id"] for item in listed] == [body["id"]]

    confirmed = api("POST", f"{base}/{body['id']}/confirm", api_admin)
    assert confirmed.status_code == 200, confirmed.get_json()
    assert confirmed.get_json()["status"] == "imported"
    db.session.rollback()
    assert count(UsageRecord) == 4
    assert count(PresenceDay) == 4

    assert api("POST", f"{base}/{body['id']}/confirm", api_admin).status_code == 409
    assert api("POST", f"{base}/{body['id']}/discard", api_admin).status_code == 409
    after = api("GET", f"{base}/{body['id']}", api_admin).get_json()
    assert (after["status"], after["problems"], after["records"]) == ("imported", [], None)
    db.session.rollback()
    assert count(UsageRecord) == 4


def test_api_discard(api, api_admin, place):
    base = "/hubs/regionlab-lister/usage-imports"
    body = api("POST", base, api_admin, json={"content": "\n".join(MIXED)}).get_json()

    discarded = api("POST", f"{base}/{body['id']}/discard", api_admin)

    assert discarded.status_code == 200
    assert discarded.get_json()["status"] == "discarded"
    assert api("POST", f"{base}/{body['id']}/confirm", api_admin).status_code == 409
    db.session.rollback()
    assert db.session.get(UsageImport, body["id"]).filename == "import.csv"
    assert count(UsageRecord) == 0


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"content": "tid;e-post\n"}, "content"),
        ({"content": ""}, "content"),
        ({"content": "tid;e-post\n", "extra": 1}, "extra"),
        ({"filename": "x.csv"}, "content"),
    ],
)
def test_api_bad_bodies_are_422_naming_the_field(api, api_admin, place, payload, field):
    response = api("POST", "/hubs/regionlab-lister/usage-imports", api_admin, json=payload)

    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]
    db.session.rollback()
    assert count(UsageImport) == 0


def test_api_is_for_the_hubs_admins_only(api, person, place):
    usage_import, _report = preview(place, *MIXED)
    db.session.commit()
    base = "/hubs/regionlab-lister/usage-imports"
    member = person(hub=place["hub"], role=Role.MEMBER)
    other_admin = person(hub=place["other_hub"], role=Role.ADMIN)

    for user in (member, other_admin):
        assert api("GET", base, user).status_code == 403
        created = api("POST", base, user, json={"content": "\n".join(MIXED)})
        assert created.status_code == 403
        assert api("POST", f"{base}/{usage_import.id}/confirm", user).status_code == 403
        assert api("POST", f"{base}/{usage_import.id}/discard", user).status_code == 403
    db.session.rollback()
    assert count(UsageImport) == 1
    assert count(UsageRecord) == 0


def test_api_operations_are_in_the_openapi_document(client, app):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]

    assert set(paths["/hubs/{slug}/usage-imports"]) == {"get", "post"}
    assert set(paths["/hubs/{slug}/usage-imports/{import_id}/confirm"]) == {"post"}
    assert set(paths["/hubs/{slug}/usage-imports/{import_id}/discard"]) == {"post"}
