"""Every report PDF is a tagged PDF/UA-1 document: structure tree, language, title, bookmarks;
`pdfua check` (the machine-checkable subset of PDF/UA-1) reports no errors; qpdf's checks pass."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pikepdf
import pytest
from django.core.management import call_command

from plans.models import DeficitRecoveryPlan
from recovery.periods import FinancialYear, Period, Quarter
from recovery.reporting import renderers, selectors

pytestmark = pytest.mark.django_db
PDFUA = Path(sys.executable).with_name("pdfua")


@pytest.fixture
def demo(settings):
    settings.DEBUG = True
    call_command("load_demo", verbosity=0)
    settings.DEBUG = False


def build(kind: str):
    if kind == "appendix":
        return selectors.appendix_report(period=Period(FinancialYear(2022), Quarter.Q3))
    if kind == "transformation":
        return selectors.transformation_report(period=Period(FinancialYear(2012), Quarter.Q2))
    if kind == "exceptions":
        return selectors.exceptions_report(period=Period(FinancialYear(2023), Quarter.Q3))
    return selectors.plan_report(plan=DeficitRecoveryPlan.objects.get(tracker_ref="FRB/23/007"))


def outline_titles(pdf: pikepdf.Pdf) -> list[str]:
    with pdf.open_outline() as outline:
        titles: list[str] = []
        stack = list(outline.root)
        while stack:
            item = stack.pop(0)
            titles.append(str(item.title))
            stack.extend(item.children)
        return titles


@pytest.mark.parametrize("kind", ["appendix", "transformation", "exceptions", "plan"])
def test_report_pdf_is_tagged_titled_and_navigable(demo, tmp_path, kind, settings):
    settings.ORGANISATION_NAME = "Borough of Example"
    report = build(kind)
    path = tmp_path / f"{kind}.pdf"
    path.write_bytes(renderers.render_pdf(report))
    with pikepdf.open(path) as pdf:
        root = pdf.Root
        assert "/StructTreeRoot" in root, "not tagged"
        assert bool(root.MarkInfo.Marked) is True
        assert str(root.Lang) == "en-GB"
        assert bool(root.ViewerPreferences.DisplayDocTitle) is True
        assert str(pdf.docinfo["/Title"]) == f"{report.title} – {report.period}"
        assert str(pdf.docinfo["/Author"]) == "Borough of Example"
        assert str(pdf.docinfo["/Subject"]) == report.period
        titles = outline_titles(pdf)
        for section in report.sections:
            assert any(section.title in title for title in titles), f"no bookmark for {section.title}"
        assert pdf.check_pdf_syntax() == [], "qpdf reports problems"
        fonts = {str(font.get("/BaseFont")) for page in pdf.pages for font in page.Resources.Font.values()}
        assert all("Report-Sans" in name for name in fonts), fonts  # the shipped font, embedded
    result = subprocess.run([str(PDFUA), "check", str(path)], capture_output=True, text=True, timeout=120)  # noqa: S603
    summary = re.search(r"errors=(\d+)", result.stdout)
    assert summary is not None, result.stdout + result.stderr
    assert summary.group(1) == "0", result.stdout


def test_committee_pack_is_tagged_with_a_bookmark_per_report(demo, tmp_path):
    period = Period(FinancialYear(2012), Quarter.Q2)
    reports = [
        build("appendix"),
        selectors.transformation_report(period=period),
        selectors.exceptions_report(period=period),
    ]
    path = tmp_path / "pack.pdf"
    path.write_bytes(
        renderers.render_pack_pdf(title="Committee pack", period=str(period), organisation="Example", reports=reports)
    )
    with pikepdf.open(path) as pdf:
        assert "/StructTreeRoot" in pdf.Root
        assert str(pdf.Root.Lang) == "en-GB"
        assert str(pdf.docinfo["/Title"]) == "Committee pack"
        titles = outline_titles(pdf)
        for report in reports:
            assert report.title in titles
    result = subprocess.run([str(PDFUA), "check", str(path)], capture_output=True, text=True, timeout=120)  # noqa: S603
    assert re.search(r"errors=0\b", result.stdout), result.stdout
