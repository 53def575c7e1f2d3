"""Progress of a large import: rows read, checked and written, reported every 1,000 rows and at
the end (for the command line's progress line, and for a background job's status)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from monitoring.imports import tracker_import, tracker_preview
from tests.monitoring.tracker_helpers import scheme, xlsx

pytestmark = pytest.mark.django_db

ROWS = 2_500


@pytest.fixture(scope="module")
def large_file() -> bytes:
    return xlsx([scheme(ref=str(n), title=f"Scheme {n}") for n in range(ROWS)])


def test_the_import_reports_rows_read_checked_and_written(large_file, finance):
    reports: list[dict[str, int]] = []
    summary = tracker_import(source=large_file, user=finance, progress=lambda **counts: reports.append(counts))

    assert summary.committed
    assert reports == [
        {"read": 1000},
        {"read": 2000},
        {"read": ROWS + 1},  # the header row is read too
        {"checked": 1000},
        {"checked": 2000},
        {"checked": ROWS},
        {"written": ROWS},
    ]


def test_a_preview_writes_nothing_and_says_so(large_file):
    reports: list[dict[str, int]] = []
    tracker_preview(source=large_file, progress=lambda **counts: reports.append(counts))
    assert [report for report in reports if "written" in report] == []
    assert reports[-1] == {"checked": ROWS}


def test_the_command_line_shows_progress_with_verbosity_2(tmp_path, large_file):
    path = tmp_path / "large.xlsx"
    path.write_bytes(large_file)
    err = StringIO()
    call_command("import_tracker", str(path), "--dry-run", verbosity=2, stdout=StringIO(), stderr=err)
    assert err.getvalue().splitlines() == [
        "read 1,000, checked 0, written 0 rows",
        "read 2,000, checked 0, written 0 rows",
        "read 2,501, checked 0, written 0 rows",
        "read 2,501, checked 1,000, written 0 rows",
        "read 2,501, checked 2,000, written 0 rows",
        "read 2,501, checked 2,500, written 0 rows",
    ]


def test_the_command_line_is_quiet_by_default(tmp_path, large_file):
    path = tmp_path / "large.xlsx"
    path.write_bytes(large_file)
    err = StringIO()
    call_command("import_tracker", str(path), "--dry-run", stdout=StringIO(), stderr=err)
    assert err.getvalue() == ""
