"""Workbooks as real offices' tools write them: a sheet's declared size (its ``<dimension>``
record) that is smaller or far larger than its data. The reader goes by the cells themselves,
and its memory follows the data, not the claim."""

from __future__ import annotations

import io
import re
import tracemalloc
import zipfile
from io import StringIO

import pytest
from django.core.management import call_command

from monitoring.models import Scheme
from monitoring.tracker import read_tracker
from tests.monitoring.tracker_helpers import scheme, xlsx, zip_bytes


def with_dimension(data: bytes, ref: str) -> bytes:
    """The workbook with its sheet's declared size replaced by ``ref`` (e.g. "A1:J2")."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    sheet = members["xl/worksheets/sheet1.xml"].decode()
    sheet, count = re.subn(r'<dimension ref="[^"]*"\s*/>', f'<dimension ref="{ref}"/>', sheet)
    assert count == 1
    members["xl/worksheets/sheet1.xml"] = sheet.encode()
    return zip_bytes(members)


def rows(count: int) -> list[dict]:
    return [scheme(ref=str(number), title=f"Scheme {number}") for number in range(1, count + 1)]


@pytest.mark.parametrize("declared", ["A1:J2", "A1:A1", "A1:K3", "B2:C3"])
@pytest.mark.parametrize("count", [2, 4, 9])
def test_a_declared_size_smaller_than_the_data_loses_no_row(declared, count):
    result = read_tracker(with_dimension(xlsx(rows(count)), declared))
    assert result.errors == []
    assert [row.ref for row in result.rows] == [str(number) for number in range(1, count + 1)]
    assert [row.row for row in result.rows] == list(range(2, count + 2))  # Excel's row numbers


@pytest.mark.django_db
def test_the_command_imports_every_row_of_a_sheet_declaring_fewer(tmp_path):
    path = tmp_path / "lying.xlsx"
    path.write_bytes(with_dimension(xlsx(rows(4)), "A1:J2"))
    out = StringIO()
    call_command("import_tracker", str(path), stdout=out, stderr=StringIO())
    assert out.getvalue().splitlines()[0] == "4 scheme rows: 4 new, 0 updated, 0 unchanged (were imported)."
    assert Scheme.objects.count() == 4


def test_a_blank_row_between_schemes_keeps_excel_row_numbers():
    data = xlsx([scheme(ref="1"), [None] * 11, [], scheme(ref="2")])
    result = read_tracker(with_dimension(data, "A1:B2"))
    assert [(row.ref, row.row) for row in result.rows] == [("1", 2), ("2", 5)]


def peak_mb(work) -> float:
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


def test_a_declared_size_far_larger_than_the_data_does_not_pad_rows():
    """300 rows declaring 16,384 columns: padded, they would hold 5 million cells (40 MB of
    pointers alone; 2.6 GB for 20,000 rows); read by their cells they take a few MB."""
    honest = xlsx(rows(300))
    lying = with_dimension(honest, "A1:XFD1048576")
    honest_peak = peak_mb(lambda: read_tracker(honest))
    lying_peak = peak_mb(lambda: read_tracker(lying))
    result = read_tracker(lying)
    assert len(result.rows) == 300
    assert lying_peak < max(2 * honest_peak, 15), (honest_peak, lying_peak)


def test_cells_far_to_the_right_are_not_read_into_memory():
    """Rows whose last cell is in column XFD are not padded to 16,384 cells."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Schemes"
    sheet.append(list(scheme().keys()))
    for number in range(1, 301):
        sheet.append(list(scheme(ref=str(number)).values()))
        sheet.cell(row=number + 1, column=16384, value="stray")
    buffer = io.BytesIO()
    workbook.save(buffer)
    data = buffer.getvalue()
    peak = peak_mb(lambda: read_tracker(data))
    result = read_tracker(data)
    assert result.errors == []
    assert len(result.rows) == 300
    assert peak < 15, peak


@pytest.mark.parametrize(
    ("cell", "expected"),
    [("1\u202f000", "1000"), ("\u22122\u00a0500", "-2500"), ("\u2013529", "-529"), ("(1\u2009234)", "-1234")],
)
def test_amounts_pasted_as_text_into_a_tracker_read_as_meant(cell, expected):
    from decimal import Decimal

    result = read_tracker(xlsx([scheme(ytd_actual=cell)]))
    assert result.errors == []
    assert result.rows[0].figures["ytd_actual"] == Decimal(expected)


def test_an_unbalanced_bracket_in_a_tracker_is_an_error_saying_why():
    result = read_tracker(xlsx([scheme(ytd_actual="(529")]))
    assert [str(problem) for problem in result.errors] == [
        "row 2, column YTD actual: '(529' has an opening bracket but no closing one: write a negative amount "
        "in brackets on both sides, (529), or as -529."
    ]
