"""Template helpers for the report renderers."""

from __future__ import annotations

from typing import Any

from django import template

from recovery.rag import RAG
from recovery.reporting.formatting import format_cell
from recovery.reporting.report import Column, Row, Unit

register = template.Library()


@register.simple_tag
def cell(row: Row, column: Column) -> str:
    return format_cell(row.get(column.key), column)


@register.filter
def cell_rag(row: Row, column: Column) -> RAG | None:
    value = row.get(column.key)
    return value if column.unit is Unit.RAG and isinstance(value, RAG) else None


@register.filter
def is_numeric(column: Column) -> bool:
    return column.numeric


@register.filter
def value_of(row: Row, key: str) -> Any:
    return row.get(key)


@register.simple_tag
def row_cells(row: Row, columns: list[Column]) -> list[dict[str, Any]]:
    """The cells of a row, ready to render. In a subtotal or total row the label is moved into
    the first column (the row's header cell) and its own column left blank."""
    cells = []
    label = ""
    if row.kind in ("subtotal", "total") and columns and not row.get(columns[0].key):
        label = str(row.get("title") or "Total")
    for index, column in enumerate(columns):
        value = row.get(column.key)
        if label and index == 0:
            text = label
        elif label and column.key == "title":
            text = ""
        else:
            text = format_cell(value, column)
        cells.append(
            {
                "text": text,
                "header": index == 0,
                "numeric": column.numeric,
                "wrap": column.wrap,
                "rich": column.rich,
                "rag": value if column.unit is Unit.RAG and isinstance(value, RAG) else None,
                "is_rag": column.unit is Unit.RAG,
            }
        )
    return cells
