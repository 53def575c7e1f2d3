"""Drafts are private: a draft plan or a draft update is read only by the plan's managers (and a
returned update also by finance); executives, other managers and every report, PDF, pack, CSV
and JSON see submitted or approved content only."""

from __future__ import annotations

import json
from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from monitoring.models import MilestoneProgress, PlanUpdate
from plans.models import DeficitRecoveryPlan
from recovery.periods import FinancialYear, Period, Quarter
from recovery.reporting import selectors as report_selectors
from recovery.reporting.renderers import render_json
from tests.factories import MilestoneFactory, PlanUpdateFactory

pytestmark = pytest.mark.django_db

MARKER = "Private-draft-wording-7Q"
READERS = ["finance", "executive", "administrator"]
EVERYONE = ["manager", "other_manager", *READERS]

# Who reads an update's content, by the update's status (the plan is submitted).
READS_UPDATE: dict[str, set[str]] = {
    "draft": {"manager"},
    "returned": {"manager", "finance"},
    "submitted": {"manager", "finance", "executive", "administrator"},
    "approved": {"manager", "finance", "executive", "administrator"},
}


def _submit(plan: DeficitRecoveryPlan) -> DeficitRecoveryPlan:
    plan.status = DeficitRecoveryPlan.Status.SUBMITTED
    plan.save()
    return plan


@pytest.fixture
def update_of(plan, manager):
    """The manager's submitted plan with a Q3 update of a given status whose text is MARKER."""

    def make(status: str) -> PlanUpdate:
        _submit(plan)
        milestone = MilestoneFactory(plan=plan, details="Recruit two IROs", due_text="December 23")
        update = PlanUpdateFactory(
            plan=plan,
            quarter=Quarter.Q3,
            status=status,
            on_target="no",
            narrative=f"Narrative {MARKER}",
            alternative_proposal=f"Proposal {MARKER}",
            submitted_by=manager,
        )
        MilestoneProgress.objects.create(
            update=update,
            milestone=milestone,
            status="slipped",
            revised_due_text=f"March 24 {MARKER}",
            revised_due_date=date(2024, 3, 31),
        )
        return update

    return make


def _login(client, request, who: str):
    user = request.getfixturevalue(who)
    client.force_login(user)
    return user


@pytest.mark.parametrize("status", list(READS_UPDATE))
@pytest.mark.parametrize("who", EVERYONE)
def test_an_update_page_shows_its_content_only_to_those_who_may_read_it(
    client, request, update_of, other_plan, who, status
):
    update = update_of(status)
    _login(client, request, who)
    response = client.get(reverse("monitoring:plan_update", args=[update.plan.pk, Quarter.Q3]))
    if who == "other_manager":
        assert response.status_code == 404
        return
    assert response.status_code == 200
    assert (MARKER in response.content.decode()) == (who in READS_UPDATE[status])


@pytest.mark.parametrize("status", list(READS_UPDATE))
@pytest.mark.parametrize("who", EVERYONE)
def test_the_plan_page_and_the_quarter_list_show_a_private_update_as_not_submitted(
    client, request, update_of, other_plan, who, status
):
    update = update_of(status)
    _login(client, request, who)
    detail = client.get(update.plan.get_absolute_url())
    listing = client.get(reverse("monitoring:plan_updates", args=[FinancialYear(2023), Quarter.Q3]))
    shown = who in READS_UPDATE[status]
    label = PlanUpdate.Status(status).label
    if who == "other_manager":
        assert detail.status_code == 404
    else:
        assert (f"<td>{label}</td>" in detail.content.decode()) == shown
    # The answer "No" of a private draft is content too.
    assert (label in listing.content.decode()) == shown
    assert ("No = RED" in listing.content.decode()) == shown


@pytest.mark.parametrize("status", list(READS_UPDATE))
def test_a_plan_report_in_every_format_holds_published_updates_only(update_of, status):
    update = update_of(status)
    report = report_selectors.plan_report(plan=update.plan)
    published = status in ("submitted", "approved")
    assert (MARKER in render_json(report).decode()) == published


@pytest.mark.parametrize("output", ["html", "json", "csv"])
@pytest.mark.parametrize("who", ["manager", *READERS])
def test_a_plan_download_never_prints_a_draft_update(client, request, update_of, who, output):
    update = update_of("draft")
    _login(client, request, who)
    response = client.get(reverse("reporting:plan", args=[update.plan.pk]), {"format": output})
    assert response.status_code == 200
    body = response.content.decode()
    assert MARKER not in body
    if output == "json":
        assert json.loads(body)


@pytest.mark.parametrize("who", EVERYONE)
def test_a_draft_plan_is_its_managers_own(client, request, plan, other_plan, who):
    """Its page, its report in any format and the list of plans: only its managers."""
    _login(client, request, who)
    mine = who == "manager"
    assert client.get(plan.get_absolute_url()).status_code == (200 if mine else 404)
    for output in ("html", "json", "csv", "xlsx"):
        report = client.get(reverse("reporting:plan", args=[plan.pk]), {"format": output})
        assert report.status_code == (200 if mine else 404)
    listing = client.get(reverse("plans:list"), {"scope": "all"})
    assert (plan.get_absolute_url() in listing.content.decode()) == mine


def test_the_exceptions_report_and_pack_leave_out_draft_plans_and_draft_progress(update_of, plan, other_plan):
    """Milestones of a draft plan, and a revised date given only in a draft update, are in no
    report (the committee pack is built from these reports)."""
    MilestoneFactory(plan=other_plan, details=f"Draft plan milestone {MARKER}", due_text="June 23")
    update = update_of("draft")
    period = Period(FinancialYear(2023), Quarter.Q3)
    report = report_selectors.exceptions_report(period=period)
    text = render_json(report).decode()
    assert MARKER not in text
    assert "Recruit two IROs" in text  # the submitted plan's milestone, at its original date
    assert [(line.due, line.revised) for line in report_selectors.milestone_lines(period=period)] == [
        (date(2023, 12, 31), False)
    ]
    update.status = PlanUpdate.Status.SUBMITTED
    update.save()
    assert [(line.due, line.revised) for line in report_selectors.milestone_lines(period=period)] == [
        (date(2024, 3, 31), True)
    ]


def test_export_report_refuses_a_draft_plan(plan):
    with pytest.raises(CommandError, match="draft"):
        call_command(
            "export_report", "plan", "--id", str(plan.pk), "--format", "json", "--output", "-", stdout=StringIO()
        )


def test_readers_see_a_plans_history_from_its_submission_on(client, plan, manager, executive):
    """The drafting before submission is the managers' own; what changed afterwards is not."""
    from plans import services

    services.plan_update(plan=plan, user=manager, fields={"pressure_note": f"Early draft {MARKER}"})
    services.plan_update(plan=plan, user=manager, fields={"pressure_note": "As submitted"})
    services.plan_submit(plan=plan, user=manager)
    client.force_login(executive)
    page = client.get(plan.get_absolute_url()).content.decode()
    assert MARKER not in page
    client.force_login(manager)
    assert MARKER in client.get(plan.get_absolute_url()).content.decode()
