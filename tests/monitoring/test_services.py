"""Writing monitoring data through the services: quarterly updates and their review, scheme
figures and RAG, the quarter lock, and the history every change leaves."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from monitoring import selectors, services
from monitoring.models import MilestoneProgress, MonitoringQuarter, PlanUpdate, QuarterLockEvent, SchemeQuarter
from monitoring.services import ProgressData, QuarterLocked
from plans.roles import Role
from recovery.history import history_of
from recovery.periods import FinancialYear, Period, Quarter
from recovery.rag import RAG
from tests.factories import MilestoneFactory, PlanUpdateFactory, SchemeFactory, SchemeQuarterFactory, UserFactory
from tests.monitoring.conftest import PLAN_PERIOD

pytestmark = pytest.mark.django_db

NARRATIVE = "Conversations with staff with regards to moving to permanent contracts are ongoing."
COMPLETE = {"on_target": "partial", "narrative": NARRATIVE}


def save(plan, user, *, quarter=Quarter.Q2, submit=False, progress=(), **fields):
    return services.plan_update_save(
        plan=plan, quarter=quarter, user=user, fields=fields, progress=progress, submit=submit
    )


def errors_of(excinfo) -> dict[str, list[str]]:
    return excinfo.value.message_dict


# plan_update_save


def test_manager_of_a_submitted_plan_saves_a_draft(live_plan, manager):
    update = save(live_plan, manager, on_target="partial", narrative="Half-way there.")
    update.refresh_from_db()
    assert update.plan == live_plan
    assert update.quarter == Quarter.Q2
    assert update.status == PlanUpdate.Status.DRAFT
    assert update.on_target == "partial"
    assert update.narrative == "Half-way there."
    assert update.submitted_by is None
    assert update.submitted_at is None


def test_a_draft_can_be_saved_incomplete_and_finished_later(live_plan, manager):
    save(live_plan, manager, narrative="Started.")
    update = save(live_plan, manager, submit=True, on_target="yes")
    update.refresh_from_db()
    assert PlanUpdate.objects.count() == 1
    assert update.narrative == "Started."
    assert update.on_target == "yes"
    assert update.status == PlanUpdate.Status.SUBMITTED


def test_manager_submits_an_update(live_plan, manager):
    update = save(live_plan, manager, submit=True, **COMPLETE)
    update.refresh_from_db()
    assert update.status == PlanUpdate.Status.SUBMITTED
    assert update.submitted_by == manager
    assert update.submitted_at is not None


def test_manager_of_a_draft_plan_cannot_start_an_update(plan, manager):
    # The plan itself has not been submitted yet: there is nothing to monitor.
    with pytest.raises(PermissionDenied):
        save(plan, manager, **COMPLETE)
    assert not PlanUpdate.objects.exists()


@pytest.mark.parametrize("who", ["other_manager", "finance", "executive", "administrator"])
def test_only_the_plans_manager_can_start_an_update(live_plan, who, request):
    user = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        save(live_plan, user, **COMPLETE)
    assert not PlanUpdate.objects.exists()


def test_other_manager_cannot_change_an_existing_draft(live_plan, manager, other_manager):
    save(live_plan, manager, narrative="Mine.")
    with pytest.raises(PermissionDenied):
        save(live_plan, other_manager, narrative="Theirs.")
    assert PlanUpdate.objects.get().narrative == "Mine."


def test_a_superuser_is_not_a_manager_of_the_plan(live_plan):
    admin = UserFactory(username="superadmin", is_superuser=True, is_staff=True, role=Role.ADMINISTRATOR)
    with pytest.raises(PermissionDenied):
        save(live_plan, admin, **COMPLETE)


def test_submit_no_without_an_alternative_proposal_is_refused(live_plan, manager):
    with pytest.raises(ValidationError) as excinfo:
        save(live_plan, manager, submit=True, on_target="no", narrative=NARRATIVE)
    errors = errors_of(excinfo)
    assert set(errors) == {"alternative_proposal"}
    assert "THERE IS NO NEW MONEY AVAILABLE" in errors["alternative_proposal"][0]
    assert not PlanUpdate.objects.exists()


def test_submit_no_with_an_alternative_proposal(live_plan, manager):
    update = save(
        live_plan,
        manager,
        submit=True,
        on_target="no",
        narrative=NARRATIVE,
        alternative_proposal="Realign the agency budget to permanent posts.",
    )
    update.refresh_from_db()
    assert update.status == PlanUpdate.Status.SUBMITTED
    assert update.submitted_by == manager
    assert update.alternative_proposal == "Realign the agency budget to permanent posts."


def test_submit_needs_an_answer_and_a_narrative(live_plan, manager):
    with pytest.raises(ValidationError) as excinfo:
        save(live_plan, manager, submit=True)
    assert set(errors_of(excinfo)) == {"on_target", "narrative"}


def test_an_answer_that_is_not_yes_partial_or_no_is_refused(live_plan, manager):
    with pytest.raises((ValidationError, ValueError)):
        save(live_plan, manager, on_target="maybe", narrative=NARRATIVE)
    assert not PlanUpdate.objects.exists()


def test_a_slipped_milestone_needs_a_revised_date(live_plan, manager, milestone):
    with pytest.raises(ValidationError) as excinfo:
        save(
            live_plan,
            manager,
            submit=True,
            progress=[ProgressData(milestone_id=milestone.pk, status=MilestoneProgress.Status.SLIPPED)],
            milestones_explanation="Recruitment took longer.",
            recovery_actions="Interviews are booked.",
            **COMPLETE,
        )
    assert set(errors_of(excinfo)) == {f"milestone-{milestone.pk}"}
    assert not MilestoneProgress.objects.exists()


def test_a_missed_milestone_needs_an_explanation_and_recovery_actions(live_plan, manager, milestone):
    with pytest.raises(ValidationError) as excinfo:
        save(
            live_plan,
            manager,
            submit=True,
            progress=[ProgressData(milestone_id=milestone.pk, status=MilestoneProgress.Status.NOT_MET)],
            **COMPLETE,
        )
    assert set(errors_of(excinfo)) == {"milestones_explanation", "recovery_actions"}


def test_a_slipped_milestone_keeps_its_original_date(live_plan, manager, milestone):
    update = save(
        live_plan,
        manager,
        submit=True,
        progress=[
            ProgressData(
                milestone_id=milestone.pk, status=MilestoneProgress.Status.SLIPPED, revised_due_text="March 2024"
            )
        ],
        milestones_explanation="Recruitment took longer than planned.",
        recovery_actions="Interviews are booked for January.",
        **COMPLETE,
    )
    progress = MilestoneProgress.objects.get(update=update, milestone=milestone)
    assert progress.status == MilestoneProgress.Status.SLIPPED
    assert progress.revised_due_text == "March 2024"
    assert progress.revised_due_date == date(2024, 3, 31)
    milestone.refresh_from_db()
    assert milestone.due_text == "December 23"
    assert milestone.due_date == date(2023, 12, 31)
    assert selectors.current_due(milestone, [progress]) == date(2024, 3, 31)


def test_a_milestone_of_another_plan_is_refused(live_plan, manager, other_live_plan):
    theirs = MilestoneFactory(plan=other_live_plan, due_text="January 24")
    with pytest.raises(ValidationError):
        save(live_plan, manager, progress=[ProgressData(milestone_id=theirs.pk)], **COMPLETE)
    assert not PlanUpdate.objects.exists()
    assert not MilestoneProgress.objects.exists()


def test_after_submitting_the_manager_cannot_change_it_until_finance_returns_it(live_plan, manager, finance):
    update = save(live_plan, manager, submit=True, **COMPLETE)
    with pytest.raises(PermissionDenied):
        save(live_plan, manager, narrative="Changed my mind.")
    update.refresh_from_db()
    assert update.narrative == NARRATIVE

    with pytest.raises(ValidationError) as excinfo:
        services.plan_update_return(update=update, user=finance, comments="  ")
    assert set(errors_of(excinfo)) == {"finance_comments"}
    update.refresh_from_db()
    assert update.status == PlanUpdate.Status.SUBMITTED

    services.plan_update_return(update=update, user=finance, comments="Say which posts are still agency.")
    update.refresh_from_db()
    assert update.status == PlanUpdate.Status.RETURNED
    assert update.finance_comments == "Say which posts are still agency."
    assert update.reviewed_by == finance

    save(live_plan, manager, narrative="Two posts are still agency.")
    update.refresh_from_db()
    assert update.narrative == "Two posts are still agency."
    assert update.status == PlanUpdate.Status.RETURNED
    save(live_plan, manager, submit=True)
    update.refresh_from_db()
    assert update.status == PlanUpdate.Status.SUBMITTED


@pytest.mark.parametrize("who", ["manager", "executive", "administrator"])
def test_only_finance_returns_an_update(live_plan, manager, who, request):
    update = save(live_plan, manager, submit=True, **COMPLETE)
    with pytest.raises(PermissionDenied):
        services.plan_update_return(update=update, user=request.getfixturevalue(who), comments="No.")
    update.refresh_from_db()
    assert update.status == PlanUpdate.Status.SUBMITTED


def test_a_draft_cannot_be_returned(live_plan, manager, finance):
    update = save(live_plan, manager, **COMPLETE)
    with pytest.raises(PermissionDenied):
        services.plan_update_return(update=update, user=finance, comments="Not yet submitted.")


# plan_update_approve


@pytest.fixture
def submitted_update(live_plan, manager):
    return save(live_plan, manager, submit=True, **COMPLETE)


def test_finance_approves_with_the_rag_the_answer_implies(submitted_update, finance):
    services.plan_update_approve(update=submitted_update, user=finance)
    submitted_update.refresh_from_db()
    assert submitted_update.status == PlanUpdate.Status.APPROVED
    assert submitted_update.rag == "AMBER"  # Partial = AMBER
    assert submitted_update.reviewed_by == finance
    assert submitted_update.reviewed_at is not None


@pytest.mark.parametrize(("answer", "rag"), [("yes", "GREEN"), ("partial", "AMBER"), ("no", "RED")])
def test_the_default_rag_is_the_answers(live_plan, manager, finance, answer, rag):
    update = save(live_plan, manager, submit=True, on_target=answer, narrative=NARRATIVE, alternative_proposal="x")
    services.plan_update_approve(update=update, user=finance)
    update.refresh_from_db()
    assert update.rag == rag


def test_finance_can_set_a_different_rag(submitted_update, finance):
    services.plan_update_approve(update=submitted_update, user=finance, rag=RAG.RED, comments="Risky.")
    submitted_update.refresh_from_db()
    assert submitted_update.rag == "RED"
    assert submitted_update.finance_comments == "Risky."


@pytest.mark.parametrize("who", ["manager", "other_manager", "executive", "administrator"])
def test_only_finance_approves(submitted_update, who, request):
    with pytest.raises(PermissionDenied):
        services.plan_update_approve(update=submitted_update, user=request.getfixturevalue(who))
    submitted_update.refresh_from_db()
    assert submitted_update.status == PlanUpdate.Status.SUBMITTED
    assert submitted_update.rag == ""


def test_a_draft_cannot_be_approved(live_plan, manager, finance):
    update = save(live_plan, manager, **COMPLETE)
    with pytest.raises(PermissionDenied):
        services.plan_update_approve(update=update, user=finance)


def test_worsening_since_last_quarter_needs_a_reason(live_plan, manager, finance):
    PlanUpdateFactory(plan=live_plan, quarter=Quarter.Q1, on_target="yes", status="approved", rag="GREEN")
    update = save(live_plan, manager, submit=True, **COMPLETE)
    with pytest.raises(ValidationError) as excinfo:
        services.plan_update_approve(update=update, user=finance)
    assert set(errors_of(excinfo)) == {"rag_reason"}
    update.refresh_from_db()
    assert update.status == PlanUpdate.Status.SUBMITTED
    assert update.rag == ""

    services.plan_update_approve(update=update, user=finance, reason="Two milestones have slipped to March.")
    update.refresh_from_db()
    assert update.status == PlanUpdate.Status.APPROVED
    assert update.rag == "AMBER"
    assert update.rag_reason == "Two milestones have slipped to March."


def test_skipping_a_level_since_last_quarter_needs_a_reason(live_plan, manager, finance):
    PlanUpdateFactory(plan=live_plan, quarter=Quarter.Q1, on_target="no", status="approved", rag="RED")
    update = save(live_plan, manager, submit=True, on_target="yes", narrative=NARRATIVE)
    with pytest.raises(ValidationError) as excinfo:
        services.plan_update_approve(update=update, user=finance)
    assert set(errors_of(excinfo)) == {"rag_reason"}


def test_improving_one_level_or_a_first_rating_needs_no_reason(live_plan, manager, finance):
    PlanUpdateFactory(plan=live_plan, quarter=Quarter.Q1, on_target="no", status="approved", rag="RED")
    update = save(live_plan, manager, submit=True, **COMPLETE)  # RED -> AMBER
    services.plan_update_approve(update=update, user=finance)
    update.refresh_from_db()
    assert update.rag == "AMBER"


def test_a_first_rating_needs_no_reason(live_plan, manager, finance):
    update = save(
        live_plan, manager, quarter=Quarter.Q1, submit=True, on_target="no", narrative=NARRATIVE,
        alternative_proposal="Realign the agency budget.",
    )  # fmt: skip
    services.plan_update_approve(update=update, user=finance)
    update.refresh_from_db()
    assert update.rag == "RED"


# scheme_quarter_save


@pytest.fixture
def scheme(db):
    """Seed 004's 7: Market development of major homecare provider (target 143,000)."""
    return SchemeFactory(ref="7", title="Market development of major homecare provider", target=Decimal("143000"))


def save_scheme(scheme, user, *, quarter=Quarter.Q2, rag=None, reason="", **fields):
    return services.scheme_quarter_save(
        scheme=scheme, quarter=quarter, user=user, fields=fields, rag=rag, rag_reason=reason
    )


@pytest.mark.parametrize("who", ["manager", "executive", "administrator"])
def test_only_finance_changes_scheme_figures(scheme, who, request):
    with pytest.raises(PermissionDenied):
        save_scheme(scheme, request.getfixturevalue(who), rag=RAG.RED, ytd_budget=Decimal("47672"))
    assert not SchemeQuarter.objects.exists()


def test_a_superuser_cannot_change_scheme_figures(scheme):
    admin = UserFactory(username="superadmin", is_superuser=True, is_staff=True, role=Role.ADMINISTRATOR)
    with pytest.raises(PermissionDenied):
        save_scheme(scheme, admin, rag=RAG.RED)
    assert not SchemeQuarter.objects.exists()


def test_finance_saves_figures_rag_and_commentary(scheme, finance):
    save_scheme(
        scheme,
        finance,
        rag=RAG.RED,
        ytd_budget=Decimal("47672"),
        ytd_actual=Decimal("0"),
        projected_shortfall=Decimal("143000"),
        forecast_year_end=Decimal("0.50"),
        commentary="Provider has withdrawn.",
    )
    row = SchemeQuarter.objects.get(scheme=scheme, quarter=Quarter.Q2)
    assert row.ytd_budget == Decimal("47672")
    assert row.ytd_actual == Decimal("0")
    assert row.projected_shortfall == Decimal("143000")
    assert row.forecast_year_end == Decimal("0.50")
    assert row.forecast_next_year is None
    assert row.rag == "RED"
    assert row.commentary == "Provider has withdrawn."
    assert row.updated_by == finance
    assert row.balance_to_achieve == Decimal("143000")


def test_a_figure_can_be_cleared_to_nil(scheme, finance):
    save_scheme(scheme, finance, rag=RAG.GREEN, ytd_budget=Decimal("100"))
    save_scheme(scheme, finance, rag=RAG.GREEN, ytd_budget=None)
    assert SchemeQuarter.objects.get().ytd_budget is None


def test_worsening_green_to_amber_needs_a_reason(scheme, finance):
    save_scheme(scheme, finance, rag=RAG.GREEN)
    with pytest.raises(ValidationError) as excinfo:
        save_scheme(scheme, finance, rag=RAG.AMBER, ytd_actual=Decimal("1"))
    assert set(errors_of(excinfo)) == {"rag_reason"}
    row = SchemeQuarter.objects.get()
    assert row.rag == "GREEN"
    assert row.ytd_actual is None

    save_scheme(scheme, finance, rag=RAG.AMBER, reason="Provider has not signed.")
    row.refresh_from_db()
    assert row.rag == "AMBER"
    assert row.rag_reason == "Provider has not signed."


def test_worsening_since_last_quarter_needs_a_reason_for_a_first_rating_this_quarter(scheme, finance):
    SchemeQuarterFactory(scheme=scheme, quarter=Quarter.Q1, rag="GREEN")
    with pytest.raises(ValidationError) as excinfo:
        save_scheme(scheme, finance, rag=RAG.AMBER)
    assert set(errors_of(excinfo)) == {"rag_reason"}
    assert not SchemeQuarter.objects.filter(quarter=Quarter.Q2).exists()


def test_an_improvement_of_one_level_needs_no_reason(scheme, finance):
    SchemeQuarterFactory(scheme=scheme, quarter=Quarter.Q1, rag="RED")
    save_scheme(scheme, finance, rag=RAG.AMBER)
    assert SchemeQuarter.objects.get(quarter=Quarter.Q2).rag == "AMBER"


@pytest.mark.parametrize("quarter", [Quarter.Q1, Quarter.Q2, Quarter.Q4])
def test_a_first_scheme_rating_needs_no_reason(scheme, finance, quarter):
    save_scheme(scheme, finance, quarter=quarter, rag=RAG.RED)
    assert SchemeQuarter.objects.get(quarter=quarter).rag == "RED"


def test_saving_a_quarter_that_had_no_figures_creates_them(scheme, finance):
    SchemeQuarterFactory(scheme=scheme, quarter=Quarter.Q2, rag="AMBER")
    save_scheme(scheme, finance, quarter=Quarter.Q3, rag=RAG.AMBER, ytd_actual=Decimal("2500.50"))
    assert SchemeQuarter.objects.filter(scheme=scheme).count() == 2
    row = SchemeQuarter.objects.get(scheme=scheme, quarter=Quarter.Q3)
    assert row.ytd_actual == Decimal("2500.50")
    assert row.updated_by == finance


def test_saving_nothing_new_writes_no_history(scheme, finance):
    save_scheme(scheme, finance, rag=RAG.GREEN, ytd_budget=Decimal("100"))
    versions = SchemeQuarter.history.count()
    save_scheme(scheme, finance, rag=RAG.GREEN, ytd_budget=Decimal("100"))
    assert SchemeQuarter.history.count() == versions


# The quarter lock


def test_finance_locks_a_quarter(finance):
    record = services.quarter_lock(period=PLAN_PERIOD, user=finance)
    record.refresh_from_db()
    assert record.is_locked
    assert record.locked_by == finance
    event = QuarterLockEvent.objects.get()
    assert (event.action, event.user, event.reason) == ("locked", finance, "")


@pytest.mark.parametrize("who", ["manager", "executive", "administrator"])
def test_only_finance_locks(who, request):
    with pytest.raises(PermissionDenied):
        services.quarter_lock(period=PLAN_PERIOD, user=request.getfixturevalue(who))
    assert not MonitoringQuarter.objects.filter(locked_at__isnull=False).exists()
    assert not QuarterLockEvent.objects.exists()


def test_locking_twice_is_refused(finance):
    services.quarter_lock(period=PLAN_PERIOD, user=finance)
    with pytest.raises(ValidationError, match="already locked"):
        services.quarter_lock(period=PLAN_PERIOD, user=finance)
    assert QuarterLockEvent.objects.count() == 1


@pytest.fixture
def quarter_in_progress(live_plan, other_live_plan, manager, other_manager, scheme, finance):
    """Q2 2023/24 half-way: a draft update, a submitted one, scheme figures; then locked."""
    draft = save(live_plan, manager, **COMPLETE)
    submitted = save(other_live_plan, other_manager, submit=True, **COMPLETE)
    save_scheme(scheme, finance, rag=RAG.GREEN, ytd_budget=Decimal("47672"))
    return {"draft": draft, "submitted": submitted, "scheme": scheme}


def snapshot() -> dict[str, object]:
    """Everything a write could change, history included."""
    return {
        "updates": list(PlanUpdate.objects.order_by("pk").values()),
        "schemes": list(SchemeQuarter.objects.order_by("pk").values()),
        "progress": list(MilestoneProgress.objects.order_by("pk").values()),
        "history": (PlanUpdate.history.count(), SchemeQuarter.history.count()),
    }


WRITES = {
    "plan_update_save": lambda s, users: save(s["draft"].plan, users["manager"], narrative="Late edit."),
    "plan_update_submit": lambda s, users: save(s["draft"].plan, users["manager"], submit=True),
    "plan_update_approve": lambda s, users: services.plan_update_approve(update=s["submitted"], user=users["finance"]),
    "plan_update_return": lambda s, users: services.plan_update_return(
        update=s["submitted"], user=users["finance"], comments="Too late?"
    ),
    "plan_update_set_rag": lambda s, users: services.plan_update_set_rag(
        update=s["submitted"], user=users["finance"], rag=RAG.AMBER
    ),
    "scheme_quarter_save": lambda s, users: save_scheme(
        s["scheme"], users["finance"], rag=RAG.GREEN, ytd_budget=Decimal("1")
    ),
}


@pytest.mark.parametrize("write", list(WRITES))
def test_after_lock_every_write_is_refused_and_nothing_changes(quarter_in_progress, manager, finance, write):
    users = {"manager": manager, "finance": finance}
    services.quarter_lock(period=PLAN_PERIOD, user=finance)
    before = snapshot()
    with pytest.raises(QuarterLocked) as excinfo:
        WRITES[write](quarter_in_progress, users)
    assert isinstance(excinfo.value, PermissionDenied)
    assert excinfo.value.period == PLAN_PERIOD
    assert snapshot() == before


def test_a_new_update_in_a_locked_quarter_is_refused(live_plan, manager, finance):
    services.quarter_lock(period=PLAN_PERIOD, user=finance)
    with pytest.raises(QuarterLocked):
        save(live_plan, manager, **COMPLETE)
    assert not PlanUpdate.objects.exists()


def test_locking_one_quarter_leaves_the_next_open(scheme, finance, live_plan, manager):
    services.quarter_lock(period=PLAN_PERIOD, user=finance)
    save_scheme(scheme, finance, quarter=Quarter.Q3, rag=RAG.RED)
    save(live_plan, manager, quarter=Quarter.Q3, **COMPLETE)
    assert SchemeQuarter.objects.get().quarter == Quarter.Q3
    assert PlanUpdate.objects.get().quarter == Quarter.Q3


def test_locking_a_quarter_of_another_year_leaves_this_one_open(scheme, finance):
    services.quarter_lock(period=Period(FinancialYear(2022), Quarter.Q2), user=finance)
    save_scheme(scheme, finance, rag=RAG.RED)
    assert SchemeQuarter.objects.get().rag == "RED"


@pytest.mark.parametrize("who", ["finance", "manager", "executive"])
def test_only_an_administrator_reopens(finance, who, request):
    services.quarter_lock(period=PLAN_PERIOD, user=finance)
    with pytest.raises(PermissionDenied):
        services.quarter_reopen(period=PLAN_PERIOD, user=request.getfixturevalue(who), reason="Correction.")
    assert MonitoringQuarter.objects.get().is_locked


@pytest.mark.parametrize("reason", ["", "   "])
def test_reopening_needs_a_reason(finance, administrator, reason):
    services.quarter_lock(period=PLAN_PERIOD, user=finance)
    with pytest.raises(ValidationError) as excinfo:
        services.quarter_reopen(period=PLAN_PERIOD, user=administrator, reason=reason)
    assert set(errors_of(excinfo)) == {"reason"}
    assert MonitoringQuarter.objects.get().is_locked


def test_reopening_an_open_quarter_is_refused(administrator):
    with pytest.raises(ValidationError, match="not locked"):
        services.quarter_reopen(period=PLAN_PERIOD, user=administrator, reason="Nothing to reopen.")
    assert not QuarterLockEvent.objects.exists()


def test_reopen_records_who_and_why_and_writes_work_again(quarter_in_progress, manager, finance, administrator):
    services.quarter_lock(period=PLAN_PERIOD, user=finance)
    record = services.quarter_reopen(
        period=PLAN_PERIOD, user=administrator, reason="  Q2 figures for scheme 7 were wrong.  "
    )
    record.refresh_from_db()
    assert not record.is_locked
    assert record.locked_by is None
    events = list(QuarterLockEvent.objects.order_by("at", "pk").values_list("action", "user", "reason"))
    assert events == [
        ("locked", finance.pk, ""),
        ("reopened", administrator.pk, "Q2 figures for scheme 7 were wrong."),
    ]
    assert list(selectors.quarter_events(PLAN_PERIOD).values_list("action", flat=True)) == ["locked", "reopened"]

    save_scheme(quarter_in_progress["scheme"], finance, rag=RAG.GREEN, ytd_budget=Decimal("1"))
    assert SchemeQuarter.objects.get().ytd_budget == Decimal("1")
    save(quarter_in_progress["draft"].plan, manager, narrative="Late edit.")
    assert PlanUpdate.objects.get(pk=quarter_in_progress["draft"].pk).narrative == "Late edit."
    services.plan_update_approve(update=quarter_in_progress["submitted"], user=finance)

    services.quarter_lock(period=PLAN_PERIOD, user=finance)
    assert QuarterLockEvent.objects.count() == 3


# History


@pytest.fixture
def rated_twice(scheme, finance):
    """Scheme 7 rated GREEN, then AMBER, then RED in Q2, by finance."""
    save_scheme(scheme, finance, rag=RAG.GREEN, ytd_budget=Decimal("47672"))
    save_scheme(scheme, finance, rag=RAG.AMBER, reason="Provider is late.")
    save_scheme(scheme, finance, rag=RAG.RED, reason="Provider has withdrawn.")
    return SchemeQuarter.objects.get(scheme=scheme, quarter=Quarter.Q2)


def test_every_change_is_in_the_history(rated_twice):
    records = list(rated_twice.history.order_by("history_date", "history_id"))
    assert [record.rag for record in records] == ["GREEN", "AMBER", "RED"]
    assert [record.history_type for record in records] == ["+", "~", "~"]
    assert [record.rag_reason for record in records] == ["", "Provider is late.", "Provider has withdrawn."]


def test_the_history_records_who_made_each_change(rated_twice, finance):
    # The service knows who is acting (it records updated_by); so must the history, whether the
    # change comes from a page, a command or a task.
    records = list(rated_twice.history.order_by("history_date", "history_id"))
    assert [record.history_user for record in records] == [finance, finance, finance]


def test_history_of_lists_the_changes_newest_first_with_who(rated_twice, finance):
    changes = history_of(rated_twice, reason_field="rag_reason")
    assert [change.kind for change in changes] == ["changed", "changed", "created"]
    assert changes[0].when >= changes[1].when >= changes[2].when
    assert ("RAG", "Amber", "Red") in changes[0].changes
    assert ("RAG", "Green", "Amber") in changes[1].changes
    assert changes[0].reason == "Provider has withdrawn."
    assert changes[1].reason == "Provider is late."
    name = finance.get_full_name()
    assert [change.who for change in changes] == [name, name, name]


def test_rag_as_at_a_moment_between_two_edits(scheme, finance):
    save_scheme(scheme, finance, rag=RAG.GREEN, ytd_actual=Decimal("0"))
    moment = SchemeQuarter.history.latest("history_date").history_date
    save_scheme(scheme, finance, rag=RAG.AMBER, reason="Provider is late.", ytd_actual=Decimal("10"))

    then = selectors.scheme_quarters_as_at(period=PLAN_PERIOD, moment=moment)
    assert set(then) == {scheme.pk}
    assert then[scheme.pk].rag == "GREEN"
    assert then[scheme.pk].ytd_actual == Decimal("0")
    assert SchemeQuarter.objects.get().rag == "AMBER"


def test_rag_as_at_a_moment_before_any_rating_is_empty(scheme, finance):
    SchemeQuarterFactory(scheme=SchemeFactory(financial_year=FinancialYear(2022)), quarter=Quarter.Q2)
    moment = SchemeQuarter.history.latest("history_date").history_date
    save_scheme(scheme, finance, rag=RAG.GREEN)
    assert selectors.scheme_quarters_as_at(period=PLAN_PERIOD, moment=moment) == {}
