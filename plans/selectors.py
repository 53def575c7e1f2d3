"""Reading plans: every query a page needs, scoped to what the user may see."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from plans.models import Attachment, DeficitRecoveryPlan, Milestone, ServiceArea
from plans.roles import Role, has_role
from plans.rules import can
from recovery.history import Change, history_of
from recovery.periods import Period, Quarter


def plans_for_list(*, user: User | AnonymousUser) -> QuerySet[DeficitRecoveryPlan]:
    """Plans the user may see, with what the list shows fetched in a fixed number of queries."""
    return (
        DeficitRecoveryPlan.objects.visible_to(user)
        .with_organisation()
        .order_by("-financial_year", "service_area__portfolio__directorate__name", "service_area__name", "pk")
    )


def default_plan_scope(*, user: User | AnonymousUser) -> str:
    """Which plans the list shows when it is not asked: a service manager's own ("mine"), every
    plan they may see for anyone else ("all")."""
    return "mine" if has_role(user, Role.SERVICE_MANAGER) else "all"


def plan_for_user(*, user: User | AnonymousUser, pk: int) -> DeficitRecoveryPlan:
    """One plan the user may see, with its milestones and attachments; 404 for any other."""
    queryset = (
        DeficitRecoveryPlan.objects.visible_to(user)
        .with_organisation()
        .prefetch_related(
            Prefetch("milestones", queryset=Milestone.objects.order_by("order", "pk")),
            Prefetch("attachments", queryset=Attachment.objects.select_related("uploaded_by")),
            "managers",
            "updates",
        )
    )
    return get_object_or_404(queryset, pk=pk)


def _plan_permitted(*, user: User | AnonymousUser, pk: int, permission: str, refusal: str) -> DeficitRecoveryPlan:
    """plan_for_user, then PermissionDenied(``refusal``) unless ``user`` has ``permission`` on it."""
    plan = plan_for_user(user=user, pk=pk)
    if not can(user, permission, plan):
        raise PermissionDenied(refusal)
    return plan


def plan_to_edit(*, user: User | AnonymousUser, pk: int) -> DeficitRecoveryPlan:
    """A plan the user may edit: a draft they manage (404 if they may not see it, 403 otherwise)."""
    return _plan_permitted(
        user=user,
        pk=pk,
        permission="plans.change_plan",
        refusal="This plan cannot be edited: it has been submitted, or it is not yours to edit.",
    )


def plan_to_submit(*, user: User | AnonymousUser, pk: int) -> DeficitRecoveryPlan:
    """A plan the user may submit: a draft they manage (404 if they may not see it, 403 otherwise)."""
    return _plan_permitted(
        user=user,
        pk=pk,
        permission="plans.submit_plan",
        refusal="This plan cannot be submitted: it has been submitted, or it is not yours.",
    )


def plan_to_attach_to(*, user: User | AnonymousUser, pk: int) -> DeficitRecoveryPlan:
    """A plan the user may attach files to: a draft they manage (404 / 403 as plan_to_edit)."""
    return _plan_permitted(
        user=user,
        pk=pk,
        permission="plans.add_attachment",
        refusal="Files can only be attached to a draft plan by its manager.",
    )


@dataclass(frozen=True)
class PlanPage:
    """A plan's page as the user may see it."""

    plan: DeficitRecoveryPlan
    quarterly: list[tuple[Period, Any]]  # each quarter with its update the user may read (or None)
    history: list[Change]
    can_edit: bool


def plan_page(*, user: User | AnonymousUser, pk: int) -> PlanPage:
    """One plan the user may see (404 otherwise), its quarterly updates and its history.

    Drafts are private: an update the user may not read is listed as not submitted, and the
    drafting before the plan's submission is its managers' own (others read its history from
    then on)."""
    plan = plan_for_user(user=user, pk=pk)
    # "updates" is the reverse relation from monitoring.PlanUpdate, prefetched by plan_for_user.
    updates = {
        Quarter(update.quarter): update
        for update in plan.updates.all()  # type: ignore[attr-defined,unused-ignore]
        if can(user, "monitoring.read_update", update)
    }
    drafting_seen = can(user, "plans.manage_plan", plan)
    return PlanPage(
        plan=plan,
        quarterly=[(Period(plan.financial_year, quarter), updates.get(quarter)) for quarter in Quarter],
        history=history_of(plan, since=None if drafting_seen else plan.submitted_at),
        can_edit=can(user, "plans.change_plan", plan),
    )


def may_start_plan(*, user: User | AnonymousUser) -> bool:
    """Whether the user may start a plan (a service manager): the plan list's button."""
    return can(user, "plans.add_plan")


def service_areas_to_start_in(*, user: User | AnonymousUser) -> QuerySet[ServiceArea]:
    """The service areas the new-plan form offers; PermissionDenied unless the user may start a
    plan (a service manager). It may be empty: they are assigned to no service area yet."""
    if not may_start_plan(user=user):
        raise PermissionDenied("Only service managers can start a plan.")
    return service_areas_for_new_plan(user=user)


def service_areas_for_new_plan(*, user: User | AnonymousUser) -> QuerySet[ServiceArea]:
    """The service areas a user may start a plan in: those they are assigned to."""
    if not user.is_authenticated or not has_role(user, Role.SERVICE_MANAGER):
        return ServiceArea.objects.none()
    return ServiceArea.objects.filter(managers=user).select_related("portfolio__directorate")


def attachment_for_user(*, user: User | AnonymousUser, plan_pk: int, pk: int) -> Attachment:
    """An attachment of a plan the user may see; 404 otherwise (and for another plan's file)."""
    plan = get_object_or_404(DeficitRecoveryPlan.objects.visible_to(user), pk=plan_pk)
    return get_object_or_404(Attachment.objects.select_related("plan"), plan=plan, pk=pk)


def attachment_to_read(*, user: User | AnonymousUser, plan_pk: int, pk: int) -> Attachment:
    """An attachment the user may download: 404 as attachment_for_user, 403 unless they may read
    the plan's files."""
    attachment = attachment_for_user(user=user, plan_pk=plan_pk, pk=pk)
    if not can(user, "plans.view_attachment", attachment.plan):
        raise PermissionDenied
    return attachment
