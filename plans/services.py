"""Writing plans: create, update, submit, attach files. Permission checks and transactions live
here, once; views call these and nothing else writes a plan."""

from __future__ import annotations

import secrets
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from plans.models import Attachment, DeficitRecoveryPlan, Milestone, ServiceArea
from plans.rules import can
from recovery.audit import changed_by
from recovery.concurrency import bump, check_version
from recovery.periods import parse_due

# The plan fields a manager fills in on the form (everything but workflow and ownership).
PLAN_FIELDS: tuple[str, ...] = (
    "tracker_ref",
    "service_director",
    "service_manager",
    "cost_centres",
    "previous_year_budget",
    "previous_year_budget_note",
    "previous_year_outturn",
    "previous_year_outturn_note",
    "current_year_budget",
    "current_year_budget_note",
    "pressure_note",
    "deficit_since",
    "context",
    "actions",
)

# What a plan must have before it can be submitted, with the message shown beside the field.
REQUIRED_FOR_SUBMISSION: dict[str, str] = {
    "previous_year_budget": "Give last year's budget before submitting.",
    "previous_year_outturn": "Give last year's outturn before submitting.",
    "current_year_budget": "Give this year's budget before submitting.",
    "context": "Explain the context behind the pressure before submitting.",
    "actions": "Describe the actions to keep spend in line with budget before submitting.",
}


@dataclass(frozen=True)
class MilestoneData:
    """A milestone as the form gives it; ``id`` is set for one that already exists."""

    details: str
    amount: Decimal | None = None
    per_year: bool = False
    due_text: str = ""
    id: int | None = None


def plan_submission_errors(*, values: Mapping[str, Any]) -> dict[str, str]:
    """The fields a plan still needs before it can be submitted, with what to do about each."""
    errors = {}
    for field, message in REQUIRED_FOR_SUBMISSION.items():
        value = values.get(field)
        if value is None or (isinstance(value, str) and not value.strip()):
            errors[field] = message
    return errors


def _require(user: User, permission: str, obj: Model) -> None:
    if not can(user, permission, obj):
        raise PermissionDenied(f"You do not have permission to do this ({permission}).")


def _check_tracker_ref(*, tracker_ref: str, plan: DeficitRecoveryPlan | None) -> None:
    if not tracker_ref:
        return
    clash = DeficitRecoveryPlan.objects.filter(tracker_ref=tracker_ref)
    if plan is not None:
        clash = clash.exclude(pk=plan.pk)
    if clash.exists():
        raise ValidationError({"tracker_ref": "Another plan already has this combined tracker ref."})


def _save_milestones(*, plan: DeficitRecoveryPlan, milestones: Sequence[MilestoneData], user: User) -> bool:
    """Make the plan's milestones exactly the given list, in the given order; True if that changed any."""
    changed = False
    existing = {milestone.pk: milestone for milestone in plan.milestones.all()}
    kept: set[int] = set()
    for order, data in enumerate(milestones, start=1):
        if data.id is not None and data.id not in existing:
            raise ValidationError("A milestone does not belong to this plan.")
        milestone = existing.get(data.id) if data.id is not None else None
        values = {
            "order": order,
            "details": data.details.strip(),
            "amount": data.amount,
            "per_year": data.per_year,
            "due_text": data.due_text.strip(),
            "due_date": parse_due(data.due_text),
        }
        if milestone is None:
            changed_by(user, Milestone(plan=plan, **values)).save()
            changed = True
            continue
        kept.add(milestone.pk)
        if any(getattr(milestone, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(milestone, name, value)
            changed_by(user, milestone).save()
            changed = True
    for pk, milestone in existing.items():
        if pk not in kept:
            changed_by(user, milestone).delete()
            changed = True
    return changed


@transaction.atomic
def plan_create(
    *,
    user: User,
    service_area: ServiceArea,
    financial_year: Any,
    fields: Mapping[str, Any],
    milestones: Sequence[MilestoneData] = (),
) -> DeficitRecoveryPlan:
    """Create a draft plan for a service area the user is assigned to; they become responsible."""
    _require(user, "plans.add_plan_in_area", service_area)
    _check_tracker_ref(tracker_ref=fields.get("tracker_ref", ""), plan=None)
    plan = DeficitRecoveryPlan(
        service_area=service_area,
        financial_year=financial_year,
        created_by=user,
        **{name: fields[name] for name in PLAN_FIELDS if name in fields},
    )
    plan.full_clean()
    changed_by(user, plan).save()
    plan.managers.add(user)
    _save_milestones(plan=plan, milestones=milestones, user=user)
    return plan


@transaction.atomic
def plan_update(
    *,
    plan: DeficitRecoveryPlan,
    user: User,
    fields: Mapping[str, Any],
    milestones: Sequence[MilestoneData] | None = None,
    expected_version: int | None = None,
) -> DeficitRecoveryPlan:
    """Change a draft plan's fields and (when given) its whole list of milestones.

    ``expected_version`` is the version the form was opened at: if someone else has saved the
    plan since, ConcurrentEdit is raised and nothing is saved."""
    plan = DeficitRecoveryPlan.objects.select_for_update().get(pk=plan.pk)
    _require(user, "plans.change_plan", plan)
    check_version(plan, expected_version)
    _check_tracker_ref(tracker_ref=fields.get("tracker_ref", plan.tracker_ref), plan=plan)
    changed = False
    for name in PLAN_FIELDS:
        if name in fields and getattr(plan, name) != fields[name]:
            setattr(plan, name, fields[name])
            changed = True
    if milestones is not None and _save_milestones(plan=plan, milestones=milestones, user=user):
        changed = True
    if changed:
        plan.full_clean()
        bump(plan)
        changed_by(user, plan).save()
    return plan


def plan_submission_problems(*, plan: DeficitRecoveryPlan) -> dict[str, str]:
    """What the saved plan still needs before it can be submitted (empty when nothing)."""
    return plan_submission_errors(values={name: getattr(plan, name) for name in REQUIRED_FOR_SUBMISSION})


def plan_submit_check(*, plan: DeficitRecoveryPlan, user: User, expected_version: int | None = None) -> None:
    """Refuse, without writing, a submission plan_submit would refuse (PermissionDenied,
    ConcurrentEdit, ValidationError): the confirmation page is shown only for one that would be
    recorded."""
    _require(user, "plans.submit_plan", plan)
    check_version(plan, expected_version)
    errors = plan_submission_problems(plan=plan)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def plan_submit(*, plan: DeficitRecoveryPlan, user: User, expected_version: int | None = None) -> DeficitRecoveryPlan:
    """Submit a draft plan. After this it is read-only to its manager.

    ``expected_version`` is the version the confirmation page showed: if the plan was saved
    since, ConcurrentEdit is raised and nothing is submitted (the manager checks it again)."""
    plan = DeficitRecoveryPlan.objects.select_for_update().get(pk=plan.pk)
    _require(user, "plans.submit_plan", plan)
    check_version(plan, expected_version)
    errors = plan_submission_problems(plan=plan)
    if errors:
        raise ValidationError(errors)
    bump(plan)
    plan.status = DeficitRecoveryPlan.Status.SUBMITTED
    plan.submitted_at = timezone.now()
    plan.submitted_by = user
    changed_by(user, plan).save()
    return plan


@transaction.atomic
def plan_save(
    *,
    plan: DeficitRecoveryPlan | None,
    user: User,
    fields: Mapping[str, Any],
    milestones: Sequence[MilestoneData],
    service_area: ServiceArea | None = None,
    financial_year: Any = None,
    submit: bool = False,
    expected_version: int | None = None,
) -> DeficitRecoveryPlan:
    """The plan form's save, in one transaction: create the plan (``plan`` None, in
    ``service_area`` for ``financial_year``) or update it, then submit it when asked. A refused
    submission undoes the save as well."""
    if plan is None:
        if service_area is None:
            raise ValidationError({"service_area": "Choose the service area."})
        plan = plan_create(
            user=user, service_area=service_area, financial_year=financial_year, fields=fields, milestones=milestones
        )
    else:
        plan = plan_update(
            plan=plan, user=user, fields=fields, milestones=milestones, expected_version=expected_version
        )
    if submit:
        plan = plan_submit(plan=plan, user=user)
    return plan


# Attachments: what may be uploaded, recognised by extension *and* by the file's first bytes.
ATTACHMENT_TYPES: dict[str, tuple[str, tuple[bytes, ...]]] = {
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".gif": ("image/gif", (b"GIF87a", b"GIF89a")),
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (b"PK\x03\x04",)),
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (b"PK\x03\x04",)),
}
_OFFICE_MARKERS = {".xlsx": "xl/workbook.xml", ".docx": "word/document.xml"}


def _attachment_type(upload: UploadedFile) -> str:
    name = upload.name or ""
    suffix = PurePath(name).suffix.lower()
    if suffix not in ATTACHMENT_TYPES:
        allowed = ", ".join(sorted(s.lstrip(".").upper() for s in ATTACHMENT_TYPES))
        raise ValidationError({"file": f"{name!r} is not a file type that can be attached ({allowed})."})
    size = upload.size or 0
    if size == 0:
        raise ValidationError({"file": f"{name!r} is empty."})
    if size > settings.ATTACHMENT_MAX_BYTES:
        limit = settings.ATTACHMENT_MAX_BYTES // (1024 * 1024)
        raise ValidationError({"file": f"{name!r} is larger than the {limit} MB limit."})
    content_type, signatures = ATTACHMENT_TYPES[suffix]
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if not any(head.startswith(signature) for signature in signatures):
        raise ValidationError({"file": f"{name!r} does not look like a {suffix.lstrip('.').upper()} file."})
    if suffix in _OFFICE_MARKERS:
        try:
            with zipfile.ZipFile(upload) as archive:
                if _OFFICE_MARKERS[suffix] not in archive.namelist():
                    raise ValidationError({"file": f"{name!r} is not a valid {suffix.lstrip('.').upper()} file."})
        except zipfile.BadZipFile:
            raise ValidationError({"file": f"{name!r} is damaged or not a valid Office file."}) from None
        finally:
            upload.seek(0)
    return content_type


@transaction.atomic
def attachment_add(*, plan: DeficitRecoveryPlan, user: User, upload: UploadedFile, description: str = "") -> Attachment:
    """Attach a checked file to a draft plan, stored under a random name by Django's storage."""
    _require(user, "plans.add_attachment", plan)
    content_type = _attachment_type(upload)
    original = PurePath(upload.name or "attachment").name[:255]
    attachment = Attachment(
        plan=plan,
        token=secrets.token_hex(16),
        original_name=original,
        content_type=content_type,
        size=upload.size or 0,
        description=description.strip()[:255],
        uploaded_by=user,
    )
    attachment.file.save(original, upload, save=False)
    attachment.save()
    return attachment


@transaction.atomic
def attachment_delete(*, attachment: Attachment, user: User) -> None:
    """Remove an attachment from a draft plan, and its file from storage once committed."""
    _require(user, "plans.delete_attachment", attachment.plan)
    storage, name = attachment.file.storage, attachment.file.name
    attachment.delete()
    if name:
        transaction.on_commit(lambda: storage.delete(name))
