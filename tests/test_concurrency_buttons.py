"""Optimistic locking on the two forms that had none: finance's review of a quarterly update
(approve, return, set the plan's RAG) and the plan page's Submit button. Each carries the
version it was shown with: a stale one is refused with 409 showing the other person's change
and (for the review) everything typed; a POST without it is a 400; nothing is saved either way."""

from __future__ import annotations

import html

import pytest
from django.test import Client
from django.urls import reverse

from monitoring import services as monitoring_services
from monitoring.models import PlanUpdate
from plans import services as plan_services
from plans.models import DeficitRecoveryPlan
from plans.roles import Role
from recovery.concurrency import MISSING_VERSION, ConcurrentEdit
from recovery.periods import Quarter
from tests.factories import PlanUpdateFactory, UserFactory
from tests.test_concurrency import CONFLICT_HEADING, hidden_version, snapshot

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return html.unescape(response.content.decode())


# Finance's review of a quarterly update --------------------------------------------------------


@pytest.fixture
def submitted_update(plan, manager):
    plan.status = DeficitRecoveryPlan.Status.SUBMITTED
    plan.save()
    return PlanUpdateFactory(
        plan=plan, quarter=Quarter.Q2, status="submitted", submitted_by=manager, on_target="partial"
    )


@pytest.fixture
def colleague_finance(db):
    return UserFactory(username="colleague_finance", first_name="Femi", last_name="Second", role=Role.FINANCE_OFFICER)


def review_url(plan) -> str:
    return reverse("monitoring:plan_update_review", args=[plan.pk, Quarter.Q2])


def update_url(plan) -> str:
    return reverse("monitoring:plan_update", args=[plan.pk, Quarter.Q2])


def test_the_review_form_carries_the_updates_version(client, finance, submitted_update, plan):
    client.force_login(finance)
    page = text(client.get(update_url(plan)))
    review_form = page[page.index('id="review-heading"') :]
    assert hidden_version(review_form) == str(submitted_update.version)


TYPED_REVIEW = {
    "decision": "set_rag",
    "rag": "RED",
    "rag_reason": "typed reason: recruitment has stopped",
    "comments": "typed comments for the manager",
}


@pytest.mark.parametrize(
    "their_change",
    [
        lambda update, user: monitoring_services.plan_update_set_rag(
            update=update, user=user, rag=monitoring_services.RAG.GREEN
        ),
        lambda update, user: monitoring_services.plan_update_approve(update=update, user=user, comments="Agreed."),
        lambda update, user: monitoring_services.plan_update_return(update=update, user=user, comments="Redo it."),
    ],
    ids=["set-rag", "approve", "return"],
)
@pytest.mark.parametrize("decision", ["set_rag", "approve", "return"])
def test_a_stale_review_is_refused_with_409_keeping_what_was_typed(
    client, finance, colleague_finance, submitted_update, plan, their_change, decision
):
    client.force_login(finance)
    opened_at = hidden_version(text(client.get(update_url(plan))))
    their_change(submitted_update, colleague_finance)
    before = snapshot(PlanUpdate)

    response = client.post(review_url(plan), {**TYPED_REVIEW, "decision": decision, "version": opened_at})

    assert response.status_code == 409
    assert snapshot(PlanUpdate) == before
    page = text(response)
    assert CONFLICT_HEADING in page
    assert "Femi Second saved this while you were editing it." in page
    review_form = page[page.index('id="review-heading"') :]
    assert TYPED_REVIEW["rag_reason"] in review_form
    assert TYPED_REVIEW["comments"] in review_form
    if PlanUpdate.objects.get().status == PlanUpdate.Status.SUBMITTED:
        # Still open to every decision: the one chosen stays chosen. (Once the colleague has
        # approved or returned it, only changing the plan's RAG is left to choose.)
        index = ["approve", "return", "set_rag"].index(decision)
        assert f'value="{decision}" id="id_decision_{index}" checked' in review_form
    assert '<option value="RED" selected>' in review_form
    # The form now carries the current version: recording it again goes over the newer one.
    assert hidden_version(review_form) == str(PlanUpdate.objects.get().version)


def test_reviewing_again_after_the_conflict_is_recorded(client, finance, colleague_finance, submitted_update, plan):
    client.force_login(finance)
    monitoring_services.plan_update_set_rag(
        update=submitted_update, user=colleague_finance, rag=monitoring_services.RAG.GREEN
    )
    conflict = client.post(review_url(plan), {**TYPED_REVIEW, "version": "1"})
    assert conflict.status_code == 409

    page = text(conflict)
    again = client.post(
        review_url(plan), {**TYPED_REVIEW, "version": hidden_version(page[page.index('id="review-heading"') :])}
    )

    assert again.status_code == 302
    update = PlanUpdate.objects.get()
    assert (update.rag, update.rag_reason) == ("RED", TYPED_REVIEW["rag_reason"])


def test_the_managers_resubmission_makes_finances_open_review_stale(client, finance, manager, submitted_update, plan):
    client.force_login(finance)
    opened_at = hidden_version(text(client.get(update_url(plan))))
    submitted_update.narrative = "the manager's newer narrative"
    submitted_update.version += 1
    submitted_update.save()

    response = client.post(review_url(plan), {**TYPED_REVIEW, "decision": "approve", "version": opened_at})

    assert response.status_code == 409
    assert PlanUpdate.objects.get().status == PlanUpdate.Status.SUBMITTED


@pytest.mark.parametrize("version", [None, "", "abc", "-1"])
def test_a_review_without_a_version_is_a_400_and_records_nothing(client, finance, submitted_update, plan, version):
    client.force_login(finance)
    data = dict(TYPED_REVIEW)
    if version is not None:
        data["version"] = version
    before = snapshot(PlanUpdate)

    response = client.post(review_url(plan), data)

    assert response.status_code == 400
    assert MISSING_VERSION in text(response)
    assert snapshot(PlanUpdate) == before


def test_a_review_by_someone_who_may_not_review_is_still_403_without_a_version(client, manager, submitted_update, plan):
    client.force_login(manager)
    assert client.post(review_url(plan), TYPED_REVIEW).status_code == 403


def test_the_review_service_refuses_a_stale_version(finance, colleague_finance, submitted_update):
    monitoring_services.plan_update_set_rag(
        update=submitted_update, user=colleague_finance, rag=monitoring_services.RAG.GREEN
    )
    with pytest.raises(ConcurrentEdit):
        monitoring_services.plan_update_review(
            update=submitted_update,
            user=finance,
            decision=monitoring_services.ReviewDecision.SET_RAG,
            rag=monitoring_services.RAG.RED,
            reason="x",
            expected_version=1,
        )
    assert PlanUpdate.objects.get().rag == "GREEN"


# The plan page's Submit button ----------------------------------------------------------------


@pytest.fixture
def colleague(service_area):
    user = UserFactory(username="colleague", first_name="Priya", last_name="Colleague", role=Role.SERVICE_MANAGER)
    service_area.managers.add(user)
    return user


def submit_url(plan) -> str:
    return reverse("plans:submit", args=[plan.pk])


def test_the_submit_button_carries_the_plans_version(client, manager, plan):
    client.force_login(manager)
    page = text(client.get(reverse("plans:detail", args=[plan.pk])))
    form = page[page.index(f'action="{submit_url(plan)}"') :]
    assert hidden_version(form) == str(plan.version)


def test_a_stale_submit_is_refused_with_409_showing_their_change(client, manager, colleague, plan):
    client.force_login(manager)
    page = text(client.get(reverse("plans:detail", args=[plan.pk])))
    shown_at = hidden_version(page[page.index(f'action="{submit_url(plan)}"') :])
    plan_services.plan_update(
        plan=plan, user=colleague, fields={"context": "colleague's newer context"}, expected_version=plan.version
    )
    before = snapshot(DeficitRecoveryPlan)

    response = client.post(submit_url(plan), {"version": shown_at})

    assert response.status_code == 409
    assert snapshot(DeficitRecoveryPlan) == before
    page = text(response)
    assert "Changed by someone else since you opened this page: not submitted" in page
    assert "Priya Colleague" in page
    assert "colleague's newer context" in page
    # The page now shows the plan as it is, with its current version on the button.
    plan.refresh_from_db()
    assert plan.is_draft
    assert hidden_version(page[page.index(f'action="{submit_url(plan)}"') :]) == str(plan.version)

    # Pressed again: the confirmation page (the plan's submission needs confirming), then confirmed.
    assert client.post(submit_url(plan), {"version": str(plan.version)}).status_code == 200
    assert plan.is_draft
    again = client.post(submit_url(plan), {"version": str(plan.version), "confirm": "1"})
    assert again.status_code == 302
    plan.refresh_from_db()
    assert plan.status == DeficitRecoveryPlan.Status.SUBMITTED


@pytest.mark.parametrize("version", [None, "", "x1"])
def test_a_submit_without_a_version_is_a_400_and_submits_nothing(client, manager, plan, version):
    client.force_login(manager)
    response = client.post(submit_url(plan), {} if version is None else {"version": version})
    assert response.status_code == 400
    assert MISSING_VERSION in text(response)
    plan.refresh_from_db()
    assert plan.is_draft


def test_two_submits_of_the_same_version_one_wins(client, manager, colleague, plan):
    other = Client()
    other.force_login(colleague)
    client.force_login(manager)
    confirmed = {"version": str(plan.version), "confirm": "1"}
    assert other.post(submit_url(plan), confirmed).status_code == 302
    # The plan is submitted now: the second press is refused (it is no longer editable by anyone).
    assert client.post(submit_url(plan), confirmed).status_code == 403
    assert DeficitRecoveryPlan.objects.get().submitted_by == colleague
