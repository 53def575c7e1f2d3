"""A plan as Word (.docx): the fourth renderer of the one report structure.

Every demo plan's document opens in LibreOffice (converted to PDF headless) and its text carries
every field of the plan; the document has real headings, its properties and language, the
guidance in italics, bullets as Word bullets, narrative tables as Word tables, and RAG as a word
on its colour. Downloaded from the plan page and exported by `export_report … --format docx`.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from docx import Document
from docx.oxml.ns import qn

from monitoring.models import PlanUpdate
from plans.models import DeficitRecoveryPlan
from recovery import form_text
from recovery.money import format_pounds, format_thousands
from recovery.rag import RAG
from recovery.reporting import selectors
from recovery.reporting.word import render_docx

pytestmark = pytest.mark.django_db
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _pieces(text: str) -> list[str]:
    """The words a reader must find for a narrative: each line, each table cell, bullets unmarked."""
    pieces = []
    for line in text.splitlines():
        line = line.strip().lstrip("·•*").strip()
        if line.startswith("|"):
            pieces += [cell.strip() for cell in line.strip("|").split("|") if cell.strip()]
        elif line:
            pieces.append(line)
    return pieces


def _expected(plan: DeficitRecoveryPlan) -> list[str]:
    """Every field of the plan as a reader of the document must find it."""
    values = [
        plan.service_area.name,
        plan.service_area.portfolio.directorate.name,
        plan.tracker_ref,
        plan.service_director,
        plan.service_manager,
        plan.cost_centres,
        str(plan.financial_year),
    ]
    for figure in (plan.previous_year_budget, plan.previous_year_outturn, plan.current_year_budget, plan.pressure):
        if figure is not None:
            values.append(format_thousands(figure))
    for note in (
        plan.previous_year_budget_note,
        plan.previous_year_outturn_note,
        plan.current_year_budget_note,
        plan.pressure_note,
        plan.context,
        plan.actions,
    ):
        values += _pieces(note)
    if plan.deficit_since:
        values.append(str(plan.deficit_since))
    for milestone in plan.milestones.all():
        values += [*_pieces(milestone.details), milestone.due_text]
        if milestone.amount is not None:
            values.append(format_pounds(milestone.amount, places=2 if milestone.amount % 1 else 0).lstrip("£"))
        if milestone.per_year:
            values.append("Yearly saving")
    for update in PlanUpdate.objects.filter(plan=plan):
        values += _pieces(update.narrative)
        if update.on_target:
            values.append(update.get_on_target_display())
        if update.rag:
            values.append(RAG(update.rag).word)
    for guidance in (*form_text.CONTEXT_GUIDANCE, *form_text.ACTIONS_GUIDANCE, *form_text.QUARTERLY_GUIDANCE):
        values.append(guidance)
    return [value for value in values if value]


def _to_pdf_text(paths: list[Path], tmp_path: Path) -> dict[str, str]:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.fail("LibreOffice is needed for this test: `make test` installs it.")
    out = tmp_path / "converted"
    out.mkdir()
    profile = (tmp_path / f"lo-profile-{os.getpid()}").as_uri()
    done = subprocess.run(  # noqa: S603 - LibreOffice on our own files
        [
            soffice,
            f"-env:UserInstallation={profile}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out),
            *map(str, paths),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    texts = {}
    for path in paths:
        pdf = out / (path.stem + ".pdf")
        assert pdf.is_file(), f"LibreOffice could not open {path.name}: {done.stdout} {done.stderr}"
        texts[path.stem] = subprocess.run(  # noqa: S603 - poppler on our own file
            [shutil.which("pdftotext") or "pdftotext", "-raw", str(pdf), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    return texts


@pytest.fixture
def rated_demo(demo):
    """The demo plans, with finance's RAG on 003's Q2 update so a RAG is printed."""
    PlanUpdate.objects.filter(quarter=2).update(rag=RAG.AMBER.value)


def test_every_demo_plan_opens_in_libreoffice_with_every_field(rated_demo, tmp_path):
    # An export carries published updates only (drafts are private): submit the demo's draft
    # updates so that every field of every update is looked for in the document.
    PlanUpdate.objects.filter(status=PlanUpdate.Status.DRAFT).update(status=PlanUpdate.Status.SUBMITTED)
    plans = list(DeficitRecoveryPlan.objects.with_organisation().order_by("pk"))
    assert len(plans) == 3
    paths = []
    for plan in plans:
        path = tmp_path / f"plan-{plan.pk}.docx"
        path.write_bytes(render_docx(selectors.plan_report(plan=plan)))
        paths.append(path)
    texts = _to_pdf_text(paths, tmp_path)
    for plan in plans:
        # A paragraph that runs over a page break has the page footer in the middle of it.
        footer = _squash(f"Deficit Recovery Plan: {plan.service_area.name} · {plan.financial_year}")
        text = _squash(texts[f"plan-{plan.pk}"]).replace(footer, "")
        missing = [value for value in _expected(plan) if _squash(value) not in text]
        assert not missing, f"{plan}: not in the document: {missing}"


def test_document_has_headings_properties_guidance_bullets_tables_and_rag(rated_demo):
    plan = DeficitRecoveryPlan.objects.get(service_area__name="Children’s Staffing")
    document = Document(io.BytesIO(render_docx(selectors.plan_report(plan=plan))))

    properties = document.core_properties
    assert properties.title == "Deficit Recovery Plan: Children’s Staffing"
    assert properties.author == "Example Council" or properties.author  # the organisation setting
    assert properties.language == "en-GB"
    defaults = document.styles.element.find(qn("w:docDefaults"))
    assert defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}/{qn('w:lang')}").get(qn("w:val")) == "en-GB"

    headings = [(p.style.name, p.text) for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert headings[0] == ("Heading 1", "Deficit Recovery Plan: Children’s Staffing")
    titles = [text for style, text in headings if style == "Heading 2"]
    assert "Context behind the pressure" in titles
    assert "Actions to keep 23/24 spend in line with approved budget" in titles
    assert "Timescale for budget deficit recovery" in titles
    assert "Quarterly monitoring updates" in titles

    italic = [p.text for p in document.paragraphs if p.runs and all(run.italic for run in p.runs)]
    assert set(form_text.ALL_GUIDANCE) <= set(italic)
    assert set(italic) <= set(form_text.ALL_GUIDANCE)  # and nothing else is (003's answer quotes two)

    # The actions' "·" lines are Word bullets (without the typed marker), not typed dots.
    bullets = [p.text for p in document.paragraphs if p.style.name == "List Bullet"]
    assert "Active recruitment campaigns continues in respect of converting agency workers to convert to perm." in [
        text.strip() for text in bullets
    ]
    assert not any(p.text.startswith("·") for p in document.paragraphs)

    # The context's table of agency and permanent costs is a Word table, header row first.
    cost_table = next(t for t in document.tables if t.cell(0, 0).text == "Position")
    assert [cell.text for cell in cost_table.rows[2].cells][:2] == ["Deputy Team Manager", "£1,717.81"]

    # Header table: label and value cells; the figure with its note.
    header = document.tables[0]
    fields = {row.cells[0].text: row.cells[1].text for row in header.rows}
    assert fields["22/23 Outturn £'000"].startswith("31,752 (£1,932k overspend")
    assert fields["Directorate"] == "Children, Families & Education"

    # Milestones with pence and "Yearly saving"; quarterly updates with RAG as word and colour.
    milestones = next(t for t in document.tables if t.cell(0, 0).text == "Milestone details")
    assert [c.text for c in milestones.rows[1].cells][1:] == ["18,849.84", "December 23", "Yearly saving"]
    quarters = next(t for t in document.tables if t.cell(0, 0).text == "Quarter")
    rag_cell = quarters.rows[2].cells[2]
    assert rag_cell.text == "AMBER"
    shading = rag_cell._tc.tcPr.find(qn("w:shd"))
    assert shading.get(qn("w:fill")) == "FFBF47"
    header_row = quarters.rows[0]._tr.trPr.find(qn("w:tblHeader"))
    assert header_row is not None


def test_plan_page_offers_word_and_the_download_follows_the_plan_permissions(demo, client):
    from django.contrib.auth.models import User

    plan = DeficitRecoveryPlan.objects.get(tracker_ref="FRB/23/007")
    manager = User.objects.get(username="manager")
    client.force_login(manager)
    page = client.get(reverse("plans:detail", args=[plan.pk]))
    url = reverse("reporting:plan", args=[plan.pk]) + "?format=docx"
    assert f'href="{url}"' in page.content.decode()
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == DOCX_TYPE
    assert response["Content-Disposition"].endswith('.docx"')
    assert Document(io.BytesIO(response.content)).core_properties.title.startswith("Deficit Recovery Plan")

    stranger = User.objects.create_user("stranger", password="x" * 16)
    from django.contrib.auth.models import Group

    stranger.groups.add(Group.objects.get(name="Service manager"))
    client.force_login(stranger)
    assert client.get(url).status_code == 404


def test_export_command_writes_word(demo, tmp_path):
    out = tmp_path / "plan.docx"
    call_command(
        "export_report", "plan", "--ref", "FRB/23/007", "--format", "docx", "--output", str(out), stdout=io.StringIO()
    )
    document = Document(str(out))
    assert (
        document.core_properties.title
        == "Deficit Recovery Plan: Adult Social care assessment costs and income shortfall"
    )
    assert "FRB/23/007" in [row.cells[1].text for row in document.tables[0].rows]


def test_figures_that_are_not_whole_thousands_are_shown_exactly(demo):
    from decimal import Decimal

    plan = DeficitRecoveryPlan.objects.get(tracker_ref="FRB/23/007")
    plan.previous_year_budget = Decimal("18473500.00")
    plan.save()
    document = Document(io.BytesIO(render_docx(selectors.plan_report(plan=plan))))
    fields = {row.cells[0].text: row.cells[1].text for row in document.tables[0].rows}
    assert fields["22/23 Budget £'000"] == "18,473.5"


def test_text_that_xml_cannot_hold_is_dropped_not_a_crash(demo, client):
    from django.contrib.auth.models import User

    plan = DeficitRecoveryPlan.objects.get(tracker_ref="FRB/23/007")
    # Text stored before saves cleaned it (a save now turns these into line breaks): written directly.
    DeficitRecoveryPlan.objects.filter(pk=plan.pk).update(
        context="Pasted from a PDF\x0bwith a vertical tab\x0c and a form feed\x1f."
    )
    client.force_login(User.objects.get(username="manager"))
    response = client.get(reverse("reporting:plan", args=[plan.pk]) + "?format=docx")
    assert response.status_code == 200
    text = "\n".join(p.text for p in Document(io.BytesIO(response.content)).paragraphs)
    assert "Pasted from a PDFwith a vertical tab and a form feed." in text


@pytest.mark.parametrize("organisation", ["Example Council", "Royal Borough of Testing & Sons"])
def test_the_document_author_is_the_organisation(demo, settings, organisation):
    settings.ORGANISATION_NAME = organisation
    plan = DeficitRecoveryPlan.objects.get(tracker_ref="FRB/23/007")
    properties = Document(io.BytesIO(render_docx(selectors.plan_report(plan=plan)))).core_properties
    assert (properties.author, properties.language) == (organisation, "en-GB")
    assert properties.title == f"Deficit Recovery Plan: {plan.service_area.name}"
