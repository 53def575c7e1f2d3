"""Every view of a figure agrees (issue 15, item 5).

Random schemes for one quarter (a few service areas; figures missing, zero, negative) are read
through one selector (``recovery.reporting.selectors.scheme_lines``). The grid, the dashboard,
Appendix 1, the Transformation update and the exception report, as pages and as JSON, XLSX and
CSV, show the same value for each scheme; every total is the sum of what its rows show (saying
how many gave it where only some did); and an unknown figure is never shown as 0, £0 or 0%.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import html as lxml_html
from openpyxl import load_workbook

from monitoring import selectors as grid_selectors
from monitoring.figures import QUARTER_FIGURE_NAMES
from monitoring.models import Scheme, SchemeQuarter
from monitoring.templatetags.grid_tags import grid_pounds
from recovery.periods import FinancialYear, Period, Quarter
from recovery.rag import RAG
from recovery.reporting import selectors
from recovery.reporting.builders import SchemeLine
from recovery.reporting.dashboard import build_dashboard
from recovery.reporting.formatting import NIL, format_cell
from recovery.reporting.opendata import _label as csv_label
from recovery.reporting.opendata import csv_value, render_csv
from recovery.reporting.renderers import render_json, render_xlsx
from recovery.reporting.report import Column, Report, Row, Unit
from tests.factories import PortfolioFactory, ServiceAreaFactory

pytestmark = pytest.mark.django_db

PERIOD = Period(FinancialYear(2023), Quarter.Q2)
AREAS = ("Living and Ageing Well", "Adults with a Disability", "Mental Health and Safeguarding")
MONEY = (Unit.POUNDS, Unit.THOUSANDS)

amount = st.decimals(min_value=Decimal("-50000"), max_value=Decimal("3000000"), places=2)
figure = st.one_of(st.none(), st.just(Decimal("0.00")), amount)
scheme = st.fixed_dictionaries(
    {
        "area": st.integers(min_value=0, max_value=len(AREAS) - 1),
        "target": st.decimals(min_value=Decimal("-1000"), max_value=Decimal("3000000"), places=2),
        "unallocated": st.booleans(),
        "has_quarter": st.integers(min_value=0, max_value=5).map(bool),  # now and then no row at all
        "rag": st.none() | st.sampled_from(list(RAG)),
        **dict.fromkeys(QUARTER_FIGURE_NAMES, figure),
    }
)


def known_sum(values: list[Decimal | None]) -> Decimal | None:
    known = [value for value in values if value is not None]
    return None if values and not known else sum(known, Decimal(0))


def create(schemes: list[dict[str, Any]]) -> None:
    portfolio = PortfolioFactory(name="Adult Social Care portfolio", directorate__name="Adult Social Care")
    areas = [ServiceAreaFactory(name=name, portfolio=portfolio, order=index) for index, name in enumerate(AREAS)]
    for number, item in enumerate(schemes, start=1):
        made = Scheme.objects.create(
            service_area=areas[item["area"]],
            financial_year=PERIOD.year,
            ref=str(number),
            title=f"Scheme {number:02d}",
            order=number,
            target=item["target"],
            is_unallocated=item["unallocated"],
        )
        if item["has_quarter"]:
            SchemeQuarter.objects.create(
                scheme=made,
                quarter=PERIOD.quarter,
                rag=item["rag"].value if item["rag"] else "",
                **{name: item[name] for name in QUARTER_FIGURE_NAMES},
            )


def expected_value(line: SchemeLine, key: str) -> Decimal | None:
    """A scheme's value in a report column, from the selector's figures."""
    if key == "balance":
        return None if line.ytd_actual is None else line.target - line.ytd_actual
    if key == "percent_year_end":
        return None if line.forecast_year_end is None or line.target == 0 else line.forecast_year_end / line.target
    if key == "percent_next_year":
        return None if line.forecast_next_year is None or line.target == 0 else line.forecast_next_year / line.target
    value: Decimal | None = getattr(line, key)
    return value


def check_report(report: Report, lines: dict[str, SchemeLine]) -> None:
    """Each scheme row shows the selector's figures; each total is the sum of what its rows show."""
    seen = set()
    for section in report.sections:
        if section.kind != "table":
            continue
        money = [column for column in section.columns if column.unit in MONEY]
        for row in section.rows:
            line = lines.get(row.get("title"))
            if line is None:
                continue
            seen.add(line.title)
            for column in section.columns:
                if column.numeric and column.key != "days":
                    assert row.get(column.key) == expected_value(line, column.key), (section.key, column.key)
        if section.total is None or section.key in ("overall", "total"):
            continue
        for column in money:
            shown = [row.get(column.key) for row in section.rows]
            assert section.total.get(column.key) == known_sum(shown), (section.key, column.key)
            given = sum(value is not None for value in shown)
            coverage = section.total.partial.get(column.key)
            if 0 < given < len(shown):
                assert coverage is not None
                assert (coverage.known, coverage.of) == (given, len(shown))
            else:
                assert coverage is None
    assert seen, "no scheme row found"


def check_transformation_total(report: Report) -> None:
    groups = [section for section in report.sections if section.key.startswith("rag-")]
    total = next(section for section in report.sections if section.key == "total").total
    assert total is not None
    for column in ("target", "ytd_budget", "ytd_actual", "balance", "projected_shortfall"):
        shown = [group.total.get(column) for group in groups if group.total is not None]
        assert total.get(column) == known_sum(shown), column


def check_appendix_overall(report: Report) -> None:
    overall = report.sections[-1]
    assert overall.total is not None
    areas = [section.total for section in report.sections[:-1] if section.total is not None]
    for column in ("target", "forecast_year_end", "forecast_next_year"):
        assert overall.total.get(column) == known_sum([total.get(column) for total in areas])
        shown = [row.get(column) for row in overall.rows if row.get(column) is not None]
        if overall.total.get(column) is not None:
            assert overall.total.get(column) == sum(shown, Decimal(0))
    if overall.total.get("mitigations") is not None:
        assert overall.total.get("mitigations") == overall.total.get("target") - overall.total.get("forecast_next_year")
        assert "forecast_next_year" not in overall.total.partial


def cell_text(row: Row, column: Column) -> str:
    text = format_cell(row.get(column.key), column)
    coverage = row.partial.get(column.key)
    return f"{text} ({coverage})" if coverage is not None else text


def never_zero_for_unknown(row: Row, column: Column, shown: str) -> None:
    if row.get(column.key) is None and column.numeric:
        assert shown == NIL, (column.key, shown)


def check_page(page: str, report: Report, lines: dict[str, SchemeLine]) -> None:
    """The HTML page shows each row's and total's cells as the report's formatter does."""
    document = lxml_html.fromstring(page)
    tables = document.xpath("//table[contains(@class, 'report-table')]")
    sections = [section for section in report.sections if section.kind == "table"]
    assert len(tables) == len(sections)
    for table, section in zip(tables, sections, strict=True):
        body = table.xpath("./tbody/tr")
        assert len(body) == len(section.rows)
        for tr, row in zip(body, section.rows, strict=True):
            cells = [" ".join(cell.text_content().split()) for cell in tr.xpath("./th|./td")]
            for column, shown in zip(section.columns, cells, strict=True):
                if column.numeric:
                    assert shown == cell_text(row, column), (section.key, column.key)
                    never_zero_for_unknown(row, column, shown)
            assert row.get("title") not in lines or cells
        if section.total is not None:
            cells = [" ".join(cell.text_content().split()) for cell in table.xpath("./tfoot/tr/th|./tfoot/tr/td")]
            for column, shown in zip(section.columns, cells, strict=True):
                if column.numeric:
                    assert shown == cell_text(section.total, column), (section.key, column.key)
                    never_zero_for_unknown(section.total, column, shown)


def check_exports(report: Report) -> None:
    data = json.loads(render_json(report))
    tables = [section for section in report.sections if section.kind == "table"]
    json_tables = [section for section in data["sections"] if section["kind"] == "table"]
    for section, shown in zip(tables, json_tables, strict=True):
        for row, values in zip([*section.rows, section.total], [*shown["rows"], shown["total"]], strict=True):
            if row is None:
                continue
            for column in section.columns:
                if column.numeric:
                    value = row.get(column.key)
                    assert values["values"].get(column.key) == (None if value is None else str(value))
            assert {key: (item["known"], item["of"]) for key, item in values["partial"].items()} == {
                key: (item.known, item.of) for key, item in row.partial.items()
            }

    csv_rows = list(csv.reader(io.StringIO(render_csv(report).decode("utf-8-sig"))))
    header = csv_rows[0]
    body = iter(csv_rows[1:])
    labels: dict[str, str] = {}  # one CSV column per key, headed as the key's first table heads it
    for section in tables:
        for column in section.columns:
            labels.setdefault(column.key, csv_label(column))
    for section in tables:
        for row in [*section.rows, *([section.total] if section.total else [])]:
            written = dict(zip(header, next(body), strict=True))
            for column in section.columns:
                if column.numeric:
                    assert written[labels[column.key]] == csv_value(row.get(column.key), column.unit), column.key
            for coverage in row.partial.values():
                assert str(coverage) in written["totals_cover"]

    workbook = load_workbook(io.BytesIO(render_xlsx(report)))
    sheets = workbook.worksheets[1:]
    for sheet, section in zip(sheets, tables, strict=True):
        rows = list(sheet.iter_rows(min_row=4, max_row=3 + len(section.rows) + (1 if section.total else 0)))
        for cells, row in zip(rows, [*section.rows, *([section.total] if section.total else [])], strict=True):
            for cell, column in zip(cells, section.columns, strict=True):
                if not column.numeric:
                    continue
                value = row.get(column.key)
                if value is None:
                    assert cell.value is None, column.key  # blank, never 0
                else:
                    expected = value / 1000 if column.unit is Unit.THOUSANDS else value
                    assert abs(Decimal(str(cell.value)) - expected) <= abs(expected) * Decimal("1e-12") + Decimal(
                        "1e-9"
                    )
                if column.key in row.partial:
                    assert str(row.partial[column.key]) in cell.comment.text


def check_dashboard(page: str, lines: list[SchemeLine]) -> None:
    board = build_dashboard(period=PERIOD, schemes=selectors.scheme_exceptions(period=PERIOD), plans_not_updated=[])
    bars = {bar.label: bar for bar in board.profile_chart.bars}
    assert bars["Full-year target"].value == sum((line.target for line in lines), Decimal(0))
    assert bars["YTD profile"].value == known_sum([line.ytd_budget for line in lines])
    assert bars["YTD actual"].value == known_sum([line.ytd_actual for line in lines])
    for bar in bars.values():
        assert (bar.text == "not known") is (bar.value is None)
    for area, (target, forecast) in board.forecast_chart.groups:
        mine = [line for line in lines if line.service_area == area]
        assert target.value == sum((line.target for line in mine), Decimal(0))
        assert forecast.value == known_sum([line.forecast_year_end for line in mine])
    assert board.has_figures is any(getattr(line, name) is not None for line in lines for name in QUARTER_FIGURE_NAMES)
    for tile, bar in (("YTD profile", bars["YTD profile"]), ("YTD actual", bars["YTD actual"])):
        shown = page.split(f"{tile}</span>")[1].split("</div>")[0]
        if bar.value is None:
            assert "not known" in shown
            assert "£" not in shown
        else:
            assert f"£{format_cell(bar.value, Column('x', 'x', Unit.POUNDS))}" in shown
    if not board.has_figures:
        assert "No figures for this quarter yet" in page


def check_grid(page: str, lines: dict[str, SchemeLine]) -> None:
    schemes = grid_selectors.grid_schemes(period=PERIOD)
    rows = grid_selectors.grid_rows(period=PERIOD, schemes=schemes)
    totals = grid_selectors.grid_totals(period=PERIOD, schemes=schemes)
    shown: dict[str, list[Decimal | None]] = {column.key: [] for column in grid_selectors.GRID_COLUMNS}
    for row in rows:
        line = lines[row.scheme.title]
        for column in grid_selectors.GRID_COLUMNS:
            key = column.key
            if key == "target":
                value = row.scheme.target
            elif key == "balance_to_achieve":
                value = row.balance_to_achieve
            else:
                value = getattr(row.figures, key) if row.figures else None
            assert value == expected_value(line, "balance" if key == "balance_to_achieve" else key), key
            shown[key].append(value)
    for key, values in shown.items():
        assert totals.values[key] == known_sum(values), key
        given = sum(value is not None for value in values)
        assert totals.covers(key) == (f"{given} of {len(values)} schemes" if 0 < given < len(values) else "")
    document = lxml_html.fromstring(page)
    footer = document.xpath("//table//tfoot//tr")[-1]
    texts = [" ".join(cell.text_content().split()) for cell in footer.xpath("./td")]
    for (amount, covers), text in zip(totals.cells, [t for t in texts if t.startswith(("£", "-£", NIL))], strict=False):
        assert text == grid_pounds(amount) + (f" ({covers})" if covers else "")


def url(name: str) -> str:
    return reverse(name, args=[PERIOD.year, PERIOD.quarter])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(scheme, min_size=1, max_size=8))
def test_every_view_of_a_figure_agrees(client, finance, schemes):
    client.force_login(finance)
    with transaction.atomic():
        create(schemes)
        by_title = {line.title: line for line in selectors.scheme_lines(period=PERIOD)}
        assert len(by_title) == len(schemes)
        lines = list(by_title.values())

        appendix = selectors.appendix_report(period=PERIOD)
        check_report(appendix, by_title)
        check_appendix_overall(appendix)
        for section in appendix.sections[:-1]:
            assert section.total is not None
            if section.total.get("forecast_next_year") is None or "forecast_next_year" in section.total.partial:
                assert section.total.get("timeline").startswith("Not known")
        transformation = selectors.transformation_report(period=PERIOD)
        check_report(transformation, by_title)
        check_transformation_total(transformation)
        exceptions = selectors.exceptions_report(period=PERIOD)
        for report, name in (
            (appendix, "reporting:appendix"),
            (transformation, "reporting:transformation"),
            (exceptions, "reporting:exceptions"),
        ):
            check_page(client.get(url(name)).content.decode(), report, by_title)
            check_exports(report)
        if any(section.rows for section in exceptions.sections if section.kind == "table"):
            check_report(exceptions, by_title)
        check_dashboard(client.get(url("reporting:dashboard")).content.decode(), lines)
        check_grid(client.get(url("monitoring:grid")).content.decode(), by_title)
        transaction.set_rollback(True)


def test_the_pdf_shows_unknown_as_a_dash_and_a_partial_total_as_such(db):
    from recovery.reporting.renderers import render_pdf

    create(
        [
            {"area": 0, "target": Decimal("100000"), "unallocated": False, "has_quarter": True, "rag": RAG.GREEN,
             "ytd_budget": None, "ytd_actual": Decimal("0"), "forecast_year_end": Decimal("80000"),
             "forecast_next_year": None, "projected_shortfall": None},
            {"area": 0, "target": Decimal("200000"), "unallocated": False, "has_quarter": True, "rag": RAG.AMBER,
             "ytd_budget": None, "ytd_actual": Decimal("5000"), "forecast_year_end": None,
             "forecast_next_year": None, "projected_shortfall": None},
        ]
    )  # fmt: skip
    pdf = render_pdf(selectors.appendix_report(period=PERIOD))
    pdftotext = shutil.which("pdftotext")  # poppler-utils, as the PDF accessibility tests use
    assert pdftotext, "pdftotext (poppler-utils) is needed to read the PDF's text"
    text = subprocess.run([pdftotext, "-layout", "-", "-"], input=pdf, capture_output=True, check=True).stdout  # noqa: S603
    page = " ".join(text.decode().split())
    assert re.search(r"Total 300 80 \(1 of 2 projects\) – – – 5", page), page
    assert "Not known what remains to be mitigated" in page
