"""Report pages on screen a page of rows at a time: every row on exactly one page, headlines and
totals (over every row) on every page, filters kept in the page links, downloads never paged."""

from __future__ import annotations

import json
import re
from datetime import datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recovery.reporting.paging import report_page, report_rows
from recovery.reporting.report import Column, Headline, Report, Row, Section, Unit
from tests.reporting.seeds import APPENDIX_PERIOD, multiply_schemes
from tests.reporting.test_views import url_for

COLUMNS = [Column("title", "Title"), Column("target", "Target", Unit.POUNDS)]


def make_report(sizes: list[int]) -> Report:
    sections = []
    for number, size in enumerate(sizes):
        rows = [Row({"title": f"s{number}r{index}", "target": Decimal(index)}) for index in range(size)]
        total = Row({"title": "Total", "target": sum((row.values["target"] for row in rows), Decimal(0))}, "total")
        sections.append(Section(key=f"s{number}", title=f"Section {number}", columns=COLUMNS, rows=rows, total=total))
    sections.append(Section(key="grand", title="Grand total", columns=COLUMNS, rows=[], total=Row({"title": "All"})))
    sections.append(Section(key="notes", title="Notes", kind="text", lines=["A note."]))
    return Report(
        kind="appendix",
        title="T",
        period="Q2",
        organisation="Council",
        generated_at=datetime(2026, 1, 1),
        sections=sections,
        headlines=[Headline("total", "Total", "£1m")],
    )


@given(sizes=st.lists(st.integers(min_value=0, max_value=60), max_size=8), size=st.integers(min_value=1, max_value=40))
def test_every_row_is_on_exactly_one_page_and_totals_on_every_page(sizes, size):
    report = make_report(sizes)
    _, where = report_page(report, 1, size=size)
    seen = []
    for number in range(1, where.count + 1):
        shown, page = report_page(report, number, size=size)
        assert page.number == number
        titles = [row.values["title"] for section in shown.sections for row in section.rows]
        assert len(titles) <= size
        assert len(titles) == (page.last - page.first + 1 if page.rows else 0)
        seen += titles
        assert shown.headlines == report.headlines
        keys = {section.key for section in shown.sections}
        assert {"grand", "notes"} <= keys  # sections without rows: on every page
        for section in shown.sections:
            original = next(s for s in report.sections if s.key == section.key)
            assert section.total == original.total  # the total stays the total of every row
    assert seen == [row.values["title"] for section in report.sections for row in section.rows]
    assert where.rows == report_rows(report) == sum(sizes)


@pytest.mark.parametrize(("asked", "number"), [("x", 1), ("0", 1), ("-3", 1), (None, 1), ("99999", 3), ("2", 2)])
def test_a_page_number_that_is_not_one_gives_a_real_page(asked, number):
    _, page = report_page(make_report([100, 100, 50]), asked, size=100)
    assert page.number == number


def test_a_cut_section_says_which_rows_it_shows():
    shown, _ = report_page(make_report([150]), 2, size=100)
    assert shown.sections[0].caption == "Section 0 (rows 101 to 150 of 150; the total is of all 150)"


@pytest.mark.django_db
def test_a_long_appendix_page_is_paged_with_filters_kept_and_downloads_whole(client, demo, finance):
    from plans.models import DeficitRecoveryPlan

    plan = DeficitRecoveryPlan.objects.get(tracker_ref="FRB/23/007")
    multiply_schemes(APPENDIX_PERIOD, 4)
    client.force_login(finance)
    url = url_for("appendix", plan)
    response = client.get(url, {"directorate": "", "page": "2"})
    page = response.context["page"]
    assert page.count > 1
    assert page.number == 2
    content = response.content.decode()
    body = content.split('class="report-body"', 1)[1]
    assert len(re.findall(r'<tr class="row-(?:item|unallocated)"', body)) <= 100
    links = re.findall(r'href="\?([^"]*page=\d+)"', content)
    assert links
    assert all("directorate=" in link and link.count("page=") == 1 for link in links)
    data = json.loads(client.get(url, {"format": "json", "page": "2"}).content)
    assert sum(len(section["rows"]) for section in data["sections"]) == page.rows
