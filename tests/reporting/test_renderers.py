"""The renderers: XLSX (numbers as numbers with formats, text never a formula), PDF (pages,
footer, repeated header, no URL fetched) and JSON (exact decimals). Reports are built from the
seed fixtures without the database; each PDF is rendered once per module (about a second each)."""

from __future__ import annotations

import dataclasses
import io
import json
import re
import shutil
import subprocess
import zipfile
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook

from recovery.periods import FinancialYear, Quarter
from recovery.rag import RAG
from recovery.reporting import builders, renderers
from recovery.reporting.builders import StatedFigure, build_appendix, build_transformation
from recovery.reporting.report import Report, report_as_data
from tests.reporting.seeds import (
    APPENDIX_PERIOD,
    APPENDIX_SECTIONS,
    PORTFOLIOS,
    TRANSFORMATION_PERIOD,
    appendix_lines,
    transformation_lines,
)

GENERATED = datetime(2024, 1, 15, 9, 30)
ORGANISATION = "Example Council"
INJECTIONS = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)"]
THOUSANDS_FORMAT = re.compile(r"^#,##0(;-#,##0)?$")
POUNDS_FORMAT = re.compile(r"^£#,##0(;-£#,##0)?$")


def appendix_report(lines=None) -> Report:
    return build_appendix(
        period=APPENDIX_PERIOD,
        lines=appendix_lines() if lines is None else lines,
        portfolios=PORTFOLIOS,
        organisation=ORGANISATION,
        generated_at=GENERATED,
        stated=[StatedFigure("Adults with a Disability", "forecast_year_end", Decimal(4312000))],
    )


def transformation_report(lines=None) -> Report:
    return build_transformation(
        period=TRANSFORMATION_PERIOD,
        lines=transformation_lines() if lines is None else lines,
        organisation=ORGANISATION,
        generated_at=GENERATED,
    )


def workbook(report: Report) -> Workbook:
    return load_workbook(io.BytesIO(renderers.render_xlsx(report)))


@pytest.fixture(scope="module")
def appendix_book() -> Workbook:
    return workbook(appendix_report())


@pytest.fixture(scope="module")
def transformation_book() -> Workbook:
    return workbook(transformation_report())


def four_places(number: float) -> Decimal:
    """A ratio read back from the spreadsheet (a float there), as a Decimal to four places."""
    return Decimal(str(number)).quantize(Decimal("0.0001"))


def data_rows(sheet) -> list[list[Any]]:
    """The sheet's cells below the title, subtitle and header rows."""
    return [list(row) for row in sheet.iter_rows(min_row=4)]


# XLSX ---------------------------------------------------------------------------------------------


def test_xlsx_sheet_names(appendix_book, transformation_book):
    assert appendix_book.sheetnames[0] == "Summary"
    assert len(appendix_book.sheetnames) == 1 + len(APPENDIX_SECTIONS) + 1
    for number, (name, area) in enumerate(zip(appendix_book.sheetnames[1:], APPENDIX_SECTIONS, strict=False), 1):
        assert f"{number}. {area}".startswith(name), (name, area)
    assert appendix_book.sheetnames[-1] == "7. Overall Total"
    assert transformation_book.sheetnames == ["Summary", "RED schemes", "AMBER schemes", "GREEN schemes", "Total"]
    for name in appendix_book.sheetnames + transformation_book.sheetnames:
        assert len(name) <= 31


def test_xlsx_workbook_properties(appendix_book, transformation_book):
    assert appendix_book.properties.title == "Appendix 1: Recovery Plan Performance by Service Area"
    assert appendix_book.properties.creator == ORGANISATION
    assert transformation_book.properties.title == "Transformation Plan Update Report to End of Quarter 2"
    assert transformation_book.properties.creator == ORGANISATION


def test_xlsx_frozen_panes_under_the_header(appendix_book, transformation_book):
    for book in (appendix_book, transformation_book):
        for name in book.sheetnames[1:]:
            assert book[name].freeze_panes == "A4", name
            header = [cell.value for cell in book[name][3]]
            assert header[0] in ("Project Title", "Saving Category by Portfolio", "Scheme no")


def test_xlsx_overall_total_last_row(appendix_book):
    sheet = appendix_book["7. Overall Total"]
    header = [cell.value for cell in sheet[3]]
    last = [cell.value for cell in list(sheet.iter_rows())[-1]]
    values = dict(zip(header, last, strict=True))
    assert last[0] == "Total"
    assert values["Target 31/03/23 (£000s)"] == 25201
    assert values["Forecast 31/03/23 (£000s)"] == 15925
    assert values["Forecast 31/03/24 (£000s)"] == 24073
    assert values["Mitigations Required (£000s)"] == 1128
    assert four_places(values["Forecast % by 1 April 2023"]) == Decimal("0.6319")
    assert four_places(values["Forecast % by 1 April 2024"]) == Decimal("0.9552")
    rows = {row[0].value: row for row in data_rows(sheet)}
    assert list(rows) == [*PORTFOLIOS, "Total"]
    assert rows["Care Governance and Inclusion"][6].value == -529


def test_xlsx_numbers_are_numbers_with_formats(appendix_book):
    sheet = appendix_book["7. Overall Total"]
    for row in data_rows(sheet):
        if row[0].value == "Chief Social Work Officer":
            continue
        for cell in row[1:4] + row[6:7]:
            assert cell.data_type == "n", (row[0].value, cell.coordinate)
            assert isinstance(cell.value, int | float)
            assert THOUSANDS_FORMAT.match(cell.number_format), cell.number_format
        for cell in row[4:6]:
            assert cell.data_type == "n"
            assert cell.number_format == "0%"
    living = appendix_book[appendix_book.sheetnames[2]]
    first = data_rows(living)[0]
    assert first[0].value == "Review of new High-Cost Homecare arranged during Covid response"
    assert [cell.value for cell in first[1:3]] == [3470, 2628]
    assert four_places(first[3].value) == Decimal("0.7573")
    assert first[3].number_format == "0%"


def test_xlsx_pounds_and_rag_cells(transformation_book):
    red = transformation_book["RED schemes"]
    rows = data_rows(red)
    first = rows[0]
    assert [cell.value for cell in first[:4]] == ["1", "RED", first[2].value, "R"]
    assert first[0].data_type == "s"  # a scheme number is text, not a number
    for cell in first[4:9]:
        assert cell.data_type == "n"
        assert POUNDS_FORMAT.match(cell.number_format), cell.number_format
    assert [cell.value for cell in first[4:9]] == [50000, 0, 0, 50000, 50000]
    rag = first[1]
    assert rag.value == "RED"
    assert rag.fill.fill_type == "solid"
    assert rag.fill.fgColor.rgb.endswith("B3261E")
    subtotal = rows[-1]
    assert subtotal[0].value == "RED subtotal"
    assert [cell.value for cell in subtotal[4:9]] == [2954636, 181006, 0, 2954636, 2699636]
    green = data_rows(transformation_book["GREEN schemes"])[0][1]
    assert green.value == "GREEN"
    assert green.fill.fgColor.rgb.endswith("00703C")
    total = data_rows(transformation_book["Total"])[-1]
    assert total[0].value == "TOTAL"
    assert [cell.value for cell in total[4:9]] == [7956000, 1849232, 1691122, 6264878, 2699636]


def test_xlsx_summary_sheet_has_headlines_and_notes(transformation_book, appendix_book):
    texts = [cell.value for row in transformation_book["Summary"].iter_rows() for cell in row if cell.value]
    assert any("£7.956m" in text for text in texts)
    assert any("31.7%" in text for text in texts)
    notes = [cell.value for row in appendix_book["Summary"].iter_rows() for cell in row if cell.value]
    assert any("4,338" in text and "4,312" in text for text in notes)


@pytest.fixture(scope="module")
def injected_xlsx() -> list[bytes]:
    """Reports whose scheme titles, timelines and challenges are spreadsheet formulas."""
    appendix_rows = [
        dataclasses.replace(line, title=text, timeline=text, challenges=text)
        for line, text in zip(appendix_lines(), INJECTIONS * 10, strict=False)
    ]
    scheme_rows = [
        dataclasses.replace(line, title=text, ref=text)
        for line, text in zip(transformation_lines(), INJECTIONS * 10, strict=False)
    ]
    return [
        renderers.render_xlsx(appendix_report(appendix_rows)),
        renderers.render_xlsx(transformation_report(scheme_rows)),
    ]


def test_xlsx_text_that_looks_like_a_formula_stays_text(injected_xlsx):
    seen: dict[str, int] = dict.fromkeys(INJECTIONS, 0)
    for body in injected_xlsx:
        book = load_workbook(io.BytesIO(body))
        for sheet in book.worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    if cell.value in seen:
                        seen[cell.value] += 1
                        assert cell.data_type == "s", (sheet.title, cell.coordinate, cell.value)
    assert all(count > 0 for count in seen.values()), seen


def test_xlsx_has_no_formula_elements(injected_xlsx):
    for body in injected_xlsx:
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            sheets = [name for name in archive.namelist() if name.startswith("xl/worksheets/")]
            assert sheets
            for name in sheets:
                xml = archive.read(name).decode("utf-8")
                assert not re.search(r"<f[\s>/]", xml), name
            shared = [n for n in archive.namelist() if n == "xl/sharedStrings.xml"]
            found = "".join(archive.read(n).decode() for n in [*sheets, *shared])
            assert "HYPERLINK" in found  # the text is there, as text


# PDF ----------------------------------------------------------------------------------------------

PDFTOTEXT = shutil.which("pdftotext") or "/usr/bin/pdftotext"
PDFINFO = shutil.which("pdfinfo") or "/usr/bin/pdfinfo"


def pdf_pages(path: Path) -> int:
    info = subprocess.run([PDFINFO, str(path)], capture_output=True, text=True, check=True).stdout  # noqa: S603
    return int(re.search(r"^Pages:\s+(\d+)", info, flags=re.MULTILINE).group(1))


def pdf_text(path: Path, page: int | None = None, *, layout: bool = True) -> str:
    args = [PDFTOTEXT, "-enc", "UTF-8"]
    if layout:
        args.append("-layout")
    if page is not None:
        args += ["-f", str(page), "-l", str(page)]
    return subprocess.run([*args, str(path), "-"], capture_output=True, text=True, check=True).stdout  # noqa: S603


@pytest.fixture(scope="module")
def transformation_pdf(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("pdf") / "transformation.pdf"
    path.write_bytes(renderers.render_pdf(transformation_report()))
    return path


def test_pdf_is_a_pdf_of_several_pages(transformation_pdf):
    assert transformation_pdf.read_bytes().startswith(b"%PDF")
    assert pdf_pages(transformation_pdf) >= 2


def test_pdf_text_has_the_totals_and_page_numbers(transformation_pdf):
    text = pdf_text(transformation_pdf)
    assert "7,956,000" in text
    assert "2,699,636" in text
    assert "2,954,636" in text
    assert "£7.956m" in text
    assert "31.7%" in text
    assert "Page 1 of" in text


def test_pdf_every_page_has_the_footer_and_the_table_header(transformation_pdf):
    pages = pdf_pages(transformation_pdf)
    title = "Transformation Plan Update Report to End of Quarter 2"
    for page in range(1, pages + 1):
        layout = pdf_text(transformation_pdf, page)
        footer = [line for line in layout.splitlines() if f"Page {page} of {pages}" in line]
        assert footer, f"page {page} has no page number"
        assert title in footer[0], f"page {page} footer: {footer[0]!r}"
        assert "2012/13" in footer[0]
        flowing = " ".join(pdf_text(transformation_pdf, page, layout=False).split())
        assert "Full year budget" in flowing, f"page {page} has no table header"


def test_refuse_every_url_refuses():
    for url in ("file:///etc/passwd", "http://169.254.169.254/", "http://169.254.169.254/latest/meta-data", "data:,x"):
        with pytest.raises(renderers.RefusedURL):
            renderers.refuse_every_url(url)
    assert issubclass(renderers.RefusedURL, ValueError)


NASTY_CONTEXT = (
    'Deficit since 2019/20. <img src="file:///etc/passwd"> See http://169.254.169.254/latest/meta-data '
    '<link rel="stylesheet" href="http://169.254.169.254/x.css"> <iframe src="file:///etc/shadow"></iframe>'
)


def nasty_plan(service_area: str) -> Report:
    snapshot = builders.PlanSnapshot(
        year=FinancialYear(2023),
        directorate="Chief Executive",
        tracker_ref="FRB/23/007",
        service_director="Dev Gopal",
        service_area=service_area,
        service_manager="Deb Fensome",
        cost_centres="FF4104",
        previous_year_budget=Decimal("-2000"),
        previous_year_budget_note="",
        previous_year_outturn=Decimal("397000"),
        previous_year_outturn_note="",
        current_year_budget=Decimal(0),
        current_year_budget_note="",
        pressure=Decimal("399000"),
        pressure_note="",
        deficit_since="2019/20",
        context=NASTY_CONTEXT,
        actions='<img src="http://169.254.169.254/latest/meta-data/iam">',
        status="Submitted",
        milestones=[builders.MilestoneLine("Obtain shortfall", Decimal(80000), False, "2023/2024")],
        updates=[
            builders.UpdateLine(
                quarter=Quarter.Q3,
                on_target="",
                narrative='<img src="file:///etc/passwd">',
                status="Draft",
                rag=RAG.AMBER,
            )
        ],
    )
    return builders.build_plan(plan=snapshot, organisation=ORGANISATION, generated_at=GENERATED)


@pytest.fixture(scope="module")
def nasty_pdf(tmp_path_factory) -> dict[str, Any]:
    """A plan whose narratives hold HTML pointing at a local file and the metadata address,
    rendered once with the URL fetcher recording every call WeasyPrint makes."""
    calls: list[str] = []
    fetched: list[str] = []
    refuse = renderers.refuse_every_url

    def recording(url: str, *args: Any, **kwargs: Any) -> Any:
        calls.append(url)
        result = refuse(url, *args, **kwargs)
        fetched.append(url)  # reached only if the real fetcher returned something
        return result

    report = nasty_plan("Children's Placements & Staffing - East")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(renderers, "refuse_every_url", recording)
        html = renderers.report_html_for_pdf(report)
        body = renderers.render_pdf(report)
    path = tmp_path_factory.mktemp("pdf") / "plan.pdf"
    path.write_bytes(body)
    return {"path": path, "calls": calls, "fetched": fetched, "html": html, "report": report}


def test_pdf_of_a_plan_with_urls_in_its_narrative_renders(nasty_pdf):
    assert nasty_pdf["path"].read_bytes().startswith(b"%PDF")
    text = " ".join(pdf_text(nasty_pdf["path"], layout=False).split())
    # The narrative is shown as the text the manager typed, not interpreted as HTML.
    assert '<img src="file:///etc/passwd">' in text
    assert "http://169.254.169.254/latest/meta-data" in text
    assert "root:x:0:0" not in text


def test_pdf_fetches_nothing(nasty_pdf):
    # Whatever WeasyPrint asked for (nothing, as the narrative is escaped), nothing came back.
    assert nasty_pdf["fetched"] == []
    html = nasty_pdf["html"]
    assert "<img" not in html
    assert "<iframe" not in html
    assert "<link" not in html
    assert "&lt;img src=&quot;file:///etc/passwd&quot;&gt;" in html


def test_pdf_with_a_resource_url_is_refused_and_still_renders(monkeypatch):
    """Were an <img> or a stylesheet link ever to reach the PDF's HTML, the fetcher is asked and
    refuses: the document still renders, without the resource.

    Bug: render_pdf passes the plain function refuse_every_url as url_fetcher; WeasyPrint 70
    reads ``url_fetcher._fail_on_errors`` when a fetcher raises, so any URL in the document makes
    rendering crash with AttributeError instead of being refused."""
    calls: list[str] = []
    refuse = renderers.refuse_every_url

    def recording(url: str, *args: Any, **kwargs: Any) -> Any:
        calls.append(url)
        return refuse(url, *args, **kwargs)

    html = (
        '<html><head><link rel="stylesheet" href="http://169.254.169.254/latest/meta-data"></head>'
        '<body><p>x</p><img src="file:///etc/passwd"></body></html>'
    )
    monkeypatch.setattr(renderers, "refuse_every_url", recording)
    monkeypatch.setattr(renderers, "report_html_for_pdf", lambda report: html)
    body = renderers.render_pdf(transformation_report())
    assert body.startswith(b"%PDF")
    assert "file:///etc/passwd" in calls
    assert "http://169.254.169.254/latest/meta-data" in calls


def test_pdf_footer_shows_the_title_as_written(nasty_pdf):
    """A title with an apostrophe, an ampersand or a hyphen is shown as written in the footer.

    Bug: renderers._css_string escapes the footer for CSS and the template escapes it again
    with |escapejs (JavaScript \\uXXXX escapes, meaningless in CSS), so the footer reads
    "Childrenu0027s Placements u0026 Staffing u002D East"."""
    path = nasty_pdf["path"]
    pages = pdf_pages(path)
    title = nasty_pdf["report"].title
    assert title == "Deficit Recovery Plan: Children's Placements & Staffing - East"
    for page in range(1, pages + 1):
        footer = [line for line in pdf_text(path, page).splitlines() if f"Page {page} of {pages}" in line]
        assert footer
        assert title in footer[0], footer[0]


# JSON ---------------------------------------------------------------------------------------------


def no_floats(value: Any) -> bool:
    if isinstance(value, float):
        return False
    if isinstance(value, dict):
        return all(no_floats(item) for item in value.values())
    if isinstance(value, list):
        return all(no_floats(item) for item in value)
    return True


def test_json_round_trips_with_exact_decimals():
    report = transformation_report()
    data = json.loads(renderers.render_json(report))
    assert data == json.loads(json.dumps(report_as_data(report)))
    assert no_floats(data)
    assert data["generated_at"] == "2024-01-15T09:30:00"
    assert datetime.fromisoformat(data["generated_at"]) == GENERATED
    total = next(s for s in data["sections"] if s["key"] == "total")["total"]["values"]
    assert total["target"] == "7956000"
    assert total["ytd_budget"] == "1849232"
    red = next(s for s in data["sections"] if s["key"] == "rag-red")
    assert red["rag"] == "RED"
    assert red["rows"][0]["values"]["rag"] == "RED"
    headlines = {h["key"]: h for h in data["headlines"]}
    assert headlines["rag_red"]["value"] == "2518338"
    assert headlines["scheme_count"]["value"] == 34
    assert Decimal(red["columns"][4]["places"]) == 0


def test_json_of_the_appendix_keeps_ratios_exact():
    data = json.loads(renderers.render_json(appendix_report()))
    assert no_floats(data)
    overall = next(s for s in data["sections"] if s["key"] == "overall")
    ratio = Decimal(overall["total"]["values"]["percent_year_end"])
    assert ratio == Decimal(15925000) / Decimal(25201000)
    empty = next(r for r in overall["rows"] if r["values"]["portfolio"] == "Chief Social Work Officer")
    assert empty["values"]["forecast_year_end"] is None
    assert empty["values"]["target"] == "0"
