"""The Word (.docx) renderer: a Report in, a .docx document out (python-docx).

The fourth renderer of the one report structure, beside HTML/PDF, XLSX and JSON: every section
is written by its kind, so a plan comes out laid out like the council's form. Real Word headings
(Heading 1 for the title, Heading 2 per section) so the navigation pane and screen readers work;
a fields section is a two-column table of label and value; a text section its guidance in
italics, then the answer; a table section a Word table with its header row repeated on every page
and RAG as its word on its colour. Narratives keep their bullets as Word bullets and their small
``| a | b |`` tables as Word tables, line for line (blank lines too), so that the document can be
read back by the Word import and give the same plan. Document properties: title, author (the
organisation), subject (the period), language en-GB.

No Django, no models: report object in, bytes out.
"""

from __future__ import annotations

import dataclasses
import io
import re
from decimal import Decimal
from typing import Any

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from recovery import money
from recovery.narrative import narrative_lines
from recovery.rag import RAG
from recovery.reporting.formatting import format_cell
from recovery.reporting.report import Column, Report, Row, Section, Unit

LANGUAGE = "en-GB"
# The same colours as the PDF and the workbook: background, text.
RAG_COLOURS = {
    RAG.RED: ("B3261E", "FFFFFF"),
    RAG.AMBER: ("FFBF47", "0B0C0C"),
    RAG.GREEN: ("00703C", "FFFFFF"),
    RAG.BLUE: ("1D70B8", "FFFFFF"),
}
LABEL_FILL = "E9ECEF"
# Characters XML 1.0 cannot hold (a pasted form feed or vertical tab): dropped, never a crash.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _xml_safe(value: Any) -> Any:
    """The report with every piece of text made safe for XML (plain strings only: a RAG stays a RAG)."""
    if type(value) is str:
        return _NOT_XML.sub("", value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {item.name: _xml_safe(getattr(value, item.name)) for item in dataclasses.fields(value)}
        return dataclasses.replace(value, **changes)
    if isinstance(value, list):
        return [_xml_safe(item) for item in value]
    if isinstance(value, tuple):
        return tuple(_xml_safe(item) for item in value)
    if isinstance(value, dict):
        return {key: _xml_safe(item) for key, item in value.items()}
    return value


def cell_text(value: Any, column: Column) -> str:
    """A cell as Word shows it: as every report shows it, except that an amount in pounds keeps
    its pence when it has any (£18,849.84), so a document handed on loses nothing."""
    if column.unit is Unit.POUNDS and isinstance(value, Decimal) and value != value.to_integral_value():
        return money.format_pounds(value, places=2).replace("£", "")
    return format_cell(value, column)


def _shade(cell: _Cell, fill: str) -> None:
    properties = cell._tc.get_or_add_tcPr()
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    properties.append(shading)


def _repeat_as_header(row: Any) -> None:
    """Mark a table row as the header row: repeated on every page, read as headers."""
    properties = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    properties.append(header)


def _describe(table: Table, caption: str) -> None:
    """The table's title for screen readers (Word's "Alt Text" of a table)."""
    if not caption:
        return
    properties = table._tbl.tblPr
    element = OxmlElement("w:tblCaption")
    element.set(qn("w:val"), caption[:250])
    properties.append(element)


class _Writer:
    """Writes narrative lines into a container (the document or a table cell), reusing the empty
    paragraph a new cell (or a table inside a cell) leaves, so no blank line is invented."""

    def __init__(self, container: Any, spare: Paragraph | None = None) -> None:
        self.container = container
        self.spare = spare

    def paragraph(self, text: str = "", style: str | None = None) -> Paragraph:
        if self.spare is not None:
            paragraph, self.spare = self.spare, None
            if style:
                paragraph.style = style
            if text:
                paragraph.add_run(text)
            return paragraph
        return self.container.add_paragraph(text, style=style)

    def table(self, rows: list[list[str]]) -> None:
        width = max(len(row) for row in rows)
        if self.spare is not None and isinstance(self.container, _Cell):
            # A cell's table goes after the paragraph already there; that paragraph stays blank
            # only if nothing else uses it, so put the table first by moving it before.
            table = self.container.add_table(rows=len(rows), cols=width)
            self.spare._p.addnext(table._tbl)
            self.spare._p.getparent().remove(self.spare._p)
            self.spare = None
        else:
            table = self.container.add_table(rows=len(rows), cols=width)
        table.style = "Table Grid"
        for row_index, cells in enumerate(rows):
            for column_index in range(width):
                cell = table.cell(row_index, column_index)
                text = cells[column_index] if column_index < len(cells) else ""
                run = cell.paragraphs[0].add_run(text)
                if row_index == 0:
                    run.bold = True
        _repeat_as_header(table.rows[0])
        _describe(table, "Table of " + ", ".join(rows[0]))
        if isinstance(self.container, _Cell):
            # python-docx adds the paragraph Word needs after a table in a cell: use it next.
            self.spare = self.container.paragraphs[-1]

    def narrative(self, text: str) -> None:
        for kind, content in narrative_lines(text):
            if kind == "table":
                assert isinstance(content, list)
                self.table(content)
            elif kind == "bullet":
                self.paragraph(str(content), style="List Bullet")
            else:
                self.paragraph(str(content))


def write_narrative(container: Any, text: str) -> None:
    """A narrative into a document or a table cell (its first, empty paragraph used first):
    paragraphs, Word bullets and Word tables, a paragraph per line."""
    spare = None
    if isinstance(container, _Cell) and len(container.paragraphs) == 1 and not container.paragraphs[0].text:
        spare = container.paragraphs[0]
    _Writer(container, spare=spare).narrative(text)


def _write_cell_value(cell: _Cell, value: Any, column: Column, *, bold: bool) -> None:
    paragraph = cell.paragraphs[0]
    if column.unit is Unit.RAG:
        rag = value if isinstance(value, RAG) else None
        if rag is None:
            return
        background, colour = RAG_COLOURS[rag]
        run = paragraph.add_run(rag.word)
        run.bold = True
        run.font.color.rgb = RGBColor.from_string(colour)
        _shade(cell, background)
        return
    if column.rich and isinstance(value, str) and value:
        _Writer(cell, spare=paragraph).narrative(value)
        return
    run = paragraph.add_run(cell_text(value, column))
    run.bold = bold
    if column.numeric:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT


def _row_values(row: Row, columns: list[Column]) -> dict[str, Any]:
    values = dict(row.values)
    if row.kind in ("subtotal", "total") and columns and not values.get(columns[0].key):
        values[columns[0].key] = values.get("title") or "Total"
        if columns[0].key != "title":
            values["title"] = ""  # said once, in the first column (as the workbook does)
    return values


def _caption(document: Any, text: str) -> None:
    if text:
        paragraph = document.add_paragraph(style="Caption")
        paragraph.add_run(text)


def _guidance(document: Any, section: Section) -> None:
    for line in section.guidance:
        paragraph = document.add_paragraph(style="List Bullet")
        paragraph.add_run(line).italic = True


def _fields(document: Any, section: Section) -> None:
    table = document.add_table(rows=len(section.fields), cols=2)
    table.style = "Table Grid"
    # Widths first: a table inside a value cell takes its width from the cell.
    _widths(table, [35, 65], _usable_width(document))
    for row, (label, value) in zip(table.rows, section.fields, strict=True):
        cells = row.cells
        cells[0].paragraphs[0].add_run(label).bold = True
        _shade(cells[0], LABEL_FILL)
        _Writer(cells[1], spare=cells[1].paragraphs[0]).narrative(value)
    _describe(table, section.title)


def _widths(table: Table, shares: list[int], usable: int) -> None:
    """Column widths in proportion to the columns' own widths (as the workbook uses them)."""
    table.autofit = False
    total = sum(shares) or 1
    for column, share in zip(table.columns, shares, strict=False):
        column.width = int(usable * share / total)
    for row in table.rows:
        for cell, share in zip(row.cells, shares, strict=False):
            cell.width = int(usable * share / total)


def _usable_width(document: Any) -> int:
    page = document.sections[0]
    return int(page.page_width - page.left_margin - page.right_margin)


def _table(document: Any, section: Section) -> None:
    columns = section.columns
    _caption(document, section.caption)
    rows = [(row, False) for row in section.rows]
    if section.total is not None:
        rows.append((section.total, True))
    table = document.add_table(rows=1 + len(rows), cols=len(columns))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.LEFT
    # Widths first: a table inside a narrative cell takes its width from the cell.
    _widths(table, [max(column.width, 16 if column.numeric else 12) for column in columns], _usable_width(document))
    for cell, column in zip(table.rows[0].cells, columns, strict=True):
        cell.paragraphs[0].add_run(column.label).bold = True
        _shade(cell, LABEL_FILL)
    _repeat_as_header(table.rows[0])
    for table_row, (row, is_total) in zip(table.rows[1:], rows, strict=True):
        values = _row_values(row, columns)
        for cell, column in zip(table_row.cells, columns, strict=True):
            _write_cell_value(cell, values.get(column.key), column, bold=is_total)
            if column.key in row.partial:  # a total that only some rows gave says how many
                cell.paragraphs[0].add_run(f" ({row.partial[column.key]})")
    _describe(table, section.caption or section.title)
    for line in section.lines:
        document.add_paragraph().add_run(line).bold = True


def _set_language(document: Any) -> None:
    """en-GB for the document's text (spelling, screen readers) and its properties."""
    document.core_properties.language = LANGUAGE
    defaults = document.styles.element.find(qn("w:docDefaults"))
    run_defaults = defaults.find(qn("w:rPrDefault")) if defaults is not None else None
    properties = run_defaults.find(qn("w:rPr")) if run_defaults is not None else None
    if properties is None:
        return
    language = properties.find(qn("w:lang"))
    if language is None:
        language = OxmlElement("w:lang")
        properties.append(language)
    language.set(qn("w:val"), LANGUAGE)


def render_docx(report: Report) -> bytes:
    """The report as a Word document (.docx)."""
    report = _xml_safe(report)
    document = Document()
    _set_language(document)
    properties = document.core_properties
    properties.title = report.title
    properties.author = report.organisation
    properties.last_modified_by = report.organisation
    properties.subject = report.period
    properties.comments = f"Produced {report.generated_at:%d/%m/%Y %H:%M}"
    properties.created = report.generated_at.replace(tzinfo=None)
    page = document.sections[0]
    page.page_width, page.page_height = Mm(210), Mm(297)
    if any(section.kind == "table" and len(section.columns) > 6 for section in report.sections):
        page.orientation = WD_ORIENT.LANDSCAPE
        page.page_width, page.page_height = page.page_height, page.page_width
    for margin in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(page, margin, Mm(18))
    document.styles["Normal"].font.size = Pt(10)
    page.footer.paragraphs[0].text = f"{report.title} · {report.period}"

    document.add_paragraph(report.organisation)
    document.add_heading(report.title, level=1)
    period = report.period + "".join(f" · {name}: {value}" for name, value in report.filters.items())
    document.add_paragraph(period)
    if report.summary:
        document.add_heading("Summary", level=2)
        for paragraph in report.summary:
            document.add_paragraph(paragraph)
    if report.headlines:
        document.add_heading("Headlines", level=2)
        for headline in report.headlines:
            document.add_paragraph(headline.text, style="List Bullet")
    for section in report.sections:
        document.add_heading(section.title, level=2)
        _guidance(document, section)
        if section.kind == "fields":
            _fields(document, section)
        elif section.kind == "text":
            writer = _Writer(document)
            for line in section.lines:
                writer.narrative(line)
        else:
            _table(document, section)
    if report.notes:
        document.add_heading("Notes", level=2)
        for note in report.notes:
            document.add_paragraph(note)
    document.add_paragraph(f"Produced {report.generated_at:%d %B %Y, %H:%M}.")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
