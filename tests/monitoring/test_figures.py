"""One definition of each figure (monitoring.figures): every list of a scheme's figures is
derived from it, the importer answers to every header a figure lists, and a tracker that has
two columns for one fact ("Achieved to date" and "YTD actual") is read as one figure."""

from __future__ import annotations

import dataclasses
import re
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitoring import figures as figures_module
from monitoring.calculations import SchemeFigures
from monitoring.figures import AMOUNT_FIGURES, QUARTER_FIGURE_NAMES, QUARTER_FIGURES, YTD_ACTUAL, figure_for_header
from monitoring.forms import SchemeQuarterForm
from monitoring.models import SchemeQuarter
from monitoring.services import SCHEME_QUARTER_FIELDS
from monitoring.tracker import read_tracker
from recovery.reporting.builders import SchemeLine
from tests.monitoring.tracker_helpers import xlsx

README = Path(__file__).resolve().parents[2] / "README.md"
BASE = ["Financial year", "Quarter", "Directorate", "Service area", "Title", "Target"]
BASE_ROW = ["2022/23", "Q3", "Adult Social Care", "Living and Ageing Well", "Operating model and MER", 1500]


def money_fields_of_scheme_quarter() -> set[str]:
    return {
        field.name
        for field in SchemeQuarter._meta.get_fields()
        if getattr(field, "get_internal_type", lambda: "")() == "DecimalField"
    }


def test_the_model_has_one_field_per_quarterly_figure_and_no_other_amount():
    assert money_fields_of_scheme_quarter() == set(QUARTER_FIGURE_NAMES)


def test_the_lists_of_figures_are_derived_from_the_definitions():
    assert {field.name for field in dataclasses.fields(SchemeFigures)} == {"target", *QUARTER_FIGURE_NAMES}
    assert set(QUARTER_FIGURE_NAMES) <= {field.name for field in dataclasses.fields(SchemeLine)}
    assert set(SCHEME_QUARTER_FIELDS) == {*QUARTER_FIGURE_NAMES, "commentary"}
    form_money = [name for name in SchemeQuarterForm().fields if name in QUARTER_FIGURE_NAMES]
    assert form_money == list(QUARTER_FIGURE_NAMES)


def test_no_header_answers_to_two_figures():
    keys = [key for figure in AMOUNT_FIGURES for key in figure.header_keys]
    assert len(keys) == len(set(keys))


@settings(deadline=None)
@given(
    figure=st.sampled_from(AMOUNT_FIGURES),
    data=st.data(),
)
def test_every_header_a_figure_lists_answers_to_it_however_it_is_written(figure, data):
    header = data.draw(st.sampled_from(figure.headers))
    spaced = "".join(
        data.draw(st.sampled_from([ch.upper(), ch.lower()])) + data.draw(st.sampled_from(["", " ", "_"]))
        for ch in header
    )
    assert figure_for_header(spaced) is figure


@pytest.mark.parametrize("header", YTD_ACTUAL.headers)
@pytest.mark.parametrize("unit", ["", " (£000s)"])
def test_the_importer_reads_every_ytd_actual_header_as_ytd_actual(header, unit):
    result = read_tracker(xlsx([[*BASE_ROW, 925]], header=[*BASE, header + unit]))
    assert result.errors == []
    multiplier = 1000 if unit else 1
    assert result.rows[0].figures["ytd_actual"] == Decimal(925 * multiplier)


@pytest.mark.parametrize(
    ("achieved", "actual", "expected"),
    [
        (925, 925000, Decimal(925000)),
        (925, None, Decimal(925000)),
        (None, 925000, Decimal(925000)),
        (None, None, Decimal(0)),
    ],
)
def test_a_file_with_both_columns_that_agree_or_fill_in_one_is_read_as_one_figure(achieved, actual, expected):
    header = [*BASE, "Achieved to date (£000s)", "YTD actual"]
    result = read_tracker(xlsx([[*BASE_ROW, achieved, actual]], header=header))
    assert result.errors == []
    assert result.rows[0].figures["ytd_actual"] == expected
    assert not [warning for warning in result.warnings if "Achieved" in str(warning) or "YTD" in str(warning)]


@settings(deadline=None)
@given(
    achieved=st.integers(min_value=-10_000, max_value=10_000),
    actual=st.integers(min_value=-10_000_000, max_value=10_000_000),
    blank_rows=st.integers(min_value=0, max_value=3),
)
def test_both_columns_disagreeing_on_a_row_is_an_error_naming_the_row_and_both_values(achieved, actual, blank_rows):
    if achieved * 1000 == actual:
        actual += 1
    header = [*BASE, "Achieved to date (£000s)", "YTD actual"]
    rows = [[*BASE_ROW[:4], f"Scheme {n}", 100, 1, 1000] for n in range(blank_rows)]
    rows.append([*BASE_ROW, achieved, actual])
    result = read_tracker(xlsx(rows, header=header))
    assert len(result.errors) == 1
    error = result.errors[0]
    assert error.row == blank_rows + 2
    text = str(error)
    assert f"row {blank_rows + 2}" in text
    assert re.search(rf"Achieved to date \(£000s\) is {achieved}\b", text)
    assert re.search(rf"YTD actual is {actual}\b", text)


def test_readme_data_dictionary_names_each_figure_once_with_every_header_it_accepts():
    readme = README.read_text(encoding="utf-8")
    start = readme.index("#### Data dictionary")
    dictionary = readme[start : readme.index("\nLimits", start)]
    for figure in AMOUNT_FIGURES:
        entries = re.findall(rf"^\| `{figure.name}` \|.*$", dictionary, flags=re.MULTILINE)
        assert len(entries) == 1, f"{figure.name} is named {len(entries)} times"
        for header in figure.headers:
            assert header in entries[0], f"{figure.name}: README does not list the header {header!r}"
    assert "`achieved_to_date`" not in dictionary


def test_the_definitions_module_has_no_django_import():
    source = Path(figures_module.__file__).read_text(encoding="utf-8")
    assert "django" not in source.lower().replace("no django", "")


def test_quarter_figures_are_in_display_order_and_all_amounts():
    assert [figure.name for figure in QUARTER_FIGURES] == list(QUARTER_FIGURE_NAMES)
    assert all(figure.unit == "£" for figure in AMOUNT_FIGURES)
