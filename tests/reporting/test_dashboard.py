"""The dashboard: seed 004's quarter at a glance, with the same figures as the reports; filters,
RAG movement, plans not yet updated, where "/" and /reports/dashboard/ lead, and query counts."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from monitoring.models import PlanUpdate, Scheme, SchemeQuarter
from plans.models import DeficitRecoveryPlan, Directorate, Portfolio
from recovery.periods import FinancialYear, Period, Quarter
from recovery.rag import Movement
from recovery.reporting import builders, selectors
from tests.factories import PlanFactory, PlanUpdateFactory, SchemeFactory, SchemeQuarterFactory, UserFactory
from tests.reporting.seeds import APPENDIX_TOTALS, multiply_schemes

pytestmark = pytest.mark.django_db

Q2_2012 = Period(FinancialYear(2012), Quarter.Q2)
Q3_2022 = Period(FinancialYear(2022), Quarter.Q3)
DASHBOARD = "/reports/dashboard/2012-13/Q2/"
DASHBOARD_2023_Q3 = "/reports/dashboard/2023-24/Q3/"

# Seed 004 as printed: per RAG the number of schemes and the value of their targets (pounds).
SEED_004_RAG = {"red": ("5", "2,518,338"), "amber": ("16", "2,634,805"), "green": ("13", "2,366,559")}
SEED_004_TILES = {
    "Full-year target": "£7,956,000",
    "YTD profile": "£1,849,232",
    "YTD actual": "£1,691,122",
    "Shortfall against profile": "£158,110",
    "Unallocated balance": "£436,298",
    "Schemes": "34",
}
# The demo's three 2023/24 plans (seeds 000, 001, 003): none has a submitted Q3 update.
PLANS_2023 = {
    "Adult Social care assessment costs and income shortfall 2023/24": "Draft",
    "Children’s Placements 2023/24": "Not started",
    "Children’s Staffing 2023/24": "Draft",
}


def user(username: str):
    return get_user_model().objects.get(username=username)


@pytest.fixture
def executive_client(client, demo):
    client.force_login(user("executive"))
    return client


def rag_table(html: str) -> dict[str, tuple[str, str]]:
    """The RAG table's rows: rag -> (schemes, value)."""
    rows = re.findall(
        r'<span class="badge rag rag-(\w+)">\w+</span>\s*</th><td class="text-end">(\d+)</td>'
        r'<td class="text-end">([\d,]+)</td>',
        html,
    )
    return {rag: (count, value) for rag, count, value in rows}


def tiles(html: str) -> dict[str, str]:
    return dict(re.findall(r'<span class="tile-label">([^<]+)</span><span class="tile-value">([^<]+)</span>', html))


def movement_table(html: str) -> dict[str, int]:
    found = re.findall(r"(Improved|Worsened|Unchanged|No previous rating)</th><td class=\"text-end\">(\d+)</td>", html)
    return {label: int(count) for label, count in found}


def not_updated_items(html: str) -> list[str]:
    match = re.search(r'id="not-updated-title">.*?</h2>(.*?)</section>', html, re.DOTALL)
    assert match is not None
    return re.findall(r"<li>(.*?)</li>", match.group(1), re.DOTALL)


# The seed's quarter ------------------------------------------------------------------------------


def test_dashboard_shows_seed_004s_figures(executive_client):
    response = executive_client.get(DASHBOARD)

    assert response.status_code == 200
    html = response.content.decode()
    assert rag_table(html) == {**SEED_004_RAG, "blue": ("0", "0")}
    assert tiles(html) == SEED_004_TILES
    # Shares of the total target, one decimal, half-up (31.65% -> 31.7%, not the seed's 31.6%).
    for share in ("31.7%", "33.1%", "29.7%", "23.2% of target", "21.3% of target", "5.5% of target"):
        assert share in html


def test_dashboard_profile_chart_table_has_target_profile_and_actual(executive_client):
    html = executive_client.get(DASHBOARD).content.decode()

    table = re.search(r"<caption>Target, profile and actual, Q2 2012/13</caption>.*?</table>", html, re.DOTALL)
    assert table is not None
    rows = dict(re.findall(r'<th scope="row">([^<]+)</th><td class="text-end">([\d,]+)</td></tr>', table.group(0)))
    assert rows == {"Full-year target": "7,956,000", "YTD profile": "1,849,232", "YTD actual": "1,691,122"}
    # The bars say the same in £m.
    for text in ("£7.956m", "£1.849m", "£1.691m", "£2.518m (5)", "£2.635m (16)", "£2.367m (13)"):
        assert text in html


def test_every_chart_is_an_accessible_svg_with_a_table_beside_it(client, demo):
    client.force_login(user("finance"))
    # Seed 002's quarter: six service areas, so six forecast charts.
    html = client.get("/reports/dashboard/2022-23/Q3/").content.decode()

    svgs = re.findall(r"<svg\b([^>]*)>(.*?)</svg>", html, re.DOTALL)
    assert len(svgs) == 2 + len(APPENDIX_TOTALS)
    ids = []
    for attributes, body in svgs:
        assert 'role="img"' in attributes
        labelled_by = re.search(r'aria-labelledby="([^"]+)"', attributes)
        assert labelled_by is not None
        assert re.search(rf'<title id="{re.escape(labelled_by.group(1))}">[^<]+</title>', body)
        ids.append(labelled_by.group(1))
    assert len(set(ids)) == len(ids), "each chart's title needs an id of its own"
    sections = re.findall(r'<section class="col-xl-6"[^>]*>(.*?)</section>', html, re.DOTALL)
    charted = [section for section in sections if "<svg" in section]
    assert len(charted) == 3  # RAG, profile, forecast by service area
    for section in charted:
        assert re.search(r"<table\b[^>]*>\s*<caption>[^<]+</caption>", section)


def test_forecast_by_service_area_is_seed_002s_section_totals(client, demo):
    client.force_login(user("finance"))
    html = client.get("/reports/dashboard/2022-23/Q3/").content.decode()

    match = re.search(r"<caption>Forecast for the year and target by service area.*?</table>", html, re.DOTALL)
    assert match is not None
    rows = re.findall(
        r'<th scope="row">([^<]+)</th><td class="text-end">([\d,]+)</td><td class="text-end">([\d,]+)</td>',
        match.group(0),
    )
    shown = {area: (target, forecast) for area, target, forecast in rows}
    # Computed from the rows: Adults with a Disability forecasts 4,338,000 (the seed prints 4,312).
    assert shown == {
        area: (f"{int(target):,}", f"{int(forecast):,}") for area, (target, forecast, _, _) in APPENDIX_TOTALS.items()
    }


def test_dashboard_figures_are_the_transformation_reports(executive_client):
    response = executive_client.get(DASHBOARD)
    figures = response.context["board"].figures

    assert figures == builders.transformation_figures(selectors.scheme_lines(period=Q2_2012))
    report = selectors.transformation_report(period=Q2_2012)
    total = next(section for section in report.sections if section.key == "total").total
    assert total is not None
    assert figures.total_target == total.get("target") == Decimal("7956000")
    assert figures.cumulative_target == total.get("ytd_budget") == Decimal("1849232")
    assert figures.actual == total.get("ytd_actual") == Decimal("1691122")
    headlines = {headline.key: headline.value for headline in report.headlines}
    assert headlines == {
        "total_target": figures.total_target,
        "cumulative_target": figures.cumulative_target,
        "actual": figures.actual,
        "shortfall_against_profile": Decimal("158110"),
        "scheme_count": 34,
        "unallocated": Decimal("436298"),
        "rag_red": Decimal("2518338"),
        "rag_amber": Decimal("2634805"),
        "rag_green": Decimal("2366559"),
    }
    assert figures.shortfall_against_profile == headlines["shortfall_against_profile"]
    assert figures.unallocated == headlines["unallocated"]
    by_rag = {summary.rag.value: (summary.count, summary.value) for summary in figures.by_rag}
    assert by_rag == {
        "RED": (5, Decimal("2518338")),
        "AMBER": (16, Decimal("2634805")),
        "GREEN": (13, Decimal("2366559")),
        "BLUE": (0, Decimal(0)),
    }


@pytest.mark.parametrize(("url", "period"), [(DASHBOARD, Q2_2012), ("/reports/dashboard/2022-23/Q3/", Q3_2022)])
def test_dashboard_figures_equal_the_builders_for_each_seed_quarter(executive_client, url, period):
    board = executive_client.get(url).context["board"]

    assert board.figures == builders.transformation_figures(selectors.scheme_lines(period=period))


def test_dashboard_figures_equal_the_builders_with_a_filter(executive_client):
    own = Directorate.objects.get(name="Adult Social Services")
    filters = selectors.ReportFilters(directorate=own.pk)

    board = executive_client.get(DASHBOARD, {"directorate": own.pk}).context["board"]

    assert board.figures == builders.transformation_figures(selectors.scheme_lines(period=Q2_2012, filters=filters))


def test_a_scheme_without_figures_counts_but_is_not_rated(executive_client):
    area = Scheme.objects.for_year(FinancialYear(2012)).first().service_area
    Scheme.objects.create(service_area=area, financial_year=FinancialYear(2012), ref="99", title="New", target=1000)

    html = executive_client.get(DASHBOARD).content.decode()

    assert tiles(html)["Schemes"] == "35"
    assert '<span class="tile-note">1 not rated</span>' in html
    assert tiles(html)["Full-year target"] == "£7,957,000"
    assert rag_table(html) == {**SEED_004_RAG, "blue": ("0", "0")}


# Filters ---------------------------------------------------------------------------------------


def test_filter_by_another_directorate_shows_no_schemes(executive_client):
    other = Directorate.objects.get(name="Chief Executive")

    response = executive_client.get(DASHBOARD, {"directorate": other.pk})

    assert response.status_code == 200
    html = response.content.decode()
    assert tiles(html)["Schemes"] == "0"
    assert tiles(html)["Full-year target"] == "£0"
    assert rag_table(html) == dict.fromkeys(("red", "amber", "green", "blue"), ("0", "0"))
    assert response.context["board"].figures.scheme_count == 0


def test_filter_by_the_seeds_own_directorate_and_portfolio_keeps_every_scheme(executive_client):
    own = Directorate.objects.get(name="Adult Social Services")
    portfolio = own.portfolios.get(name="Adult Social Care Transformation")

    for query in ({"directorate": own.pk}, {"portfolio": portfolio.pk}):
        html = executive_client.get(DASHBOARD, query).content.decode()
        assert rag_table(html) == {**SEED_004_RAG, "blue": ("0", "0")}, query
        assert tiles(html) == SEED_004_TILES, query


def test_filter_by_an_empty_portfolio_shows_no_schemes(executive_client):
    empty = Portfolio.objects.get(name="Chief Social Work Officer")

    html = executive_client.get(DASHBOARD, {"portfolio": empty.pk}).content.decode()

    assert tiles(html)["Schemes"] == "0"


def test_quarter_links_keep_the_filter(executive_client):
    own = Directorate.objects.get(name="Adult Social Services")

    html = executive_client.get(DASHBOARD, {"directorate": own.pk}).content.decode()

    assert f'href="/reports/dashboard/2012-13/Q1/?directorate={own.pk}"' in html
    assert f'href="/reports/dashboard/2012-13/Q3/?directorate={own.pk}"' in html


# RAG movement ------------------------------------------------------------------------------------


def _rate_q1(ref: str, rag: str, *, title: str | None = None) -> Scheme:
    schemes = Scheme.objects.for_year(FinancialYear(2012)).filter(ref=ref)
    if title:
        schemes = schemes.filter(title=title)
    scheme = schemes.get()
    SchemeQuarter.objects.create(scheme=scheme, quarter=Quarter.Q1, rag=rag)
    return scheme


@pytest.fixture
def q1_ratings(demo):
    """Last quarter's RAG for five of seed 004's rows: 2A and 5 improved to GREEN, 1 worsened to
    RED, 9 stayed AMBER, and the unallocated requirement (not a scheme) moved RED from GREEN."""
    _rate_q1("2A", "AMBER")  # -> GREEN: improved
    _rate_q1("5", "RED")  # -> GREEN: improved
    _rate_q1("1", "AMBER")  # -> RED: worsened
    _rate_q1("9", "AMBER")  # -> AMBER: unchanged
    _rate_q1("", "GREEN", title="Additional savings requirement to balance the budget")  # not counted


def test_rag_movement_counts_improved_and_worsened(executive_client, q1_ratings):
    response = executive_client.get(DASHBOARD)

    html = response.content.decode()
    assert movement_table(html) == {"Improved": 2, "Worsened": 1, "Unchanged": 1, "No previous rating": 30}
    board = response.context["board"]
    assert board.movement == {Movement.IMPROVED: 2, Movement.WORSENED: 1, Movement.UNCHANGED: 1, Movement.NEW: 30}
    assert sorted((item.line.ref, moved.value) for item, moved in board.changes) == [
        ("1", "worsened"),
        ("2A", "improved"),
        ("5", "improved"),
    ]


def test_no_rag_movement_without_last_quarters_ratings(executive_client):
    html = executive_client.get(DASHBOARD).content.decode()

    assert movement_table(html) == {"Improved": 0, "Worsened": 0, "Unchanged": 0, "No previous rating": 34}


def test_q1_has_no_previous_quarter_to_move_from(executive_client, q1_ratings):
    response = executive_client.get("/reports/dashboard/2012-13/Q1/")

    assert response.status_code == 200
    board = response.context["board"]
    assert board.movement[Movement.IMPROVED] == board.movement[Movement.WORSENED] == 0
    assert board.changes == []


# Plans not yet updated ----------------------------------------------------------------------------


def test_plans_not_yet_updated_lists_the_2023_plans(executive_client):
    response = executive_client.get(DASHBOARD_2023_Q3)

    assert response.status_code == 200
    items = not_updated_items(response.content.decode())
    assert len(items) == 3
    for plan, status in PLANS_2023.items():
        assert any(item.startswith(f"{plan} — {status}") for item in items), (plan, items)
    assert all("Sam Manager" in item for item in items)


def test_a_plan_drops_off_once_its_update_is_submitted(executive_client):
    update = PlanUpdate.objects.get(plan__service_area__name="Children’s Staffing", quarter=Quarter.Q3)
    update.status = PlanUpdate.Status.SUBMITTED
    update.save()

    items = not_updated_items(executive_client.get(DASHBOARD_2023_Q3).content.decode())

    assert len(items) == 2
    assert not any(item.startswith("Children’s Staffing") for item in items)


def test_a_returned_update_still_counts_as_not_updated(executive_client):
    PlanUpdate.objects.filter(plan__service_area__name="Children’s Staffing", quarter=Quarter.Q3).update(
        status=PlanUpdate.Status.RETURNED
    )

    items = not_updated_items(executive_client.get(DASHBOARD_2023_Q3).content.decode())

    assert any(item.startswith("Children’s Staffing 2023/24 — Returned for changes") for item in items)


def test_a_submitted_q2_update_counts_for_q2_only(executive_client):
    """003's Q2 update is submitted: it is not waiting in Q2, but still is in Q3."""
    q2 = not_updated_items(executive_client.get("/reports/dashboard/2023-24/Q2/").content.decode())

    assert len(q2) == 2
    assert not any(item.startswith("Children’s Staffing") for item in q2)


def test_plans_not_updated_follow_the_directorate_filter(executive_client):
    chief = Directorate.objects.get(name="Chief Executive")

    items = not_updated_items(executive_client.get(DASHBOARD_2023_Q3, {"directorate": chief.pk}).content.decode())

    assert len(items) == 1
    assert items[0].startswith("Adult Social care assessment costs and income shortfall 2023/24")


def test_no_plan_waiting_says_so(executive_client):
    html = executive_client.get(DASHBOARD).content.decode()

    assert not_updated_items(html) == []
    assert "No plan of 2012/13 is waiting for its Q2 update." in html


# Where the dashboard is reached from ---------------------------------------------------------------


def test_dashboard_without_a_period_redirects_to_the_latest_quarter_with_figures(executive_client):
    # The demo's latest figures are seed 002's, 2022/23 Q3.
    response = executive_client.get("/reports/dashboard/")

    assert response.status_code == 302
    assert response["Location"] == "/reports/dashboard/2022-23/Q3/"


def test_latest_quarter_moves_on_when_newer_figures_arrive(executive_client):
    SchemeQuarterFactory(scheme=SchemeFactory(financial_year=FinancialYear(2023)), quarter=1)

    response = executive_client.get("/reports/dashboard/")

    assert response["Location"] == "/reports/dashboard/2023-24/Q1/"


def test_latest_year_without_figures_starts_at_q1(client, executive):
    SchemeFactory(financial_year=FinancialYear(2024))
    client.force_login(executive)

    response = client.get("/reports/dashboard/")

    assert response["Location"] == "/reports/dashboard/2024-25/Q1/"


def test_dashboard_with_no_schemes_at_all_says_so(client, executive):
    client.force_login(executive)

    response = client.get("/reports/dashboard/")

    assert response.status_code == 200
    assert "reporting/dashboard_empty.html" in [template.name for template in response.templates]


@pytest.mark.parametrize("username", ["executive", "finance", "admin", "manager"])
def test_home_sends_every_role_to_my_tasks(client, demo, username):
    client.force_login(user(username))

    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == "/tasks/"


def test_the_dashboard_lands_on_the_latest_quarter(client, demo):
    client.force_login(user("finance"))

    response = client.get("/reports/dashboard/", follow=True)

    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == "/reports/dashboard/2022-23/Q3/"


@pytest.mark.parametrize("url", [DASHBOARD, "/reports/dashboard/"])
def test_manager_may_not_see_the_dashboard(client, demo, url):
    client.force_login(user("manager"))

    assert client.get(url).status_code == 403


def test_anonymous_is_sent_to_log_in(client, demo):
    response = client.get(DASHBOARD)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


# Query counts ------------------------------------------------------------------------------------


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_dashboard_query_count_does_not_grow_with_ten_times_the_schemes(executive_client, q1_ratings):
    before = _queries(executive_client, DASHBOARD)

    multiply_schemes(Q2_2012, 9)
    assert Scheme.objects.for_year(FinancialYear(2012)).count() == 350
    after = _queries(executive_client, DASHBOARD)

    assert after == before
    figures = executive_client.get(DASHBOARD).context["board"].figures
    assert figures.total_target == Decimal("79560000")
    assert figures.scheme_count == 340


def test_dashboard_query_count_does_not_grow_with_ten_times_the_plans(executive_client):
    before = _queries(executive_client, DASHBOARD_2023_Q3)

    for number in range(27):
        owner = UserFactory(username=f"extra-manager-{number}")
        plan = PlanFactory(status=DeficitRecoveryPlan.Status.SUBMITTED, managers=[owner])
        if number % 2:
            PlanUpdateFactory(plan=plan, quarter=3, status="draft")
    after = _queries(executive_client, DASHBOARD_2023_Q3)

    assert after == before
    assert len(executive_client.get(DASHBOARD_2023_Q3).context["board"].plans_not_updated) == 30


def test_2022_23_q3_dashboard_shows_seed_002s_achieved_to_date_as_the_ytd_actual(executive_client):
    # Seed 002's "Achieved to Date" is the year-to-date actual: £11,128.4k from its rows,
    # the same figure the Transformation update and Appendix 1 show for the quarter.
    html = executive_client.get("/reports/dashboard/2022-23/Q3/").content.decode()
    assert tiles(html)["YTD actual"] == "£11,128,400"
    transformation = selectors.transformation_report(period=Q3_2022)
    appendix = selectors.appendix_report(period=Q3_2022)
    assert transformation.sections[-1].total.values["ytd_actual"] == Decimal("11128400")
    overall = next(section for section in appendix.sections if section.key != "overall" and section.total)
    mer = next(row for row in overall.rows if str(row.values["title"]).startswith("Operating model and MER"))
    assert mer.values["ytd_actual"] == Decimal("925000")
    every_line = selectors.scheme_lines(period=Q3_2022)
    assert sum(line.ytd_actual or 0 for line in every_line) == Decimal("11128400")
