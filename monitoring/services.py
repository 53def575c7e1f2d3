"""Writing monitoring data: quarterly updates, their review, scheme figures and RAG, and the
quarter lock. Every write checks permission and that its quarter is not locked, here, once."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Model
from django.http import Http404
from django.utils import timezone

from monitoring import selectors
from monitoring.figures import QUARTER_FIGURE_NAMES
from monitoring.models import (
    DmtDecision,
    MilestoneProgress,
    MonitoringQuarter,
    PlanUpdate,
    QuarterLockEvent,
    Scheme,
    SchemeQuarter,
)
from monitoring.signals import quarter_locked
from plans.models import DeficitRecoveryPlan
from plans.rules import can
from recovery.audit import changed_by
from recovery.concurrency import bump, check_version
from recovery.periods import FinancialYear, Period, Quarter, parse_due
from recovery.rag import RAG, OnTarget, missing_reason


class QuarterLocked(PermissionDenied):
    """A write to a quarter that finance has locked."""

    def __init__(self, period: Period) -> None:
        super().__init__(
            f"{period} is locked: nothing in it can be changed. An administrator can reopen it, giving a reason."
        )
        self.period = period


def _require(user: User, permission: str, obj: Model | None = None) -> None:
    _require_with(user, permission, obj, f"You do not have permission to do this ({permission}).")


def _require_with(user: User, permission: str, obj: Model | None, message: str) -> None:
    if not can(user, permission, obj):
        raise PermissionDenied(message)


def _lock(model: type[Model], pk: int) -> None:
    """Take the row lock of ``model`` ``pk`` until the transaction ends (select_for_update)."""
    list(model._default_manager.select_for_update().filter(pk=pk).values_list("pk", flat=True))


def quarter_record(period: Period) -> MonitoringQuarter:
    """The quarter's lock record, created on first use."""
    record, _ = MonitoringQuarter.objects.get_or_create(financial_year=period.year, quarter=period.quarter)
    return record


def ensure_unlocked(period: Period) -> None:
    """Refuse any write to a locked quarter (raises QuarterLocked)."""
    if MonitoringQuarter.objects.filter(
        financial_year=period.year, quarter=period.quarter, locked_at__isnull=False
    ).exists():
        raise QuarterLocked(period)


def scheme_edit_check(*, user: User, scheme: Scheme, period: Period) -> None:
    """Refuse to change a scheme's figures or RAG unless the user may (finance) and the quarter
    is open. The grid asks before it shows the row's form; the save asks again."""
    _require_with(user, "monitoring.change_scheme", scheme, "Only finance officers can change scheme figures and RAG.")
    ensure_unlocked(period)


@dataclass(frozen=True)
class UpdateAccess:
    """What a user may do with a plan's update for a quarter: edit it (its manager, while the
    quarter is open), review it or set the plan's RAG (finance)."""

    period: Period
    locked: bool
    can_edit: bool
    can_review: bool
    can_set_rag: bool
    # Earlier versions of an update include its drafts: its history is for the plan's managers
    # and finance, not for readers of the published update.
    can_read_history: bool = False
    can_decide: bool = False  # DMT's decision on a RED update's alternative proposal

    def check_edit(self) -> None:
        """Refuse a change the user may not make now (a locked quarter, or not theirs)."""
        if self.can_edit:
            return
        if self.locked:
            raise QuarterLocked(self.period)
        raise PermissionDenied(CANNOT_CHANGE_UPDATE)


CANNOT_CHANGE_UPDATE = "This update cannot be changed by you now."


def plan_update_access(
    *, user: User, plan: DeficitRecoveryPlan, quarter: Quarter, update: PlanUpdate | None
) -> UpdateAccess:
    """What the user may do with the plan's update for the quarter, worked out here once."""
    period = Period(FinancialYear.parse(plan.financial_year), quarter)
    locked = MonitoringQuarter.objects.filter(
        financial_year=period.year, quarter=period.quarter, locked_at__isnull=False
    ).exists()
    can_edit = not locked and (
        can(user, "monitoring.change_update", update) if update else can(user, "monitoring.start_update", plan)
    )
    submitted = update is not None and update.status != PlanUpdate.Status.DRAFT
    return UpdateAccess(
        period=period,
        locked=locked,
        can_edit=can_edit,
        can_review=update is not None and can(user, "monitoring.review_update", update),
        can_set_rag=submitted and can(user, "monitoring.set_plan_rag", plan),
        can_read_history=update is not None and can(user, "monitoring.read_update_history", update),
        can_decide=update is not None and can(user, "monitoring.decide_proposal", update),
    )


@dataclass(frozen=True)
class UpdatePage:
    """A plan's update for a quarter as the user may see it, and what they may do with it."""

    plan: DeficitRecoveryPlan
    update: PlanUpdate | None  # None also for a draft the user may not read
    unreadable: bool  # there is an update, but it is a draft the user may not read
    access: UpdateAccess


def plan_update_open(*, user: User, plan_pk: int, quarter: Quarter, to_change: bool = False) -> UpdatePage:
    """The plan's update for the quarter as ``user`` may see it (404 for a plan they may not
    see). Drafts are private: an update the user may not read is shown as not submitted yet.
    With ``to_change`` (a POST), PermissionDenied (or QuarterLocked) unless they may change it now."""
    plan = selectors.plan_update_visible(user=user, plan_pk=plan_pk)
    update = selectors.plan_update_for(plan=plan, quarter=quarter)
    unreadable = update is not None and not can(user, "monitoring.read_update", update)
    if unreadable:
        update = None
    access = plan_update_access(user=user, plan=plan, quarter=quarter, update=update)
    if to_change:
        if unreadable:
            raise PermissionDenied(CANNOT_CHANGE_UPDATE)
        access.check_edit()
    return UpdatePage(plan=plan, update=update, unreadable=unreadable, access=access)


def plan_update_to_submit(*, user: User, plan_pk: int, quarter: Quarter) -> UpdatePage:
    """The saved update its manager is about to submit: 404 unless there is one they may read,
    PermissionDenied (or QuarterLocked) unless they may change it now."""
    plan = selectors.plan_update_visible(user=user, plan_pk=plan_pk)
    update = selectors.plan_update_for(plan=plan, quarter=quarter)
    if update is None or not can(user, "monitoring.read_update", update):
        raise Http404("No update of this quarter has been saved yet.")
    access = plan_update_access(user=user, plan=plan, quarter=quarter, update=update)
    access.check_edit()
    return UpdatePage(plan=plan, update=update, unreadable=False, access=access)


@transaction.atomic
def quarter_lock(*, period: Period, user: User) -> MonitoringQuarter:
    """Lock a quarter: after this no update, figure or RAG of the quarter can change."""
    _require_with(user, "monitoring.lock_quarter", None, selectors.LOCKERS_ONLY)
    record = MonitoringQuarter.objects.select_for_update().get(pk=quarter_record(period).pk)
    if record.is_locked:
        raise ValidationError(f"{period} is already locked.")
    record.locked_at = timezone.now()
    record.locked_by = user
    changed_by(user, record).save()
    QuarterLockEvent.objects.create(monitoring_quarter=record, action=QuarterLockEvent.Action.LOCKED, user=user)
    # After the commit, so that a background job reads the locked data.
    transaction.on_commit(lambda: quarter_locked.send(sender=MonitoringQuarter, period=period))
    return record


@transaction.atomic
def quarter_reopen(*, period: Period, user: User, reason: str) -> MonitoringQuarter:
    """Reopen a locked quarter (administrators only); the reason is recorded."""
    _require_with(user, "monitoring.reopen_quarter", None, selectors.REOPENERS_ONLY)
    if not reason.strip():
        raise ValidationError({"reason": "Give the reason for reopening the quarter: it is recorded."})
    record = MonitoringQuarter.objects.select_for_update().get(pk=quarter_record(period).pk)
    if not record.is_locked:
        raise ValidationError(f"{period} is not locked.")
    record.locked_at = None
    record.locked_by = None
    changed_by(user, record).save()
    QuarterLockEvent.objects.create(
        monitoring_quarter=record, action=QuarterLockEvent.Action.REOPENED, user=user, reason=reason.strip()
    )
    return record


# Quarterly updates of plans -------------------------------------------------------------


@dataclass(frozen=True)
class ProgressData:
    """A milestone's progress as the update form gives it."""

    milestone_id: int
    status: str = MilestoneProgress.Status.ON_TRACK
    revised_due_text: str = ""


UPDATE_FIELDS: tuple[str, ...] = (
    "on_target",
    "narrative",
    "milestones_explanation",
    "recovery_actions",
    "alternative_proposal",
)


def update_submission_errors(*, values: Mapping[str, Any], progress: Sequence[ProgressData] = ()) -> dict[str, str]:
    """What an update still needs before it can be submitted, field by field.

    "No" (RED) requires the alternative proposal for realigning budgets: if the recovery plan
    cannot be delivered there is no new money. Milestones not met require an explanation and
    how delivery will be brought back on track; a slipped milestone needs its revised date.
    """
    errors: dict[str, str] = {}
    if not values.get("on_target"):
        errors["on_target"] = "Say whether the plan is on target: Yes, Partial or No."
    if not str(values.get("narrative") or "").strip():
        errors["narrative"] = "Give the narrative for the quarter."
    if values.get("on_target") == OnTarget.NO and not str(values.get("alternative_proposal") or "").strip():
        errors["alternative_proposal"] = (
            "The plan is not on target: THERE IS NO NEW MONEY AVAILABLE, so give an alternative "
            "proposal for realigning budgets for DMT to consider."
        )
    missed = [
        item for item in progress if item.status in (MilestoneProgress.Status.SLIPPED, MilestoneProgress.Status.NOT_MET)
    ]
    if missed:
        if not str(values.get("milestones_explanation") or "").strip():
            errors["milestones_explanation"] = "Explain why milestones have not been met."
        if not str(values.get("recovery_actions") or "").strip():
            errors["recovery_actions"] = "Say how delivery will be brought back on track."
    for item in progress:
        if item.status == MilestoneProgress.Status.SLIPPED and not item.revised_due_text.strip():
            errors[f"milestone-{item.milestone_id}"] = "Give the revised date for a milestone that has slipped."
    return errors


def _save_progress(*, update: PlanUpdate, progress: Sequence[ProgressData], user: User) -> None:
    milestones = {milestone.pk: milestone for milestone in update.plan.milestones.all()}
    existing = {item.milestone_id: item for item in update.milestone_progress.all()}
    for data in progress:
        if data.milestone_id not in milestones:
            raise ValidationError("A milestone does not belong to this plan.")
        if data.status not in MilestoneProgress.Status.values:
            raise ValidationError(f"{data.status!r} is not a milestone status.")
        slipped = data.status == MilestoneProgress.Status.SLIPPED
        revised = data.revised_due_text.strip() if slipped else ""
        values: dict[str, Any] = {
            "status": data.status,
            "revised_due_text": revised,
            "revised_due_date": parse_due(revised),
        }
        item = existing.get(data.milestone_id)
        if item is None:
            changed_by(user, MilestoneProgress(update=update, milestone_id=data.milestone_id, **values)).save()
        elif any(getattr(item, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(item, name, value)
            changed_by(user, item).save()


@transaction.atomic
def plan_update_save(
    *,
    plan: DeficitRecoveryPlan,
    quarter: Quarter,
    user: User,
    fields: Mapping[str, Any],
    progress: Sequence[ProgressData] = (),
    submit: bool = False,
    expected_version: int | None = None,
) -> PlanUpdate:
    """Save (and optionally submit) the manager's update of a plan for a quarter."""
    period = Period(FinancialYear.parse(plan.financial_year), quarter)
    ensure_unlocked(period)
    # The plan is locked first: two first saves of a quarter's update (no row yet to lock) then
    # run one after the other, and the second finds the first's update and its version.
    _lock(DeficitRecoveryPlan, plan.pk)
    update = PlanUpdate.objects.select_for_update().filter(plan=plan, quarter=quarter).first()
    if update is None:
        _require(user, "monitoring.start_update", plan)
        update = PlanUpdate(plan=plan, quarter=quarter)
    else:
        _require(user, "monitoring.change_update", update)
        check_version(update, expected_version)
        bump(update)
    if fields.get("on_target"):
        OnTarget(fields["on_target"])  # raises ValueError for anything else
    for name in UPDATE_FIELDS:
        if name in fields:
            setattr(update, name, fields[name] or "")
    if submit:
        _mark_submitted(update=update, user=user, progress=progress)
    changed_by(user, update).save()
    _save_progress(update=update, progress=progress, user=user)
    return update


def _mark_submitted(*, update: PlanUpdate, user: User, progress: Sequence[ProgressData]) -> None:
    errors = update_submission_errors(values={name: getattr(update, name) for name in UPDATE_FIELDS}, progress=progress)
    if errors:
        raise ValidationError(errors)
    update.status = PlanUpdate.Status.SUBMITTED
    update.submitted_by = user
    update.submitted_at = timezone.now()


def _stored_progress(update: PlanUpdate) -> list[ProgressData]:
    return [
        ProgressData(milestone_id=item.milestone_id, status=item.status, revised_due_text=item.revised_due_text)
        for item in update.milestone_progress.all()
    ]


def plan_update_submission_problems(*, update: PlanUpdate) -> dict[str, str]:
    """What the saved update still needs before it can be submitted (empty when nothing)."""
    return update_submission_errors(
        values={name: getattr(update, name) for name in UPDATE_FIELDS}, progress=_stored_progress(update)
    )


@transaction.atomic
def plan_update_submit(*, update: PlanUpdate, user: User, expected_version: int | None = None) -> PlanUpdate:
    """Submit the manager's saved (draft or returned) update to finance, as it is stored.

    ``expected_version`` is the version the confirmation page showed: if the update was saved
    since, ConcurrentEdit is raised and nothing is submitted."""
    update = PlanUpdate.objects.select_for_update().select_related("plan").get(pk=update.pk)
    ensure_unlocked(update.period)
    _require(user, "monitoring.change_update", update)
    check_version(update, expected_version)
    _mark_submitted(update=update, user=user, progress=_stored_progress(update))
    bump(update)
    changed_by(user, update).save()
    return update


def previous_plan_rag(update: PlanUpdate) -> RAG | None:
    """Finance's RAG for the same plan in the quarter before (none before Q1)."""
    earlier = update.period.previous_in_year
    if earlier is None:
        return None
    previous = PlanUpdate.objects.filter(plan=update.plan, quarter=earlier.quarter).first()
    return previous.rag_status if previous else None


def _check_rag_change(*, before: RAG | None, after: RAG | None, reason: str) -> None:
    problem = missing_reason(before, after, reason)
    if problem:
        raise ValidationError({"rag_reason": problem})


def _check_return(*, update: PlanUpdate, user: User, comments: str) -> None:
    ensure_unlocked(update.period)
    _require(user, "monitoring.review_update", update)
    if not comments.strip():
        raise ValidationError({"finance_comments": "Say what needs to change before the update is returned."})


def _check_approve(*, update: PlanUpdate, user: User, rag: RAG | None, reason: str) -> RAG:
    """Refuse an approval that would not be recorded; the plan's RAG it would set."""
    ensure_unlocked(update.period)
    _require(user, "monitoring.review_update", update)
    new_rag = rag or update.implied_rag
    if new_rag is None:
        raise ValidationError({"rag": "Set the plan's RAG for the quarter."})
    before = update.rag_status or previous_plan_rag(update)
    _check_rag_change(before=before, after=new_rag, reason=reason)
    return new_rag


@transaction.atomic
def plan_update_return(
    *, update: PlanUpdate, user: User, comments: str, expected_version: int | None = None
) -> PlanUpdate:
    """Finance returns a submitted update to its manager with comments."""
    update = PlanUpdate.objects.select_for_update().select_related("plan").get(pk=update.pk)
    ensure_unlocked(update.period)
    _require(user, "monitoring.review_update", update)
    check_version(update, expected_version)
    _check_return(update=update, user=user, comments=comments)
    bump(update)
    update.status = PlanUpdate.Status.RETURNED
    update.finance_comments = comments.strip()
    update.reviewed_by = user
    update.reviewed_at = timezone.now()
    changed_by(user, update).save()
    return update


@transaction.atomic
def plan_update_approve(
    *,
    update: PlanUpdate,
    user: User,
    rag: RAG | None = None,
    reason: str = "",
    comments: str = "",
    expected_version: int | None = None,
) -> PlanUpdate:
    """Finance approves a submitted update and sets the plan's RAG for the quarter (by default
    the status the manager's answer implies)."""
    update = PlanUpdate.objects.select_for_update().select_related("plan").get(pk=update.pk)
    ensure_unlocked(update.period)
    _require(user, "monitoring.review_update", update)
    check_version(update, expected_version)  # judged on the update as it is now, not as it was shown
    new_rag = _check_approve(update=update, user=user, rag=rag, reason=reason)
    update.rag = new_rag.value
    update.rag_reason = reason.strip()
    update.finance_comments = comments.strip() or update.finance_comments
    bump(update)
    update.status = PlanUpdate.Status.APPROVED
    update.reviewed_by = user
    update.reviewed_at = timezone.now()
    changed_by(user, update).save()
    return update


@transaction.atomic
def plan_update_set_rag(
    *, update: PlanUpdate, user: User, rag: RAG, reason: str = "", expected_version: int | None = None
) -> PlanUpdate:
    """Finance sets (or changes) a plan's RAG for the quarter."""
    update = PlanUpdate.objects.select_for_update().select_related("plan").get(pk=update.pk)
    ensure_unlocked(update.period)
    _require(user, "monitoring.set_plan_rag", update.plan)
    check_version(update, expected_version)
    before = update.rag_status or previous_plan_rag(update)
    if before == rag and update.rag_status == rag:
        return update
    _check_rag_change(before=before, after=rag, reason=reason)
    update.rag = rag.value
    update.rag_reason = reason.strip()
    bump(update)
    changed_by(user, update).save()
    return update


class ReviewDecision(enum.StrEnum):
    """What finance decides about a plan's quarterly update (the review form's choices)."""

    APPROVE = "approve"
    RETURN = "return"
    SET_RAG = "set_rag"

    @property
    def done(self) -> str:
        """What the reviewer is told once it is done."""
        return {
            ReviewDecision.APPROVE: "The update has been approved.",
            ReviewDecision.RETURN: "The update has been returned to its manager with your comments.",
            ReviewDecision.SET_RAG: "The plan's RAG for the quarter has been recorded.",
        }[self]


def _check_review(
    *, update: PlanUpdate, user: User, decision: ReviewDecision | None, expected_version: int | None
) -> None:
    """The checks every review decision starts with: the version, then the permission."""
    if can(user, "monitoring.set_plan_rag", update.plan):
        # A finance officer's form opened before someone else's save is a conflict (409, their
        # changes shown), even where that save (an approval, a return) means the decision typed
        # is no longer open: they should see what happened, not a bare refusal.
        check_version(update, expected_version)
    if not plan_update_review_allowed(user=user, update=update, decision=decision):
        raise PermissionDenied(REVIEWERS_ONLY)
    if decision is None:
        raise ValidationError("Choose whether to approve the update or return it.")


def plan_update_review_check(
    *,
    update: PlanUpdate,
    user: User,
    decision: ReviewDecision | None,
    rag: RAG | None = None,
    reason: str = "",
    comments: str = "",
    expected_version: int | None = None,
) -> RAG | None:
    """Refuse, without writing, a review that plan_update_review would refuse (ConcurrentEdit,
    PermissionDenied, ValidationError): the confirmation page is shown only for a decision that
    would be recorded. Returns the plan's RAG an approval would set."""
    _check_review(update=update, user=user, decision=decision, expected_version=expected_version)
    if decision == ReviewDecision.APPROVE:
        return _check_approve(update=update, user=user, rag=rag, reason=reason)
    if decision == ReviewDecision.RETURN:
        _check_return(update=update, user=user, comments=comments)
    return None


@transaction.atomic
def plan_update_review(
    *,
    update: PlanUpdate,
    user: User,
    decision: ReviewDecision | None,
    rag: RAG | None = None,
    reason: str = "",
    comments: str = "",
    expected_version: int | None = None,
) -> PlanUpdate:
    """Finance's decision on a plan's update: approve it (setting the plan's RAG), return it to
    its manager with comments, or only set (change) the plan's RAG for the quarter.

    ``decision`` None is a review form that could not be read: refused with a message, after
    the same permission check (a finance officer who may review or set the RAG).
    ``expected_version`` is the update's version the review form (or its confirmation page) was
    opened at: if the manager (or another finance officer) has saved it since, ConcurrentEdit is
    raised and nothing is recorded."""
    _check_review(
        update=PlanUpdate.objects.select_for_update().select_related("plan").get(pk=update.pk),
        user=user,
        decision=decision,
        expected_version=expected_version,
    )
    if decision == ReviewDecision.SET_RAG:
        if rag is None:
            raise ValidationError({"rag": "Choose the plan's RAG."})
        return plan_update_set_rag(update=update, user=user, rag=rag, reason=reason, expected_version=expected_version)
    if decision == ReviewDecision.RETURN:
        return plan_update_return(update=update, user=user, comments=comments, expected_version=expected_version)
    return plan_update_approve(
        update=update, user=user, rag=rag, reason=reason, comments=comments, expected_version=expected_version
    )


def plan_update_to_review(*, user: User, plan_pk: int, quarter: Quarter) -> PlanUpdate:
    """The update finance is reviewing: 404 unless the user may read it, PermissionDenied unless
    they may review it or set the plan's RAG (each decision is checked again when recorded)."""
    update = selectors.plan_update_for_reader(user=user, plan_pk=plan_pk, quarter=quarter)
    if not plan_update_review_allowed(user=user, update=update):
        raise PermissionDenied(REVIEWERS_ONLY)
    return update


REVIEWERS_ONLY = "Only finance officers review a submitted update or set a plan's RAG."


def plan_update_review_allowed(*, user: User, update: PlanUpdate, decision: ReviewDecision | None = None) -> bool:
    """Whether ``user`` may record ``decision`` on the update (None: any review decision)."""
    may_set_rag = can(user, "monitoring.set_plan_rag", update.plan) and update.status != PlanUpdate.Status.DRAFT
    may_review = can(user, "monitoring.review_update", update)
    return {
        ReviewDecision.SET_RAG: may_set_rag,
        ReviewDecision.APPROVE: may_review,
        ReviewDecision.RETURN: may_review,
        None: may_review or may_set_rag,
    }[decision]


# DMT's decision on a RED update's alternative proposal ----------------------------------------


@transaction.atomic
def plan_update_dmt_decide(
    *,
    update: PlanUpdate,
    user: User,
    decision: DmtDecision,
    comments: str = "",
    expected_version: int | None = None,
) -> PlanUpdate:
    """DMT (an executive) records its decision on the alternative proposal of a published RED
    update: accepted, rejected or more information needed, with comments (required unless
    accepted: the manager needs to know why, or what is missing).

    DMT may record a new decision later (after the more information it asked for): every
    decision stays in the update's history. The quarter's lock freezes what managers and
    finance report, not DMT's response to it, so a decision can be recorded after the lock
    (a committee pack downloaded afterwards is rendered again with it: its cache key is the
    data it shows)."""
    update = PlanUpdate.objects.select_for_update().select_related("plan").get(pk=update.pk)
    _require_with(user, "monitoring.decide_proposal", update, selectors.DMT_ONLY)
    check_version(update, expected_version)
    decision = DmtDecision(decision)
    comments = comments.strip()
    if decision != DmtDecision.ACCEPTED and not comments:
        raise ValidationError(
            {
                "dmt_comments": "Say why the proposal is rejected."
                if decision == DmtDecision.REJECTED
                else "Say what more information DMT needs."
            }
        )
    if update.dmt_decision == decision.value and update.dmt_comments == comments:
        return update
    update.dmt_decision = decision.value
    update.dmt_comments = comments
    update.dmt_decided_by = user
    update.dmt_decided_at = timezone.now()
    bump(update)
    changed_by(user, update).save()
    return update


# Savings schemes ---------------------------------------------------------------------------

SCHEME_QUARTER_FIELDS: tuple[str, ...] = (*QUARTER_FIGURE_NAMES, "commentary")


def previous_scheme_rag(scheme: Scheme, quarter: Quarter) -> RAG | None:
    """Finance's RAG for the scheme in the quarter before (none before Q1)."""
    earlier = Period(FinancialYear.parse(scheme.financial_year), quarter).previous_in_year
    if earlier is None:
        return None
    previous = SchemeQuarter.objects.filter(scheme=scheme, quarter=earlier.quarter).first()
    return previous.rag_status if previous else None


@transaction.atomic
def scheme_quarter_save(
    *,
    scheme: Scheme,
    quarter: Quarter,
    user: User,
    fields: Mapping[str, Any],
    rag: RAG | None = None,
    rag_reason: str = "",
    expected_version: int | None = None,
) -> SchemeQuarter:
    """Finance records a scheme's figures, RAG and commentary for a quarter.

    A RAG change that worsens or skips a level needs a reason; it is judged against the
    status being replaced (or, for a first rating this quarter, last quarter's).
    """
    scheme_edit_check(user=user, scheme=scheme, period=Period(FinancialYear.parse(scheme.financial_year), quarter))
    # The scheme is locked first: two first saves of a quarter's figures (no row yet to lock) then
    # run one after the other, and the second is refused (a form opened before the row existed
    # carries version 0) instead of failing on the unique constraint or overwriting the first.
    _lock(Scheme, scheme.pk)
    row = SchemeQuarter.objects.select_for_update().filter(scheme=scheme, quarter=quarter).first()
    if row is None:
        row = SchemeQuarter(scheme=scheme, quarter=quarter)
    else:
        check_version(row, expected_version)
    before = row.rag_status or previous_scheme_rag(scheme, quarter)
    changed = False
    if rag != row.rag_status:
        if rag is not None:
            _check_rag_change(before=before, after=rag, reason=rag_reason)
        row.rag = rag.value if rag else ""
        row.rag_reason = rag_reason.strip()
        changed = True
    elif rag_reason.strip() and rag_reason.strip() != row.rag_reason:
        row.rag_reason = rag_reason.strip()
        changed = True
    for name in SCHEME_QUARTER_FIELDS:
        if name in fields and getattr(row, name) != fields[name]:
            setattr(row, name, fields[name] if fields[name] is not None or name != "commentary" else "")
            changed = True
    if changed or row.pk is None:
        if row.pk is not None:
            bump(row)
        row.updated_by = user
        row.full_clean(exclude=["scheme"])
        changed_by(user, row).save()
    return row
