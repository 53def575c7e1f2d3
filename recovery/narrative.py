"""Render a plan's narrative text as safe HTML: paragraphs, bullet lists and small tables.

Managers paste from Word: bullets written as "·", "•", "-" or "*", and tables written as rows
of cells between bars (``| Position | Agency weekly | LBC weekly |``), the first row being the
header. Every piece of text is escaped; no HTML the user typed is ever passed through.
"""

from __future__ import annotations

import re

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

_BULLET = re.compile(r"^\s*(?:[·•▪◦*]|-(?=\s))\s*")
_SEPARATOR_ROW = re.compile(r"^\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?$")


def _is_table_row(line: str) -> bool:
    stripped = line.strip()
    return stripped.startswith("|") and stripped.count("|") >= 2


def _cells(line: str) -> list[str]:
    stripped = line.strip()
    if stripped.startswith("|"):
        stripped = stripped[1:]
    if stripped.endswith("|"):
        stripped = stripped[:-1]
    return [cell.strip() for cell in stripped.split("|")]


def _table(rows: list[str]) -> str:
    body_rows = [row for row in rows if not _SEPARATOR_ROW.match(row.strip())]
    if not body_rows:
        return ""  # a table of nothing but |---| rules has nothing to show
    header, *rest = [_cells(row) for row in body_rows]
    parts = ['<div class="table-responsive"><table class="table table-sm table-bordered narrative-table">']
    # Every table has a caption; a narrative's table is described by its columns.
    parts.append(f'<caption class="visually-hidden">Table of {escape(", ".join(header))}</caption>')
    parts.append("<thead><tr>" + "".join(f'<th scope="col">{escape(cell)}</th>' for cell in header) + "</tr></thead>")
    if rest:
        parts.append("<tbody>")
        for row in rest:
            parts.append("<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>")
        parts.append("</tbody>")
    parts.append("</table></div>")
    return "".join(parts)


def narrative_lines(text: str | None) -> list[tuple[str, str | list[list[str]]]]:
    """The narrative line by line, for a renderer other than HTML (Word): ``("text", line)``,
    ``("blank", "")``, ``("bullet", item)`` or ``("table", rows of cells)`` for a run of table
    rows (``|---|`` rules dropped). Every blank line is kept, so the text can be rebuilt exactly."""
    if not text:
        return []
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    out: list[tuple[str, str | list[list[str]]]] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        if _is_table_row(line):
            rows = []
            while index < len(lines) and _is_table_row(lines[index]):
                if not _SEPARATOR_ROW.match(lines[index].strip()):
                    rows.append(_cells(lines[index]))
                index += 1
            if rows:
                out.append(("table", rows))
            continue
        if not line.strip():
            out.append(("blank", ""))
        elif _BULLET.match(line):
            out.append(("bullet", _BULLET.sub("", line, count=1).rstrip()))
        else:
            out.append(("text", line.rstrip()))
        index += 1
    return out


def render_narrative(text: str | None) -> SafeString:
    """The narrative as HTML in which every character the user typed is escaped."""
    if not text:
        return mark_safe("")
    blocks: list[str] = []
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    index = 0
    while index < len(lines):
        line = lines[index]
        if not line.strip():
            index += 1
            continue
        if _is_table_row(line):
            rows = []
            while index < len(lines) and _is_table_row(lines[index]):
                rows.append(lines[index])
                index += 1
            blocks.append(_table(rows))
            continue
        if _BULLET.match(line):
            items = []
            while index < len(lines) and _BULLET.match(lines[index]) and lines[index].strip():
                items.append(_BULLET.sub("", lines[index], count=1))
                index += 1
            blocks.append("<ul>" + "".join(f"<li>{escape(item)}</li>" for item in items) + "</ul>")
            continue
        paragraph = []
        while (
            index < len(lines)
            and lines[index].strip()
            and not _is_table_row(lines[index])
            and not _BULLET.match(lines[index])
        ):
            paragraph.append(escape(lines[index].strip()))
            index += 1
        blocks.append("<p>" + "<br>".join(paragraph) + "</p>")
    return mark_safe("".join(blocks))  # noqa: S308 - built only from escaped text
