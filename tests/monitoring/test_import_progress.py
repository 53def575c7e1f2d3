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


class _Terminal(StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("dry_run", "first"),
    [
        (True, "[####----------------]  20% read 1,000, checked 0, written 0 of about 2,500 rows"),
        (False, "[##------------------]  13% read 1,000, checked 0, written 0 of about 2,500 rows"),
    ],
)
def test_on_a_terminal_the_command_line_shows_a_progress_bar(large_file, dry_run, first):
    from django.core.management.base import OutputWrapper

    from monitoring.management.commands.import_tracker import _ProgressLine

    terminal = _Terminal()
    bar = _ProgressLine(OutputWrapper(terminal), verbose=False, rows=ROWS, writes=not dry_run)
    if dry_run:
        tracker_preview(source=large_file, progress=bar)
    else:
        tracker_import(source=large_file, user=None, progress=bar)
    bar.finish()
    frames = terminal.getvalue().split("\r")[1:]
    assert frames[0] == first
    percents = [int(frame[23:26]) for frame in frames]
    assert percents == sorted(percents)  # only ever forward
    assert frames[-1].startswith("[####################] 100% ")
    assert terminal.getvalue().endswith("\n")  # the bar's line is ended when done


@pytest.mark.parametrize(
    ("rows", "counts", "writes", "percent"),
    [
        (0, {"read": 10}, True, 0),  # size unknown
        (100, {}, False, 0),
        (100, {"read": 50}, False, 25),
        (100, {"read": 101, "checked": 100}, False, 100),  # the header row is read too
        (100, {"read": 101, "checked": 100}, True, 66),
        (100, {"read": 101, "checked": 100, "written": 40}, True, 80),
        (100, {"read": 101, "checked": 100, "written": 100}, True, 100),
    ],
)
def test_progress_percent(rows, counts, writes, percent):
    from monitoring.tracker import progress_percent

    assert progress_percent(rows=rows, writes=writes, **counts) == percent
