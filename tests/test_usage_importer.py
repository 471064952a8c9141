"""The pure CSV reader of presence imports: formats, headers, and every bad-line code."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from hub.usage import importer
from hub.usage.importer import FileProblem, parse, sniff_delimiter

OSLO = "Europe/Oslo"
NOW = datetime(2030, 6, 1, 12, tzinfo=UTC)


def read(text: str, **kwargs) -> importer.ParsedFile:
    return parse(text, OSLO, NOW, **kwargs)


def codes(parsed: importer.ParsedFile) -> list[tuple[int, str]]:
    return [(p.line, p.code) for p in parsed.problems]


def test_comma_file_with_english_header():
    parsed = read(
        "time,email,space\n2030-01-07 08:15,Kari@NAV.no,Plass 1\n2030-01-07T09:00,ola@x.no,\n"
    )

    assert parsed.delimiter == ","
    assert parsed.columns == ("time", "email", "space")
    assert parsed.problems == []
    first, second = parsed.lines
    assert first.line == 2
    assert first.email == "kari@nav.no"
    assert first.space == "Plass 1"
    assert first.local_time == datetime(2030, 1, 7, 8, 15, tzinfo=first.local_time.tzinfo)
    assert first.seen_at == datetime(2030, 1, 7, 7, 15, tzinfo=UTC)  # CET is UTC+1
    assert first.day == date(2030, 1, 7)
    assert second.space is None
    assert second.card is None


def test_semicolon_file_with_norwegian_headers_in_any_case():
    parsed = read(
        "Tidspunkt;E-post;Kortnummer;HUB;Rom\n07.01.2030 08:15;;04A1;lister;Cellekontor\n"
    )

    assert parsed.delimiter == ";"
    assert parsed.columns == ("time", "email", "card", "hub", "space")
    (line,) = parsed.lines
    assert (line.email, line.card, line.hub, line.space) == (None, "04A1", "lister", "Cellekontor")
    assert line.seen_at == datetime(2030, 1, 7, 7, 15, tzinfo=UTC)


@pytest.mark.parametrize(
    "header",
    ["tid;epost", "time;e-post", "TID;Kort", "tid;card_id", "tid;card id", "tid;kortnummer"],
)
def test_every_header_name_is_understood(header):
    parsed = read(f"{header}\n2030-01-07 08:00;x@y.no\n")

    assert len(parsed.lines) == 1
    assert parsed.columns[0] == "time"


def test_a_byte_order_mark_and_crlf_line_ends_are_fine():
    parsed = read("\ufefftid;e-post\r\n07.01.2030 08:00;a@b.no\r\n\r\n08.01.2030 08:00;c@d.no\r\n")

    assert [line.line for line in parsed.lines] == [2, 4]
    assert parsed.data_lines == 2


def test_text_decoded_from_cp1252_keeps_norwegian_letters():
    data = "tid;e-post;plass\n07.01.2030 08:00;a@b.no;Møterom Æsir\n".encode("cp1252")

    parsed = read(data.decode("cp1252"))

    assert parsed.lines[0].space == "Møterom Æsir"


@pytest.mark.parametrize(
    ("value", "expected_utc"),
    [
        ("2030-01-07T08:15:00+01:00", datetime(2030, 1, 7, 7, 15, tzinfo=UTC)),
        ("2030-01-07T07:15:00Z", datetime(2030, 1, 7, 7, 15, tzinfo=UTC)),
        ("2030-01-07T08:15", datetime(2030, 1, 7, 7, 15, tzinfo=UTC)),
        ("2030-01-07 08:15:30", datetime(2030, 1, 7, 7, 15, 30, tzinfo=UTC)),
        ("2030-01-07 8:15", datetime(2030, 1, 7, 7, 15, tzinfo=UTC)),
        ("07.01.2030 08:15", datetime(2030, 1, 7, 7, 15, tzinfo=UTC)),
        ("7.1.2030 08.15", datetime(2030, 1, 7, 7, 15, tzinfo=UTC)),
        ("07.01.2030 08:15:30", datetime(2030, 1, 7, 7, 15, 30, tzinfo=UTC)),
        ("01.05.2030 08:15", datetime(2030, 5, 1, 6, 15, tzinfo=UTC)),  # summer time: UTC+2
        ("2030-01-07", datetime(2030, 1, 6, 23, tzinfo=UTC)),  # a date: the start of the day
    ],
)
def test_time_formats(value, expected_utc):
    parsed = read(f"time,email\n{value},a@b.no\n")

    assert parsed.problems == []
    assert parsed.lines[0].seen_at == expected_utc


def test_an_offset_time_belongs_to_the_local_day_of_the_hub():
    parsed = read("time,email\n2030-01-07T23:30:00Z,a@b.no\n")  # 00:30 on the 8th in Oslo

    assert parsed.lines[0].day == date(2030, 1, 8)


def test_the_header_may_follow_blank_lines_and_unknown_columns_are_ignored():
    parsed = read("\n\nDør;tid;navn;e-post\nHovedinngang;07.01.2030 08:00;Kari;a@b.no\n")

    assert parsed.columns == ("time", "email")
    assert parsed.lines[0].line == 4


def test_a_quoted_field_with_a_newline_keeps_the_physical_line_numbers():
    text = 'tid;e-post;plass\n07.01.2030 08:00;a@b.no;"Plass\n1"\n99.99.2030 08:00;c@d.no;\n'

    parsed = read(text)

    assert parsed.lines[0].line == 2
    assert codes(parsed) == [(4, importer.BAD_TIME)]


def test_each_bad_line_has_its_line_number_and_code():
    text = "\n".join(
        [
            "tid;e-post;kort;plass",  # 1
            "07.01.2030 08:00;a@b.no;;Plass 1",  # 2 good
            ";a@b.no;;",  # 3 no time
            "i går;a@b.no;;",  # 4 not a time
            "31.03.2030 02:30;a@b.no;;",  # 5 skipped by daylight saving time
            "02.06.2030 08:00;a@b.no;;",  # 6 in the future
            "07.01.2030 08:00;;;Plass 1",  # 7 no person
            "07.01.2030 08:00;not-an-email;;",  # 8 bad email
            "07.01.2030 08:00;a@b.no",  # 9 too few fields
            "07.01.2030 08:00;a@b.no;;;extra",  # 10 too many fields
            "",  # 11 blank: skipped, not bad
            "07.01.2030 08:00;a@b.no;;Plass 2;",  # 12 an empty extra field is fine
            "31.02.2030 08:00;a@b.no;;",  # 13 no such date
        ]
    )

    parsed = read(text)

    assert codes(parsed) == [
        (3, importer.NO_TIME),
        (4, importer.BAD_TIME),
        (5, importer.NO_SUCH_TIME),
        (6, importer.FUTURE),
        (7, importer.NO_PERSON),
        (8, importer.BAD_EMAIL),
        (9, importer.COLUMNS),
        (10, importer.COLUMNS),
        (13, importer.BAD_TIME),
    ]
    assert [line.line for line in parsed.lines] == [2, 12]
    assert parsed.data_lines == 11
    by_line = {p.line: p.params for p in parsed.problems}
    assert by_line[4] == {"value": "i går"}
    assert by_line[5] == {"value": "31.03.2030 02:30", "timezone": OSLO}
    assert by_line[9] == {"found": 2, "expected": 4}


def test_the_hour_repeated_when_summer_time_ends_is_accepted():
    parsed = read("tid;e-post\n28.10.2029 02:30;a@b.no\n")

    assert parsed.problems == []
    assert parsed.lines[0].day == date(2029, 10, 28)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", importer.EMPTY),
        ("\n \n", importer.EMPTY),
        ("tid;e-post\n", importer.NO_LINES),
        ("tid;e-post\n\n;\n", importer.NO_LINES),
        ("07.01.2030 08:00;a@b.no\n", importer.NO_HEADER),
        ("e-post;plass\na@b.no;Plass 1\n", importer.NO_TIME_COLUMN),
        ("tid;plass\n07.01.2030 08:00;Plass 1\n", importer.NO_PERSON_COLUMN),
        ("tid;tidspunkt;e-post\n", importer.DUPLICATE_COLUMN),
    ],
)
def test_file_problems(text, code):
    with pytest.raises(FileProblem) as caught:
        read(text)

    assert caught.value.code == code


def test_too_many_lines():
    text = "tid;e-post\n" + "07.01.2030 08:00;a@b.no\n" * 4

    assert read(text, max_lines=4).data_lines == 4
    with pytest.raises(FileProblem) as caught:
        read(text, max_lines=3)
    assert caught.value.code == importer.TOO_MANY_LINES
    assert caught.value.params == {"limit": 3}


@pytest.mark.parametrize(
    ("line", "delimiter"),
    [("a,b;c;d", ";"), ("a,b,c", ","), ("a\tb\tc", "\t"), ('"a;b",c', ","), ("abc", ",")],
)
def test_sniff_delimiter(line, delimiter):
    assert sniff_delimiter(line) == delimiter
