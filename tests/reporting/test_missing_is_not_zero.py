"""Missing is not zero (issue 15, item 3; DOMAIN.md "Nil and unknown"): a dash, a 0 or a blank
cell in a column the tracker has is nil (zero); a figure no row gives (a column the tracker
lacks, a field left blank in the app) is unknown, and no report, export or dashboard shows it as
0, £0 or 0%, nor builds a sentence on it."""

from __future__ import annotations

import csv
import io
import json
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from monitoring import services
from monitoring.imports import tracker_import
from monitoring.models import SchemeQuarter
from recovery.periods import FinancialYear, Period, Quarter
from recovery.reporting import selectors
from recovery.reporting.dashboard import build_dashboard
from recovery.reporting.opendata import render_csv
from recovery.reporting.renderers import render_json, render_xlsx
from tests.monitoring.tracker_helpers import xlsx

pytestmark = pytest.mark.django_db

PERIOD = Period(FinancialYear(2023), Quarter.Q2)
AREA = "Living and Ageing Well"

# A tracker as many councils publish it: no "forecast next year" column at all, a dash for nil,
# and a blank cell (nil too). Amounts in £000s.
HEADER = (
    "Financial year",
    "Quarter",
    "Directorate",
    "Service area",
    "Title",
    "Target (£000s)",
    "Forecast (£000s)",
    "Achieved to date (£000s)",
)
ROWS = [
    ("2023/24", "Q2", "Adult Social Care", AREA, "Reduced agency spend", 100, 80, "-"),
    ("2023/24", "Q2", "Adult Social Care", AREA, "Day care review", 200, None, 0),
    ("2023/24", "Q2", "Adult Social Care", AREA, "Transport efficiencies", 300, 300, 50),
]


def _import(finance):
    summary = tracker_import(source=xlsx(ROWS, header=HEADER), user=finance)
    assert summary.committed, summary.errors
    return {item.scheme.title: item for item in SchemeQuarter.objects.select_related("scheme")}


@pytest.fixture
def imported(finance):
    """The tracker imported, then Day care review's forecast cleared in the grid: nobody gives it
    now, so it is unknown, beside two schemes that give theirs."""
    rows = _import(finance)
    day_care = rows["Day care review"]
    services.scheme_quarter_save(
        scheme=day_care.scheme,
        quarter=Quarter.Q2,
        user=finance,
        fields={"forecast_year_end": None},
        expected_version=day_care.version,
    )
    return {item.scheme.title: item for item in SchemeQuarter.objects.select_related("scheme")}


def test_a_missing_column_is_unknown_a_dash_0_or_blank_cell_is_nil(finance):
    imported = _import(finance)
    agency, day_care, transport = (
        imported[title] for title in ("Reduced agency spend", "Day care review", "Transport efficiencies")
    )
    # The tracker has no next-year forecast column: unknown for every row.
    assert {item.forecast_next_year for item in imported.values()} == {None}
    # "-" and 0 are nil: zero, not unknown; so is a blank cell in a column the tracker has.
    assert agency.ytd_actual == Decimal(0)
    assert day_care.ytd_actual == Decimal(0)
    assert day_care.forecast_year_end == Decimal(0)
    assert transport.forecast_year_end == Decimal("300000")


def test_a_field_cleared_in_the_grid_is_unknown(imported):
    assert imported["Day care review"].forecast_year_end is None


def appendix_total():
    report = selectors.appendix_report(period=PERIOD)
    area = next(section for section in report.sections if section.title.endswith(AREA))
    return report, area.total


def test_appendix_total_of_an_unknown_column_is_unknown_with_no_percentage_or_mitigation(imported):
    report, total = appendix_total()
    assert total.get("forecast_next_year") is None
    assert total.get("percent_next_year") is None
    sentence = total.get("timeline")
    assert sentence.startswith("Not known what remains to be mitigated")
    assert "£600k" not in sentence  # the whole target, invented from an unknown forecast
    overall = report.sections[-1]
    assert overall.total.get("mitigations") is None
    assert overall.total.get("forecast_next_year") is None


def test_appendix_total_over_some_known_values_is_their_sum_and_says_so(imported):
    _, total = appendix_total()
    assert total.get("forecast_year_end") == Decimal("380000")
    coverage = total.partial["forecast_year_end"]
    assert (coverage.known, coverage.of) == (2, 3)
    assert str(coverage) == "2 of 3 projects"
    assert total.get("percent_year_end") is None  # a share of a part would be a figure nobody gave
    assert total.get("ytd_actual") == Decimal("50000")  # nil counts as 0: all three given
    assert "ytd_actual" not in total.partial


def test_the_appendix_page_shows_unknown_as_a_dash_never_0(client, finance, imported):
    client.force_login(finance)
    page = client.get(reverse("reporting:appendix", args=[PERIOD.year, PERIOD.quarter])).content.decode()
    footer = page.split("<tfoot>")[1].split("</tfoot>")[0]
    cells = re.findall(r"<td[^>]*>(.*?)</td>", footer)
    # target, forecast (2 of 3), % (not shown), forecast next year (unknown), % (not shown), achieved
    assert cells[:6] == ["600", '380 <span class="total-covers">(2 of 3 projects)</span>', "–", "–", "–", "50"]
    assert "Not known what remains to be mitigated" in page
    assert "remains to be mitigated." not in page.replace("Not known what remains to be mitigated", "")


def test_exports_show_unknown_as_blank_or_null_and_say_how_many_gave_a_partial_total(imported):
    report, _ = appendix_total()
    data = json.loads(render_json(report))
    area = next(section for section in data["sections"] if section["title"].endswith(AREA))
    assert area["total"]["values"]["forecast_next_year"] is None
    assert area["total"]["values"]["percent_next_year"] is None
    assert area["total"]["partial"] == {"forecast_year_end": {"known": 2, "of": 3, "rows_are": "projects"}}
    assert [row["values"]["forecast_next_year"] for row in area["rows"]] == [None, None, None]

    rows = list(csv.reader(io.StringIO(render_csv(report).decode("utf-8-sig"))))
    header = rows[0]
    total = next(row for row in rows if row[0].endswith(AREA) and row[1] == "total")
    next_year = next(index for index, label in enumerate(header) if label.startswith("Forecast 31/03/25"))
    assert total[next_year] == ""
    assert total[header.index("totals_cover")] == "Forecast 31/03/24 (£): 2 of 3 projects"

    workbook = load_workbook(io.BytesIO(render_xlsx(report)))
    sheet = next(ws for ws in workbook.worksheets if AREA[:20] in ws.title)
    labels = [cell.value for cell in sheet[3]]
    total_row = next(row for row in sheet.iter_rows(min_row=4) if row[0].value == "Total")
    assert total_row[labels.index("Forecast 31/03/25 (£000s)")].value is None
    forecast = total_row[labels.index("Forecast 31/03/24 (£000s)")]
    assert forecast.value == 380
    assert "2 of 3 projects" in forecast.comment.text


def test_transformation_headlines_say_what_is_not_known(imported):
    report = selectors.transformation_report(period=PERIOD)
    texts = {headline.key: headline.text for headline in report.headlines}
    assert "not known" in texts["cumulative_target"]  # no YTD budget column
    assert "£0" not in texts["cumulative_target"]
    assert "not known" in texts["shortfall_against_profile"]
    assert texts["actual"].startswith("Actual savings achieved are £0.050m")
    total = report.sections[-1].total
    assert total.get("ytd_budget") is None
    assert total.get("projected_shortfall") is None


def test_the_dashboard_says_not_known_rather_than_0(client, finance, imported):
    board = build_dashboard(period=PERIOD, schemes=selectors.scheme_exceptions(period=PERIOD), plans_not_updated=[])
    profile = {bar.label: bar for bar in board.profile_chart.bars}
    assert profile["YTD profile"].value is None
    assert profile["YTD profile"].text == "not known"
    assert board.figures.shortfall_against_profile is None
    client.force_login(finance)
    page = client.get(reverse("reporting:dashboard", args=[PERIOD.year, PERIOD.quarter])).content.decode()
    tile = page.split("YTD profile</span>")[1].split("</div>")[0]
    assert "not known" in tile
    assert "£0" not in tile


def test_a_quarter_with_no_figures_says_so_on_the_dashboard(client, finance):
    rows = [row[:6] for row in ROWS]  # targets only: no figure for the quarter
    summary = tracker_import(source=xlsx(rows, header=HEADER[:6]), user=finance)
    assert summary.committed, summary.errors
    client.force_login(finance)
    page = client.get(reverse("reporting:dashboard", args=[PERIOD.year, PERIOD.quarter])).content.decode()
    assert "No figures for this quarter yet" in page
    for tile in ("YTD profile", "YTD actual", "Shortfall against profile"):
        shown = page.split(f"{tile}</span>")[1].split("</div>")[0]
        assert "not known" in shown
        assert "£0" not in shown


def test_the_word_export_says_how_many_gave_a_partial_total_and_dashes_an_unknown(imported):
    from docx import Document

    from recovery.reporting.word import render_docx

    report, _ = appendix_total()
    document = Document(io.BytesIO(render_docx(report)))
    table = document.tables[0]
    total = [cell.text for cell in table.rows[-1].cells]
    assert total[:6] == ["Total", "600", "380 (2 of 3 projects)", "–", "–", "–"]


@pytest.mark.parametrize(
    ("actuals", "expected"),
    [
        ([None, None], "Actual savings achieved: not known (no year to date actual given)"),
        (
            [Decimal(50), None],
            "Actual savings achieved are £0.000m (year to date actual given for 1 of 2 schemes only), "
            "the shortfall against the profile is not known",
        ),
        (
            [Decimal(50), Decimal(0)],
            "Actual savings achieved are £0.000m, which is 16.7% of the full year target, "
            "the shortfall against the profile is not known",
        ),
    ],
)
def test_the_actual_savings_headline_never_invents_a_figure(actuals, expected):
    from datetime import datetime

    from recovery.reporting.builders import SchemeLine, build_transformation

    lines = [
        SchemeLine("D", "P", AREA, str(number), f"S{number}", Decimal(150), ytd_actual=actual)
        for number, actual in enumerate(actuals, start=1)
    ]
    report = build_transformation(period=PERIOD, lines=lines, organisation="Test", generated_at=datetime(2024, 1, 1))
    headline = next(headline for headline in report.headlines if headline.key == "actual")
    assert headline.text == expected
    assert "0.0%" not in headline.text
