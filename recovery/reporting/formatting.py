"""Showing a report cell as text, by its column's unit: the one place HTML, PDF and CSV
formatting comes from. (XLSX writes the numbers themselves with number formats.)"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from recovery import money
from recovery.rag import RAG
from recovery.reporting.report import Column, Row, Unit

NIL = "–"  # an unknown figure (nothing given): never shown as 0


def format_cell(value: Any, column: Column) -> str:
    """A cell as the report shows it: £000s "10,888", pounds "1,849,232", "64%", "RED"; nil "–"."""
    if value is None or value == "":
        return NIL if column.numeric else ""
    if column.unit is Unit.THOUSANDS and isinstance(value, Decimal):
        return money.format_thousands(value, places=column.places)
    if column.unit is Unit.POUNDS and isinstance(value, Decimal):
        return money.format_pounds(value, places=column.places).replace("£", "")
    if column.unit is Unit.PERCENT and isinstance(value, Decimal):
        return money.format_percent(value, places=column.places)
    if column.unit is Unit.RAG:
        return value.word if isinstance(value, RAG) else str(value)
    return str(value)


def total_note(row: Row, column: Column) -> str:
    """What a total that only some of its rows gave covers ("3 of 7 schemes"); "" otherwise."""
    coverage = row.partial.get(column.key)
    return str(coverage) if coverage is not None else ""
