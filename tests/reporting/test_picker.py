"""Where the dashboard opens and what its year and quarter pickers offer, decided from which
years have plans and schemes and which quarters have figures (recovery.reporting.picker: pure)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recovery.periods import FinancialYear, Period, Quarter
from recovery.reporting.picker import DataCalendar, YearKind

YEARS = [FinancialYear(start) for start in range(2010, 2017)]
years = st.frozensets(st.sampled_from(YEARS), max_size=5)
periods = st.frozensets(st.builds(Period, st.sampled_from(YEARS), st.sampled_from(list(Quarter))), max_size=8)


@st.composite
def calendars(draw: st.DrawFn) -> DataCalendar:
    """Any mix: years with plans only, schemes only, both or neither; quarters with figures in
    years with schemes, quarters with plan updates in years with plans (and sometimes not: the
    calendar then counts the year as having schemes or plans)."""
    return DataCalendar(
        plan_years=draw(years), scheme_years=draw(years), figure_periods=draw(periods), update_periods=draw(periods)
    )


def _latest_quarter(found: frozenset[Period], year: FinancialYear) -> Quarter | None:
    quarters = [period.quarter.value for period in found if period.year == year]
    return Quarter(max(quarters)) if quarters else None


@settings(max_examples=50, deadline=None)
@given(calendars())
def test_the_years_are_every_year_with_plans_or_schemes_latest_first(calendar):
    expected = (
        {period.year for period in calendar.figure_periods | calendar.update_periods}
        | calendar.plan_years
        | calendar.scheme_years
    )

    assert calendar.years == sorted(expected, key=lambda year: -year.start_year)


@settings(max_examples=50, deadline=None)
@given(calendars())
def test_it_opens_on_the_latest_quarter_with_figures(calendar):
    latest = calendar.latest_period()

    if calendar.figure_periods:
        assert latest in calendar.figure_periods
        assert all(
            (period.year.start_year, period.quarter.value) <= (latest.year.start_year, latest.quarter.value)
            for period in calendar.figure_periods
        )
    elif calendar.years:
        # No figures anywhere: the latest year with data, at the quarter that year opens on.
        assert latest == Period(calendar.years[0], calendar.opening_quarter(calendar.years[0]))
    else:
        assert latest is None


@settings(max_examples=50, deadline=None)
@given(calendars())
def test_a_year_opens_on_its_latest_quarter_with_figures_else_with_an_update_else_q1(calendar):
    for year in YEARS:
        with_figures = _latest_quarter(calendar.figure_periods, year)
        with_updates = _latest_quarter(calendar.update_periods, year)

        assert calendar.opening_quarter(year) == (with_figures or with_updates or Quarter.Q1)


@settings(max_examples=50, deadline=None)
@given(calendars())
def test_each_year_is_classified_by_what_it_holds(calendar):
    for year in YEARS:
        has_plans = year in calendar.plan_years or any(p.year == year for p in calendar.update_periods)
        has_schemes = year in calendar.scheme_years or any(p.year == year for p in calendar.figure_periods)
        expected = {
            (True, True): YearKind.BOTH,
            (True, False): YearKind.PLANS_ONLY,
            (False, True): YearKind.SCHEMES_ONLY,
            (False, False): YearKind.NOTHING,
        }[has_plans, has_schemes]

        assert calendar.kind(year) is expected


@settings(max_examples=50, deadline=None)
@given(calendars(), st.sampled_from(YEARS), st.sampled_from(list(Quarter)))
def test_the_picker_offers_every_year_with_data_and_marks_the_quarters_with_figures(calendar, year, quarter):
    period = Period(year, quarter)

    picker = calendar.picker(period)

    # The year picker: every year with data (and the page's own, even when it has none), one selected,
    # each leading to the quarter it opens on.
    assert [choice.year for choice in picker.years] == sorted({*calendar.years, year}, key=lambda y: -y.start_year)
    assert [choice.year for choice in picker.years if choice.selected] == [year]
    assert all(choice.period == Period(choice.year, calendar.opening_quarter(choice.year)) for choice in picker.years)
    assert all(choice.kind is calendar.kind(choice.year) for choice in picker.years)
    assert [choice.year for choice in picker.other_years] == [other for other in calendar.years if other != year]
    # The quarter picker: Q1–Q4 of the year, the page's quarter selected, those with figures marked.
    assert [choice.period for choice in picker.quarters] == [Period(year, q) for q in Quarter]
    assert [choice.period.quarter for choice in picker.quarters if choice.selected] == [quarter]
    assert [choice.period for choice in picker.figure_quarters] == sorted(
        p for p in calendar.figure_periods if p.year == year
    )
    assert picker.quarter_has_figures == (period in calendar.figure_periods)
    # The messages' links: the other years that have plans, and that have schemes.
    assert [choice.year for choice in picker.plan_years] == [
        y for y in calendar.years if y in calendar.plan_years and y != year
    ]
    assert [choice.year for choice in picker.scheme_years] == [
        y for y in calendar.years if y in calendar.scheme_years and y != year
    ]
    assert picker.kind is calendar.kind(year)
    assert picker.latest == (max(calendar.figure_periods) if calendar.figure_periods else None)


Y2012, Y2022, Y2023, Y2030 = FinancialYear(2012), FinancialYear(2022), FinancialYear(2023), FinancialYear(2030)
# The demo: seed 004 in 2012/13 (Q2), seed 002 in 2022/23 (Q3), the plans in 2023/24 (a Q2 update).
DEMO = DataCalendar(
    plan_years=frozenset({Y2023}),
    scheme_years=frozenset({Y2012, Y2022}),
    figure_periods=frozenset({Period(Y2012, Quarter.Q2), Period(Y2022, Quarter.Q3)}),
    update_periods=frozenset({Period(Y2023, Quarter.Q2)}),
)


@pytest.mark.parametrize(
    ("year", "kind", "label", "plan_links", "scheme_links"),
    [
        (Y2023, YearKind.PLANS_ONLY, "2023/24 (plans only)", [], [Y2022, Y2012]),
        (Y2022, YearKind.SCHEMES_ONLY, "2022/23 (schemes only)", [Y2023], [Y2012]),
        (Y2012, YearKind.SCHEMES_ONLY, "2012/13 (schemes only)", [Y2023], [Y2022]),
        (Y2030, YearKind.NOTHING, "2030/31 (no data)", [Y2023], [Y2022, Y2012]),
    ],
)
def test_each_seed_stays_in_its_own_year(year, kind, label, plan_links, scheme_links):
    picker = DEMO.picker(Period(year, Quarter.Q1))

    assert picker.kind is kind
    assert next(choice.label for choice in picker.years if choice.selected) == label
    assert [choice.year for choice in picker.plan_years] == plan_links
    assert [choice.year for choice in picker.scheme_years] == scheme_links


def test_the_demo_opens_on_seed_002s_quarter_and_each_year_on_its_own():
    assert DEMO.latest_period() == Period(Y2022, Quarter.Q3)
    assert DEMO.opening_period(Y2012) == Period(Y2012, Quarter.Q2)
    assert DEMO.opening_period(Y2023) == Period(Y2023, Quarter.Q2)  # no figures: its latest update
    assert DEMO.opening_period(Y2030) == Period(Y2030, Quarter.Q1)
    assert [choice.year for choice in DEMO.picker(DEMO.latest_period()).years] == [Y2023, Y2022, Y2012]


@pytest.mark.parametrize(
    ("calendar", "latest"),
    [
        (DataCalendar(), None),  # nothing at all
        (DataCalendar(plan_years=frozenset({Y2022, Y2023})), Period(Y2023, Quarter.Q1)),  # plans only
        (DataCalendar(scheme_years=frozenset({Y2012})), Period(Y2012, Quarter.Q1)),  # schemes, no figures
        (
            DataCalendar(
                plan_years=frozenset({Y2030}),
                scheme_years=frozenset({Y2023}),
                figure_periods=frozenset({Period(Y2012, Quarter.Q4), Period(Y2022, Quarter.Q1)}),
            ),
            Period(Y2022, Quarter.Q1),  # figures win over later years without them
        ),
        (
            DataCalendar(figure_periods=frozenset({Period(Y2022, Quarter.Q2), Period(Y2022, Quarter.Q4)})),
            Period(Y2022, Quarter.Q4),
        ),
    ],
)
def test_latest_quarter_choice(calendar, latest):
    assert calendar.latest_period() == latest


def test_a_year_label_says_what_it_holds():
    calendar = DataCalendar(plan_years=frozenset({Y2022, Y2023}), scheme_years=frozenset({Y2022, Y2012}))

    labels = [choice.label for choice in calendar.picker(Period(Y2030, Quarter.Q1)).years]

    assert labels == ["2030/31 (no data)", "2023/24 (plans only)", "2022/23", "2012/13 (schemes only)"]
