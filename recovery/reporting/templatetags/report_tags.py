"""Template helpers for the report renderers."""

from __future__ import annotations

import html
import re
from typing import Any

from django import template
from django.utils.safestring import SafeData, SafeString, mark_safe

from recovery.narrative import render_narrative
from recovery.rag import RAG
from recovery.reporting.formatting import format_cell, total_note
from recovery.reporting.report import Column, Row, Unit
from recovery.templatetags.ui import rag_badge

register = template.Library()

_NEWLINES = re.compile(r"\r\n|\r")  # as django.utils.text.normalize_newlines
_WRAP = ' class="wrap"'


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
                "note": total_note(row, column),
                "header": index == 0,
                "numeric": column.numeric,
                "wrap": column.wrap,
                "rich": column.rich,
                "rag": value if column.unit is Unit.RAG and isinstance(value, RAG) else None,
                "is_rag": column.unit is Unit.RAG,
            }
        )
    return cells


def _lines_html(text: str) -> str:
    """``linebreaksbr`` with autoescape, without its per-call wrappers: the text escaped (unless
    already safe) and its line breaks as <br>."""
    safe = isinstance(text, SafeData)
    text = _NEWLINES.sub("\n", str(text))
    return (text if safe else html.escape(text)).replace("\n", "<br>")


def _cell_html(cell: dict[str, Any]) -> str:
    text = cell["text"]
    if cell["header"]:
        return f'<th scope="row"{_WRAP if cell["wrap"] else ""}>{_lines_html(text)}</th>'
    if cell["is_rag"]:
        return f"<td>{rag_badge(cell['rag']) if cell['rag'] else ''}</td>"
    classes = ("num" if cell["numeric"] else "") + (" wrap" if cell["wrap"] else "")
    body = render_narrative(text) if cell["rich"] else _lines_html(text)
    if cell["note"]:
        # A total over rows of which only some gave the figure says how many did.
        return f'<td class="{classes}">{body} <span class="total-covers">({html.escape(str(cell["note"]))})</span></td>'
    return f'<td class="{classes}">{body}</td>'


@register.simple_tag
def report_row(row: Row, columns: list[Column]) -> SafeString:
    """A table row of a report, drawn in Python: a long report is hundreds of rows, and a
    template include per row was most of the time its page took. Plain string formatting with
    each text escaped once (format_html and linebreaksbr per cell were half a page's time)."""
    cells = "".join(_cell_html(cell) for cell in row_cells(row, columns))
    return mark_safe(f'<tr class="row-{html.escape(str(row.kind))}">{cells}</tr>')  # noqa: S308 - cells escaped above


@register.simple_tag
def report_rows(rows: list[Row], columns: list[Column]) -> SafeString:
    """Every row of a report table (see report_row)."""
    return mark_safe("".join(report_row(row, columns) for row in rows))  # noqa: S308 - each row escaped above
