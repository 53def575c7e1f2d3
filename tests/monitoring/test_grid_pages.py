"""The scheme grid at county scale: a page of rows at a time, with the filters and the totals
still over every matching scheme, a fixed number of queries, and exact totals in pence."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitoring import selectors
from monitoring.models import Scheme, SchemeQuarter
from recovery.periods import FinancialYear, Period, Quarter
from recovery.rag import RAG
from tests.factories import ServiceAreaFactory
from tests.monitoring.conftest import SEED_004_PERIOD, load_seed_004
from tests.monitoring.test_views import grid_url, rows_in, tfoot_figures

pytestmark = pytest.mark.django_db

PAGE = selectors.GRID_PAGE_SIZE
SEED_004_TOTAL = ["7,956,000", "1,849,232", "1,691,122", "6,264,878", "2,699,636"]  # as printed


def eleven_times(figures: list[str]) -> list[str]:
    return [f"{Decimal(figure.replace(',', '')) * 11:,.0f}" for figure in figures]


def scheme_ids(content: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'<tr id="scheme-(\d+)"', content)]


@pytest.fixture
def eleven_copies(seed_004):
    """Seed 004 eleven times over (385 rows, 374 schemes): eight pages of the grid."""
    return seed_004 + load_seed_004(area=seed_004[0].service_area, copies=10)


def test_the_grid_shows_a_page_of_rows_with_totals_over_every_scheme(client, finance, eleven_copies):
    client.force_login(finance)
    seen: list[int] = []
    pages = -(-385 // PAGE)
    for number in range(1, pages + 1):
        content = client.get(grid_url(), {"page": number}).content.decode()
        ids = scheme_ids(content)
        assert len(ids) == (PAGE if number < pages else 385 - PAGE * (pages - 1))
        seen += ids
        # Every page totals all 385 rows: seed 004's printed total eleven times over.
        assert tfoot_figures(content) == eleven_times(SEED_004_TOTAL)
        assert "374 schemes" in content
        assert "of 385" in content
    assert sorted(seen) == sorted(scheme.pk for scheme in eleven_copies)  # each row once, none lost


def test_a_page_beyond_the_last_or_not_a_number_shows_a_real_page(client, finance, eleven_copies):
    client.force_login(finance)
    last = client.get(grid_url(), {"page": 9999})
    assert last.status_code == 200
    assert last.context["page"].number == last.context["page"].paginator.num_pages
    first = client.get(grid_url(), {"page": "x"})
    assert first.status_code == 200
    assert first.context["page"].number == 1


def test_page_links_keep_the_filters(client, finance, eleven_copies):
    client.force_login(finance)
    content = client.get(grid_url(), {"rag": "AMBER", "page": 2}).content.decode()
    links = re.findall(r'href="\?([^"]*page=\d+)"', content)
    assert links
    assert all("rag=AMBER" in link and link.count("page=") == 1 for link in links)


@pytest.mark.parametrize(
    ("rag", "rows", "totals"),
    [
        ("RED", 6, ["2,954,636", "181,006", "0", "2,954,636", "2,699,636"]),
        ("AMBER", 16, ["2,634,805", "725,384", "288,785", "2,346,020", "0"]),
    ],
)
def test_a_filtered_grid_totals_every_matching_row_on_every_page(client, finance, eleven_copies, rag, rows, totals):
    client.force_login(finance)
    content = client.get(grid_url(), {"rag": rag}).content.decode()
    page = client.get(grid_url(), {"rag": rag}).context["page"]
    assert page.paginator.count == rows * 11
    assert rows_in(content) == min(PAGE, rows * 11)
    assert tfoot_figures(content) == eleven_times(totals)
    assert all(f'rag-{rag.lower()}">{rag}</span>' in row for row in re.findall(r"<tr id=.*?</tr>", content, re.S))


def test_the_grid_costs_the_same_queries_on_any_page_and_at_any_size(
    client, finance, seed_004, django_assert_num_queries
):
    client.force_login(finance)
    client.get(grid_url())  # warm up: session, roles
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(grid_url())
    load_seed_004(area=seed_004[0].service_area, copies=10)
    for query in ({}, {"page": 3}, {"rag": "GREEN", "page": 2}):
        with django_assert_num_queries(len(few.captured_queries)):
            assert client.get(grid_url(), query).status_code == 200


pennies = st.decimals(min_value=Decimal("-99999999.99"), max_value=Decimal("99999999.99"), places=2)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(amounts=st.lists(st.tuples(pennies, st.one_of(st.none(), pennies)), min_size=1, max_size=12))
def test_grid_totals_are_exact_to_the_penny(amounts):
    """The database sums the amounts as whole pence: the totals equal the exact Decimal sums
    (a binary-float sum, as SQLite would do on its own, drifts off by pennies)."""
    area = ServiceAreaFactory()
    year = FinancialYear(2040)
    for order, (target, actual) in enumerate(amounts, start=1):
        scheme = Scheme.objects.create(
            service_area=area, financial_year=year, title=f"S{order}", target=target, order=order
        )
        SchemeQuarter.objects.create(
            scheme=scheme, quarter=Quarter.Q1, ytd_actual=actual, ytd_budget=target, rag="AMBER"
        )
    period = Period(year, Quarter.Q1)
    totals = selectors.grid_totals(period=period, schemes=selectors.grid_schemes(period=period, service_area=area.pk))
    target_sum = sum((target for target, _ in amounts), Decimal(0))
    given = [(target, actual) for target, actual in amounts if actual is not None]
    actual_sum = sum((actual for _, actual in given), Decimal(0))
    assert totals.target == target_sum
    assert totals.ytd_budget == target_sum
    # Missing is not zero: the actual and the balance total the rows that gave an actual, and
    # are unknown (None) where none did.
    assert totals.ytd_actual == (actual_sum if given else None)
    balance_sum = sum((target for target, _ in given), Decimal(0)) - actual_sum
    assert totals.balance_to_achieve == (balance_sum if given else None)
    covers = f"{len(given)} of {len(amounts)} schemes" if 0 < len(given) < len(amounts) else ""
    assert totals.covers("ytd_actual") == totals.covers("balance_to_achieve") == covers
    assert totals.counts[RAG.AMBER] == len(amounts)
    SchemeQuarter.objects.filter(scheme__financial_year=year).delete()  # examples share the test's database
    Scheme.objects.filter(financial_year=year).delete()


def test_seed_004_grid_period_is_q2():
    assert SEED_004_PERIOD.quarter is Quarter.Q2
