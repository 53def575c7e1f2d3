"""A dashboard that finds the figures: it opens on the latest quarter with figures, picks a year
among those with data (the demo: the plans in 2023/24, seed 002 in 2022/23, seed 004 in 2012/13),
marks the quarters with figures, and says what a year lacks and where it is. Drafts are private:
a draft plan or update makes no year or quarter "with data"."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitoring.figures import QUARTER_FIGURE_NAMES
from plans.models import DeficitRecoveryPlan, Directorate
from recovery.periods import FinancialYear, Period, Quarter
from recovery.reporting import selectors
from recovery.reporting.picker import YearKind
from recovery.worklist import selectors as worklist_selectors
from tests.factories import PlanFactory, PlanUpdateFactory, SchemeFactory, SchemeQuarterFactory

pytestmark = pytest.mark.django_db

SUBMITTED = DeficitRecoveryPlan.Status.SUBMITTED
SEED_002 = json.loads(
    (Path(__file__).resolve().parents[2] / "fixtures" / "seed_002_appendix.json").read_text(encoding="utf-8")
)
Q3_2022 = Period(FinancialYear(2022), Quarter.Q3)
LANDING = "/reports/dashboard/2022-23/Q3/"


def user(username: str):
    return get_user_model().objects.get(username=username)


def html_of(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def year_options(html: str) -> list[tuple[str, str, bool]]:
    """The year picker's options: (value, label, selected)."""
    select = re.search(r'<select[^>]*id="dashboard-year"[^>]*>(.*?)</select>', html, re.DOTALL)
    assert select is not None
    return [
        (value, label, bool(selected))
        for value, selected, label in re.findall(
            r'<option value="([^"]+)"( selected)?>([^<]+)</option>', select.group(1)
        )
    ]


def quarter_links(html: str) -> dict[str, tuple[str, bool]]:
    """The quarter picker: label -> (href, marked as having figures)."""
    nav = re.search(r'<nav aria-labelledby="dashboard-quarters-label">(.*?)</nav>', html, re.DOTALL)
    assert nav is not None
    return {
        label: (href, "(has figures)" in rest)
        for href, label, rest in re.findall(r'href="([^"]+)">(Q[1-4])(.*?)</a>', nav.group(1), re.DOTALL)
    }


def notices(html: str) -> list[str]:
    """The messages under the pickers, as text, with their links as (text)[href]."""
    found = re.findall(r'<div class="alert alert-\w+">\s*<p class="mb-0">(.*?)</p>', html, re.DOTALL)
    texts = []
    for notice in found:
        notice = re.sub(r'<a class="alert-link" href="([^"]+)">([^<]+)</a>', r"(\2)[\1]", notice)
        texts.append(" ".join(re.sub(r"<[^>]+>", "", notice).split()))
    return texts


@pytest.fixture
def finance_client(client, demo):
    client.force_login(user("finance"))
    return client


# Which quarters have figures ------------------------------------------------------------------------


@pytest.mark.parametrize("name", QUARTER_FIGURE_NAMES)
@pytest.mark.parametrize("amount", [Decimal(0), Decimal("1234.56")])
def test_one_figure_given_nil_included_makes_a_quarter_one_with_figures(name, amount):
    blank = dict.fromkeys(QUARTER_FIGURE_NAMES)
    SchemeQuarterFactory(quarter=3, rag="", **{**blank, name: amount})

    assert selectors.latest_period_with_figures() == Period(FinancialYear(2023), Quarter.Q3)


def test_a_rag_alone_makes_a_quarter_one_with_figures():
    SchemeQuarterFactory(quarter=4, rag="AMBER", **dict.fromkeys(QUARTER_FIGURE_NAMES))

    assert selectors.latest_period_with_figures() == Period(FinancialYear(2023), Quarter.Q4)


def test_a_row_with_no_figure_and_no_rag_does_not():
    SchemeQuarterFactory(scheme=SchemeFactory(financial_year=FinancialYear(2022)), quarter=1)
    SchemeQuarterFactory(quarter=4, rag="", commentary="Figures to follow.", **dict.fromkeys(QUARTER_FIGURE_NAMES))

    assert selectors.latest_period_with_figures() == Period(FinancialYear(2022), Quarter.Q1)


# Drafts are private ---------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["finance", "executive", "admin"])
def test_a_draft_plan_or_update_puts_no_year_or_quarter_in_the_picker(demo, username):
    manager = user("manager")
    draft = PlanFactory(financial_year=FinancialYear(2025), managers=[manager])
    submitted = PlanFactory(financial_year=FinancialYear(2026), status=SUBMITTED, managers=[manager])
    PlanUpdateFactory(plan=submitted, quarter=1, status="draft")
    PlanUpdateFactory(plan=submitted, quarter=2, status="returned")
    PlanUpdateFactory(plan=submitted, quarter=3, status="submitted")

    calendar = selectors.dashboard_calendar(user=user(username))

    assert FinancialYear(2025) not in calendar.years
    assert calendar.kind(FinancialYear(2026)) is YearKind.PLANS_ONLY
    assert sorted(p.quarter for p in calendar.update_periods if p.year == FinancialYear(2026)) == [Quarter.Q3]
    assert calendar.opening_period(FinancialYear(2026)) == Period(FinancialYear(2026), Quarter.Q3)
    draft.status = SUBMITTED
    draft.save()
    assert FinancialYear(2025) in selectors.dashboard_calendar(user=user(username)).years


def test_the_calendar_is_read_in_four_queries_however_much_data(demo, django_assert_num_queries):
    finance = user("finance")
    selectors.dashboard_calendar(user=finance)  # reads the user's roles once (as any page does)
    with django_assert_num_queries(4):
        selectors.dashboard_calendar(user=finance)
    for start in range(2014, 2020):
        plan = PlanFactory(financial_year=FinancialYear(start), status=SUBMITTED)
        PlanUpdateFactory(plan=plan, quarter=1 + start % 4, status="approved")
        SchemeQuarterFactory(scheme=SchemeFactory(financial_year=FinancialYear(start)), quarter=1 + start % 3)
    with django_assert_num_queries(4):
        calendar = selectors.dashboard_calendar(user=finance)
    assert len(calendar.years) == 3 + 6


# Where finance lands ----------------------------------------------------------------------------------


def test_finance_lands_on_seed_002s_quarter_with_its_achieved_to_date_as_the_ytd_actual(finance_client):
    achieved = sum(
        Decimal(row["achieved_to_date"]) * 1000
        for section in SEED_002["sections"]
        for row in section["schemes"]
        if row["achieved_to_date"] is not None
    )
    assert achieved == Decimal("11128400")  # £11,128.4k, from the rows

    response = finance_client.get("/reports/dashboard/", follow=True)

    assert response.redirect_chain[-1][0] == LANDING
    assert response.context["board"].figures.actual == achieved
    assert response.context["picker"].quarter_has_figures
    # My tasks (where "/" leads) is about the same quarter.
    assert worklist_selectors.latest_period() == Q3_2022
    tasks = html_of(finance_client.get(finance_client.get("/")["Location"]))
    assert "Schemes not rated in Q3 2022/23" in tasks


def test_a_later_quarter_whose_rows_hold_nothing_is_not_where_anyone_lands(finance_client):
    """A tracker with no figure columns (or grid rows saved with commentary only) for a later
    quarter used to make it the landing quarter: £0 everywhere and every scheme "not rated"."""
    for _ in range(3):
        SchemeQuarterFactory(
            scheme=SchemeFactory(financial_year=FinancialYear(2024)),
            quarter=1,
            rag="",
            commentary="Figures to follow.",
            **dict.fromkeys(QUARTER_FIGURE_NAMES),
        )

    assert finance_client.get("/reports/dashboard/")["Location"] == LANDING
    assert worklist_selectors.latest_period() == Q3_2022
    tasks = html_of(finance_client.get("/tasks/"))
    assert "Schemes not rated in Q3 2022/23" in tasks
    assert "2024/25" not in tasks
    # The year is in the picker all the same (it has schemes), opening on Q1 with a message.
    html = html_of(finance_client.get("/reports/dashboard/2024-25/Q1/"))
    assert ("2024/25", "2024/25 (schemes only)", True) in year_options(html)
    assert notices(html)[-1] == (
        "No scheme has figures or a RAG for Q1 2024/25 yet. No quarter of 2024/25 has figures yet; "
        "the latest are for (Q3 2022/23)[/reports/dashboard/2022-23/Q3/]."
    )


# The pickers ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["finance", "executive"])
def test_the_year_picker_lists_the_years_with_data_each_seed_in_its_own(client, demo, username):
    client.force_login(user(username))

    html = html_of(client.get(LANDING))

    assert year_options(html) == [
        ("2023/24", "2023/24 (plans only)", False),
        ("2022/23", "2022/23 (schemes only)", True),
        ("2012/13", "2012/13 (schemes only)", False),
    ]
    # Labelled, and a plain GET form with a button: it works without JavaScript.
    assert '<label class="form-label small mb-1" for="dashboard-year">Financial year</label>' in html
    form = re.search(r'<form method="get" action="([^"]+)"[^>]*>(.*?)</form>', html, re.DOTALL)
    assert form is not None
    assert form.group(1) == "/reports/dashboard/"
    assert '<button class="btn btn-outline-secondary" type="submit">Show year</button>' in form.group(2)


@pytest.mark.parametrize(
    ("query", "location"),
    [
        ({"year": "2023/24"}, "/reports/dashboard/2023-24/Q2/"),  # no figures: its latest published update
        ({"year": "2012-13"}, "/reports/dashboard/2012-13/Q2/"),
        ({"year": "2022/23"}, LANDING),
        ({"year": "2030/31"}, "/reports/dashboard/2030-31/Q1/"),  # a year with nothing: the page says so
        ({"year": "not a year"}, LANDING),
        ({"year": ""}, LANDING),
        ({}, LANDING),
    ],
)
def test_choosing_a_year_opens_its_quarter(finance_client, query, location):
    assert finance_client.get("/reports/dashboard/", query)["Location"] == location


@pytest.mark.parametrize(
    ("url", "location"),
    [
        ("/reports/dashboard/2023-24/", "/reports/dashboard/2023-24/Q2/"),
        ("/reports/dashboard/2012-13/", "/reports/dashboard/2012-13/Q2/"),
        ("/reports/dashboard/2022-23/", LANDING),
        ("/reports/dashboard/2030-31/", "/reports/dashboard/2030-31/Q1/"),
    ],
)
def test_a_year_without_a_quarter_in_the_url_opens_its_quarter(finance_client, url, location):
    assert finance_client.get(url)["Location"] == location
    assert finance_client.get(url, {"portfolio": "3"})["Location"] == f"{location}?portfolio=3"


def test_choosing_a_year_keeps_the_filters(finance_client):
    directorate = Directorate.objects.first()

    response = finance_client.get("/reports/dashboard/", {"year": "2012/13", "directorate": directorate.pk, "page": 2})

    assert response["Location"] == f"/reports/dashboard/2012-13/Q2/?directorate={directorate.pk}"
    html = html_of(finance_client.get(response["Location"]))
    assert f'<input type="hidden" name="directorate" value="{directorate.pk}">' in html
    assert quarter_links(html)["Q1"][0] == f"/reports/dashboard/2012-13/Q1/?directorate={directorate.pk}"


def test_the_quarters_with_figures_are_marked(finance_client):
    html = html_of(finance_client.get("/reports/dashboard/2022-23/Q1/"))

    assert quarter_links(html) == {
        "Q1": ("/reports/dashboard/2022-23/Q1/", False),
        "Q2": ("/reports/dashboard/2022-23/Q2/", False),
        "Q3": ("/reports/dashboard/2022-23/Q3/", True),
        "Q4": ("/reports/dashboard/2022-23/Q4/", False),
    }
    assert 'aria-current="page" href="/reports/dashboard/2022-23/Q1/"' in html
    assert notices(html)[-1] == (
        "No scheme has figures or a RAG for Q1 2022/23 yet. Quarters of 2022/23 with figures: "
        "(Q3)[/reports/dashboard/2022-23/Q3/]."
    )


# What a year lacks, and where it is ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "/reports/dashboard/2023-24/Q2/",
            [
                "2023/24 has recovery plans but no savings schemes, so no scheme has figures or a RAG for it. "
                "Savings schemes are in (2022/23)[/reports/dashboard/2022-23/Q3/], "
                "(2012/13)[/reports/dashboard/2012-13/Q2/]."
            ],
        ),
        (
            LANDING,
            [
                "2022/23 has savings schemes but no submitted recovery plans. "
                "Recovery plans are in (2023/24)[/reports/dashboard/2023-24/Q2/]."
            ],
        ),
        (
            "/reports/dashboard/2012-13/Q2/",
            [
                "2012/13 has savings schemes but no submitted recovery plans. "
                "Recovery plans are in (2023/24)[/reports/dashboard/2023-24/Q2/]."
            ],
        ),
        (
            "/reports/dashboard/2030-31/Q2/",
            [
                "There is nothing for 2030/31 yet: no savings schemes and no submitted recovery plans. "
                "Years with data: (2023/24 (plans only))[/reports/dashboard/2023-24/Q2/], "
                "(2022/23 (schemes only))[/reports/dashboard/2022-23/Q3/], "
                "(2012/13 (schemes only))[/reports/dashboard/2012-13/Q2/]."
            ],
        ),
    ],
)
def test_a_year_with_plans_or_schemes_only_or_nothing_says_so_and_links_to_the_years_that_have_them(
    finance_client, url, expected
):
    assert notices(html_of(finance_client.get(url))) == expected


def test_a_year_with_nothing_is_a_helpful_page_not_an_error(finance_client):
    response = finance_client.get("/reports/dashboard/1999-00/Q4/")

    html = html_of(response)
    assert "reporting/dashboard_no_data.html" in [template.name for template in response.templates]
    assert '<h1 class="h2 mb-0">Dashboard: Q4 1999/00</h1>' in html
    assert ("1999/00", "1999/00 (no data)", True) in year_options(html)


def test_a_year_with_both_says_nothing_about_what_it_lacks(finance_client):
    PlanFactory(financial_year=FinancialYear(2022), status=SUBMITTED)

    assert notices(html_of(finance_client.get(LANDING))) == []


def test_plans_but_no_schemes_anywhere(client, finance):
    PlanFactory(financial_year=FinancialYear(2023), status=SUBMITTED)
    client.force_login(finance)

    response = client.get("/reports/dashboard/")

    assert response["Location"] == "/reports/dashboard/2023-24/Q1/"
    assert notices(html_of(client.get(response["Location"]))) == [
        "2023/24 has recovery plans but no savings schemes, so no scheme has figures or a RAG for it. "
        "No year has savings schemes yet: finance can (import a savings tracker)[/monitoring/import/]."
    ]


# Any mix of years ---------------------------------------------------------------------------------------

YEAR_CONTENT = st.sampled_from(["none", "plans", "schemes", "both"])
STARTS = range(2019, 2023)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    contents=st.lists(YEAR_CONTENT, min_size=len(STARTS), max_size=len(STARTS)),
    figures=st.lists(st.sets(st.sampled_from(list(Quarter)), max_size=2), min_size=len(STARTS), max_size=len(STARTS)),
)
def test_any_mix_of_years_with_plans_schemes_both_or_none(client, finance, contents, figures):
    client.force_login(finance)
    with transaction.atomic():
        expected_latest = None
        for start, content, quarters in zip(STARTS, contents, figures, strict=True):
            year = FinancialYear(start)
            if content in ("plans", "both"):
                PlanFactory(financial_year=year, status=SUBMITTED)
                PlanFactory(financial_year=year)  # a draft besides: no difference
            if content in ("schemes", "both"):
                scheme = SchemeFactory(financial_year=year)
                for quarter in quarters:
                    SchemeQuarterFactory(scheme=scheme, quarter=quarter)
                    expected_latest = max(expected_latest or Period(year, quarter), Period(year, quarter))
        with_data = [FinancialYear(s) for s, c in zip(STARTS, contents, strict=True) if c != "none"]

        landing = client.get("/reports/dashboard/")

        if not with_data:
            assert landing.status_code == 200
            assert "reporting/dashboard_empty.html" in [template.name for template in landing.templates]
        else:
            if expected_latest is None:  # no figures anywhere: the latest year with data
                expected_latest = Period(max(with_data), Quarter.Q1)
            assert (
                landing["Location"]
                == f"/reports/dashboard/{str(expected_latest.year).replace('/', '-')}/{expected_latest.quarter.label}/"
            )
        for start, content in zip(STARTS, contents, strict=True):
            year = str(FinancialYear(start))
            html = html_of(client.get(f"/reports/dashboard/{year.replace('/', '-')}/Q1/"))
            options = year_options(html)
            assert [value for value, _, _ in options if value != year] == [
                str(y) for y in sorted(with_data, reverse=True) if str(y) != year
            ]
            said = " ".join(notices(html))
            assert ("has recovery plans but no savings schemes" in said) == (content == "plans")
            assert ("has savings schemes but no submitted recovery plans" in said) == (content == "schemes")
            assert (f"There is nothing for {year} yet" in said) == (content == "none")
            if content == "plans":
                others = [y for y, c in zip(STARTS, contents, strict=True) if c in ("schemes", "both")]
                assert [FinancialYear.parse(y) for y in re.findall(r"\((\d{4}/\d{2})\)\[", said)] == sorted(
                    (FinancialYear(y) for y in others), reverse=True
                )
        transaction.set_rollback(True)
