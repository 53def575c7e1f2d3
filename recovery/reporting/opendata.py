"""Open, machine-readable data (Local Government Transparency Code): CSV.

- Any report as CSV: one header row, UTF-8 (with a byte-order mark, so Excel reads the £ sign),
  plain numbers in pounds, percentages as plain ratios (0.6424), RAG as a word, ISO dates.
- Every scheme in every quarter as one tidy CSV, the feed for a transparency publication or a
  BI tool; its columns are documented in README ("Open data") and kept stable.
Text that a spreadsheet would run as a formula (starting =, +, -, @, tab or carriage return) is
prefixed with an apostrophe, as OWASP recommends for CSV injection.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from monitoring.figures import AMOUNT_FIGURES
from recovery.rag import RAG
from recovery.reporting.report import Column, Report, Unit

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: str) -> str:
    """Text that no spreadsheet will run as a formula."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def csv_value(value: Any, unit: Unit = Unit.TEXT) -> str:
    if value is None:
        return ""
    if isinstance(value, RAG):
        return value.word
    if isinstance(value, Decimal):
        return format(value, "f") if unit is Unit.PERCENT else f"{value:.2f}"
    if isinstance(value, bool):
        return "Y" if value else "N"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    return safe_text(str(value))


def _write(rows: Iterable[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows(rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def render_csv(report: Report) -> bytes:
    """Every table of the report in one CSV: a "section" column, a "row_type" column (item,
    unallocated, subtotal, total), then every column of the report's tables once, by label."""
    columns: list[Column] = []
    seen: set[str] = set()
    for section in report.sections:
        if section.kind != "table":
            continue
        for column in section.columns:
            if column.key not in seen:
                seen.add(column.key)
                columns.append(column)
    # A total that only some of its rows gave: the last column says which and how many
    # ("Target (£): 3 of 7 schemes"). A figure nobody gave is an empty cell, never 0.
    header = ["section", "row_type", *[_label(column) for column in columns], "totals_cover"]
    rows = [header]
    for section in report.sections:
        if section.kind != "table":
            continue
        for row in [*section.rows, *([section.total] if section.total else [])]:
            rows.append(
                [
                    safe_text(section.title),
                    row.kind,
                    *[csv_value(row.get(column.key), column.unit) for column in columns],
                    "; ".join(
                        f"{_label(column)}: {row.partial[column.key]}"
                        for column in columns
                        if column.key in row.partial
                    ),
                ]
            )
    return _write(rows)


def _label(column: Column) -> str:
    """The column's label, with amounts always in pounds in a CSV (never £000s)."""
    label = column.label.replace(" (£000s)", "").replace("(£000s)", "").strip()
    if column.unit in (Unit.POUNDS, Unit.THOUSANDS):
        return f"{label} (£)"
    if column.unit is Unit.PERCENT:
        return f"{label} (ratio)"
    return label


# The all-schemes feed. Order and names are a published interface: add columns at the end only.
SCHEME_COLUMNS: tuple[tuple[str, str], ...] = (
    ("financial_year", "Financial year, e.g. 2012/13"),
    ("quarter", "Quarter, Q1 to Q4 (Q1 ends 30 June … Q4 ends 31 March)"),
    ("quarter_end", "Last day of the quarter (ISO date)"),
    ("directorate", "Directorate"),
    ("portfolio", "Portfolio the service area reports under"),
    ("service_area", "Service area"),
    ("scheme_ref", "Scheme number as the council writes it (not unique)"),
    ("scheme_title", "Scheme or project title"),
    ("recurrence", "R recurrent, NR non-recurrent, blank unknown"),
    ("unallocated", "Y for an unallocated savings requirement (not a scheme), else N"),
    ("target", "Full-year saving target (£)"),
    ("ytd_budget", "Target profiled to the end of the quarter (£)"),
    ("ytd_actual", "Achieved to the end of the quarter (£)"),
    ("balance_to_achieve", "Target − YTD actual (£), computed"),
    ("forecast_year_end", "Forecast to the end of the year (£)"),
    ("forecast_next_year", "Forecast to the end of the following year, cumulative (£)"),
    ("achieved_to_date", "The same figure as ytd_actual (one fact since 2026; kept so older readers still work)"),
    ("projected_shortfall", "Projected shortfall (£)"),
    ("rag", "RED, AMBER, GREEN or BLUE (delivered); blank if not rated"),
    ("commentary", "Finance commentary for the quarter"),
    ("updated_at", "When the quarter's figures were last changed (ISO date-time, UTC)"),
)


def render_schemes_csv(rows: Iterable[dict[str, Any]]) -> bytes:
    """One row per scheme per quarter, in SCHEME_COLUMNS order."""
    keys = [key for key, _ in SCHEME_COLUMNS]
    money = {figure.name for figure in AMOUNT_FIGURES} | {"balance_to_achieve", "achieved_to_date"}
    out = [keys]
    for row in rows:
        out.append([csv_value(row.get(key), Unit.POUNDS if key in money else Unit.TEXT) for key in keys])
    return _write(out)
