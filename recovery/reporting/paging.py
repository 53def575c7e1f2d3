"""A long report shown a page at a time on screen: its table rows cut into pages of a fixed
size across its sections. Headlines, section totals and sections without rows (grand totals,
text) appear on every page, so every total shown is still over every row. Downloads (PDF,
XLSX, CSV, JSON) are never paged. No Django here: a Report in, a smaller Report out."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from recovery.reporting.report import Report

REPORT_PAGE_ROWS = 100


@dataclass(frozen=True)
class ReportPage:
    number: int
    count: int  # pages in all
    rows: int  # table rows in the whole report
    first: int  # 1-based number of the first row shown (0 when none)
    last: int

    @property
    def paged(self) -> bool:
        return self.count > 1

    @property
    def numbers(self) -> list[int | None]:
        """Page numbers to link: the first, the last and two either side of this one; None
        where pages are left out."""
        wanted = sorted({1, self.count, *range(max(1, self.number - 2), min(self.count, self.number + 2) + 1)})
        numbers: list[int | None] = []
        for number in wanted:
            if numbers and number - (numbers[-1] or 0) > 1:
                numbers.append(None)
            numbers.append(number)
        return numbers


def report_rows(report: Report) -> int:
    return sum(len(section.rows) for section in report.sections if section.kind == "table")


def report_page(report: Report, number: object, *, size: int = REPORT_PAGE_ROWS) -> tuple[Report, ReportPage]:
    """The report as page ``number`` shows it (anything that is not a page number gives the
    first page; a number past the end gives the last), and where that page is."""
    total = report_rows(report)
    count = max(1, -(-total // size))
    try:
        page = min(max(int(str(number)), 1), count)
    except ValueError:
        page = 1
    start, end = (page - 1) * size, min(page * size, total)
    sections = []
    seen = 0
    for section in report.sections:
        rows = len(section.rows) if section.kind == "table" else 0
        if rows == 0:
            sections.append(section)
            continue
        low, high = max(start - seen, 0), min(end - seen, rows)
        seen += rows
        if low >= high:
            continue
        if (low, high) == (0, rows):
            sections.append(section)
            continue
        caption = section.caption or section.title
        sections.append(
            dataclasses.replace(
                section,
                rows=section.rows[low:high],
                caption=f"{caption} (rows {low + 1} to {high} of {rows}; the total is of all {rows})"
                if section.total is not None
                else f"{caption} (rows {low + 1} to {high} of {rows})",
            )
        )
    shown = dataclasses.replace(report, sections=sections)
    return shown, ReportPage(number=page, count=count, rows=total, first=start + 1 if total else 0, last=end)
