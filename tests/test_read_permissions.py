"""Read-side permission checks live in the selectors and services the views call, not in the
views: each entry point refuses (PermissionDenied) exactly the people the rules refuse, and
serves everyone else, whichever page, download or command calls it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import Http404

from monitoring import imports, plan_import
from monitoring import selectors as monitoring_selectors
from plans import selectors as plan_selectors
from plans.models import DeficitRecoveryPlan
from plans.roles import Role
from plans.rules import can
from recovery.periods import FinancialYear, Period, Quarter
from recovery.reporting import pack
from recovery.reporting import selectors as report_selectors
from tests.factories import PlanFactory, SchemeQuarterFactory, UserFactory

PERIOD = Period(FinancialYear(2023), Quarter.Q2)
ROLES = [None, *Role]


def _scheme_pk() -> int:
    return SchemeQuarterFactory(quarter=PERIOD.quarter).scheme_id


# Each entry point a view calls first, the rule it applies, and how to call it for a user.
ENTRY_POINTS: dict[str, tuple[str, Callable[[User], Any]]] = {
    "grid": ("monitoring.view_grid", lambda user: monitoring_selectors.grid_access(user=user, period=PERIOD)),
    "grid row": (
        "monitoring.view_grid",
        lambda user: monitoring_selectors.grid_row(user=user, period=PERIOD, scheme_pk=_scheme_pk()),
    ),
    "scheme history": (
        "monitoring.view_grid",
        lambda user: monitoring_selectors.scheme_history(user=user, scheme_pk=_scheme_pk()),
    ),
    "lock page": (
        "monitoring.lock_quarter",
        lambda user: monitoring_selectors.quarter_lock_page(user=user, period=PERIOD),
    ),
    "reopen page": (
        "monitoring.reopen_quarter",
        lambda user: monitoring_selectors.quarter_reopen_page(user=user, period=PERIOD),
    ),
    "tracker import": ("monitoring.import_tracker", lambda user: imports.tracker_importer_check(user=user)),
    "tracker template": ("monitoring.import_tracker", lambda user: imports.tracker_template(user=user)),
    "plan import": ("plans.add_plan", lambda user: plan_import.plan_importer_check(user=user)),
    "new plan": ("plans.add_plan", lambda user: plan_selectors.service_areas_to_start_in(user=user)),
    "appendix": (
        "reporting.view_summaries",
        lambda user: report_selectors.report_for_user(
            user=user, request=report_selectors.AppendixRequest(period=PERIOD)
        ),
    ),
    "exceptions": (
        "reporting.view_summaries",
        lambda user: report_selectors.report_for_user(
            user=user, request=report_selectors.ExceptionsRequest(period=PERIOD, only="overdue")
        ),
    ),
    "dashboard": ("reporting.view_summaries", lambda user: report_selectors.dashboard_calendar(user=user)),
    "open data": ("reporting.view_summaries", lambda user: report_selectors.open_data_rows(user=user)),
    "committee pack": ("reporting.view_summaries", lambda user: pack.pack_for_user(user=user, period=PERIOD)),
}


@pytest.fixture
def no_pdf(monkeypatch):
    """The pack's rule, not its rendering, is under test."""
    monkeypatch.setattr(pack, "pack_pdf", lambda period: (b"%PDF-", True, "key"))


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES, ids=lambda role: role.value if role else "no role")
@pytest.mark.parametrize("entry", list(ENTRY_POINTS))
def test_each_entry_point_refuses_exactly_whom_its_rule_refuses(no_pdf, role, entry):
    user = UserFactory(username="someone", role=role)
    permission, call = ENTRY_POINTS[entry]
    if can(user, permission):
        call(user)
    else:
        with pytest.raises(PermissionDenied):
            call(user)


@pytest.mark.django_db
def test_an_inactive_finance_officer_is_refused_as_anyone_without_a_role(no_pdf):
    user = UserFactory(username="gone", role=Role.FINANCE_OFFICER)
    user.is_active = False
    user.save()
    for _, call in ENTRY_POINTS.values():
        with pytest.raises(PermissionDenied):
            call(user)


# A plan's own pages: 404 for a plan the user may not see, 403 for one they see but may not change.

PLAN_ENTRY_POINTS: dict[str, Callable[..., Any]] = {
    "edit": plan_selectors.plan_to_edit,
    "submit": plan_selectors.plan_to_submit,
    "attach": plan_selectors.plan_to_attach_to,
}


@pytest.mark.parametrize("entry", list(PLAN_ENTRY_POINTS))
def test_a_draft_plan_is_changed_by_its_manager_only(entry, plan, other_manager, finance):
    select = PLAN_ENTRY_POINTS[entry]
    assert select(user=plan.managers.get(), pk=plan.pk) == plan
    for outsider in (other_manager, finance):  # a draft is private: not found
        with pytest.raises(Http404):
            select(user=outsider, pk=plan.pk)


@pytest.mark.parametrize("entry", list(PLAN_ENTRY_POINTS))
def test_a_submitted_plan_is_seen_but_changed_by_nobody(entry, manager, finance, executive, administrator):
    submitted = PlanFactory(status=DeficitRecoveryPlan.Status.SUBMITTED, managers=[manager])
    for user in (manager, finance, executive, administrator):
        with pytest.raises(PermissionDenied):
            PLAN_ENTRY_POINTS[entry](user=user, pk=submitted.pk)


def test_the_plan_report_follows_the_plan_view_rule(plan, manager, other_manager, finance):
    asked = report_selectors.PlanRequest(plan_id=plan.pk)
    assert report_selectors.report_for_user(user=manager, request=asked).title
    for outsider in (other_manager, finance):  # the draft is its managers' own
        with pytest.raises(Http404):
            report_selectors.report_for_user(user=outsider, request=asked)
        assert not report_selectors.may_read_report(user=outsider, kind="plan", params={"plan_id": plan.pk})
    assert report_selectors.may_read_report(user=manager, kind="plan", params={"plan_id": plan.pk})
