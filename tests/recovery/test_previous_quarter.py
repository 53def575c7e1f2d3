""" "Last quarter" within a financial year, worked out once from Period.previous."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from recovery.periods import FinancialYear, Period, Quarter

periods = st.builds(
    Period, st.integers(min_value=1990, max_value=2090).map(FinancialYear), st.sampled_from(list(Quarter))
)


@given(periods)
def test_the_previous_quarter_in_the_year(period):
    earlier = period.previous_in_year
    if period.quarter is Quarter.Q1:
        assert earlier is None
        assert period.with_previous_in_year == [Quarter.Q1]
    else:
        assert earlier == period.previous
        assert earlier.year == period.year
        assert earlier.quarter == period.quarter - 1
        assert period.with_previous_in_year == [period.quarter, earlier.quarter]
