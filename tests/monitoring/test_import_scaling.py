"""The tracker import's own work grows linearly with the rows of the file (issue 22).

Not a timing test: the lines of ``monitoring`` code that the preview and the import run (counted
with a trace function: the same for the same file, on any machine) at n, 2n and 3n rows. Work that
is linear in the rows costs the same for each further n rows: the second difference
w(3n) - 2 w(2n) + w(n) is nil. Work over pairs of rows (a list of every row above built for each
row, as the reading of stated totals did, which kept a 60,000-row file going past 17 minutes)
costs more for each further n rows: the second difference grows as n squared. A file with a
sub-total every few rows is checked too: each stated total was judged by going over every row
above it again (the rows it may close, their description, their sums).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

import monitoring
from monitoring.imports import tracker_import, tracker_preview
from tests.monitoring.tracker_helpers import scheme, total, xlsx

pytestmark = pytest.mark.django_db

MONITORING = str(Path(monitoring.__file__).resolve().parent)
AREAS = ("Living and Ageing Well", "Adults with a Disability", "Mental Health and Safeguarding")
QUARTERS = ("Q1", "Q2", "Q3", "Q4")
SIZE = 60  # rows: 15 schemes x 4 quarters; the file's own cost (header, areas) is the same at each size
# The second difference allowed, as a share of the work at SIZE rows: nil is expected; one line
# for each pair of rows, as the reading of stated totals had, gives SIZE squared (about 5%).
SLACK = 0.01


def tracker(rows: int, year: str, *, actual: int = 100000) -> bytes:
    """``rows`` rows of ``year``: rows / 4 schemes over three service areas, a row a quarter."""
    return xlsx(
        scheme(
            financial_year=year,
            service_area=AREAS[number % len(AREAS)],
            ref=str(number + 1),
            title=f"Scheme {number + 1}",
            quarter=quarter,
            ytd_actual=actual + number,
        )
        for quarter in QUARTERS
        for number in range(rows // len(QUARTERS))
    )


def tracker_with_totals(rows: int, year: str) -> bytes:
    """``rows`` rows as ``tracker`` gives, with a stated sub-total after every five, a total of
    every row above after every third sub-total, and a grand total at the end."""
    lines: list[dict[str, Any]] = []
    for quarter in QUARTERS:
        for group in range(rows // len(QUARTERS) // 5):
            for number in range(group * 5, group * 5 + 5):
                lines.append(
                    scheme(
                        financial_year=year,
                        service_area=AREAS[group % len(AREAS)],
                        ref=str(number + 1),
                        title=f"Scheme {number + 1}",
                        quarter=quarter,
                        target=1000,
                    )
                )
            lines.append(total("Sub-total", target=5000))
            if group % 3 == 2:
                lines.append(total("Total", target=1000 * len(lines)))
    lines.append(total("Grand total", target=1000 * rows))
    return xlsx(lines)


def lines_run(work: Callable[[], Any]) -> int:
    """How many lines of the ``monitoring`` package ``work`` runs (loop iterations included)."""
    count = 0

    def local(frame: FrameType, event: str, arg: object) -> Callable[..., Any]:
        nonlocal count
        if event == "line":
            count += 1
        return local

    def calls(frame: FrameType, event: str, arg: object) -> Callable[..., Any] | None:
        return local if frame.f_code.co_filename.startswith(MONITORING) else None

    previous = sys.gettrace()  # a coverage tracer, if any, is put back
    sys.settrace(calls)
    try:
        work()
    finally:
        sys.settrace(previous)
    return count


def preview(rows: int, year: str) -> int:
    data = tracker(rows, year)
    return lines_run(lambda: tracker_preview(source=data))


def preview_with_totals(rows: int, year: str) -> int:
    data = tracker_with_totals(rows, year)
    return lines_run(lambda: tracker_preview(source=data))


def first_import(rows: int, year: str) -> int:
    data = tracker(rows, year)
    return lines_run(lambda: tracker_import(source=data, user=None))


def import_over_the_last(rows: int, year: str) -> int:
    """The file imported again with other figures: every row matched, and its quarter updated."""
    assert tracker_import(source=tracker(rows, year), user=None).committed
    data = tracker(rows, year, actual=200000)
    return lines_run(lambda: tracker_import(source=data, user=None))


@pytest.mark.parametrize("work", [preview, preview_with_totals, first_import, import_over_the_last])
def test_the_import_does_linear_work_in_the_rows(work):
    # The service areas exist first: every size (each its own year) finds them.
    assert tracker_import(source=tracker(len(AREAS) * len(QUARTERS), "2022/23"), user=None).committed
    one, two, three = (work(SIZE * times, f"{2022 + times}/{23 + times}") for times in (1, 2, 3))
    growth = three - 2 * two + one
    assert growth <= SLACK * one, (
        f"lines run for {SIZE}, {2 * SIZE} and {3 * SIZE} rows: {one:,}, {two:,}, {three:,}: "
        f"each further {SIZE} rows cost {growth:,} lines more than the last"
    )
