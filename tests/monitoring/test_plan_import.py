"""Importing Word plan forms: the seed forms give the plans `load_demo` loads, every demo plan
survives a round trip through Word, the command and the upload page store all or nothing, and
every bad file is refused with nothing stored."""

from __future__ import annotations

import io
import zipfile
from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from fixtures.build_plan_forms import build_form, seed_entries
from monitoring.models import MilestoneProgress, PlanUpdate
from monitoring.plan_import import plans_import
from plans.models import DeficitRecoveryPlan, Milestone, ServiceArea
from plans.services import PLAN_FIELDS
from plans.word_import import OLE_MAGIC
from recovery.reporting import selectors
from recovery.reporting.word import render_docx

pytestmark = pytest.mark.django_db

UPDATE_FIELDS = ("on_target", "narrative", "milestones_explanation", "recovery_actions", "alternative_proposal")


def plan_as_data(plan: DeficitRecoveryPlan) -> dict[str, object]:
    """Everything a manager writes on the form: the fields, the milestones and the updates."""
    return {
        "service_area": plan.service_area_id,
        "financial_year": str(plan.financial_year),
        **{name: getattr(plan, name) for name in PLAN_FIELDS},
        "milestones": [
            (m.details, m.amount, m.per_year, m.due_text, m.due_date)
            for m in Milestone.objects.filter(plan=plan).order_by("order", "pk")
        ],
        "updates": [
            (update.quarter, *(getattr(update, name) for name in UPDATE_FIELDS))
            for update in PlanUpdate.objects.filter(plan=plan).order_by("quarter")
        ],
        "progress": [
            (p.update.quarter, p.milestone.order, p.status, p.revised_due_text, p.revised_due_date)
            for p in MilestoneProgress.objects.filter(update__plan=plan).select_related("update", "milestone")
        ],
    }


def _take_out(plan: DeficitRecoveryPlan) -> dict[str, object]:
    """The plan's data, then the plan removed (so that it can be imported again in its place)."""
    data = plan_as_data(plan)
    PlanUpdate.objects.filter(plan=plan).delete()
    plan.delete()
    return data


@pytest.fixture
def demo(db, settings):
    """``manage.py load_demo``: the seed organisation, plans and updates, and the demo users."""
    settings.DEBUG = True
    call_command("load_demo", stdout=StringIO())


@pytest.fixture
def demo_manager(demo) -> User:
    return User.objects.get(username="manager")


def _demo_plan(entry) -> DeficitRecoveryPlan:
    return DeficitRecoveryPlan.objects.get(
        service_area__name=entry["service_area"], service_area__portfolio__directorate__name=entry["directorate"]
    )


@pytest.mark.parametrize("seed", ["000", "001", "003"])
def test_each_seed_form_imports_as_the_plan_load_demo_loads(demo_manager, seed):
    entry = next(item for item in seed_entries() if item["seed"] == seed)
    demo_plan = _demo_plan(entry)
    area = demo_plan.service_area
    expected = _take_out(demo_plan)

    summary = plans_import(
        user=demo_manager, service_area=area, uploads=[(f"plan_form_{seed}.docx", build_form(entry))]
    )

    assert summary.errors == []
    assert summary.committed
    (plan,) = summary.created
    assert plan_as_data(plan) == expected
    assert plan.is_draft
    assert list(plan.managers.all()) == [demo_manager]
    assert set(PlanUpdate.objects.filter(plan=plan).values_list("status", flat=True)) <= {"draft"}


def test_the_seed_forms_in_fixtures_are_the_ones_the_script_builds():
    """fixtures/plan_form_*.docx (for trying the import by hand) read as the script's forms do."""
    from pathlib import Path

    from plans.word_import import read_plan

    for entry in seed_entries():
        path = Path("fixtures") / f"plan_form_{entry['seed']}.docx"
        assert read_plan(path.read_bytes(), path.name).values == read_plan(build_form(entry), path.name).values


def test_every_demo_plan_exported_to_word_and_imported_again_is_the_same_plan(demo_manager):
    plans = list(DeficitRecoveryPlan.objects.with_organisation().order_by("pk"))
    assert len(plans) == 3
    # An export carries published updates only (drafts are private): submit the demo's draft
    # updates so that every update's every field makes the round trip.
    PlanUpdate.objects.filter(status=PlanUpdate.Status.DRAFT).update(status=PlanUpdate.Status.SUBMITTED)
    # The further detail of an update, a milestone's progress and a revised date come back too.
    PlanUpdate.objects.filter(quarter=2).update(
        milestones_explanation="Two posts were not filled.",
        recovery_actions="· Agency conversions\n· A recruitment day",
        alternative_proposal="Hold the training budget.",
    )
    staffing = next(plan for plan in plans if plan.service_area.name == "Children’s Staffing")
    latest = PlanUpdate.objects.filter(plan=staffing).order_by("-quarter").first()
    first, second = staffing.milestones.order_by("order")[:2]
    MilestoneProgress.objects.create(
        update=latest,
        milestone=first,
        status="slipped",
        revised_due_text="March 24",
        revised_due_date=date(2024, 3, 31),
    )
    MilestoneProgress.objects.create(update=latest, milestone=second, status="met")
    for plan in plans:
        document = render_docx(selectors.plan_report(plan=plan))
        area = plan.service_area
        expected = _take_out(plan)
        summary = plans_import(user=demo_manager, service_area=area, uploads=[("plan.docx", document)])
        assert summary.errors == [], summary.errors
        (created,) = summary.created
        assert plan_as_data(created) == expected
        assert not [w for w in summary.warnings if "not found" in w and "In deficit since" not in w]


def test_import_with_any_error_stores_nothing(demo_manager):
    """Two forms, one for a year that already has a plan: neither is stored."""
    entries = {item["seed"]: item for item in seed_entries()}
    staffing = _demo_plan(entries["003"])
    _take_out(_demo_plan(entries["000"]))
    before = DeficitRecoveryPlan.objects.count()
    summary = plans_import(
        user=demo_manager,
        service_area=staffing.service_area,
        uploads=[("a.docx", build_form(entries["000"])), ("b.docx", build_form(entries["003"]))],
    )
    assert not summary.committed
    assert any("there is already a plan for Children’s Staffing in 2023/24" in error for error in summary.errors)
    assert DeficitRecoveryPlan.objects.count() == before


def test_a_manager_imports_only_into_a_service_area_they_manage(demo):
    from django.core.exceptions import PermissionDenied

    from tests.factories import UserFactory

    stranger = UserFactory(role="Service manager")
    area = ServiceArea.objects.get(name="Children’s Staffing")
    with pytest.raises(PermissionDenied):
        plans_import(user=stranger, service_area=area, uploads=[("a.docx", build_form(seed_entries()[2]))])


# The command -------------------------------------------------------------------------------


def test_command_imports_the_seed_forms(demo, tmp_path):
    entry = next(item for item in seed_entries() if item["seed"] == "003")
    expected = _take_out(_demo_plan(entry))
    path = tmp_path / "staffing.docx"
    path.write_bytes(build_form(entry))
    out = StringIO()

    call_command("import_plan", str(path), "--service-area", "children’s staffing", "--dry-run", stdout=out)
    assert "1 plan(s) would be imported" in out.getvalue()
    assert not DeficitRecoveryPlan.objects.filter(service_area__name="Children’s Staffing").exists()

    call_command("import_plan", str(path), "--service-area", "Children’s Staffing", stdout=out)
    created = DeficitRecoveryPlan.objects.get(service_area__name="Children’s Staffing")
    assert plan_as_data(created) == expected
    text = out.getvalue()
    assert "found Current year budget (£'000) (table 1, row 9, cell 2): \"31,085 (£'000) · note: (Full staffing" in text
    assert "4 milestone(s), 2 quarterly update(s)" in text


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


BAD_FILES = {
    "not-a-plan.docx": b"plain text, not a document",
    "secret.docx": OLE_MAGIC + b"\x00" * 600,
    "bundle.zip": _zip({"a.docx": b"x", "notes.txt": b"hello"}),
}


@pytest.mark.parametrize("bad", sorted(BAD_FILES))
def test_command_refuses_a_bad_file_among_good_ones_and_stores_nothing(demo, tmp_path, bad):
    entry = next(item for item in seed_entries() if item["seed"] == "003")
    _take_out(_demo_plan(entry))
    good = tmp_path / "good.docx"
    good.write_bytes(build_form(entry))
    wrong = tmp_path / bad
    wrong.write_bytes(BAD_FILES[bad])
    before = (DeficitRecoveryPlan.objects.count(), Milestone.objects.count(), PlanUpdate.objects.count())
    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("import_plan", str(good), str(wrong), "--service-area", "Children’s Staffing", stdout=StringIO())
    assert (DeficitRecoveryPlan.objects.count(), Milestone.objects.count(), PlanUpdate.objects.count()) == before


def test_command_errors_exit_non_zero(demo, tmp_path):
    entry = next(item for item in seed_entries() if item["seed"] == "003")
    path = tmp_path / "staffing.docx"
    path.write_bytes(build_form(entry))
    with pytest.raises(CommandError, match="error"):  # the demo already has this plan
        call_command(
            "import_plan", str(path), "--service-area", "Children’s Staffing", stdout=StringIO(), stderr=StringIO()
        )
    with pytest.raises(CommandError, match="No service area is called"):
        call_command("import_plan", str(path), "--service-area", "Nowhere", stdout=StringIO())
    with pytest.raises(CommandError, match="is not a file"):
        call_command("import_plan", str(path) + ".missing", "--service-area", "Children’s Staffing")


# The upload page ---------------------------------------------------------------------------


def _upload(client, area, name, data, year=""):
    return client.post(
        reverse("monitoring:plan_import"),
        {"service_area": area.pk, "year": year, "file": SimpleUploadedFile(name, data)},
    )


def test_a_manager_uploads_previews_and_creates_draft_plans(demo, client):
    entries = {item["seed"]: item for item in seed_entries()}
    expected = {seed: _take_out(_demo_plan(entries[seed])) for seed in ("001", "003")}
    client.force_login(User.objects.get(username="manager"))
    area = ServiceArea.objects.get(name="Children’s Staffing")

    page = client.get(reverse("plans:list"))
    assert reverse("monitoring:plan_import") in page.content.decode()

    preview = _upload(client, area, "staffing.docx", build_form(entries["003"]))
    assert preview.status_code == 200
    html = preview.content.decode()
    assert "Found" in html
    assert "table 1, row 7, cell 2" in html  # where the previous year budget was
    assert "Create 1 draft plan" in html
    assert not DeficitRecoveryPlan.objects.filter(service_area=area).exists()  # nothing yet

    token = preview.context["token"]
    done = client.post(reverse("monitoring:plan_import_confirm", args=[token]))
    created = DeficitRecoveryPlan.objects.get(service_area=area)
    assert done.status_code == 302
    assert done["Location"] == created.get_absolute_url()
    assert plan_as_data(created) == expected["003"]

    # The token is spent: the same upload is not imported twice.
    again = client.post(reverse("monitoring:plan_import_confirm", args=[token]), follow=True)
    assert "not waiting to be imported" in again.content.decode()
    assert DeficitRecoveryPlan.objects.filter(service_area=area).count() == 1

    # A .zip of forms: the placements form into its own area.
    placements = ServiceArea.objects.get(name="Children’s Placements")
    preview = _upload(client, placements, "forms.zip", _zip({"placements.docx": build_form(entries["001"])}))
    assert preview.status_code == 200
    client.post(reverse("monitoring:plan_import_confirm", args=[preview.context["token"]]))
    assert plan_as_data(DeficitRecoveryPlan.objects.get(service_area=placements)) == expected["001"]


def _macro_enabled(docx: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(docx)) as source:
        members = {name: source.read(name) for name in source.namelist()}
    members["[Content_Types].xml"] = members["[Content_Types].xml"].replace(
        b"wordprocessingml.document.main+xml", b"ms-word.document.macroEnabled.main+xml"
    )
    return _zip(members)


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("plan.pdf", b"%PDF-1.7 not a form", "is not a Word document"),
        ("secret.docx", OLE_MAGIC + b"\x00" * 600, "password-protected"),
        ("macros.docm", None, "macro-enabled"),
        ("bundle.zip", _zip({"notes.txt": b"hello"}), "not Word documents"),
    ],
)
def test_the_upload_page_refuses_bad_files_with_a_message_and_stores_nothing(demo, client, name, data, message):
    if data is None:
        data = _macro_enabled(build_form(seed_entries()[2]))
    client.force_login(User.objects.get(username="manager"))
    area = ServiceArea.objects.get(name="Children’s Staffing")
    before = DeficitRecoveryPlan.objects.count()
    response = _upload(client, area, name, data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert DeficitRecoveryPlan.objects.count() == before


def test_a_form_whose_year_is_already_planned_shows_the_error_and_offers_no_import(demo, client):
    client.force_login(User.objects.get(username="manager"))
    area = ServiceArea.objects.get(name="Children’s Staffing")
    response = _upload(client, area, "staffing.docx", build_form(seed_entries()[2]))
    assert response.status_code == 400
    assert "there is already a plan for Children’s Staffing in 2023/24" in response.content.decode()
    assert response.context["token"] == ""


def test_the_year_can_be_given_when_the_labels_print_none(demo, client):
    from docx import Document

    document = Document()
    table = document.add_table(rows=0, cols=2)
    for label, value in (
        ("Previous year budget", "100"),
        ("Previous year outturn", "120"),
        ("Current year budget", "110"),
    ):
        row = table.add_row().cells
        row[0].text, row[1].text = label, value
    buffer = io.BytesIO()
    document.save(buffer)
    client.force_login(User.objects.get(username="manager"))
    area = ServiceArea.objects.get(name="Children’s Staffing")

    refused = _upload(client, area, "undated.docx", buffer.getvalue())
    assert refused.status_code == 400
    assert "the financial year cannot be told from the form" in refused.content.decode()

    preview = _upload(client, area, "undated.docx", buffer.getvalue(), year="2025/26")
    assert preview.status_code == 200
    client.post(reverse("monitoring:plan_import_confirm", args=[preview.context["token"]]))
    plan = DeficitRecoveryPlan.objects.get(service_area=area, financial_year="2025/26")
    assert (plan.previous_year_budget, plan.previous_year_outturn, plan.current_year_budget) == (
        Decimal(100000),
        Decimal(120000),
        Decimal(110000),
    )


def _hostile_files() -> list[tuple[str, bytes, str]]:
    from tests.plans import test_word_import as made

    form = build_form(seed_entries()[2])
    return [
        ("laughs.docx", made._with_document_xml(b"3</w:t>", b"&lol9;</w:t>", made.LAUGHS), "document type declaration"),
        ("locked.zip", made._patched(made._zip({"a.docx": form}), flag=1), "password-protected"),
        ("aes.zip", made._patched(made._zip({"a.docx": form}), central=99, local=99), "compressed in a way"),
        ("bad-crc.zip", made._bad_crc(made._stored_zip({"a.docx": form})), "is damaged"),
        ("hidden-macros.docx", made._vba_by_relationship(), "macro-enabled"),
        ("inner.zip", _zip({"forms.zip": _zip({"a.docx": form})}), "forms.zip"),
    ]


@pytest.mark.parametrize("index", range(6))
def test_hostile_uploads_get_a_message_not_an_error_page_and_store_nothing(demo, client, tmp_path, index):
    name, data, message = _hostile_files()[index]
    _take_out(_demo_plan(seed_entries()[2]))  # so that the good form beside it would import
    client.force_login(User.objects.get(username="manager"))
    area = ServiceArea.objects.get(name="Children’s Staffing")
    counts = (DeficitRecoveryPlan.objects.count(), Milestone.objects.count(), PlanUpdate.objects.count())

    response = _upload(client, area, name, data)
    assert response.status_code == 400
    assert message in response.content.decode()

    good, bad = tmp_path / "good.docx", tmp_path / name
    good.write_bytes(build_form(seed_entries()[2]))
    bad.write_bytes(data)
    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("import_plan", str(good), str(bad), "--service-area", "Children’s Staffing", stdout=StringIO())
    assert (DeficitRecoveryPlan.objects.count(), Milestone.objects.count(), PlanUpdate.objects.count()) == counts


def test_the_preview_lists_what_was_not_found_and_every_problem(demo, client):
    import re

    from docx import Document

    document = Document()
    table = document.add_table(rows=0, cols=2)
    for label, value in (
        ("24/25 Budget £'000", "about thirty thousand"),
        ("24/25 Outturn £'000", "120"),
        ("25/26 Budget £'000", "110"),
    ):
        row = table.add_row().cells
        row[0].text, row[1].text = label, value
    milestones = document.add_table(rows=2, cols=3)
    for cell, text in zip(milestones.rows[0].cells, ("Milestone details", "£", "Date"), strict=True):
        cell.text = text
    for cell, text in zip(milestones.rows[1].cells, ("Recruit", "lots", "when the moon is blue"), strict=True):
        cell.text = text
    buffer = io.BytesIO()
    document.save(buffer)
    client.force_login(User.objects.get(username="manager"))
    area = ServiceArea.objects.get(name="Children’s Staffing")

    response = _upload(client, area, "thin.docx", buffer.getvalue())
    assert response.status_code == 200  # warnings only: it can be imported
    html = re.sub(r"\s+", " ", response.content.decode())
    for field in ("Directorate", "Service director", "Context behind the pressure", "Actions to keep spend in line"):
        assert re.search(rf"<th[^>]*>{re.escape(field)}</th> <td>Not found</td>", html), field
    assert "no amount could be read: the text is kept as the note" in html
    assert "&#x27;when the moon is blue&#x27; cannot be understood" in html
    assert "&#x27;lots&#x27; cannot be read" in html
    assert not DeficitRecoveryPlan.objects.filter(service_area=area, financial_year="2025/26").exists()


@pytest.mark.parametrize(
    ("value", "shown"), [("", "Found, left blank"), ("   ", "Found, left blank"), ("FRB/25/001", "Found")]
)
def test_the_preview_tells_a_label_left_blank_from_one_answered(demo, client, value, shown):
    import re

    from docx import Document

    document = Document()
    row = document.add_table(rows=1, cols=2).rows[0].cells
    row[0].text, row[1].text = "Combined Tracker Ref", value
    buffer = io.BytesIO()
    document.save(buffer)
    client.force_login(User.objects.get(username="manager"))
    area = ServiceArea.objects.get(name="Children’s Staffing")
    html = re.sub(r"\s+", " ", _upload(client, area, "blank.docx", buffer.getvalue()).content.decode())
    cell = re.search(r"<th[^>]*>Combined tracker ref[^<]*</th> <td>([^<]*)</td>", html, re.IGNORECASE)
    assert cell is not None
    assert cell.group(1) == shown


def test_previews_never_confirmed_do_not_pile_up_in_storage(demo, client):
    """Each good preview keeps its upload until it is confirmed; the session remembers the last
    five, and an upload the session forgets is deleted with it (else every preview stays on disk)."""
    from django.core.files.storage import default_storage

    def stored() -> set[str]:
        return set(default_storage.listdir("plan-uploads")[1]) if default_storage.exists("plan-uploads") else set()

    before = stored()
    client.force_login(User.objects.get(username="manager"))
    area = ServiceArea.objects.get(name="Children’s Staffing")
    form = build_form(seed_entries()[2])
    tokens = []
    for year in range(2030, 2038):
        preview = _upload(client, area, "staffing.docx", form, year=f"{year}/{(year + 1) % 100:02d}")
        assert preview.status_code == 200
        tokens.append(preview.context["token"])
    assert stored() - before == {f"{token}.bin" for token in tokens[-5:]}
    done = client.post(reverse("monitoring:plan_import_confirm", args=[tokens[-1]]))
    assert done.status_code == 302
    assert stored() - before == {f"{token}.bin" for token in tokens[-5:-1]}
