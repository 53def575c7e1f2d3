"""manage.py import_tracker FILE [--dry-run]: the summary, warnings and errors one per line,
success with warnings, CommandError (having imported nothing) on any error."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from monitoring import services
from monitoring import tracker as tracker_module
from monitoring.management.commands import import_tracker as command_module
from monitoring.models import Scheme, SchemeQuarter
from recovery.periods import FinancialYear, Period, Quarter
from tests.monitoring.tracker_helpers import (
    TRACKER_002,
    TRACKER_004,
    broken_sheet,
    edited,
    scheme,
    state,
    xlsx,
    zip_bomb,
)

pytestmark = pytest.mark.django_db


def run(path, *args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_tracker", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def fails(path, *args: str) -> tuple[str, str, str]:
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError) as excinfo:
        call_command("import_tracker", str(path), *args, stdout=out, stderr=err)
    return str(excinfo.value), out.getvalue(), err.getvalue()


def written(tmp_path, data: bytes, name: str = "tracker.xlsx"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_dry_run_prints_the_summary_and_imports_nothing():
    before = state()
    out, err = run(TRACKER_004, "--dry-run")
    assert out.splitlines()[0] == "35 scheme rows: 35 new, 0 updated, 0 unchanged (would be imported)."
    assert "new service area: Adult Social Care Transformation (Adult Social Services)" in out.splitlines()
    assert err == ""
    assert state() == before


def test_import_prints_the_summary():
    out, err = run(TRACKER_004)
    assert out.splitlines()[0] == "35 scheme rows: 35 new, 0 updated, 0 unchanged (were imported)."
    assert err == ""
    assert Scheme.objects.count() == 35
    assert SchemeQuarter.objects.count() == 35
    assert {record.history_user for record in Scheme.history.all()} == {None}

    again, _ = run(TRACKER_004)
    assert again.splitlines() == ["35 scheme rows: 0 new, 0 updated, 35 unchanged (were imported)."]


def test_warnings_one_per_line_and_success():
    out, err = run(TRACKER_002)
    lines = out.splitlines()
    assert lines[0] == "27 scheme rows: 27 new, 0 updated, 0 unchanged (were imported)."
    warnings = [line for line in lines if line.startswith("warning: ")]
    assert warnings == ["warning: row 23, column Forecast (£000s): stated 4,312; rows 11–22 add up to 4,338."]
    assert err == ""
    assert Scheme.objects.filter(financial_year=FinancialYear(2022)).count() == 27


def test_dry_run_with_an_edited_file_counts_the_update(tmp_path):
    run(TRACKER_004)
    path = written(tmp_path, edited(TRACKER_004, {(3, "YTD actual"): 12500}))
    before = state()
    out, _ = run(path, "--dry-run")
    assert out.splitlines()[0] == "35 scheme rows: 0 new, 1 updated, 34 unchanged (would be imported)."
    assert "warning: row 8, column YTD actual: " in out
    assert state() == before


def test_errors_one_per_line_and_nothing_imported(tmp_path):
    run(TRACKER_004)
    good = {"financial_year": "2012/13", "directorate": "Adult Social Services"}
    rows = [
        scheme(**good, service_area="Adult Social Care Transformation", ref="99", title="A new scheme"),
        scheme(ref="2", title="Reablement", rag="PURPLE"),
        scheme(ref="3", title=None),
        scheme(ref="4", title="Meals", ytd_actual="lots"),
    ]
    path = written(tmp_path, xlsx(rows))
    before = state()

    message, out, err = fails(path)

    assert "nothing was imported" in message
    assert out.splitlines()[0].endswith("(would be imported).")
    assert err.splitlines() == [
        "error: row 3, column RAG: 'PURPLE' is not a RAG status: use RED, AMBER, GREEN or BLUE (or R, A, G, B).",
        "error: row 4, column Title: Title is required.",
        "error: row 5, column YTD actual: 'lots' is not an amount of money: write it like 1,234 or (2).",
    ]
    assert state() == before


@pytest.mark.parametrize(
    ("change", "column"),
    [
        ({"directorate": None}, "Directorate"),
        ({"service_area": None}, "Service area"),
        ({"financial_year": None}, "Financial year"),
        ({"target": None}, "Target"),
        ({"quarter": "Q5"}, "Quarter"),
        ({"financial_year": "2012/14"}, "Financial year"),
        ({"quarter": None}, "Quarter"),
    ],
)
def test_each_error_fails_the_command(tmp_path, change, column):
    path = written(tmp_path, xlsx([scheme(ref="1"), scheme(**{"ref": "2", **change})]))
    _, _, err = fails(path)
    assert err.splitlines()
    assert all(line.startswith(f"error: row 3, column {column}: ") for line in err.splitlines())
    assert Scheme.objects.count() == 0


def test_a_locked_quarter_fails_the_command(finance, tmp_path):
    run(TRACKER_004)
    services.quarter_lock(period=Period(FinancialYear(2012), Quarter.Q2), user=finance)
    path = written(tmp_path, edited(TRACKER_004, {(3, "YTD actual"): 12500}))
    before = state()
    _, _, err = fails(path)
    assert err.splitlines()[0] == "error: row 2, column Quarter: Q2 2012/13 is locked: its figures cannot be changed."
    assert state() == before


def test_a_missing_file(tmp_path):
    message, _, _ = fails(tmp_path / "nowhere.xlsx")
    assert "is not a file" in message


def test_a_directory_is_not_a_file(tmp_path):
    message, _, _ = fails(tmp_path)
    assert "is not a file" in message


BAD_FILES = {
    "plain text": (lambda: b"Financial year,Title,Target\n2023/24,Scheme,100\n", "not an Excel workbook"),
    "password": (lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 4096, "password-protected"),
    "no header": (lambda: xlsx([["Scheme", 100]] * 25, header=None), "has no header row"),
    "zip bomb": (lambda: zip_bomb(101), "too large once uncompressed"),
    "broken sheet": (broken_sheet, "cannot be read"),
}


@pytest.mark.parametrize("kind", BAD_FILES)
def test_an_unreadable_file_is_a_command_error(tmp_path, kind):
    make, words = BAD_FILES[kind]
    message, _, _ = fails(written(tmp_path, make()))
    assert words in message
    assert Scheme.objects.count() == 0


def test_over_the_byte_limit_before_reading(tmp_path, monkeypatch):
    monkeypatch.setattr(command_module, "MAX_BYTES", 100)
    message, _, _ = fails(TRACKER_004)
    assert "larger than" in message


def test_over_the_byte_limit_when_reading(monkeypatch):
    monkeypatch.setattr(tracker_module, "MAX_BYTES", 100)
    message, _, _ = fails(TRACKER_004)
    assert "larger than" in message
    assert Scheme.objects.count() == 0


def test_too_many_rows(monkeypatch):
    monkeypatch.setattr(tracker_module, "MAX_ROWS", 5)
    message, _, _ = fails(TRACKER_004, "--dry-run")
    assert "more than 5 rows" in message
