"""Reading a savings-tracker workbook (monitoring.tracker.read_tracker), without the database:
columns, units, cells, every kind of invalid row, stated totals, and files that cannot be read.
Workbooks are built in memory; expected amounts are written out by hand."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest

from monitoring import tracker as tracker_module
from monitoring.tracker import TrackerUnreadable, read_tracker
from recovery.periods import FinancialYear, Quarter
from recovery.rag import RAG
from tests.monitoring.tracker_helpers import (
    HEADER,
    TRACKER_004,
    broken_sheet,
    scheme,
    total,
    xlsx,
    zip_bomb,
    zip_bytes,
)


def only_row(data: bytes):
    result = read_tracker(data)
    assert result.errors == []
    assert len(result.rows) == 1
    return result.rows[0]


# Units and cells


@pytest.mark.parametrize(
    ("header", "cell", "expected"),
    [
        ("Target", 150000, Decimal("150000")),
        ("Target (£000s)", 150, Decimal("150000")),
        ("Target (£000)", 150, Decimal("150000")),
        ("Target (£000s)", 266.4, Decimal("266400")),
        ("Target (£m)", 7.956, Decimal("7956000")),
        ("Target (£m)", "1.5", Decimal("1500000")),
        ("Target", "£1,234", Decimal("1234")),
        ("Target", "1,234.50", Decimal("1234.50")),
        ("Target", "(529)", Decimal("-529")),
        ("Target (£000s)", "(529)", Decimal("-529000")),
        ("Target", 18849.84, Decimal("18849.84")),
    ],
)
def test_target_in_the_headers_unit(header, cell, expected):
    row = only_row(xlsx([["2023/24", "Living and Ageing Well", "Adult Social Care", "A scheme", cell]], header=[
        "Financial year", "Service area", "Directorate", "Title", header,
    ]))  # fmt: skip
    assert row.target == expected
    assert isinstance(row.target, Decimal)


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("£1,234", Decimal("1234")),
        ("1,234.50", Decimal("1234.50")),
        ("(529)", Decimal("-529")),
        ("-", Decimal("0")),  # a dash is nil (zero) ...
        ("–", Decimal("0")),
        ("—", Decimal("0")),
        (None, Decimal("0")),  # ... and so is a blank cell in a column the tracker has (DOMAIN.md)
        ("", Decimal("0")),
        ("   ", Decimal("0")),
        (18849.84, Decimal("18849.84")),
        (0, Decimal("0")),
        ("0", Decimal("0")),
    ],
)
def test_figure_cells(cell, expected):
    row = only_row(xlsx([scheme(ytd_actual=cell)]))
    assert row.figures["ytd_actual"] == expected
    assert (row.figures["ytd_actual"] is None) is (expected is None)
    assert row.figures["ytd_budget"] == Decimal("150000")


def test_a_figure_whose_column_the_tracker_lacks_is_unknown():
    header = ["Financial year", "Quarter", "Directorate", "Service area", "Title", "Target", "YTD actual"]
    row = only_row(xlsx([["2023/24", "Q2", "Adult Social Care", "Adults with a Disability", "Scheme", 400, None]],
                        header=header))  # fmt: skip
    assert row.figures["ytd_actual"] == Decimal(0)
    assert all(row.figures[name] is None for name in row.figures if name != "ytd_actual")


def test_figures_in_thousands_and_millions():
    header = ["Financial year", "Quarter", "Directorate", "Service area", "Title", "Target (£000s)",
              "YTD budget (£m)", "Forecast (£000s)", "Achieved to date (£000s)"]  # fmt: skip
    row = only_row(xlsx([["2022/23", "Q3", "Adult Social Care", "Adults with a Disability",
                          "Efficiency through integration", 400, 0.25, "1,234", 266.4]], header=header))  # fmt: skip
    assert row.target == Decimal("400000")
    assert row.figures["ytd_budget"] == Decimal("250000")
    assert row.figures["forecast_year_end"] == Decimal("1234000")
    assert row.figures["ytd_actual"] == Decimal("266400")


# Columns


def test_columns_in_any_order_case_and_spacing():
    header = ["TITLE", "target", "service Area", "financial YEAR", "DIRECTORATE", " Quarter ", "ytd ACTUAL",
              "rag", "Commentary"]  # fmt: skip
    row = only_row(xlsx([["Reablement", 379000, "Living and Ageing Well", "2012/13", "Adult Social Services", "q2",
                          "24,258", "g", "Slipped to Q3."]], header=header))  # fmt: skip
    assert row.title == "Reablement"
    assert row.target == Decimal("379000")
    assert row.service_area == "Living and Ageing Well"
    assert row.financial_year == FinancialYear(2012)
    assert row.directorate == "Adult Social Services"
    assert row.quarter == Quarter.Q2
    assert row.figures["ytd_actual"] == Decimal("24258")
    assert row.rag == RAG.GREEN
    assert row.challenges == "Slipped to Q3."


def test_an_extra_column_is_ignored_with_a_warning():
    result = read_tracker(xlsx([[*scheme().values(), "call Deb"]], header=[*HEADER, "Notes"]))
    assert result.errors == []
    assert len(result.rows) == 1
    assert len(result.warnings) == 1
    warning = result.warnings[0]
    assert warning.row == 1
    assert "Notes" in str(warning)
    assert "ignored" in str(warning)
    assert "call Deb" not in repr(result.rows[0])


@pytest.mark.parametrize("missing", ["Financial year", "Directorate", "Service area"])
def test_a_missing_required_column_is_an_error(missing):
    header = [name for name in HEADER if name != missing]
    values = {key: value for key, value in scheme().items() if key != missing}
    result = read_tracker(xlsx([values], header=header))
    assert result.rows == []
    assert len(result.errors) == 1
    assert result.errors[0].row == 1
    assert f"no {missing} column" in str(result.errors[0])
    assert not result.ok


def test_several_missing_columns_are_named_in_one_error():
    result = read_tracker(xlsx([["Reablement", 379000]], header=["Title", "Target"]))
    assert [str(error) for error in result.errors] == [
        "row 1: the header row has no Financial year, Directorate, Service area column."
    ]


def test_without_a_target_column_there_is_no_header_row():
    # Title and Target are what mark the header row: a sheet without Target is refused whole.
    header = [name for name in HEADER if name != "Target"]
    values = {key: value for key, value in scheme().items() if key != "Target"}
    with pytest.raises(TrackerUnreadable, match="Target"):
        read_tracker(xlsx([values], header=header))


def test_the_sheet_named_schemes_is_read_rather_than_the_first():
    cover = [["Title", "Target"], ["Cover note", "not an amount"]]
    result = read_tracker(xlsx([scheme()], before=[("Cover", cover)], sheet="Schemes"))
    assert result.sheet == "Schemes"
    assert result.errors == []
    assert [row.title for row in result.rows] == ["Reduced Agency Spend"]


def test_without_a_schemes_sheet_the_first_sheet_is_read():
    first = [HEADER, scheme(title="First").values()]
    result = read_tracker(xlsx([scheme(title="Second")], sheet="Cover", before=[("Q2 tracker", first)]))
    assert result.sheet == "Q2 tracker"
    assert [row.title for row in result.rows] == ["First"]


def test_header_below_title_rows_and_row_numbers_as_excel_shows_them():
    result = read_tracker(xlsx([scheme(), scheme(ref="2", title="")], leading=[["Transformation tracker"], []]))
    assert len(result.rows) == 1
    assert result.rows[0].row == 4
    assert [(error.row, error.column) for error in result.errors] == [(5, "Title")]


def test_defaults_portfolio_recurrent_unallocated():
    row = only_row(xlsx([scheme()]))
    assert row.portfolio == "Living and Ageing Well"
    assert row.recurrence == "R"
    assert row.unallocated is False
    assert row.ref == "1"


def test_portfolio_recurrent_and_unallocated_given():
    header = [*HEADER, "Portfolio", "Recurrent", "Unallocated"]
    result = read_tracker(xlsx([
        [*scheme(ref="11", title="New packages").values(), "Adults", "NR", None],
        [*scheme(ref="", title="Additional savings requirement").values(), "Adults", None, "Y"],
    ], header=header))  # fmt: skip
    assert result.errors == []
    packages, unallocated = result.rows
    assert (packages.portfolio, packages.recurrence, packages.unallocated) == ("Adults", "NR", False)
    assert unallocated.unallocated is True
    assert unallocated.recurrence == ""


def test_quarter_blank_is_the_year_start():
    header = ["Financial year", "Quarter", "Directorate", "Service area", "Title", "Target", "YTD actual", "RAG"]
    row = only_row(xlsx([["2024/25", None, "Adult Social Care", "Living and Ageing Well", "New scheme", 1000,
                          None, None]], header=header))  # fmt: skip
    assert row.quarter is None
    assert row.has_quarter_figures is False


# Invalid rows: each is an error naming the sheet, row, column and value


@pytest.mark.parametrize(
    ("change", "column", "value", "words"),
    [
        ({"title": None}, "Title", "", "required"),
        ({"directorate": ""}, "Directorate", "", "required"),
        ({"service_area": None}, "Service area", "", "required"),
        ({"financial_year": None}, "Financial year", "", "required"),
        ({"target": None}, "Target", "", "required"),
        ({"target": "abc"}, "Target", "abc", "not an amount"),
        ({"ytd_actual": "12,34"}, "YTD actual", "12,34", "thousands separators"),
        ({"ytd_budget": "£1,234.567"}, "YTD budget", "£1,234.567", "decimal places"),
        ({"rag": "PURPLE"}, "RAG", "PURPLE", "not a RAG status"),
        ({"quarter": "Q5"}, "Quarter", "Q5", "not a quarter"),
        ({"financial_year": "2012/14"}, "Financial year", "2012/14", "second year must follow"),
        ({"quarter": None}, "Quarter", "", "give the Quarter"),
    ],
)
def test_an_invalid_row_is_an_error_naming_row_column_and_value(change, column, value, words):
    result = read_tracker(
        xlsx([scheme(ref="1"), scheme(**{"ref": "2", "title": "Reablement", **change}), scheme(ref="3")])
    )
    assert not result.ok
    error = next(error for error in result.errors if words in error.message)
    assert (error.sheet, error.row, error.column, error.value) == ("Schemes", 3, column, value)
    assert str(error).startswith(f"row 3, column {column}: ")
    assert {(error.row, error.column) for error in result.errors} == {(3, column)}
    assert [row.ref for row in result.rows] == ["1", "3"]


def test_a_rag_without_a_quarter_is_an_error():
    result = read_tracker(xlsx([scheme(quarter=None, ytd_budget=None, ytd_actual=None, projected_shortfall=None)]))
    assert [(error.row, error.column) for error in result.errors] == [(2, "Quarter")]


def test_every_invalid_cell_of_a_row_is_reported():
    result = read_tracker(xlsx([scheme(title=None, rag="PURPLE", ytd_actual="lots")]))
    assert {(error.row, error.column, error.value) for error in result.errors} == {
        (2, "Title", ""),
        (2, "RAG", "PURPLE"),
        (2, "YTD actual", "lots"),
    }
    assert result.rows == []


def test_the_unit_header_is_named_in_the_error():
    header = ["Financial year", "Directorate", "Service area", "Title", "Target (£000s)"]
    result = read_tracker(xlsx([["2022/23", "Adult Social Care", "Living and Ageing Well", "Review", "3.470.1"]],
                               header=header))  # fmt: skip
    assert [(error.row, error.column, error.value) for error in result.errors] == [(2, "Target (£000s)", "3.470.1")]


# Stated totals


def test_stated_total_rows_are_not_imported():
    labels = ["Total", "TOTAL", "Sub-total", "Subtotal", "Sub total", "Grand total", "Total:"]
    rows = []
    for index, label in enumerate(labels):
        rows += [scheme(ref=str(index), target=1000), total(label)]
    result = read_tracker(xlsx(rows))
    assert result.errors == []
    assert [row.ref for row in result.rows] == [str(index) for index in range(len(labels))]


def test_a_total_named_in_the_ref_column_is_not_imported():
    result = read_tracker(xlsx([scheme(target=1000), {"Ref": "Sub-total", "Target": 2000}]))
    assert len(result.rows) == 1
    assert [(warning.row, warning.column) for warning in result.warnings] == [(3, "Target")]


def test_a_matching_total_gives_no_warning():
    result = read_tracker(xlsx([
        scheme(ref="1", target=50000, ytd_budget=0, ytd_actual=0, projected_shortfall=50000),
        scheme(ref="7", target=143000, ytd_budget=47672, ytd_actual=0, projected_shortfall=143000),
        total("Sub-total", target=193000, ytd_budget=47672, ytd_actual=0, projected_shortfall=193000),
    ]))  # fmt: skip
    assert result.errors == []
    assert result.warnings == []


def test_a_differing_total_is_a_warning_naming_row_column_stated_and_computed():
    result = read_tracker(xlsx([
        scheme(ref="1", target=50000),
        scheme(ref="7", target=143000),
        total("Sub-total", target=193100, ytd_budget=300000),
    ]))  # fmt: skip
    assert result.errors == []
    assert len(result.rows) == 2
    assert len(result.warnings) == 1
    warning = result.warnings[0]
    assert (warning.row, warning.column) == (4, "Target")
    assert "193,100" in warning.message
    assert "193,000" in warning.message
    assert str(warning).startswith("row 4, column Target: ")


def test_a_sub_total_covers_the_rows_since_the_previous_total():
    result = read_tracker(xlsx([
        scheme(ref="1", target=100),
        total("Sub-total", target=100),
        scheme(ref="2", target=200),
        scheme(ref="3", target=50),
        total("Sub-total", target=250),
    ]))  # fmt: skip
    assert result.warnings == []


def test_a_sub_total_that_adds_in_earlier_sections_is_a_warning():
    result = read_tracker(xlsx([
        scheme(ref="1", target=100),
        total("Sub-total", target=100),
        scheme(ref="2", target=200),
        total("Sub-total", target=300),
    ]))  # fmt: skip
    assert [(warning.row, warning.column) for warning in result.warnings] == [(5, "Target")]
    assert "300" in result.warnings[0].message
    assert "200" in result.warnings[0].message


@pytest.mark.parametrize(("stated", "warned"), [(350, False), (250, True)])
def test_a_total_after_a_sub_total_covers_every_row(stated, warned):
    result = read_tracker(xlsx([
        scheme(ref="1", target=100),
        total("Sub-total", target=100),
        scheme(ref="2", target=200),
        scheme(ref="3", target=50),
        total("Sub-total", target=250),
        total("TOTAL", target=stated),
    ]))  # fmt: skip
    assert [(warning.row, warning.column) for warning in result.warnings] == ([(7, "Target")] if warned else [])
    if warned:
        assert "250" in result.warnings[0].message
        assert "350" in result.warnings[0].message


@pytest.mark.parametrize(("stated", "warned"), [(300, False), (200, True)])
def test_a_grand_total_covers_every_row(stated, warned):
    result = read_tracker(xlsx([
        scheme(ref="1", target=100),
        total("Sub-total", target=100),
        scheme(ref="2", target=200),
        total("Grand total", target=stated),
    ]))  # fmt: skip
    assert [(warning.row, warning.column) for warning in result.warnings] == ([(5, "Target")] if warned else [])


def test_a_blank_cell_in_a_total_row_is_not_compared():
    result = read_tracker(xlsx([
        scheme(ref="1", target=100, ytd_budget=40, ytd_actual=30),
        scheme(ref="2", target=200, ytd_budget=60, ytd_actual=70),
        total("Total", target=300, ytd_budget=None, ytd_actual=""),
    ]))  # fmt: skip
    assert result.warnings == []


def test_an_unreadable_amount_in_a_total_row_is_a_warning_not_an_error():
    result = read_tracker(xlsx([scheme(ref="1", target=100), total("Total", target="n/a")]))
    assert result.errors == []
    assert [(warning.row, warning.column, warning.value) for warning in result.warnings] == [(3, "Target", "n/a")]


def thousands(*rows, stated):
    header = ["Financial year", "Directorate", "Service area", "Title", "Target (£000s)"]
    body = [["2022/23", "Adult Social Care", "Adults with a Disability", f"Scheme {n}", value]
            for n, value in enumerate(rows)]  # fmt: skip
    return read_tracker(xlsx([*body, [None, None, None, "Total", stated]], header=header))


def test_a_total_is_compared_at_the_precision_it_is_stated():
    # 2,800 + 33.4 = 2,833.4 (£000s): a printed 2,833 agrees.
    assert thousands(2800, 33.4, stated=2833).warnings == []
    assert thousands(2800, 33.4, stated="2,833").warnings == []
    assert thousands(2800, 33.4, stated=2833.4).warnings == []


def test_a_total_off_at_its_precision_is_a_warning():
    result = thousands(2800, 33.4, stated=2834)
    assert len(result.warnings) == 1
    assert (result.warnings[0].row, result.warnings[0].column) == (4, "Target (£000s)")
    assert "2,834" in result.warnings[0].message
    assert "2,833.4" in result.warnings[0].message
    assert len(thousands(2800, 33.45, stated=2833.4).warnings) == 1


def test_a_total_typed_with_pence_is_compared_to_the_penny():
    # "1,000.50" states pence: rows adding up to 1,000.54 do not agree with it.
    header = ["Financial year", "Directorate", "Service area", "Title", "Target"]
    rows = [["2023/24", "Adult Social Care", "Living and Ageing Well", "A", "600.27"],
            ["2023/24", "Adult Social Care", "Living and Ageing Well", "B", "400.27"],
            [None, None, None, "Total", "1,000.50"]]  # fmt: skip
    result = read_tracker(xlsx(rows, header=header))
    assert [(warning.row, warning.column) for warning in result.warnings] == [(4, "Target")]


# The seed trackers


def test_seed_004_tracker_reads_without_warnings():
    result = read_tracker(TRACKER_004.read_bytes())
    assert result.errors == []
    assert result.warnings == []
    assert len(result.rows) == 35
    six_b = next(row for row in result.rows if row.ref == "6b")
    # The seed's blank YTD budget is nil (DOMAIN.md): the workbook writes it as a dash, read as 0.
    assert six_b.figures["ytd_budget"] == Decimal(0)
    assert six_b.figures["ytd_budget"] is not None
    assert six_b.figures["ytd_actual"] == Decimal("236146")
    # The seed has no forecast columns: unknown, not 0.
    assert six_b.figures["forecast_year_end"] is None
    assert six_b.figures["forecast_next_year"] is None


def test_read_tracker_takes_a_file_object():
    result = read_tracker(io.BytesIO(TRACKER_004.read_bytes()))
    assert len(result.rows) == 35


# Files that cannot be read: a clear message, never a crash

OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def unreadable(data: bytes) -> str:
    with pytest.raises(TrackerUnreadable) as excinfo:
        read_tracker(data)
    return str(excinfo.value)


def test_plain_text_is_not_a_workbook():
    assert "not an Excel workbook" in unreadable(b"Financial year,Title,Target\n2023/24,Scheme,100\n")


def test_empty_file_is_not_a_workbook():
    assert "not an Excel workbook" in unreadable(b"")


def test_a_zip_that_is_not_a_workbook():
    assert "not an Excel workbook" in unreadable(zip_bytes({"word/document.xml": b"<document/>"}))


def test_password_protected_workbook():
    assert "password" in unreadable(OLE + b"\0" * 4096)


def test_a_broken_workbook_inside_a_zip():
    message = unreadable(zip_bytes({"[Content_Types].xml": b"<Types", "xl/workbook.xml": b"<workbook"}))
    assert "cannot be read" in message


def test_a_workbook_with_a_broken_sheet():
    # openpyxl reads a sheet only when its rows are asked for: the XML error comes late.
    assert "cannot be read" in unreadable(broken_sheet())


def test_no_header_row_in_the_first_twenty_rows():
    rows = [[f"Scheme {n}", "2023/24", n * 1000] for n in range(20)]
    rows.append(["Title", "Financial year", "Target"])
    message = unreadable(xlsx(rows, header=None))
    assert "no header row" in message
    assert "Title" in message
    assert "Target" in message


def test_an_empty_sheet_has_no_header_row():
    assert "no header row" in unreadable(xlsx([], header=None))


def test_over_the_byte_limit(monkeypatch):
    data = xlsx([scheme()])
    monkeypatch.setattr(tracker_module, "MAX_BYTES", len(data) - 1)
    assert "larger than" in unreadable(data)


def test_too_many_rows(monkeypatch):
    monkeypatch.setattr(tracker_module, "MAX_ROWS", 5)
    message = unreadable(xlsx([scheme(ref=str(n)) for n in range(40)]))
    assert "more than 5 rows" in message


def test_zip_bomb_by_monkeypatched_limit(monkeypatch):
    data = xlsx([scheme()])
    monkeypatch.setattr(tracker_module, "MAX_UNCOMPRESSED_BYTES", 1000)
    assert "too large once uncompressed" in unreadable(data)


def test_zip_bomb():
    # 101 MB of zeros, compressed to about 100 KB: under the upload limit, over the unzip limit.
    data = zip_bomb(101)
    assert len(data) < tracker_module.MAX_BYTES
    assert "too large once uncompressed" in unreadable(data)
