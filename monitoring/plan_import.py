"""Importing filled-in Word plan forms: preview what each would become, then create draft plans
(and the quarterly updates the forms already answer) in one transaction.

Reading is ``plans.word_import`` (pure); this module checks the result against the database
(the year, an existing plan, a clashing tracker ref) and stores it. Plans import into one service
area, chosen by the manager who may start plans there; the plans are drafts they then check and
submit as usual. With any error in any file, nothing is stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from monitoring.models import MilestoneProgress, PlanUpdate
from plans.models import DeficitRecoveryPlan, ServiceArea
from plans.rules import can
from plans.selectors import service_areas_for_new_plan
from plans.services import MilestoneData, plan_create
from plans.word_import import ReadPlan, read_upload
from recovery.audit import changed_by
from recovery.periods import FinancialYear, parse_due

# "Latest progress" as the plan report writes it (the status's label), read back case-insensitively.
PROGRESS_STATUSES = {label.casefold(): value for value, label in MilestoneProgress.Status.choices}


@dataclass
class PlanImportSummary:
    """What an import would do (preview) or did."""

    service_area: ServiceArea
    plans: list[ReadPlan] = field(default_factory=list)
    created: list[DeficitRecoveryPlan] = field(default_factory=list)
    committed: bool = False

    @property
    def errors(self) -> list[str]:
        return [f"{plan.name}: {problem}" for plan in self.plans for problem in plan.errors]

    @property
    def warnings(self) -> list[str]:
        return [f"{plan.name}: {problem}" for plan in self.plans for problem in plan.warnings]

    @property
    def ok(self) -> bool:
        return bool(self.plans) and not self.errors


class _Undo(Exception):
    """Raised inside the transaction to store nothing."""


def _check(summary: PlanImportSummary, year: FinancialYear | None) -> None:
    area = summary.service_area
    seen: dict[FinancialYear, str] = {}
    refs: dict[str, str] = {}
    for plan in summary.plans:
        if year is not None:
            if plan.year is not None and plan.year != year:
                plan.warn(f"the form's labels say {plan.year}; imported as {year}, as chosen")
            plan.year = year
        if plan.year is None:
            plan.error(
                "the financial year cannot be told from the form (its budget labels print no year): "
                "choose the year and import again"
            )
            continue
        if plan.service_area and plan.service_area.casefold() != area.name.casefold():
            plan.warn(f"the form names the service area {plan.service_area!r}; it is imported into {area.name!r}")
        if DeficitRecoveryPlan.objects.filter(service_area=area, financial_year=plan.year).exists():
            plan.error(f"there is already a plan for {area.name} in {plan.year}: nothing was imported")
        if plan.year in seen:
            plan.error(f"{seen[plan.year]} is also a plan for {plan.year}: import one plan per year")
        seen.setdefault(plan.year, plan.name)
        ref = plan.values.get("tracker_ref", "")
        if ref:
            if DeficitRecoveryPlan.objects.filter(tracker_ref=ref).exists():
                plan.error(f"another plan already has the combined tracker ref {ref!r}", field="Combined tracker ref.")
            if ref in refs:
                plan.error(f"{refs[ref]} has the same combined tracker ref {ref!r}", field="Combined tracker ref.")
            refs.setdefault(ref, plan.name)


def plan_importer_check(*, user: User) -> None:
    """Refuse anyone who may not start a plan: only service managers import plans, into the
    service areas they manage (plans_import checks the area)."""
    if not can(user, "plans.add_plan"):
        raise PermissionDenied("Only service managers can import plans, into the service areas they manage.")


def plan_import_area(*, user: User, pk: int) -> ServiceArea:
    """The service area a previewed upload is to be imported into, if the user may still start
    plans there (PermissionDenied otherwise)."""
    plan_importer_check(user=user)
    area = service_areas_for_new_plan(user=user).filter(pk=pk).first()
    if area is None:
        raise PermissionDenied(AREA_NOT_YOURS)
    return area


AREA_NOT_YOURS = "You can import plans only into a service area you are assigned to."


def plans_import_preview(
    *, service_area: ServiceArea, upload: bytes, name: str, year: FinancialYear | None = None
) -> PlanImportSummary:
    """Read every plan of an upload (a .docx, or a .zip of them) and check it; store nothing.
    Raises WordUnreadable when the upload itself is refused."""
    summary = PlanImportSummary(service_area=service_area, plans=read_upload(upload, name))
    _check(summary, year)
    return summary


def plans_import(
    *,
    user: User,
    service_area: ServiceArea,
    uploads: list[tuple[str, bytes]],
    year: FinancialYear | None = None,
    dry_run: bool = False,
) -> PlanImportSummary:
    """Create a draft plan for each form of the uploads, in one transaction: all of them, or with
    any error in any file none. The user must be able to start plans in the service area; they
    become responsible for the new plans. Raises WordUnreadable for a refused file."""
    if not can(user, "plans.add_plan_in_area", service_area):
        raise PermissionDenied(AREA_NOT_YOURS)
    plans: list[ReadPlan] = []
    for name, data in uploads:
        plans += read_upload(data, name)
    summary = PlanImportSummary(service_area=service_area, plans=plans)
    _check(summary, year)
    if not summary.ok or dry_run:
        return summary
    try:
        with transaction.atomic():
            for plan in summary.plans:
                summary.created.append(_store(plan, user=user, service_area=service_area))
    except _Undo:
        summary.created = []
        return summary
    summary.committed = True
    return summary


def _store(plan: ReadPlan, *, user: User, service_area: ServiceArea) -> DeficitRecoveryPlan:
    try:
        created = plan_create(
            user=user,
            service_area=service_area,
            financial_year=plan.year,
            fields=plan.values,
            milestones=[
                MilestoneData(details=row.details, amount=row.amount, per_year=row.per_year, due_text=row.due_text)
                for row in plan.milestones
            ],
        )
        for row in plan.updates:
            update = PlanUpdate(
                plan=created,
                quarter=row.quarter,
                on_target=row.on_target,
                narrative=row.narrative,
                milestones_explanation=row.milestones_explanation,
                recovery_actions=row.recovery_actions,
                alternative_proposal=row.alternative_proposal,
                status=PlanUpdate.Status.DRAFT,
            )
            update.full_clean()
            changed_by(user, update).save()
        _store_progress(plan, created, user=user)
    except ValidationError as error:
        messages = error.message_dict if hasattr(error, "error_dict") else {"": error.messages}
        for field_name, texts in messages.items():
            for text in texts:
                plan.error(text, field=field_name.replace("_", " "))
        raise _Undo from None
    return created


def _store_progress(plan: ReadPlan, created: DeficitRecoveryPlan, *, user: User) -> None:
    """A milestone's latest progress and revised date, as the form shows them beside it, go on the
    latest quarterly update the form answers (the original date stays on the milestone)."""
    latest = PlanUpdate.objects.filter(plan=created).order_by("-quarter").first()
    rows = [row for row in plan.milestones if row.revised or row.progress]
    if not rows:
        return
    if latest is None:
        plan.warn("milestone progress or revised dates were given but no quarterly update: they are left out")
        return
    milestones = list(created.milestones.order_by("order", "pk"))
    for row, milestone in zip(plan.milestones, milestones, strict=True):
        if not (row.revised or row.progress):
            continue
        status = PROGRESS_STATUSES.get(row.progress.casefold())
        if status is None:
            if row.progress:
                plan.warn(f"{row.progress!r} is not a milestone progress the app knows", where=row.where)
            status = MilestoneProgress.Status.SLIPPED if row.revised else MilestoneProgress.Status.ON_TRACK
        changed_by(
            user,
            MilestoneProgress(
                update=latest,
                milestone=milestone,
                status=status,
                revised_due_text=row.revised,
                revised_due_date=parse_due(row.revised) if row.revised else None,
            ),
        ).save()
