"""Pure plan calculations against the seed forms' figures."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plans.calculations import milestones_total, pressure, split_cost_centres
from recovery.money import THOUSAND, format_thousands, parse_money


@pytest.mark.parametrize(
    ("budget", "outturn", "expected"),
    [
        ("-2", "397", "399"),  # seed 000: 397 − (−2) = 399, as printed
        ("18,473", "18,839", "366"),  # seed 001: "£366k final outturn overspend in 22/23"
        ("29,821", "31,752", "1,931"),  # seed 003
    ],
)
def test_pressure_from_the_seed_forms(budget, outturn, expected):
    result = pressure(
        previous_year_budget=parse_money(budget, multiplier=THOUSAND),
        previous_year_outturn=parse_money(outturn, multiplier=THOUSAND),
    )
    assert result == parse_money(expected, multiplier=THOUSAND)
    assert format_thousands(result) == expected


def test_seed_000_pressure_in_pounds():
    assert pressure(previous_year_budget=Decimal("-2000"), previous_year_outturn=Decimal("397000")) == Decimal("399000")


@pytest.mark.parametrize(
    ("budget", "outturn"),
    [(None, Decimal("397000")), (Decimal("-2000"), None), (None, None)],
)
def test_pressure_is_none_when_a_figure_is_missing(budget, outturn):
    assert pressure(previous_year_budget=budget, previous_year_outturn=outturn) is None


def test_pressure_of_zero_budget_is_the_outturn():
    assert pressure(previous_year_budget=Decimal(0), previous_year_outturn=Decimal("397000")) == Decimal("397000")


@given(
    st.decimals(min_value=-(10**9), max_value=10**9, places=2),
    st.decimals(min_value=-(10**9), max_value=10**9, places=2),
)
def test_pressure_is_outturn_minus_budget(budget, outturn):
    result = pressure(previous_year_budget=budget, previous_year_outturn=outturn)
    assert result + budget == outturn


def test_milestones_total_seed_003():
    amounts = [Decimal("18849.84"), Decimal("37699.68"), Decimal("17196.32"), Decimal("37079.72"), None]
    assert milestones_total(amounts) == Decimal("110825.56")
    assert milestones_total([]) == Decimal(0)


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("FF4104", ["FF4104"]),  # seed 000
        ("All Placements Cost Centres", ["All Placements Cost Centres"]),  # seed 001: free text, one item
        ("FF4104, FF4105", ["FF4104", "FF4105"]),
        ("FF4104;FF4105", ["FF4104", "FF4105"]),
        ("FF4104\nFF4105\r\n FF4106 ", ["FF4104", "FF4105", "FF4106"]),
        ("FF4104,,\n,", ["FF4104"]),
        ("", []),
        ("  \n ", []),
    ],
)
def test_split_cost_centres(text, codes):
    assert split_cost_centres(text) == codes
