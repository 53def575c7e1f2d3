"""My tasks: what each role has to do, each item linked to the page where it is done.

Every group is read in a fixed number of queries, however many plans, updates and schemes
there are (tests/worklist/test_selectors.py counts them at 1x and at many times the data).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.core.cache import cache
from django.db.models import Count, Model, Q
from django.urls import reverse
from django.utils import timezone

from monitoring.models import (
    DmtDecision,
    MilestoneProgress,
    MonitoringQuarter,
    PlanUpdate,
    Scheme,
    SchemeQuarter,
    StatedTotal,
)
from monitoring.selectors import grid_rows, grid_schemes
from plans.models import DeficitRecoveryPlan, Milestone, ServiceArea
from plans.roles import Role, has_role
from recovery.periods import FinancialYear, Period, Quarter
from recovery.rag import RAG
from recovery.reporting import selectors as report_selectors
from recovery.worklist.models import Visit
from recovery.worklist.services import GENERATION_KEY

DUE_SOON_DAYS = 30
CHANGES_WINDOW_DAYS = 30  # "since your last visit" on a first visit
COUNT_CACHE_SECONDS = 60
SHOWN_AT_MOST = 50


@dataclass(frozen=True)
class TaskItem:
    text: str
    url: str
    detail: str = ""


@dataclass
class TaskGroup:
    """One kind of work: its items, and whether they count as things to do (a link to the
    latest pack is not a task)."""

    key: str
    title: str
    items: list[TaskItem]
    empty: str
    is_task: bool = True
    total: int | None = None  # when more items exist than are listed
    more_url: str = ""

    @property
    def count(self) -> int:
        return self.total if self.total is not None else len(self.items)


@dataclass
class TaskList:
    groups: list[TaskGroup] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(group.count for group in self.groups if group.is_task)

    @property
    def roles(self) -> list[str]:
        return sorted({group.key.split(":")[0] for group in self.groups})


def _plan_label(plan: DeficitRecoveryPlan) -> str:
    return f"{plan.service_area.name} {plan.financial_year}"


def _update_url(plan_pk: int, quarter: int) -> str:
    return reverse("monitoring:plan_update", args=[plan_pk, Quarter(quarter)])


def latest_period() -> Period | None:
    """The most recent quarter with scheme figures: the quarter finance and DMT work on, the
    one the dashboard opens on (a quarter whose rows hold no figure and no RAG is not it)."""
    return report_selectors.latest_period_with_figures()


# Service managers ------------------------------------------------------------------------


def manager_groups(*, user: User, today: date) -> list[TaskGroup]:
    """Updates due, updates returned, draft plans, milestones overdue or due soon, DMT's decisions:
    five queries."""
    plans = list(
        DeficitRecoveryPlan.objects.managed_by(user)
        .with_organisation()
        .order_by("-financial_year", "service_area__name")
    )
    filed = [plan for plan in plans if not plan.is_draft]
    updates = list(PlanUpdate.objects.filter(plan__in=[plan.pk for plan in filed]).order_by("plan", "quarter"))
    locked = {
        (FinancialYear.parse(year), Quarter(quarter))
        for year, quarter in MonitoringQuarter.objects.filter(locked_at__isnull=False).values_list(
            "financial_year", "quarter"
        )
    }
    by_plan: dict[int, dict[Quarter, PlanUpdate]] = {}
    for item in updates:
        by_plan.setdefault(item.plan_id, {})[Quarter(item.quarter)] = item

    due: list[TaskItem] = []
    returned: list[TaskItem] = []
    decisions: list[TaskItem] = []
    for plan in filed:
        year = FinancialYear.parse(plan.financial_year)
        for quarter in Quarter:
            update = by_plan.get(plan.pk, {}).get(quarter)
            if update is not None and update.status == PlanUpdate.Status.RETURNED:
                returned.append(
                    TaskItem(
                        f"{quarter.label} update of {_plan_label(plan)}: returned by finance",
                        _update_url(plan.pk, quarter),
                        update.finance_comments,
                    )
                )
                continue
            if update is not None and update.dmt_decision:
                decisions.append(
                    TaskItem(
                        f"{quarter.label} update of {_plan_label(plan)}: "
                        f"{DmtDecision(update.dmt_decision).label.lower()} by DMT",
                        _update_url(plan.pk, quarter) + "#dmt",
                        update.dmt_comments,
                    )
                )
            started = quarter.start_date(year) <= today
            published = update is not None and update.status in (
                PlanUpdate.Status.SUBMITTED,
                PlanUpdate.Status.APPROVED,
            )
            if started and not published and (year, quarter) not in locked:
                detail = "Draft saved: finish and submit it." if update is not None else "Not started."
                if quarter.end_date(year) < today:
                    detail += f" The quarter ended on {quarter.end_date(year):%d/%m/%Y}."
                due.append(
                    TaskItem(f"{quarter.label} update of {_plan_label(plan)}", _update_url(plan.pk, quarter), detail)
                )

    drafts = [
        TaskItem(_plan_label(plan), reverse("plans:edit", args=[plan.pk]), "Draft: finish and submit it.")
        for plan in plans
        if plan.is_draft
    ]
    return [
        TaskGroup("manager:due", "Quarterly updates due", due, "No quarterly update is due."),
        TaskGroup("manager:returned", "Updates returned with comments", returned, "No update has been returned."),
        TaskGroup("manager:drafts", "Draft plans not submitted", drafts, "No draft plan is waiting."),
        TaskGroup(
            "manager:milestones",
            f"Milestones overdue or due within {DUE_SOON_DAYS} days",
            _milestones_due(filed, today),
            "No milestone is overdue or due soon.",
        ),
        TaskGroup(
            "manager:dmt",
            "DMT's decisions on your alternative proposals",
            decisions,
            "DMT has not decided on any of your proposals.",
            is_task=False,
        ),
    ]


def _milestones_due(plans: list[DeficitRecoveryPlan], today: date) -> list[TaskItem]:
    """Milestones not yet met whose current date (the latest revision, else the original) is
    past or within DUE_SOON_DAYS: two queries."""
    by_pk = {plan.pk: plan for plan in plans}
    milestones = list(Milestone.objects.filter(plan__in=list(by_pk)).order_by("plan", "order", "pk"))
    progress: dict[int, list[MilestoneProgress]] = {}
    for item in MilestoneProgress.objects.filter(milestone__plan__in=list(by_pk)).select_related("update"):
        progress.setdefault(item.milestone_id, []).append(item)
    horizon = today + timedelta(days=DUE_SOON_DAYS)
    items = []
    for milestone in milestones:
        reports = sorted(progress.get(milestone.pk, []), key=lambda entry: entry.update.quarter)
        if any(report.status == MilestoneProgress.Status.MET for report in reports):
            continue
        due = milestone.due_date
        for report in reports:
            if report.revised_due_date:
                due = report.revised_due_date
        if due is None or due > horizon:
            continue
        when = "overdue since" if due < today else "due by"
        plan = by_pk[milestone.plan_id]
        items.append(
            TaskItem(
                f"{milestone.details[:100]} ({_plan_label(plan)})",
                plan.get_absolute_url() + "#milestones-heading",
                f"{when} {due:%d/%m/%Y}",
            )
        )
    return items


# Finance ---------------------------------------------------------------------------------


def finance_groups(*, today: date) -> list[TaskGroup]:
    """Updates awaiting review, and for the latest quarter with figures: schemes not rated, RAG
    the figures contradict, stated totals that disagree; quarters ready to lock."""
    awaiting = list(
        PlanUpdate.objects.filter(status=PlanUpdate.Status.SUBMITTED, plan__status=DeficitRecoveryPlan.Status.SUBMITTED)
        .select_related("plan__service_area")
        .order_by("plan__financial_year", "quarter", "plan__service_area__name")
    )
    review = [
        TaskItem(
            f"{Quarter(update.quarter).label} {update.plan.financial_year} update of {update.plan.service_area.name}",
            _update_url(update.plan_id, update.quarter),
            f"Submitted {timezone.localtime(update.submitted_at):%d/%m/%Y}" if update.submitted_at else "",
        )
        for update in awaiting
    ]
    groups = [TaskGroup("finance:review", "Updates awaiting review", review, "No update is waiting for review.")]
    period = latest_period()
    unrated: list[TaskItem] = []
    not_rated_count = 0
    contradictions: list[TaskItem] = []
    if period is not None:
        rows = grid_rows(period=period, schemes=grid_schemes(period=period))
        grid = reverse("monitoring:grid", args=[period.year, period.quarter])
        not_rated_count = sum(1 for row in rows if row.rag is None and not row.scheme.is_unallocated)
        if not_rated_count:
            unrated.append(TaskItem(f"{not_rated_count} of {len(rows)} schemes have no RAG for {period}", grid))
        for row in rows:
            if row.rag is not None and row.disagreements:
                contradictions.append(
                    TaskItem(f"{row.scheme}: {row.rag}", f"{grid}#scheme-{row.scheme.pk}", " ".join(row.disagreements))
                )
    groups += [
        TaskGroup(
            "finance:unrated",
            f"Schemes not rated in {period}" if period else "Schemes not rated",
            unrated,
            "Every scheme is rated.",
            total=not_rated_count,
        ),
        _capped(
            TaskGroup(
                "finance:contradictions",
                f"RAG the figures contradict ({period})" if period else "RAG the figures contradict",
                contradictions,
                "No RAG is contradicted by its figures.",
                more_url=(
                    reverse("reporting:exceptions", args=[period.year, period.quarter]) + "?only=disagreements"
                    if period
                    else ""
                ),
            )
        ),
        TaskGroup(
            "finance:stated",
            "Stated totals that disagree with the rows (last import)",
            _stated_total_warnings(),
            "Every stated total agrees with the rows.",
        ),
        TaskGroup(
            "finance:lock",
            "Quarters ready to lock",
            _quarters_ready_to_lock(awaiting, today),
            "No quarter is ready to lock.",
        ),
    ]
    return groups


def _stated_total_warnings() -> list[TaskItem]:
    latest = StatedTotal.objects.order_by("-pk").values_list("financial_year", "quarter").first()
    if latest is None:
        return []
    period = Period(FinancialYear.parse(latest[0]), Quarter(latest[1]))
    url = reverse("reporting:appendix", args=[period.year, period.quarter])
    return [TaskItem(note, url) for note in report_selectors.stated_total_warnings(period=period)]


def _quarters_ready_to_lock(awaiting: Iterable[PlanUpdate], today: date) -> list[TaskItem]:
    """Ended, unlocked quarters with figures in which every scheme is rated and no update waits
    for review: three queries."""
    schemes_per_year = {
        FinancialYear.parse(year): n
        for year, n in Scheme.objects.filter(is_unallocated=False)
        .values("financial_year")
        .annotate(n=Count("pk"))
        .values_list("financial_year", "n")
    }
    rated = {
        Period(FinancialYear.parse(year), Quarter(quarter)): n
        for year, quarter, n in SchemeQuarter.objects.filter(scheme__is_unallocated=False)
        .exclude(rag="")
        .values("scheme__financial_year", "quarter")
        .annotate(n=Count("pk"))
        .values_list("scheme__financial_year", "quarter", "n")
    }
    locked = {
        Period(FinancialYear.parse(year), Quarter(quarter))
        for year, quarter in MonitoringQuarter.objects.filter(locked_at__isnull=False).values_list(
            "financial_year", "quarter"
        )
    }
    waiting = {Period(FinancialYear.parse(update.plan.financial_year), Quarter(update.quarter)) for update in awaiting}
    return [
        TaskItem(str(period), reverse("monitoring:quarters"), "Every scheme is rated and no update waits for review.")
        for period, count in sorted(rated.items(), key=lambda entry: (entry[0].year.start_year, entry[0].quarter))
        if period.end_date < today
        and period not in locked
        and period not in waiting
        and count >= schemes_per_year.get(period.year, 0)
    ]


# Executives (DMT) ------------------------------------------------------------------------


def executive_groups(*, user: User, now: datetime) -> list[TaskGroup]:
    """RED proposals awaiting DMT, the latest committee pack, RAG movements since the last visit."""
    proposals = [
        TaskItem(
            f"{Quarter(update.quarter).label} {update.plan.financial_year}: {update.plan.service_area.name}",
            reverse("monitoring:plan_update_dmt", args=[update.plan_id, Quarter(update.quarter)]),
            update.alternative_proposal[:200],
        )
        for update in PlanUpdate.objects.awaiting_dmt_decision()
        .select_related("plan__service_area")
        .order_by("plan__financial_year", "quarter")
    ]
    period = latest_period()
    pack = (
        [TaskItem(f"Committee pack, {period} (PDF)", reverse("reporting:pack", args=[period.year, period.quarter]))]
        if period
        else []
    )
    visit = Visit.objects.filter(user=user).first()
    since = (
        visit.previous_started_at if visit and visit.previous_started_at else now - timedelta(days=CHANGES_WINDOW_DAYS)
    )
    moves = _rag_movements(since)
    first = not (visit and visit.previous_started_at)
    return [
        TaskGroup(
            "executive:dmt",
            "RED plans whose alternative proposal awaits DMT's decision",
            proposals,
            "No proposal is waiting for DMT.",
        ),
        TaskGroup("executive:pack", "The latest committee pack", pack, "No figures yet.", is_task=False),
        _capped(
            TaskGroup(
                "executive:changes",
                (
                    f"RAG changes in the last {CHANGES_WINDOW_DAYS} days"
                    if first
                    else f"RAG changes since your last visit ({timezone.localtime(since):%d/%m/%Y %H:%M})"
                ),
                moves,
                "No RAG has changed.",
                is_task=False,
                more_url=(
                    reverse("reporting:exceptions", args=[period.year, period.quarter]) + "?only=rag_changes"
                    if period
                    else ""
                ),
            )
        ),
    ]


def _rag_changes(model: type[Model], since: datetime) -> dict[int, tuple[str, str]]:
    """For each row of ``model`` whose RAG is not what it was at ``since`` (or, for a row
    created later, when it was created): (before, after). Two queries, on the model's history."""
    history = model.history  # type: ignore[attr-defined]
    first: dict[int, str] = {}
    after: dict[int, str] = {}
    for pk, rag in (
        history.filter(history_date__gt=since).order_by("history_date", "history_id").values_list("id", "rag")
    ):
        first.setdefault(pk, rag)
        after[pk] = rag
    before: dict[int, str] = {}
    for pk, rag in (
        history.filter(id__in=list(after), history_date__lte=since)
        .order_by("history_date", "history_id")
        .values_list("id", "rag")
    ):
        before[pk] = rag
    changes = {}
    for pk, rag in after.items():
        then = before.get(pk, first[pk])
        if then != rag:
            changes[pk] = (then, rag)
    return changes


def _describe(before: str, after: str) -> str:
    return f"{before or 'no RAG'} → {after or 'no RAG'}"


def _rag_movements(since: datetime) -> list[TaskItem]:
    schemes = _rag_changes(SchemeQuarter, since)
    plans = _rag_changes(PlanUpdate, since)
    items = [
        TaskItem(
            f"{row.scheme} ({row.scheme.service_area.name}, {Quarter(row.quarter).label} {row.scheme.financial_year})",
            reverse("monitoring:scheme_history", args=[row.scheme_id]),
            _describe(*schemes[row.pk]),
        )
        for row in SchemeQuarter.objects.filter(pk__in=list(schemes)).select_related("scheme__service_area")
    ]
    items += [
        TaskItem(
            f"Plan {_plan_label(update.plan)}, {Quarter(update.quarter).label}",
            _update_url(update.plan_id, update.quarter),
            _describe(*plans[update.pk]),
        )
        for update in PlanUpdate.objects.published().filter(pk__in=list(plans)).select_related("plan__service_area")
    ]
    order = {rag.value: index for index, rag in enumerate(RAG)}
    return sorted(items, key=lambda item: (order.get(item.detail.rsplit(" ", 1)[-1], 9), item.text))


def _capped(group: TaskGroup) -> TaskGroup:
    if len(group.items) > SHOWN_AT_MOST:
        group.total = len(group.items)
        group.items = group.items[:SHOWN_AT_MOST]
    return group


# Administrators --------------------------------------------------------------------------


def admin_groups() -> list[TaskGroup]:
    """Users with no role, service managers with no service area, service areas with no manager."""
    role_names = [role.value for role in Role]
    users = list(
        User.objects.filter(is_active=True)
        .annotate(
            roles=Count("groups", filter=Q(groups__name__in=role_names), distinct=True),
            areas=Count("assigned_service_areas", distinct=True),
            manages=Count("groups", filter=Q(groups__name=Role.SERVICE_MANAGER.value), distinct=True),
        )
        .order_by("username")
    )
    no_role = [
        TaskItem(_who(user), _user_url(user), "No role: they can see nothing.")
        for user in users
        if not user.roles and not user.is_superuser
    ]
    no_area = [
        TaskItem(
            _who(user),
            _user_url(user),
            "Service manager with no service area: they cannot start a plan.",
        )
        for user in users
        if user.manages and not user.areas
    ]
    areas = [
        TaskItem(f"{area.name} ({area.portfolio.directorate.name})", _area_url(area))
        for area in ServiceArea.objects.filter(managers__isnull=True).select_related("portfolio__directorate")
    ]
    return [
        TaskGroup("admin:users", "Users with no role or no service area", no_role + no_area, "Every user has a role."),
        TaskGroup("admin:areas", "Service areas with no manager", areas, "Every service area has a manager."),
    ]


def _who(user: User) -> str:
    name = user.get_full_name()
    return f"{name} ({user.get_username()})" if name else user.get_username()


def _user_url(user: User) -> str:
    return reverse("people:change", args=[user.pk])


def _area_url(area: ServiceArea) -> str:
    return reverse("admin:plans_servicearea_change", args=[area.pk])


# Everything for one user -----------------------------------------------------------------


def tasks_for(*, user: User | AbstractBaseUser | AnonymousUser, now: datetime | None = None) -> TaskList:
    """The task list of every role the user holds."""
    if not isinstance(user, User) or not user.is_authenticated:
        return TaskList()
    now = now or timezone.now()
    today = timezone.localdate(now)
    groups: list[TaskGroup] = []
    if has_role(user, Role.SERVICE_MANAGER):
        groups += manager_groups(user=user, today=today)
    if has_role(user, Role.FINANCE_OFFICER):
        groups += finance_groups(today=today)
    if has_role(user, Role.EXECUTIVE):
        groups += executive_groups(user=user, now=now)
    if has_role(user, Role.ADMINISTRATOR):
        groups += admin_groups()
    return TaskList(groups)


def task_count(*, user: User | AbstractBaseUser | AnonymousUser) -> int:
    """The number in the navigation: the user's task count, cached until anything changes."""
    if not isinstance(user, User) or not user.is_authenticated:
        return 0
    generation = cache.get(GENERATION_KEY, 0)
    login = user.last_login.timestamp() if user.last_login else 0
    key = f"worklist:count:{user.pk}:{login}:{generation}"
    count: Any = cache.get(key)
    if count is None:
        count = tasks_for(user=user).count
        cache.set(key, count, COUNT_CACHE_SECONDS)
    return int(count)
