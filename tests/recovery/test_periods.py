"""Financial years, quarters and the free-ish milestone dates of the seed forms."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recovery.periods import FinancialYear, Period, Quarter, parse_due


@pytest.mark.parametrize("text", ["2022/23", "2022-23", "22/23", "2022/2023", " 2022 / 23 ", "2022"])
def test_financial_year_parse_accepts_the_ways_people_write_it(text):
    assert FinancialYear.parse(text) == FinancialYear(2022)


@pytest.mark.parametrize("text", ["2022/24", "2022/2024", "abc", "", "2022/", "23/22"])
def test_financial_year_parse_rejects_anything_else(text):
    with pytest.raises(ValueError, match="financial year"):
        FinancialYear.parse(text)


def test_financial_year_parse_takes_an_int_or_a_financial_year():
    assert FinancialYear.parse(2023) == FinancialYear(2023)
    year = FinancialYear(2019)
    assert FinancialYear.parse(year) is year


@pytest.mark.parametrize("start", [1899, 3000])
def test_financial_year_out_of_range(start):
    with pytest.raises(ValueError, match="out of range"):
        FinancialYear(start)


@pytest.mark.parametrize(
    ("start", "text", "short"),
    [(2023, "2023/24", "23/24"), (2022, "2022/23", "22/23"), (1999, "1999/00", "99/00"), (2009, "2009/10", "09/10")],
)
def test_financial_year_str(start, text, short):
    assert str(FinancialYear(start)) == text
    assert FinancialYear(start).short_label == short


def test_financial_year_bounds_previous_and_next():
    year = FinancialYear(2023)
    assert year.start_date == date(2023, 4, 1)
    assert year.end_date == date(2024, 3, 31)
    assert year.previous == FinancialYear(2022)
    assert year.next == FinancialYear(2024)
    assert FinancialYear(2022) < FinancialYear(2023)


@pytest.mark.parametrize(
    ("quarter", "end"),
    [
        (Quarter.Q1, date(2023, 6, 30)),
        (Quarter.Q2, date(2023, 9, 30)),
        (Quarter.Q3, date(2023, 12, 31)),
        # The seed prints "QUARTER 4 (to 31/03/23)" on a 2023/24 form: a typo for 31/03/24.
        (Quarter.Q4, date(2024, 3, 31)),
    ],
)
def test_quarter_end_dates(quarter, end):
    year = FinancialYear(2023)
    assert quarter.end_date(year) == end
    assert year.quarter_end(quarter) == end


@pytest.mark.parametrize(
    ("quarter", "start"),
    [
        (Quarter.Q1, date(2023, 4, 1)),
        (Quarter.Q2, date(2023, 7, 1)),
        (Quarter.Q3, date(2023, 10, 1)),
        (Quarter.Q4, date(2024, 1, 1)),
    ],
)
def test_quarter_start_dates(quarter, start):
    assert quarter.start_date(FinancialYear(2023)) == start


@pytest.mark.parametrize("text", ["Q2", "q2", "2", 2, "Quarter 2", " quarter2 "])
def test_quarter_parse(text):
    assert Quarter.parse(text) is Quarter.Q2


@pytest.mark.parametrize("text", ["Q5", "0", 5, "second", ""])
def test_quarter_parse_rejects(text):
    with pytest.raises(ValueError, match="not a quarter"):
        Quarter.parse(text)


def test_period_str_and_long_label():
    period = Period(FinancialYear(2023), Quarter.Q2)
    assert str(period) == "Q2 2023/24"
    assert period.long_label == "Quarter 2 (to 30/09/2023)"
    assert Period(FinancialYear(2023), Quarter.Q4).long_label == "Quarter 4 (to 31/03/2024)"


def test_period_previous():
    assert Period(FinancialYear(2023), Quarter.Q3).previous == Period(FinancialYear(2023), Quarter.Q2)
    assert Period(FinancialYear(2023), Quarter.Q1).previous == Period(FinancialYear(2022), Quarter.Q4)


@pytest.mark.parametrize(
    ("day", "year"),
    [
        (date(2024, 3, 31), FinancialYear(2023)),
        (date(2024, 4, 1), FinancialYear(2024)),
        (date(2023, 4, 1), FinancialYear(2023)),
        (date(2024, 1, 1), FinancialYear(2023)),
    ],
)
def test_financial_year_for_date_boundaries(day, year):
    assert FinancialYear.for_date(day) == year


@pytest.mark.parametrize(
    ("day", "period"),
    [
        (date(2024, 3, 31), Period(FinancialYear(2023), Quarter.Q4)),
        (date(2024, 4, 1), Period(FinancialYear(2024), Quarter.Q1)),
        (date(2023, 6, 30), Period(FinancialYear(2023), Quarter.Q1)),
        (date(2023, 7, 1), Period(FinancialYear(2023), Quarter.Q2)),
        (date(2023, 12, 31), Period(FinancialYear(2023), Quarter.Q3)),
    ],
)
def test_period_for_date_boundaries(day, period):
    assert Period.for_date(day) == period


@pytest.mark.parametrize(
    ("text", "due"),
    [
        ("December 23", date(2023, 12, 31)),  # seed 003
        ("November 23", date(2023, 11, 30)),  # seed 003
        ("January 24", date(2024, 1, 31)),  # seed 003
        ("2023/2024", date(2024, 3, 31)),  # seed 000: a financial year means its last day
        ("2023/24", date(2024, 3, 31)),
        ("31/12/2023", date(2023, 12, 31)),
        ("2023-12-31", date(2023, 12, 31)),
        ("February 2024", date(2024, 2, 29)),
        ("Sept 23", date(2023, 9, 30)),
    ],
)
def test_parse_due(text, due):
    assert parse_due(text) == due


@pytest.mark.parametrize("text", ["", "   ", "soon", "Smarch 23", "31/02/2023", "2023", "2022/24"])
def test_parse_due_returns_none_for_what_it_cannot_read(text):
    assert parse_due(text) is None


@given(st.integers(min_value=1900, max_value=2998))
def test_financial_year_round_trips_through_its_text(start):
    year = FinancialYear(start)
    assert FinancialYear.parse(str(year)) == year


@given(st.dates(min_value=date(1900, 4, 1), max_value=date(2999, 12, 31)))
def test_every_date_falls_in_exactly_one_period(day):
    period = Period.for_date(day)
    assert period.end_date >= day
    assert period.quarter.start_date(period.year) <= day
    assert period.year.contains(day)
    # The quarter before ends before the day: the day is in this quarter and no other.
    if day >= date(1900, 7, 1):
        assert period.previous.end_date < day
    containing = [
        quarter for quarter in Quarter if quarter.start_date(period.year) <= day <= quarter.end_date(period.year)
    ]
    assert containing == [period.quarter]


@given(st.dates(min_value=date(1900, 4, 1), max_value=date(2999, 3, 30)))
def test_consecutive_days_are_in_the_same_or_the_next_period(day):
    today, tomorrow = Period.for_date(day), Period.for_date(day + timedelta(days=1))
    assert tomorrow == today or tomorrow.previous == today


# Milestone dates as managers type them: dd/mm/yy (a two-digit year is this century), dd/mm/yyyy,
# with slashes, dots or hyphens; a month and a year means the month's last day.


@pytest.mark.parametrize(
    ("text", "due"),
    [
        ("31/12/23", date(2023, 12, 31)),
        ("1/4/24", date(2024, 4, 1)),
        ("01/04/24", date(2024, 4, 1)),
        ("31.03.24", date(2024, 3, 31)),
        ("30-06-23", date(2023, 6, 30)),
        ("29/02/24", date(2024, 2, 29)),
        ("31/03/00", date(2000, 3, 31)),
        ("31/03/99", date(2099, 3, 31)),
        ("5/11/2023", date(2023, 11, 5)),
        ("2024-3-1", date(2024, 3, 1)),
        ("31/12/23.", date(2023, 12, 31)),  # a sentence's full stop
        ("  31/12/23  ", date(2023, 12, 31)),
        ("Dec 23", date(2023, 12, 31)),
        ("Dec. 23", date(2023, 12, 31)),
        ("June '24", date(2024, 6, 30)),
        ("sept 2023", date(2023, 9, 30)),
        ("February 23", date(2023, 2, 28)),
        ("April 2024", date(2024, 4, 30)),
        ("2024/25", date(2025, 3, 31)),
        ("24/25", date(2025, 3, 31)),
    ],
)
def test_parse_due_dd_mm_yy_and_months(text, due):
    assert parse_due(text) == due


@pytest.mark.parametrize(
    "text",
    ["29/02/23", "31/04/24", "0/1/24", "1/13/24", "32/01/24", "31/12/123", "Smarch 2024", "31/12/23X", "Dec 23X"],
)
def test_parse_due_refuses_a_date_that_does_not_exist(text):
    assert parse_due(text) is None


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)))
def test_parse_due_reads_every_date_written_dd_mm_yy(day):
    assert parse_due(f"{day:%d/%m/%y}") == day
    assert parse_due(f"{day.day}/{day.month}/{day:%y}") == day
    assert parse_due(f"{day:%d/%m/%Y}") == day
    assert parse_due(f"{day:%Y-%m-%d}") == day


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)))
def test_parse_due_of_a_month_is_its_last_day(day):
    due = parse_due(f"{day:%B %y}")
    assert due is not None
    assert (due.year, due.month) == (day.year, day.month)
    assert due.day == calendar.monthrange(day.year, day.month)[1]
    assert parse_due(f"{day:%b %Y}") == due


def test_financial_year_range_and_containment_at_the_edges():
    assert FinancialYear(2999).start_year == 2999
    assert FinancialYear(1900).start_year == 1900
    with pytest.raises(ValueError, match="out of range"):
        FinancialYear(3000)
    year = FinancialYear(2023)
    assert year.contains(date(2023, 4, 1))
    assert year.contains(date(2024, 3, 31))
    assert not year.contains(date(2023, 3, 31))
    assert not year.contains(date(2024, 4, 1))


@pytest.mark.parametrize("text", ["2022/2123", "2022/1923", "22/2123"])
def test_financial_year_parse_rejects_a_four_digit_second_year_of_another_century(text):
    with pytest.raises(ValueError, match="must follow the first"):
        FinancialYear.parse(text)


@pytest.mark.parametrize("value", [True, False])
def test_a_boolean_is_not_a_year_or_a_quarter(value):
    with pytest.raises(ValueError, match="is not a financial year"):
        FinancialYear.parse(value)
    with pytest.raises(ValueError, match="is not a quarter"):
        Quarter.parse(value)
