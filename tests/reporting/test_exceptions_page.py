"""The exceptions page reads only the rows it shows: the sections about schemes are counted by
the database (RED and AMBER, no figures, the RAG the figures contradict, RAG changes) and a
page's rows read in one query. Whatever the figures, each page is the page of the whole report
(``report_page(exceptions_report(...))``), row for row, on SQLite and PostgreSQL."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from monitoring.models import Scheme, SchemeQuarter
from recovery.periods import FinancialYear, Period, Quarter
from recovery.reporting import selectors
from recovery.reporting.paging import report_page
from tests.factories import ServiceAreaFactory

YEAR = FinancialYear(2023)
VIEWS = ["", "red_amber", "not_updated", "disagreements", "rag_changes", "overdue", "dmt"]
TARGETS = [Decimal("100000"), Decimal("100000"), Decimal("0"), Decimal("0.01")]
PENNY = Decimal("0.01")


def around(rng: random.Random, amount: Decimal | None) -> Decimal | None:
    """An amount at a rule's boundary: the same, a penny either side, nothing, or unknown."""
    if amount is None:
        return rng.choice([None, Decimal(0)])
    return rng.choice([None, amount, amount, amount - PENNY, amount + PENNY, Decimal(0), Decimal("-5")])


RAGS = ["", "RED", "AMBER", "GREEN", "BLUE"]


def make_schemes(seed: int, count: int) -> list:
    """``count`` schemes over three service areas (two sharing an order) with random figures
    for Q1 and Q2 (or none)."""
    rng = random.Random(seed)
    areas = [ServiceAreaFactory(order=order) for order in (2, 1, 1)]
    for number in range(count):
        scheme = Scheme.objects.create(
            service_area=rng.choice(areas),
            financial_year=YEAR,
            ref=str(number),
            title=f"Scheme {number}",
            target=rng.choice(TARGETS),
            order=rng.randint(0, 5),
            is_unallocated=rng.random() < 0.1,
        )
        for quarter in (1, 2):
            if rng.random() < 0.2:
                continue  # nothing recorded for the quarter
            SchemeQuarter.objects.create(
                scheme=scheme,
                quarter=quarter,
                rag=rng.choice(RAGS),
                ytd_actual=(actual := around(rng, scheme.target)),
                ytd_budget=around(rng, actual),
                forecast_year_end=around(rng, scheme.target),
                projected_shortfall=around(rng, Decimal(0)),
            )
    return areas


def assert_pages_agree(request: selectors.ExceptionsRequest, size: int) -> int:
    """Every page of the view, read a page at a time, against the same page of the whole report."""
    whole = selectors.build_report(request)
    number, pages = 1, 1
    while number <= pages:
        shown, page = selectors.exceptions_page(request, number, size=size)
        expected, expected_page = report_page(whole, number, size=size)
        assert page == expected_page
        assert [section.key for section in shown.sections] == [section.key for section in expected.sections]
        for got, want in zip(shown.sections, expected.sections, strict=True):
            assert list(got.rows) == list(want.rows), (request.only, number, got.key)
            assert (got.caption, got.lines, got.total) == (want.caption, want.lines, want.total)
        assert (shown.title, shown.headlines, shown.notes) == (whole.title, whole.headlines, whole.notes)
        pages = page.count
        number += 1
    return pages


@pytest.mark.django_db
@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("quarter", [Quarter.Q1, Quarter.Q2])
def test_each_page_is_that_page_of_the_whole_report(seed, quarter):
    areas = make_schemes(seed, 60)
    period = Period(YEAR, quarter)
    for only in VIEWS:
        for size in (7, 100):
            assert_pages_agree(selectors.ExceptionsRequest(period=period, only=only), size)
    filters = selectors.ReportFilters(service_area=areas[1].pk)
    assert_pages_agree(selectors.ExceptionsRequest(period=period, filters=filters), 5)


@pytest.mark.django_db
def test_every_scheme_row_is_on_exactly_one_page():
    make_schemes(99, 80)
    request = selectors.ExceptionsRequest(period=Period(YEAR, Quarter.Q2))
    whole = selectors.build_report(request)
    expected = [(section.key, row) for section in whole.sections for row in section.rows]
    seen = []
    pages = assert_pages_agree(request, 9)
    for number in range(1, pages + 1):
        shown, _ = selectors.exceptions_page(request, number, size=9)
        seen += [(section.key, row) for section in shown.sections for row in section.rows]
    assert seen == expected
    assert len(expected) > 9 * 3  # several pages, some cutting a section


@pytest.mark.django_db
def test_a_page_reads_two_queries_of_schemes_however_many_there_are():
    make_schemes(1, 30)
    request = selectors.ExceptionsRequest(period=Period(YEAR, Quarter.Q2), only="red_amber")
    with CaptureQueriesContext(connection) as small:
        selectors.exceptions_page(request, 1, size=10)
    make_schemes(2, 300)
    with CaptureQueriesContext(connection) as large:
        shown, _ = selectors.exceptions_page(request, 2, size=10)
    assert len(large.captured_queries) == len(small.captured_queries)
    assert len(shown.sections[0].rows) == 10
