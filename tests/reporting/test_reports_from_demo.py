"""The reports built from the database after ``manage.py load_demo``: seeds 002 (2022/23 Q3),
004 (2012/13 Q2) and plan FRB/23/007 (seed 000), read back through the JSON renderer. Every
figure is the seed's, in pounds, as an exact decimal string; the number of queries does not
grow with the number of schemes."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from plans.models import DeficitRecoveryPlan
from recovery.reporting import renderers, selectors
from recovery.reporting.report import Report
from tests.reporting.seeds import (
    APPENDIX_PERIOD,
    APPENDIX_SECTIONS,
    APPENDIX_TOTALS,
    MITIGATION_LINES,
    MONEY_COLUMNS,
    OVERALL,
    OVERALL_TOTAL,
    PORTFOLIOS,
    RAG_HEADLINES,
    TRANSFORMATION_HEADLINES,
    TRANSFORMATION_PERIOD,
    TRANSFORMATION_SUBTOTALS,
    multiply_schemes,
)

pytestmark = pytest.mark.django_db

EXACT = re.compile(r"^-?\d+(\.\d+)?$")


def as_json(report: Report) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(renderers.render_json(report))
    return data


def money(text: str | None) -> Decimal | None:
    """A JSON amount: an exact decimal string (never a float or an exponent)."""
    if text is None:
        return None
    assert isinstance(text, str), f"{text!r} is not a string"
    assert EXACT.match(text), f"{text!r} is not an exact decimal"
    return Decimal(text)


def json_section(data: dict[str, Any], key_or_name: str) -> dict[str, Any]:
    found = [s for s in data["sections"] if s["key"] == key_or_name or s["title"].split(". ", 1)[-1] == key_or_name]
    assert len(found) == 1, key_or_name
    return found[0]


@pytest.fixture
def appendix_data(demo) -> dict[str, Any]:
    return as_json(selectors.appendix_report(period=APPENDIX_PERIOD))


@pytest.fixture
def transformation_data(demo) -> dict[str, Any]:
    return as_json(selectors.transformation_report(period=TRANSFORMATION_PERIOD))


# Appendix 1 -------------------------------------------------------------------------------------


def test_appendix_from_the_database_has_the_seed_sections(appendix_data):
    titles = [s["title"] for s in appendix_data["sections"]]
    assert titles == [f"{n}. {name}" for n, name in enumerate(APPENDIX_SECTIONS, start=1)] + ["7. Overall Total"]
    assert appendix_data["kind"] == "appendix"


@pytest.mark.parametrize("area", APPENDIX_SECTIONS)
def test_appendix_section_totals_from_the_database(appendix_data, area):
    total = json_section(appendix_data, area)["total"]["values"]
    figures = [money(total[key]) for key in ("target", "forecast_year_end", "forecast_next_year", "ytd_actual")]
    assert figures == [Decimal(value) for value in APPENDIX_TOTALS[area]]
    assert total["timeline"] == MITIGATION_LINES.get(area, total["timeline"])


def test_appendix_overall_total_from_the_database(appendix_data):
    overall = json_section(appendix_data, "overall")
    rows = {row["values"]["portfolio"]: row["values"] for row in overall["rows"]}
    assert list(rows) == PORTFOLIOS
    for portfolio, (target, forecast, forecast_next, mitigations) in OVERALL.items():
        values = rows[portfolio]
        assert money(values["target"]) == Decimal(target), portfolio
        assert money(values["forecast_year_end"]) == (forecast and Decimal(forecast)), portfolio
        assert money(values["forecast_next_year"]) == (forecast_next and Decimal(forecast_next)), portfolio
        assert money(values["mitigations"]) == Decimal(mitigations), portfolio
    total = overall["total"]["values"]
    assert [money(total[key]) for key in ("target", "forecast_year_end", "forecast_next_year", "mitigations")] == [
        Decimal(value) for value in OVERALL_TOTAL
    ]
    assert round(money(total["percent_year_end"]) * 100) == 63
    assert round(money(total["percent_next_year"]) * 100) == 96


def test_appendix_notes_name_the_stated_totals_that_disagree(appendix_data):
    notes = appendix_data["notes"]
    assert any("4,338" in note and "4,312" in note for note in notes), notes
    assert any(note.startswith("Total") and "15,925" in note and "15,899" in note for note in notes), notes
    # Every other stated total agrees with the rows (2,833 is 2,833.4 in whole £000s).
    assert not [note for note in notes if "2,833" in note]
    assert not [note for note in notes if "10,888" in note or "25,201" in note]


def test_appendix_generated_at_is_iso(appendix_data):
    assert re.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}", appendix_data["generated_at"])


# Transformation Plan update -----------------------------------------------------------------------


def test_transformation_headlines_from_the_database(transformation_data):
    text = "\n".join(h["text"] for h in transformation_data["headlines"])
    for expected in TRANSFORMATION_HEADLINES:
        assert expected in text
    for rag, parts in RAG_HEADLINES.items():
        line = next(h["text"] for h in transformation_data["headlines"] if h["key"] == f"rag_{rag.lower()}")
        assert all(part in line for part in parts), line
    values = {h["key"]: h["value"] for h in transformation_data["headlines"]}
    assert money(values["total_target"]) == Decimal("7956000")
    assert money(values["cumulative_target"]) == Decimal("1849232")
    assert money(values["actual"]) == Decimal("1691122")
    assert money(values["unallocated"]) == Decimal("436298")
    assert values["scheme_count"] == 34


@pytest.mark.parametrize("group", list(TRANSFORMATION_SUBTOTALS))
def test_transformation_subtotals_from_the_database(transformation_data, group):
    key = "total" if group == "TOTAL" else f"rag-{group.lower()}"
    total = json_section(transformation_data, key)["total"]
    assert [money(total["values"][column]) for column in MONEY_COLUMNS] == [
        Decimal(value) for value in TRANSFORMATION_SUBTOTALS[group]
    ]


def test_transformation_rows_from_the_database(transformation_data):
    red = json_section(transformation_data, "rag-red")
    assert red["rag"] == "RED"
    assert [row["kind"] for row in red["rows"]] == ["item"] * 5 + ["unallocated"]
    assert [row["values"]["ref"] for row in red["rows"]] == ["1", "7", "8", "15", "16a", ""]
    assert {row["values"]["rag"] for row in red["rows"]} == {"RED"}
    green = json_section(transformation_data, "rag-green")
    blank = next(row["values"] for row in green["rows"] if row["values"]["ref"] == "6b")
    assert blank["ytd_budget"] == "0.00"  # printed blank: nil
    assert money(blank["balance"]) == Decimal("13854")


# A plan as filed ------------------------------------------------------------------------------------


@pytest.fixture
def plan_data(demo) -> dict[str, Any]:
    plan = DeficitRecoveryPlan.objects.with_organisation().get(tracker_ref="FRB/23/007")
    return as_json(selectors.plan_report(plan=plan))


def test_plan_report_header_fields(plan_data):
    header = json_section(plan_data, "header")
    fields = dict(header["fields"])
    assert fields["Combined Tracker Ref."] == "FRB/23/007"
    assert fields["Activity/Cost centres"] == "FF4104"
    assert fields["22/23 Budget £'000"] == "-2"
    assert fields["22/23 Outturn £'000"] == "397"
    pressure = next(value for label, value in header["fields"] if label.startswith("Pressure"))
    assert pressure == "399"


def test_plan_report_milestone(plan_data):
    milestones = json_section(plan_data, "milestones")
    assert len(milestones["rows"]) == 1
    row = milestones["rows"][0]["values"]
    assert money(row["amount"]) == Decimal("80000")
    assert row["due"] == "2023/2024"


def test_plan_report_quarter_rows(plan_data):
    rows = [row["values"] for row in json_section(plan_data, "quarterly")["rows"]]
    assert [row["quarter"] for row in rows] == [
        "QUARTER 1 (TO 30/06/2023)",
        "QUARTER 2 (TO 30/09/2023)",
        "QUARTER 3 (TO 31/12/2023)",
        "QUARTER 4 (TO 31/03/2024)",
    ]
    q3 = rows[2]
    # Seed 000's Q3 update is a draft: its manager's own, so the report does not print it.
    assert (q3["narrative"], q3["status"]) == ("", "Not started")
    assert rows[0]["status"] == "Not started"


# Query counts ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "period"),
    [
        (selectors.appendix_report, APPENDIX_PERIOD),
        (selectors.transformation_report, TRANSFORMATION_PERIOD),
    ],
    ids=["appendix", "transformation"],
)
def test_query_count_does_not_grow_with_the_schemes(demo, build, period):
    with CaptureQueriesContext(connection) as few:
        report = build(period=period)
    rows_before = sum(len(s.rows) for s in report.sections if s.key not in ("overall", "total"))
    originals = multiply_schemes(period, 10)
    with CaptureQueriesContext(connection) as many:
        report = build(period=period)
    rows_after = sum(len(s.rows) for s in report.sections if s.key not in ("overall", "total"))
    assert rows_before == originals
    assert rows_after == 11 * originals
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
