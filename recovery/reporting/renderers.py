"""Renderers: a Report in, a document out. Each takes the Report object and nothing else.

- PDF: the page's own template body with print CSS (A4 landscape, header row repeated on every
  page, no row split, "Page x of y", title, period and date in the footer), by WeasyPrint. The
  stylesheets are inlined and the URL fetcher refuses every URL, so nothing a user typed into a
  narrative (``<img src="file:///etc/passwd">``) can make the server read a file or call a host.
- XLSX: openpyxl in write-only mode; numbers are numbers with £, £000s and % formats, totals are
  values computed by the app, every text cell is written as text (never a formula).
- JSON: the report object as data.
"""

from __future__ import annotations

import io
import json
import warnings
from collections.abc import Callable, Hashable
from copy import copy
from decimal import Decimal
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

from django.conf import settings
from django.template.loader import render_to_string
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from recovery.money import THOUSAND
from recovery.rag import RAG
from recovery.reporting.report import Column, Report, Row, Section, Unit, report_as_data
from recovery.text import xml_safe

STATIC_DIR = Path(settings.BASE_DIR) / "static" / "css"


class RefusedURL(ValueError):
    """WeasyPrint asked for a URL; reports fetch nothing."""


def refuse_every_url(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """The PDF's URL fetcher. Stylesheets are inlined and no report has images, so there is
    nothing to fetch: refusing everything (file:, http:, data:, the metadata address) means no
    text in a narrative can make the server fetch anything."""
    raise RefusedURL(f"Reports do not fetch URLs ({url[:80]!r} refused).")


FONT_DIR = Path(settings.BASE_DIR) / "static" / "fonts"


def _font_face_css() -> str:
    """@font-face rules for the fonts shipped in static/fonts (DejaVu Sans, free licence), so a
    PDF looks the same on every server and its text stays selectable and searchable."""
    faces = [("DejaVuSans.ttf", "normal", "normal"), ("DejaVuSans-Bold.ttf", "bold", "normal")]
    faces.append(("DejaVuSans-Oblique.ttf", "normal", "italic"))
    return "\n".join(
        f'@font-face {{ font-family: "Report Sans"; src: url("{(FONT_DIR / name).as_uri()}"); '
        f"font-weight: {weight}; font-style: {style}; }}"
        for name, weight, style in faces
    )


def _shipped_font(url: str) -> Path | None:
    """The path of a font file of ours that ``url`` names, or None for anything else."""
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(url)
    if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
        return None
    path = Path(unquote(parts.path)).resolve()
    if path.parent != FONT_DIR.resolve() or path.suffix.lower() != ".ttf" or not path.is_file():
        return None
    return path


def _refusing_fetcher() -> Any:
    """WeasyPrint (70+) takes a URLFetcher object. This one serves the fonts shipped in
    static/fonts and refuses every other URL (any file, any host)."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class OwnFontsOnlyFetcher(URLFetcher):
        def __init__(self) -> None:
            super().__init__(allowed_protocols=(), allow_redirects=False, timeout=1)

        def fetch(self, url: str, headers: Any = None) -> Any:
            font = _shipped_font(url)
            if font is None:
                return refuse_every_url(url)
            return URLFetcherResponse(url, body=font.read_bytes(), headers={"Content-Type": "font/ttf"})

    return OwnFontsOnlyFetcher()


def _css_string(text: str) -> str:
    """Text safe inside a CSS string inside a <style> element."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3c ").replace("\n", " ")


def report_html_for_pdf(report: Report) -> str:
    """The standalone HTML document WeasyPrint renders (also useful to inspect or benchmark)."""
    footer = f"{report.title} · {report.period} · produced {report.generated_at:%d/%m/%Y %H:%M}"
    return render_to_string(
        "reporting/report_pdf.html",
        {
            "report": report,
            "report_css": (STATIC_DIR / "report.css").read_text(encoding="utf-8"),
            "app_rag_css": _rag_css(),
            "font_css": _font_face_css(),
            "footer_left": _css_string(footer),
        },
    )


def _rag_css() -> str:
    css = (STATIC_DIR / "app.css").read_text(encoding="utf-8")
    return "\n".join(line for line in css.splitlines() if line.startswith((".rag", ".visually-hidden")))


def _weasyprint_safe(html: str) -> str:
    """The HTML without U+2029 (PARAGRAPH SEPARATOR): WeasyPrint fails an assertion where a line
    wraps beside one. A newline is what HTML makes of it anyway (white space), in text and in
    attributes alike."""
    return html.replace("\u2029", "\n")


def render_pdf(report: Report) -> bytes:
    from weasyprint import HTML

    html = _weasyprint_safe(report_html_for_pdf(report))
    document = HTML(string=html, url_fetcher=_refusing_fetcher(), base_url=None)
    # Tagged PDF/UA-1: structure tree, /Lang from <html lang>, title shown by viewers. Title,
    # author and subject come from the document's <title> and <meta> elements.
    pdf: bytes = document.write_pdf(pdf_variant="pdf/ua-1")
    return pdf


def render_pack_pdf(*, title: str, period: str, organisation: str, reports: list[Report]) -> bytes:
    """Several reports as one PDF: a cover with a contents page (page numbers filled in by
    WeasyPrint), then each report from a new page. Fetches no URL, like every report PDF."""
    from django.utils import timezone
    from weasyprint import HTML

    generated_at = timezone.localtime()
    html = render_to_string(
        "reporting/pack_pdf.html",
        {
            "title": title,
            "period": period,
            "organisation": organisation,
            "reports": reports,
            "generated_at": generated_at,
            "report_css": (STATIC_DIR / "report.css").read_text(encoding="utf-8"),
            "app_rag_css": _rag_css(),
            "font_css": _font_face_css(),
            "footer": _css_string(f"{period} · produced {generated_at:%d/%m/%Y %H:%M}"),
        },
    )
    pdf: bytes = HTML(string=_weasyprint_safe(html), url_fetcher=_refusing_fetcher(), base_url=None).write_pdf(
        pdf_variant="pdf/ua-1"
    )
    return pdf


def render_html(report: Report) -> bytes:
    """A standalone HTML file of the report (styles inlined), as the export command writes it."""
    css = (STATIC_DIR / "report.css").read_text(encoding="utf-8") + "\n" + _rag_css()
    html = render_to_string("reporting/report_standalone.html", {"report": report, "report_css": css})
    return html.encode("utf-8")


def render_json(report: Report) -> bytes:
    return json.dumps(report_as_data(report), ensure_ascii=False, indent=2).encode("utf-8")


# XLSX ----------------------------------------------------------------------------------------

NUMBER_FORMATS = {
    Unit.POUNDS: "£#,##0;-£#,##0",
    Unit.THOUSANDS: "#,##0;-#,##0",
    Unit.PERCENT: "0%",
}
RAG_FILLS = {
    RAG.RED: ("B3261E", "FFFFFF"),
    RAG.AMBER: ("FFBF47", "0B0C0C"),
    RAG.GREEN: ("00703C", "FFFFFF"),
    RAG.BLUE: ("1D70B8", "FFFFFF"),
}
THIN = Side(style="thin", color="ADB5BD")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEADER_FILL = PatternFill("solid", fgColor="E9ECEF")
TOTAL_FILL = PatternFill("solid", fgColor="F1F3F5")
# Style objects are made once and shared. Cells have no borders of their own: the Excel table's
# style draws the grid, and per-cell borders were most of the time openpyxl took.
BOLD = Font(bold=True)
TOP = Alignment(vertical="top")
TOP_WRAPPED = Alignment(wrap_text=True, vertical="top")
RAG_STYLES = {
    rag: (PatternFill("solid", fgColor=background), Font(bold=True, color=colour))
    for rag, (background, colour) in RAG_FILLS.items()
}


# Each distinct style is registered with the workbook once; later cells of the same style get a
# copy of its style ids. Assigning a Font, Fill or number format to a cell makes openpyxl hash
# the style object to find its id, which was most of the time a large workbook took.
_STYLES: WeakKeyDictionary[Any, dict[Hashable, StyleArray]] = WeakKeyDictionary()


def _styled(cell: WriteOnlyCell, key: Hashable, apply: Callable[[WriteOnlyCell], None]) -> WriteOnlyCell:
    styles = _STYLES.setdefault(cell.parent.parent, {})
    style = styles.get(key)
    if style is None:
        apply(cell)
        styles[key] = copy(cell._style)
    else:
        cell._style = copy(style)
    return cell


def _text_cell(sheet: Worksheet, text: str, *, bold: bool = False) -> WriteOnlyCell:
    # Text stored before control characters were cleaned at input (Word's Shift+Enter is \x0b)
    # cannot go into the sheet's XML: it is written as clean_text would have stored it.
    cell = WriteOnlyCell(sheet, value=xml_safe(text))
    # A narrative beginning with =, +, - or @ must stay text: openpyxl guesses a formula from a
    # leading "=", so the type is set back to string explicitly.
    cell.data_type = "s"
    if bold:
        _styled(cell, "bold", _bold)
    return cell


def _bold(cell: WriteOnlyCell) -> None:
    cell.font = BOLD


def _number_format(column: Column) -> str:
    if column.unit is Unit.PERCENT:
        return "0%" if column.places == 0 else "0." + "0" * column.places + "%"
    return NUMBER_FORMATS[column.unit]


def _value_cell(
    sheet: Worksheet, value: Any, column: Column, *, bold: bool, fill: PatternFill | None
) -> WriteOnlyCell | str:
    if column.unit is Unit.RAG:
        rag = value if isinstance(value, RAG) else None
        cell = _text_cell(sheet, rag.word if rag else "")
        if rag:
            _styled(cell, ("rag", rag), lambda cell: setattr_pair(cell, *RAG_STYLES[rag]))
        return cell
    if column.numeric and isinstance(value, Decimal):
        cell = WriteOnlyCell(sheet, value=value / THOUSAND if column.unit is Unit.THOUSANDS else value)
        kind: tuple[Any, ...] = ("number", _number_format(column))
    elif column.numeric:
        cell = WriteOnlyCell(sheet, value=None)  # no figure given: a blank cell, never a 0
        kind = ("blank",)
    else:
        text = "" if value is None else str(value)
        if not column.wrap and not bold and fill is None and not text.startswith("="):
            # A plain value needs no cell object (a leading "=" would be a formula); it is cleaned
            # as _text_cell cleans, for text stored before input was cleaned.
            return xml_safe(text)
        cell = _text_cell(sheet, text)
        kind = ("text", column.wrap)
    fill_key = None if fill is None else fill.fgColor.rgb

    def apply(cell: WriteOnlyCell) -> None:
        if kind[0] == "number":
            cell.number_format = kind[1]
        if kind[0] == "text" and column.wrap:
            cell.alignment = TOP_WRAPPED
        if bold:
            cell.font = BOLD
        if fill is not None:
            cell.fill = fill

    return _styled(cell, (*kind, bold, fill_key), apply)


def _header_style(cell: WriteOnlyCell) -> None:
    cell.font, cell.fill, cell.border, cell.alignment = BOLD, HEADER_FILL, BORDER, TOP_WRAPPED


def setattr_pair(cell: WriteOnlyCell, fill: PatternFill, font: Font) -> None:
    cell.fill, cell.font = fill, font


def _row_values(row: Row, columns: list[Column]) -> dict[str, Any]:
    values = dict(row.values)
    if row.kind in ("subtotal", "total") and columns and not values.get(columns[0].key):
        values[columns[0].key] = values.get("title") or "Total"
        if columns[0].key != "title":
            values["title"] = ""
    return values


def _sheet_title(title: str, used: set[str]) -> str:
    cleaned = "".join(ch for ch in xml_safe(title).replace("\n", " ") if ch not in "[]:*?/\\\t\r").strip()[:28]
    cleaned = cleaned or "Sheet"
    candidate, number = cleaned, 2
    while candidate.lower() in used:
        candidate = f"{cleaned[:25]} {number}"
        number += 1
    used.add(candidate.lower())
    return candidate


def _print_setup(sheet: Worksheet, report: Report, *, title_rows: str | None) -> None:
    """A4 landscape, one page wide, the header row on every page, title and page in the footer."""
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    if title_rows:
        sheet.print_title_rows = title_rows
    sheet.oddFooter.left.text = xml_safe(f"{report.title} – {report.period}").replace("&", "&&")[:200]
    sheet.oddFooter.left.size = 8
    sheet.oddFooter.right.text = "Page &P of &N"
    sheet.oddFooter.right.size = 8


def _table_name(title: str, used: set[str]) -> str:
    base = "".join(ch if ch.isalnum() else "_" for ch in title).strip("_") or "Table"
    base = ("T_" + base if not base[0].isalpha() else base)[:200]
    name, number = base, 2
    while name.lower() in used:
        name = f"{base}_{number}"
        number += 1
    used.add(name.lower())
    return name


def _covered(cells: list[Any], row: Row, columns: list[Column]) -> list[Any]:
    """A sum over rows of which only some gave the figure says how many did, in a cell comment."""
    for cell, column in zip(cells, columns, strict=True):
        coverage = row.partial.get(column.key)
        if coverage is not None and not isinstance(cell, str):
            cell.comment = Comment(f"Sum of the figures given: {coverage}.", "Report")
    return cells


def _write_table(sheet: Worksheet, report: Report, section: Section, tables: set[str] | None = None) -> None:
    columns = section.columns
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(column.width, 8)
    sheet.freeze_panes = "A4"
    _print_setup(sheet, report, title_rows="3:3")
    if section.rows:
        # The rows as a real Excel table: filter buttons and a name; the total row stays outside
        # it, computed by the app (a filter would otherwise hide rows the total still counts).
        from openpyxl.worksheet.table import Table, TableColumn, TableStyleInfo

        last = get_column_letter(len(columns))
        table = Table(
            displayName=_table_name(section.title, tables if tables is not None else set()),
            ref=f"A3:{last}{3 + len(section.rows)}",
        )
        table.tableStyleInfo = TableStyleInfo(name="TableStyleLight1", showRowStripes=True)
        # Write-only sheets cannot read the header cells back, so the columns are named here.
        table.tableColumns = [TableColumn(id=index, name=column.label) for index, column in enumerate(columns, start=1)]
        with warnings.catch_warnings():
            # openpyxl always warns in write-only mode; the columns were named just above.
            warnings.filterwarnings("ignore", message="In write-only mode you must add table columns manually")
            sheet.add_table(table)
    sheet.append([_text_cell(sheet, f"{report.title} – {section.title}", bold=True)])
    sheet.append([_text_cell(sheet, f"{report.organisation} · {report.period}")])
    header = []
    for column in columns:
        header.append(_styled(_text_cell(sheet, column.label), "header", _header_style))
    sheet.append(header)
    for row in section.rows:
        values = _row_values(row, columns)
        sheet.append(
            _covered([_value_cell(sheet, values.get(c.key), c, bold=False, fill=None) for c in columns], row, columns)
        )
    if section.total is not None:
        values = _row_values(section.total, columns)
        cells = [_value_cell(sheet, values.get(c.key), c, bold=True, fill=TOTAL_FILL) for c in columns]
        sheet.append(_covered(cells, section.total, columns))
        if section.total.partial:
            sheet.append(
                [
                    _text_cell(
                        sheet,
                        "Totals over rows of which only some gave the figure: "
                        + "; ".join(
                            f"{column.label}: {section.total.partial[column.key]}"
                            for column in columns
                            if column.key in section.total.partial
                        )
                        + ". A blank cell is a figure not known.",
                    )
                ]
            )
    for line in section.lines:
        sheet.append([_text_cell(sheet, line, bold=True)])


def render_xlsx(report: Report) -> bytes:
    """One sheet per report section (tables), then a Summary sheet for headlines, fields and notes."""
    workbook = Workbook(write_only=True)
    used: set[str] = set()
    summary = workbook.create_sheet(_sheet_title("Summary", used))
    _print_setup(summary, report, title_rows=None)  # sheet properties come before the first row
    summary.column_dimensions["A"].width = 45
    summary.column_dimensions["B"].width = 90
    summary.append([_text_cell(summary, report.title, bold=True)])
    summary.append([_text_cell(summary, report.organisation), _text_cell(summary, report.period)])
    for name, value in report.filters.items():
        summary.append([_text_cell(summary, name), _text_cell(summary, value)])
    if report.summary:
        summary.append([_text_cell(summary, "Summary", bold=True), _text_cell(summary, "\n\n".join(report.summary))])
    for headline in report.headlines:
        summary.append([_text_cell(summary, headline.label), _text_cell(summary, headline.text)])
    for section in report.sections:
        if section.kind == "fields":
            summary.append([_text_cell(summary, section.title, bold=True)])
            for label, value in section.fields:
                summary.append([_text_cell(summary, label), _text_cell(summary, value)])
        elif section.kind == "text":
            summary.append(
                [_text_cell(summary, section.title, bold=True), _text_cell(summary, "\n".join(section.lines))]
            )
    for note in report.notes:
        summary.append([_text_cell(summary, "Note"), _text_cell(summary, note)])
    summary.append([_text_cell(summary, "Produced"), _text_cell(summary, f"{report.generated_at:%d/%m/%Y %H:%M}")])
    tables: set[str] = set()
    for section in report.sections:
        if section.kind == "table":
            _write_table(workbook.create_sheet(_sheet_title(section.title, used)), report, section, tables)
    workbook.properties.title = xml_safe(report.title)
    workbook.properties.subject = xml_safe(report.period)
    workbook.properties.creator = xml_safe(report.organisation)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
