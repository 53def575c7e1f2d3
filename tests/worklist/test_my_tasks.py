"""My tasks: the landing page of every role, what each role's list holds (each item linked to
the page where the work is done), the count in the navigation and the fixed number of queries."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from monitoring import services as monitoring_services
from monitoring.models import MilestoneProgress, StatedTotal
from plans.models import DeficitRecoveryPlan
from plans.roles import Role
from recovery.periods import FinancialYear, Period, Quarter
from recovery.worklist import selectors, services
from recovery.worklist import urls as worklist_urls
from tests.factories import (
    MilestoneFactory,
    PlanFactory,
    PlanUpdateFactory,
    SchemeFactory,
    SchemeQuarterFactory,
    ServiceAreaFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

LOGIN_URL = "/accounts/login/"
TASKS_URL = "/tasks/"
WHO = ["anonymous", "manager", "finance", "executive", "administrator"]
# The permission matrix: URL name -> (method, the status each user gets).
EVERYONE_SIGNED_IN = {"anonymous": 302, "manager": 200, "finance": 200, "executive": 200, "administrator": 200}
MATRIX: dict[str, tuple[str, dict[str, int]]] = {
    "my_tasks": ("get", EVERYONE_SIGNED_IN),
    "count": ("get", EVERYONE_SIGNED_IN),
}
SUBMITTED = DeficitRecoveryPlan.Status.SUBMITTED
NOW = timezone.make_aware(datetime(2024, 2, 10, 12, 0))
TODAY = date(2024, 2, 10)  # in Q4 2023/24


def test_every_worklist_url_is_in_the_permission_matrix():
    assert {pattern.name for pattern in worklist_urls.urlpatterns} == set(MATRIX)


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("name", list(MATRIX))
def test_permission_matrix(client, request, who, name):
    method, expected = MATRIX[name]
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    response = getattr(client, method)(reverse(f"worklist:{name}"))
    assert response.status_code == expected[who]
    if who == "anonymous":
        assert response["Location"].startswith(f"{LOGIN_URL}?next=")


@pytest.mark.parametrize("who", WHO[1:])
def test_every_role_lands_on_my_tasks_with_the_count_in_the_navigation(client, request, who):
    client.force_login(request.getfixturevalue(who))
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == TASKS_URL
    page = client.get(TASKS_URL)
    count = selectors.tasks_for(user=request.getfixturevalue(who)).count
    assert f'{count}<span class="visually-hidden"> to do</span>' in page.content.decode()
    # Every other page fetches the number once loaded, so that no page pays for it.
    plans = client.get(reverse("plans:list")).content.decode()
    assert f'data-hx-get="{reverse("worklist:count")}" data-hx-trigger="load"' in plans
    assert client.get(reverse("worklist:count")).content.decode() == str(count)


def _texts(tasks: selectors.TaskList, key: str) -> list[str]:
    return [item.text for group in tasks.groups if group.key == key for item in group.items]


def _urls(tasks: selectors.TaskList, key: str) -> list[str]:
    return [item.url for group in tasks.groups if group.key == key for item in group.items]


def _group(tasks: selectors.TaskList, key: str) -> selectors.TaskGroup:
    return next(group for group in tasks.groups if group.key == key)


# Service managers


def test_a_manager_sees_updates_due_returned_drafts_and_milestones(manager, plan, other_plan, other_manager):
    filed = PlanFactory(service_area=plan.service_area, managers=[manager], status=SUBMITTED)
    PlanUpdateFactory(plan=filed, quarter=Quarter.Q1, status="approved")
    PlanUpdateFactory(plan=filed, quarter=Quarter.Q2, status="returned", finance_comments="Give the Q2 figures.")
    PlanUpdateFactory(plan=filed, quarter=Quarter.Q3, status="draft")
    soon = MilestoneFactory(plan=filed, details="Recruit two IROs", due_text="29/02/2024")
    MilestoneFactory(plan=filed, details="Far away", due_text="2025/26")
    slipped = MilestoneFactory(plan=filed, details="Slipped into the window", due_text="2026/27")
    update = filed.updates.get(quarter=Quarter.Q3)
    MilestoneProgress.objects.create(
        update=update,
        milestone=slipped,
        status="slipped",
        revised_due_text="01/02/2024",
        revised_due_date=date(2024, 2, 1),
    )
    met = MilestoneFactory(plan=filed, details="Already met", due_text="31/12/2023")
    MilestoneProgress.objects.create(update=update, milestone=met, status="met")
    # The other manager's plans are not in this manager's list.
    PlanFactory(service_area=other_plan.service_area, managers=[other_manager], status=SUBMITTED)

    tasks = selectors.tasks_for(user=manager, now=NOW)

    label = f"{filed.service_area.name} 2023/24"
    assert _texts(tasks, "manager:due") == [f"Q3 update of {label}", f"Q4 update of {label}"]
    assert _urls(tasks, "manager:due") == [
        reverse("monitoring:plan_update", args=[filed.pk, Quarter.Q3]),
        reverse("monitoring:plan_update", args=[filed.pk, Quarter.Q4]),
    ]
    assert _texts(tasks, "manager:returned") == [f"Q2 update of {label}: returned by finance"]
    assert _group(tasks, "manager:returned").items[0].detail == "Give the Q2 figures."
    assert _urls(tasks, "manager:drafts") == [reverse("plans:edit", args=[plan.pk])]
    milestones = _group(tasks, "manager:milestones").items
    assert [item.text.split(" (")[0] for item in milestones] == [soon.details, slipped.details]
    assert [item.detail for item in milestones] == ["due by 29/02/2024", "overdue since 01/02/2024"]
    assert tasks.count == 2 + 1 + 1 + 2


def test_a_locked_quarter_is_not_due(manager, plan, finance):
    plan.status = SUBMITTED
    plan.save()
    monitoring_services.quarter_lock(period=Period(FinancialYear(2023), Quarter.Q1), user=finance)
    tasks = selectors.tasks_for(user=manager, now=NOW)
    assert [text.split(" ")[0] for text in _texts(tasks, "manager:due")] == ["Q2", "Q3", "Q4"]


# Finance


def test_finance_sees_reviews_unrated_contradictions_stated_totals_and_quarters_to_lock(finance, manager, plan):
    plan.status = SUBMITTED
    plan.save()
    PlanUpdateFactory(plan=plan, quarter=Quarter.Q3, status="submitted", submitted_by=manager)
    PlanUpdateFactory(plan=plan, quarter=Quarter.Q2, status="draft")  # a draft is not for review
    area = ServiceAreaFactory()
    # Q1 2023/24: both schemes rated, no update waiting: ready to lock. Q3: one unrated, one contradicted.
    rated = SchemeFactory(service_area=area, title="Rated")
    contradicted = SchemeFactory(service_area=area, title="Contradicted")
    for scheme in (rated, contradicted):
        SchemeQuarterFactory(scheme=scheme, quarter=Quarter.Q1, rag="GREEN")
    SchemeQuarterFactory(
        scheme=contradicted,
        quarter=Quarter.Q3,
        rag="GREEN",
        ytd_actual=Decimal("0"),
        projected_shortfall=Decimal("100000"),
    )
    StatedTotal.objects.create(
        financial_year=FinancialYear(2023), quarter=Quarter.Q3, scope="Total", column="target", amount=Decimal("1")
    )

    tasks = selectors.tasks_for(user=finance, now=NOW)

    assert _urls(tasks, "finance:review") == [reverse("monitoring:plan_update", args=[plan.pk, Quarter.Q3])]
    assert _group(tasks, "finance:unrated").count == 1
    assert _urls(tasks, "finance:unrated") == [reverse("monitoring:grid", args=[FinancialYear(2023), Quarter.Q3])]
    assert [text.split(":")[0] for text in _texts(tasks, "finance:contradictions")] == [str(contradicted)]
    assert len(_texts(tasks, "finance:stated")) == 1
    assert "states 0" in _texts(tasks, "finance:stated")[0]
    assert _texts(tasks, "finance:lock") == ["Q1 2023/24"]


def test_a_quarter_with_an_update_waiting_or_already_locked_is_not_ready_to_lock(finance, manager, plan):
    scheme = SchemeFactory()
    for quarter in (Quarter.Q1, Quarter.Q2):
        SchemeQuarterFactory(scheme=scheme, quarter=quarter, rag="GREEN")
    plan.status = SUBMITTED
    plan.save()
    PlanUpdateFactory(plan=plan, quarter=Quarter.Q2, status="submitted")
    assert _texts(selectors.tasks_for(user=finance, now=NOW), "finance:lock") == ["Q1 2023/24"]
    monitoring_services.quarter_lock(period=Period(FinancialYear(2023), Quarter.Q1), user=finance)
    assert _texts(selectors.tasks_for(user=finance, now=NOW), "finance:lock") == []


# Executives


def test_an_executive_sees_red_proposals_the_pack_and_rag_changes_since_their_last_visit(
    client, executive, finance, manager, plan
):
    plan.status = SUBMITTED
    plan.save()
    waiting = PlanUpdateFactory(
        plan=plan, quarter=Quarter.Q2, status="submitted", on_target="no", alternative_proposal="Realign £50k."
    )
    PlanUpdateFactory(plan=plan, quarter=Quarter.Q3, status="draft", on_target="no", alternative_proposal="Private.")
    figures = SchemeQuarterFactory(quarter=Quarter.Q2, rag="GREEN")
    client.force_login(executive)  # the first visit, after the scheme was rated GREEN
    client.force_login(executive)  # the second: changes since the first began are listed
    monitoring_services.scheme_quarter_save(
        scheme=figures.scheme,
        quarter=Quarter.Q2,
        user=finance,
        fields={},
        rag=monitoring_services.RAG.RED,
        rag_reason="No savings yet.",
    )

    tasks = selectors.tasks_for(user=executive)

    # Straight to the page where DMT records its decision.
    assert _urls(tasks, "executive:dmt") == [reverse("monitoring:plan_update_dmt", args=[plan.pk, Quarter.Q2])]
    assert waiting.awaits_dmt_decision
    assert _urls(tasks, "executive:pack") == [reverse("reporting:pack", args=[FinancialYear(2023), Quarter.Q2])]
    changes = _group(tasks, "executive:changes")
    assert [item.detail for item in changes.items] == ["GREEN → RED"]
    assert changes.title.startswith("RAG changes since your last visit")
    assert tasks.count == 1  # RAG changes are for reading, not a task


def test_a_visit_starts_at_each_sign_in(executive):
    first = services.visit_start(user=executive)
    assert first.previous_started_at is None
    second = services.visit_start(user=executive)
    assert second.previous_started_at == first.current_started_at


# Administrators


def test_an_administrator_sees_users_without_a_role_or_area_and_areas_without_a_manager(administrator, service_area):
    nobody = UserFactory(username="nobody")
    lost = UserFactory(username="lost", role=Role.SERVICE_MANAGER)
    empty = ServiceAreaFactory(name="Nobody's area")
    tasks = selectors.tasks_for(user=administrator)
    assert [text.rsplit("(", 1)[-1] for text in _texts(tasks, "admin:users")] == ["nobody)", "lost)"]
    assert _urls(tasks, "admin:users") == [
        reverse("people:change", args=[nobody.pk]),
        reverse("people:change", args=[lost.pk]),
    ]
    assert _texts(tasks, "admin:areas") == [f"{empty.name} ({empty.portfolio.directorate.name})"]


# Queries: fixed however many plans there are


def _grow(times: int, manager: User) -> None:
    """``times`` submitted plans of ``manager`` with updates in every state, milestones and schemes."""
    for _ in range(times):
        area = ServiceAreaFactory(managers=[manager])
        plan = PlanFactory(service_area=area, managers=[manager], status=SUBMITTED)
        PlanFactory(service_area=area, managers=[manager])
        PlanUpdateFactory(plan=plan, quarter=Quarter.Q1, status="submitted", on_target="no", alternative_proposal="x")
        PlanUpdateFactory(plan=plan, quarter=Quarter.Q2, status="returned")
        PlanUpdateFactory(plan=plan, quarter=Quarter.Q3, status="draft")
        milestone = MilestoneFactory(plan=plan, due_text="31/01/2024")
        MilestoneProgress.objects.create(update=plan.updates.get(quarter=Quarter.Q3), milestone=milestone)
        scheme = SchemeFactory(service_area=area)
        SchemeQuarterFactory(scheme=scheme, quarter=Quarter.Q1, rag="GREEN")
        SchemeQuarterFactory(scheme=scheme, quarter=Quarter.Q2, rag="RED")
        SchemeQuarterFactory(scheme=SchemeFactory(service_area=area), quarter=Quarter.Q2, rag="")
        UserFactory()
        ServiceAreaFactory()


@pytest.mark.parametrize("who", ["manager", "finance", "executive", "administrator"])
def test_my_tasks_costs_a_fixed_number_of_queries(client, request, django_assert_num_queries, manager, who):
    user = request.getfixturevalue(who)
    client.force_login(user)
    _grow(1, manager)
    with CaptureQueriesContext(connection) as once:
        response = client.get(TASKS_URL)
    assert response.status_code == 200
    first_count = response.context["tasks"].count
    _grow(12, manager)
    with django_assert_num_queries(len(once)):
        response = client.get(TASKS_URL)
    assert response.context["tasks"].count > first_count or who == "administrator"


def test_the_navigation_count_is_cached_until_something_changes(client, manager, plan):
    client.force_login(manager)
    url = reverse("worklist:count")
    assert client.get(url).content == b"1"  # computed and cached
    with CaptureQueriesContext(connection) as cached:
        client.get(url)
    plan.status = DeficitRecoveryPlan.Status.SUBMITTED
    plan.save()  # a recorded change: the count is read again
    with CaptureQueriesContext(connection) as fresh:
        response = client.get(url)
    assert len(fresh) > len(cached)
    assert response.content == b"4"  # the four quarterly updates of 2023/24 now due
