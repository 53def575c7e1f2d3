"""Reading plans: every query a page needs, scoped to what the user may see."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from plans.models import Attachment, DeficitRecoveryPlan, Milestone, ServiceArea
from plans.roles import Role, has_role


def plans_for_list(*, user: User | AnonymousUser) -> QuerySet[DeficitRecoveryPlan]:
    """Plans the user may see, with what the list shows fetched in a fixed number of queries."""
    return (
        DeficitRecoveryPlan.objects.visible_to(user)
        .with_organisation()
        .order_by("-financial_year", "service_area__portfolio__directorate__name", "service_area__name", "pk")
    )


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


def service_areas_for_new_plan(*, user: User | AnonymousUser) -> QuerySet[ServiceArea]:
    """The service areas a user may start a plan in: those they are assigned to."""
    if not user.is_authenticated or not has_role(user, Role.SERVICE_MANAGER):
        return ServiceArea.objects.none()
    return ServiceArea.objects.filter(managers=user).select_related("portfolio__directorate")


def attachment_for_user(*, user: User | AnonymousUser, plan_pk: int, pk: int) -> Attachment:
    """An attachment of a plan the user may see; 404 otherwise (and for another plan's file)."""
    plan = get_object_or_404(DeficitRecoveryPlan.objects.visible_to(user), pk=plan_pk)
    return get_object_or_404(Attachment.objects.select_related("plan"), plan=plan, pk=pk)
