"""Writing plans through the services: permissions, milestones, submission and attachments."""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from plans import services
from plans.models import Attachment, DeficitRecoveryPlan, Milestone
from plans.roles import Role
from plans.services import MilestoneData
from recovery.periods import FinancialYear
from tests.factories import MilestoneFactory, PlanFactory, ServiceAreaFactory, UserFactory

pytestmark = pytest.mark.django_db

PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 32

SEED_000_FIELDS = {
    "tracker_ref": "FRB/23/007",
    "service_director": "Dev Gopal",
    "service_manager": "Deb Fensome",
    "cost_centres": "FF4104",
    "previous_year_budget": Decimal("-2000"),
    "previous_year_outturn": Decimal("397000"),
    "current_year_budget": Decimal("0"),
    "context": "Not enough resource to be able to continue with the review work.",
    "actions": "To increase the recharge from ASC to ASC Financial Assessments.",
}


def office_file(name: str, members: dict[str, bytes]) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for member, content in members.items():
            archive.writestr(member, content)
    return SimpleUploadedFile(name, buffer.getvalue())


# plan_create


def test_plan_create_by_a_manager_assigned_to_the_area(manager, service_area):
    plan = services.plan_create(
        user=manager,
        service_area=service_area,
        financial_year=FinancialYear(2023),
        fields=SEED_000_FIELDS,
        milestones=[MilestoneData(details="Obtain shortfall from ASC", amount=Decimal("80000"), due_text="2023/2024")],
    )
    plan.refresh_from_db()
    assert plan.status == DeficitRecoveryPlan.Status.DRAFT
    assert plan.created_by == manager
    assert list(plan.managers.all()) == [manager]
    assert plan.tracker_ref == "FRB/23/007"
    assert plan.pressure == Decimal("399000")
    (milestone,) = plan.milestones.all()
    assert milestone.amount == Decimal("80000")
    assert milestone.due_text == "2023/2024"
    assert str(milestone.due_date) == "2024-03-31"
    assert milestone.order == 1


def test_plan_create_accepts_a_year_as_text(manager, service_area):
    plan = services.plan_create(user=manager, service_area=service_area, financial_year="2023/24", fields={})
    plan.refresh_from_db()
    assert plan.financial_year == FinancialYear(2023)


def test_plan_create_in_an_area_the_manager_is_not_assigned_to(manager):
    area = ServiceAreaFactory()
    with pytest.raises(PermissionDenied):
        services.plan_create(user=manager, service_area=area, financial_year=FinancialYear(2023), fields={})
    assert not DeficitRecoveryPlan.objects.exists()


def test_plan_create_by_finance_is_refused(finance, service_area):
    service_area.managers.add(finance)  # even when assigned: only service managers write plans
    with pytest.raises(PermissionDenied):
        services.plan_create(user=finance, service_area=service_area, financial_year=FinancialYear(2023), fields={})
    assert not DeficitRecoveryPlan.objects.exists()


def test_plan_create_with_a_tracker_ref_already_taken(manager, service_area):
    PlanFactory(tracker_ref="FRB/23/007")
    with pytest.raises(ValidationError) as caught:
        services.plan_create(
            user=manager,
            service_area=service_area,
            financial_year=FinancialYear(2023),
            fields={"tracker_ref": "FRB/23/007"},
        )
    assert "tracker_ref" in caught.value.message_dict
    assert DeficitRecoveryPlan.objects.count() == 1


# plan_update


def test_plan_update_changes_a_draft(plan, manager):
    versions = plan.history.count()
    services.plan_update(plan=plan, user=manager, fields={"previous_year_outturn": Decimal("18839000")})
    plan.refresh_from_db()
    assert plan.previous_year_outturn == Decimal("18839000")
    assert plan.history.count() == versions + 1


def test_plan_update_without_changes_writes_no_history(plan, manager):
    versions = plan.history.count()
    services.plan_update(plan=plan, user=manager, fields={"context": plan.context})
    assert plan.history.count() == versions


def test_plan_update_of_a_submitted_plan_is_refused(plan, manager):
    services.plan_submit(plan=plan, user=manager)
    with pytest.raises(PermissionDenied):
        services.plan_update(plan=plan, user=manager, fields={"context": "Changed after submission"})
    plan.refresh_from_db()
    assert plan.context != "Changed after submission"


def test_plan_update_by_another_manager_is_refused(plan, other_manager):
    with pytest.raises(PermissionDenied):
        services.plan_update(plan=plan, user=other_manager, fields={"context": "Not mine"})
    plan.refresh_from_db()
    assert plan.context != "Not mine"


@pytest.mark.parametrize("user_fixture", ["finance", "executive", "administrator"])
def test_plan_update_by_readers_is_refused(request, plan, user_fixture):
    with pytest.raises(PermissionDenied):
        services.plan_update(plan=plan, user=request.getfixturevalue(user_fixture), fields={"context": "x"})


def test_plan_update_by_a_manager_assigned_to_the_area_only(plan):
    colleague = UserFactory(role=Role.SERVICE_MANAGER)
    plan.service_area.managers.add(colleague)
    services.plan_update(plan=plan, user=colleague, fields={"context": "Colleague's update"})
    plan.refresh_from_db()
    assert plan.context == "Colleague's update"


def test_plan_update_replaces_reorders_and_deletes_milestones(plan, manager):
    first = MilestoneFactory(plan=plan, order=1, details="First", amount=Decimal("18849.84"))
    second = MilestoneFactory(plan=plan, order=2, details="Second", amount=Decimal("37699.68"))
    third = MilestoneFactory(plan=plan, order=3, details="Third", amount=Decimal("17196.32"))

    services.plan_update(
        plan=plan,
        user=manager,
        fields={},
        milestones=[
            MilestoneData(id=third.pk, details="Third", amount=Decimal("17196.32"), due_text="November 23"),
            MilestoneData(id=first.pk, details="First, changed", amount=Decimal("18849.84"), per_year=True),
            MilestoneData(details="New", amount=Decimal("37079.72"), due_text="January 24"),
        ],
    )

    rows = list(plan.milestones.order_by("order").values_list("pk", "order", "details", "per_year", "due_date"))
    assert [row[:4] for row in rows[:2]] == [(third.pk, 1, "Third", False), (first.pk, 2, "First, changed", True)]
    assert rows[2][1:3] == (3, "New")
    assert str(rows[0][4]) == "2023-11-30"
    assert str(rows[2][4]) == "2024-01-31"
    assert not Milestone.objects.filter(pk=second.pk).exists()


def test_plan_update_with_an_empty_list_removes_every_milestone(plan, manager):
    MilestoneFactory(plan=plan)
    services.plan_update(plan=plan, user=manager, fields={}, milestones=[])
    assert not plan.milestones.exists()


def test_plan_update_without_milestones_leaves_them_alone(plan, manager):
    milestone = MilestoneFactory(plan=plan)
    services.plan_update(plan=plan, user=manager, fields={"context": "New context"})
    assert list(plan.milestones.all()) == [milestone]


def test_plan_update_with_another_plans_milestone_id(plan, other_plan, manager):
    theirs = MilestoneFactory(plan=other_plan, details="Theirs", amount=Decimal("100"))
    with pytest.raises(ValidationError):
        services.plan_update(
            plan=plan,
            user=manager,
            fields={"context": "Changed"},
            milestones=[MilestoneData(id=theirs.pk, details="Stolen", amount=Decimal("1"))],
        )
    theirs.refresh_from_db()
    assert theirs.plan == other_plan
    assert theirs.details == "Theirs"
    assert theirs.amount == Decimal("100")
    assert not plan.milestones.exists()
    plan.refresh_from_db()
    assert plan.context != "Changed"


def test_plan_update_with_a_tracker_ref_already_taken(plan, manager):
    PlanFactory(tracker_ref="FRB/23/007")
    with pytest.raises(ValidationError) as caught:
        services.plan_update(plan=plan, user=manager, fields={"tracker_ref": "FRB/23/007"})
    assert "tracker_ref" in caught.value.message_dict


def test_plan_update_keeps_its_own_tracker_ref(manager, service_area):
    plan = PlanFactory(service_area=service_area, managers=[manager], tracker_ref="FRB/23/007")
    services.plan_update(plan=plan, user=manager, fields={"tracker_ref": "FRB/23/007", "context": "Changed"})
    plan.refresh_from_db()
    assert plan.context == "Changed"


# plan_submit


def test_plan_submit_with_missing_figures_names_each_field(manager, service_area):
    plan = PlanFactory(
        service_area=service_area,
        managers=[manager],
        previous_year_budget=None,
        current_year_budget=None,
        context="  ",
        actions="",
    )
    with pytest.raises(ValidationError) as caught:
        services.plan_submit(plan=plan, user=manager)
    assert set(caught.value.message_dict) == {"previous_year_budget", "current_year_budget", "context", "actions"}
    plan.refresh_from_db()
    assert plan.status == DeficitRecoveryPlan.Status.DRAFT
    assert plan.submitted_at is None


def test_plan_submit_a_complete_plan(plan, manager):
    submitted = services.plan_submit(plan=plan, user=manager)
    plan.refresh_from_db()
    assert plan.status == submitted.status == DeficitRecoveryPlan.Status.SUBMITTED
    assert plan.submitted_by == manager
    assert plan.submitted_at is not None
    assert not plan.is_draft


def test_a_zero_budget_counts_as_given(plan, manager):
    # Seed 000's 23/24 budget is 0: a nil figure that has been given, not a missing one.
    assert plan.current_year_budget == Decimal(0)
    services.plan_submit(plan=plan, user=manager)
    plan.refresh_from_db()
    assert plan.status == DeficitRecoveryPlan.Status.SUBMITTED


def test_plan_submit_twice_is_refused(plan, manager):
    services.plan_submit(plan=plan, user=manager)
    with pytest.raises(PermissionDenied):
        services.plan_submit(plan=plan, user=manager)


@pytest.mark.parametrize("user_fixture", ["other_manager", "finance", "executive"])
def test_plan_submit_by_someone_else_is_refused(request, plan, user_fixture):
    with pytest.raises(PermissionDenied):
        services.plan_submit(plan=plan, user=request.getfixturevalue(user_fixture))
    plan.refresh_from_db()
    assert plan.is_draft


# attachments


def test_attachment_add_a_png(plan, manager):
    attachment = services.attachment_add(
        plan=plan,
        user=manager,
        upload=SimpleUploadedFile("Q3 placements model.PNG", PNG_BYTES),
        description=" Q3 placements model summary ",
    )
    attachment.refresh_from_db()
    assert attachment.plan == plan
    assert attachment.original_name == "Q3 placements model.PNG"
    assert attachment.content_type == "image/png"
    assert attachment.size == len(PNG_BYTES)
    assert attachment.description == "Q3 placements model summary"
    assert attachment.uploaded_by == manager
    # Stored under a random name, not the one uploaded.
    assert "placements" not in attachment.file.name
    assert attachment.file.name.endswith(".png")
    with attachment.file.open("rb") as handle:
        assert handle.read() == PNG_BYTES


def test_attachment_add_a_real_xlsx(plan, manager):
    upload = office_file("figures.xlsx", {"[Content_Types].xml": b"<x/>", "xl/workbook.xml": b"<workbook/>"})
    attachment = services.attachment_add(plan=plan, user=manager, upload=upload)
    assert attachment.content_type == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("virus.exe", b"MZ\x90\x00"), "not a file type"),
        (SimpleUploadedFile("chart.png", b"<html><script>alert(1)</script></html>"), "does not look like a PNG"),
        (SimpleUploadedFile("chart.png", b""), "empty"),
        (SimpleUploadedFile("paper.pdf", PNG_BYTES), "does not look like a PDF"),
        (SimpleUploadedFile("no-suffix", PNG_BYTES), "not a file type"),
        (SimpleUploadedFile("figures.xlsx", b"PK\x03\x04 not really a zip"), "not a valid Office file"),
    ],
)
def test_attachment_add_rejects(plan, manager, upload, message):
    with pytest.raises(ValidationError, match=message) as caught:
        services.attachment_add(plan=plan, user=manager, upload=upload)
    assert "file" in caught.value.message_dict
    assert not Attachment.objects.exists()


def test_attachment_add_rejects_a_zip_that_is_not_a_workbook(plan, manager):
    upload = office_file("figures.xlsx", {"word/document.xml": b"<document/>"})
    with pytest.raises(ValidationError, match="not a valid XLSX"):
        services.attachment_add(plan=plan, user=manager, upload=upload)
    assert not Attachment.objects.exists()


def test_attachment_add_rejects_a_file_over_the_limit(plan, manager):
    too_small = override_settings(ATTACHMENT_MAX_BYTES=len(PNG_BYTES) - 1)
    with too_small, pytest.raises(ValidationError, match="larger than"):
        services.attachment_add(plan=plan, user=manager, upload=SimpleUploadedFile("chart.png", PNG_BYTES))
    assert not Attachment.objects.exists()
    with override_settings(ATTACHMENT_MAX_BYTES=len(PNG_BYTES)):
        services.attachment_add(plan=plan, user=manager, upload=SimpleUploadedFile("chart.png", PNG_BYTES))
    assert Attachment.objects.count() == 1


@pytest.mark.parametrize("user_fixture", ["other_manager", "finance", "executive", "administrator"])
def test_attachment_add_by_someone_who_cannot_edit(request, plan, user_fixture):
    with pytest.raises(PermissionDenied):
        services.attachment_add(
            plan=plan, user=request.getfixturevalue(user_fixture), upload=SimpleUploadedFile("c.png", PNG_BYTES)
        )
    assert not Attachment.objects.exists()


def test_attachment_add_to_a_submitted_plan(plan, manager):
    services.plan_submit(plan=plan, user=manager)
    plan.refresh_from_db()
    with pytest.raises(PermissionDenied):
        services.attachment_add(plan=plan, user=manager, upload=SimpleUploadedFile("c.png", PNG_BYTES))


@pytest.mark.django_db(transaction=True)
def test_attachment_delete_removes_the_row_and_the_file(plan, manager):
    attachment = services.attachment_add(plan=plan, user=manager, upload=SimpleUploadedFile("c.png", PNG_BYTES))
    storage, name = attachment.file.storage, attachment.file.name
    assert storage.exists(name)
    services.attachment_delete(attachment=attachment, user=manager)
    assert not Attachment.objects.exists()
    assert not storage.exists(name)


def test_attachment_delete_by_another_manager_is_refused(plan, manager, other_manager):
    attachment = services.attachment_add(plan=plan, user=manager, upload=SimpleUploadedFile("c.png", PNG_BYTES))
    with pytest.raises(PermissionDenied):
        services.attachment_delete(attachment=attachment, user=other_manager)
    assert Attachment.objects.filter(pk=attachment.pk).exists()
    assert attachment.file.storage.exists(attachment.file.name)


def test_attachment_delete_from_a_submitted_plan_is_refused(plan, manager):
    attachment = services.attachment_add(plan=plan, user=manager, upload=SimpleUploadedFile("c.png", PNG_BYTES))
    services.plan_submit(plan=plan, user=manager)
    attachment.refresh_from_db()
    with pytest.raises(PermissionDenied):
        services.attachment_delete(attachment=attachment, user=manager)
    assert Attachment.objects.filter(pk=attachment.pk).exists()
