"""Pure rules, tested with plain data (no app, no database)."""

from datetime import UTC, date, datetime, time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.accounts import membership_rules, orgnr
from hub.finance.periods import add_months, amortization_end
from hub.money import format_nok, ore_to_input, parse_nok
from hub.spaces import opening

# Real organisation numbers of agencies in the demo data.
REAL_NUMBERS = ["889640782", "974761076", "974760673", "970205039", "974760746", "970422528"]


@pytest.mark.parametrize("number", REAL_NUMBERS)
def test_real_organisation_numbers_pass_mod11(number):
    assert orgnr.is_valid(number)


@pytest.mark.parametrize(
    ("written", "digits"),
    [
        ("974 760 673", "974760673"),
        ("NO 974 760 673 MVA", "974760673"),
        ("974760673mva", "974760673"),
    ],
)
def test_written_forms_normalize(written, digits):
    assert orgnr.normalize(written) == digits
    assert orgnr.is_valid(written)


@pytest.mark.parametrize(
    "bad", ["123456789", "97476067", "9747606730", "97476067x", "", "974-760-673"]
)
def test_invalid_organisation_numbers(bad):
    assert not orgnr.is_valid(bad)


@given(st.text(alphabet="0123456789", min_size=8, max_size=8))
def test_exactly_one_check_digit_or_none(first_eight):
    valid = [d for d in range(10) if orgnr.is_valid(first_eight + str(d))]
    expected = orgnr.check_digit(first_eight)
    assert valid == ([] if expected is None else [expected])


@pytest.mark.parametrize(
    ("a", "b", "overlap"),
    [
        ((date(2025, 1, 1), date(2025, 12, 31)), (date(2026, 1, 1), None), False),
        ((date(2025, 1, 1), date(2025, 12, 31)), (date(2025, 12, 31), None), True),
        ((date(2025, 1, 1), None), (date(2030, 1, 1), date(2030, 2, 1)), True),
        ((date(2025, 3, 1), date(2025, 3, 31)), (date(2025, 1, 1), date(2025, 2, 28)), False),
    ],
)
def test_membership_ranges_overlap_inclusive(a, b, overlap):
    assert membership_rules.ranges_overlap(*a, *b) is overlap
    assert membership_rules.ranges_overlap(*b, *a) is overlap


def test_terms_not_allowed_by_kind():
    assert membership_rules.terms_not_allowed("guest", {"yearly_amount_ore": 100}) == [
        "yearly_amount_ore"
    ]
    assert (
        membership_rules.terms_not_allowed("partner", {"yearly_amount_ore": 100, "cap_ore": 5})
        == []
    )
    assert membership_rules.terms_not_allowed("host", {"carries_residual": False}) == []
    assert membership_rules.terms_not_allowed("host", {"carries_residual": True}) == [
        "carries_residual"
    ]


@pytest.mark.parametrize(
    ("text", "ore"),
    [
        ("12500", 1250000),
        ("12 500,50", 1250050),
        ("12500.5", 1250050),
        ("kr 1 000", 100000),
        ("0", 0),
    ],
)
def test_parse_nok(text, ore):
    assert parse_nok(text) == ore


@pytest.mark.parametrize("bad", ["12,345,67", "abc", "1.2.3", "12,505", ""])
def test_parse_nok_rejects(bad):
    with pytest.raises(ValueError):
        parse_nok(bad)


@given(st.integers(min_value=0, max_value=10**12))
def test_nok_input_round_trip(ore):
    assert parse_nok(ore_to_input(ore)) == ore


def test_format_nok_groups_thousands():
    assert format_nok(123456789) == "kr\u00a01\u00a0234\u00a0567,89"
    assert format_nok(-50) == "kr\u00a0-0,50"


def test_opening_interval_is_right_across_daylight_saving():
    weekly = {0: (time(8), time(16))}
    # Monday 30 March 2026 is summer time (UTC+2); Monday 26 October 2026 winter (UTC+1).
    summer = opening.opening_interval(date(2026, 3, 30), weekly, "Europe/Oslo")
    winter = opening.opening_interval(date(2026, 10, 26), weekly, "Europe/Oslo")
    assert summer == (datetime(2026, 3, 30, 6, tzinfo=UTC), datetime(2026, 3, 30, 14, tzinfo=UTC))
    assert winter == (datetime(2026, 10, 26, 7, tzinfo=UTC), datetime(2026, 10, 26, 15, tzinfo=UTC))


def test_closed_on_holidays_weekends_and_marked_days():
    weekly = opening.DEFAULT_WEEKLY_HOURS
    assert not opening.is_open_day(date(2026, 5, 14), weekly)  # Ascension Day (Thursday)
    assert not opening.is_open_day(date(2026, 5, 17), weekly)  # Constitution Day (Sunday)
    assert not opening.is_open_day(date(2026, 11, 28), weekly)  # Saturday
    assert opening.is_open_day(date(2026, 11, 27), weekly)
    assert not opening.is_open_day(date(2026, 11, 27), weekly, {date(2026, 11, 27)})


def test_public_holidays_in_norwegian():
    names = opening.public_holidays(2026)
    assert names[date(2026, 5, 17)] == "Grunnlovsdag"
    assert len(names) == 12


def test_timezone_check():
    assert opening.is_valid_timezone("Europe/Oslo")
    assert not opening.is_valid_timezone("Europe/Lyngdal")


@pytest.mark.parametrize(
    ("start", "months", "end"),
    [
        (date(2025, 1, 1), 36, date(2027, 12, 31)),
        (date(2024, 1, 31), 1, date(2024, 2, 28)),  # clamped to 29 Feb, minus a day
        (date(2025, 7, 1), 12, date(2026, 6, 30)),
    ],
)
def test_amortization_end(start, months, end):
    assert amortization_end(start, months) == end


def test_add_months_clamps_to_month_end():
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2025, 11, 30), 3) == date(2026, 2, 28)
