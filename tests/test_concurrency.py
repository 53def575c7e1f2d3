"""Two people editing the same record at once (optimistic locking): the second save over a stale
version is refused with 409, keeps everything typed, shows the other person's change and saves
nothing; saving again over the newer version goes through. Commands (no version) still work."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from monitoring import services as monitoring_services
from monitoring.models import PlanUpdate, SchemeQuarter
from plans import services as plan_services
from plans.models import DeficitRecoveryPlan, Milestone
from plans.roles import Role
from recovery.concurrency import ConcurrentEdit
from recovery.periods import FinancialYear, Quarter
from tests.factories import PlanUpdateFactory, SchemeFactory, SchemeQuarterFactory, UserFactory

pytestmark = pytest.mark.django_db

CONFLICT_HEADING = "Saved by someone else while you were editing"


def hidden_version(content: str) -> str:
    match = re.search(r'name="version" value="(\d+)"', content) or re.search(
        r'value="(\d+)"[^>]*name="version"', content
    )
    assert match, "the form has no hidden version"
    return match.group(1)


def snapshot(model, **filters):
    return list(model.objects.filter(**filters).order_by("pk").values())


# Plans ----------------------------------------------------------------------------------------


@pytest.fixture
def colleague(service_area):
    """A second service manager assigned to the same service area as ``manager``."""
    user = UserFactory(username="colleague", first_name="Priya", last_name="Colleague", role=Role.SERVICE_MANAGER)
    service_area.managers.add(user)
    return user


TYPED_PLAN = {
    "tracker_ref": "FRB/23/077",
    "service_director": "Typed Director Name",
    "service_manager": "Typed Manager Name",
    "cost_centres": "FF9999 typed centres",
    "previous_year_budget": "-3",
    "previous_year_budget_note": "typed budget note",
    "previous_year_outturn": "412",
    "previous_year_outturn_note": "typed outturn note",
    "current_year_budget": "25",
    "current_year_budget_note": "typed current note",
    "pressure_note": "typed pressure note",
    "deficit_since": "2019/20",
    "context": "typed context about demand",
    "actions": "typed actions to recover",
}
TYPED_MILESTONE = {"details": "typed milestone details", "amount": "18,849.84", "due_text": "January 24"}


def plan_post(version: str, **overrides: str) -> dict[str, str]:
    data = {
        "version": version,
        **TYPED_PLAN,
        "milestones-TOTAL_FORMS": "1",
        "milestones-INITIAL_FORMS": "0",
        "milestones-MIN_NUM_FORMS": "0",
        "milestones-MAX_NUM_FORMS": "50",
        "milestones-0-id": "",
        **{f"milestones-0-{key}": value for key, value in TYPED_MILESTONE.items()},
        "save": "1",
    }
    data.update(overrides)
    return data


def test_stale_plan_form_is_refused_with_409_keeping_what_was_typed(client, manager, colleague, plan):
    client.force_login(manager)
    opened = client.get(reverse("plans:edit", args=[plan.pk]))
    assert opened.status_code == 200
    stale = hidden_version(opened.content.decode())
    assert stale == "1"
    # Meanwhile the colleague saves through the same form.
    plan_services.plan_update(
        plan=plan,
        user=colleague,
        fields={"service_director": "Colleague Director Name", "context": "colleague context"},
        expected_version=int(stale),
    )
    saved = snapshot(DeficitRecoveryPlan, pk=plan.pk)
    history = plan.history.count()

    response = client.post(reverse("plans:edit", args=[plan.pk]), plan_post(stale))

    assert response.status_code == 409
    content = response.content.decode()
    assert CONFLICT_HEADING in content
    assert "Priya Colleague" in content
    assert "Colleague Director Name" in content  # their change, listed
    for name, value in TYPED_PLAN.items():
        if name == "deficit_since":
            assert re.search(r'<option value="2019/20"\s+selected', content), name
        else:
            assert value in content, f"{name}: what was typed is lost"
    for value in TYPED_MILESTONE.values():
        assert value in content
    assert hidden_version(content) == "2"  # the next save goes over the newer version
    # Nothing saved.
    assert snapshot(DeficitRecoveryPlan, pk=plan.pk) == saved
    assert plan.history.count() == history
    assert not Milestone.objects.filter(plan=plan).exists()


def test_saving_again_over_the_newer_version_goes_through(client, manager, colleague, plan):
    client.force_login(manager)
    stale = hidden_version(client.get(reverse("plans:edit", args=[plan.pk])).content.decode())
    plan_services.plan_update(
        plan=plan, user=colleague, fields={"service_director": "Colleague Director Name"}, expected_version=1
    )
    conflict = client.post(reverse("plans:edit", args=[plan.pk]), plan_post(stale))
    assert conflict.status_code == 409

    response = client.post(reverse("plans:edit", args=[plan.pk]), plan_post(hidden_version(conflict.content.decode())))

    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.version == 3
    assert plan.service_director == "Typed Director Name"
    assert plan.context == "typed context about demand"
    assert plan.previous_year_budget == Decimal("-3000.00")
    assert plan.previous_year_outturn == Decimal("412000.00")
    assert str(plan.deficit_since) == "2019/20"
    milestone = plan.milestones.get()
    assert (milestone.details, milestone.amount) == ("typed milestone details", Decimal("18849.84"))


def test_stale_plan_form_submitting_is_refused_too(client, manager, colleague, plan):
    client.force_login(manager)
    plan_services.plan_update(plan=plan, user=colleague, fields={"context": "colleague context"}, expected_version=1)
    data = plan_post("1")
    del data["save"]
    data["submit"] = "1"
    response = client.post(reverse("plans:edit", args=[plan.pk]), data)
    assert response.status_code == 409
    plan.refresh_from_db()
    assert plan.is_draft
    assert plan.context == "colleague context"


def test_two_saves_of_the_same_version_the_second_is_refused(client, manager, colleague, plan):
    """Both people opened version 1; the first save wins, the second gets 409."""
    other = Client()
    other.force_login(colleague)
    client.force_login(manager)
    first = other.post(
        reverse("plans:edit", args=[plan.pk]), plan_post("1", service_director="First Saver", tracker_ref="")
    )
    assert first.status_code == 302
    second = client.post(reverse("plans:edit", args=[plan.pk]), plan_post("1"))
    assert second.status_code == 409
    plan.refresh_from_db()
    assert plan.service_director == "First Saver"
    assert plan.version == 2


def test_plan_service_raises_concurrent_edit_for_a_stale_version(manager, colleague, plan):
    plan_services.plan_update(plan=plan, user=colleague, fields={"context": "colleague context"}, expected_version=1)
    with pytest.raises(ConcurrentEdit) as caught:
        plan_services.plan_update(plan=plan, user=manager, fields={"context": "mine"}, expected_version=1)
    assert caught.value.current_version == 2
    assert any(change.who == "Priya Colleague" for change in caught.value.changes)
    plan.refresh_from_db()
    assert plan.context == "colleague context"


def test_plan_service_without_a_version_still_works(manager, colleague, plan):
    """Commands and imports pass no version: they are not refused."""
    plan_services.plan_update(plan=plan, user=colleague, fields={"context": "colleague context"}, expected_version=1)
    plan_services.plan_update(plan=plan, user=manager, fields={"context": "from a command"})
    plan.refresh_from_db()
    assert plan.context == "from a command"
    assert plan.version == 3


# Scheme figures -------------------------------------------------------------------------------

YEAR = FinancialYear(2023)


@pytest.fixture
def other_finance(db):
    return UserFactory(username="finance2", first_name="Femi", last_name="Second", role=Role.FINANCE_OFFICER)


@pytest.fixture
def figures(service_area):
    scheme = SchemeFactory(service_area=service_area, financial_year=YEAR, target=Decimal("100000.00"))
    return SchemeQuarterFactory(scheme=scheme, quarter=Quarter.Q2)


def row_url(scheme) -> str:
    return reverse("monitoring:scheme_row", args=[YEAR, Quarter.Q2, scheme.pk])


def row_post(version: str, **overrides: str) -> dict[str, str]:
    data = {
        "version": version,
        "ytd_budget": "50,000",
        "ytd_actual": "12,345",
        "forecast_year_end": "77,777",
        "forecast_next_year": "",
        "projected_shortfall": "0",
        "rag": "GREEN",
        "rag_reason": "",
        "commentary": "typed commentary on delivery",
    }
    data.update(overrides)
    return data


def colleague_saves_figures(figures, user, version: int = 1) -> None:
    monitoring_services.scheme_quarter_save(
        scheme=figures.scheme,
        quarter=Quarter.Q2,
        user=user,
        fields={"ytd_actual": Decimal("60000.00"), "commentary": "colleague commentary"},
        rag=figures.rag_status,
        expected_version=version,
    )


@pytest.mark.parametrize("htmx", [False, True])
def test_stale_scheme_row_is_refused_keeping_what_was_typed(client, finance, other_finance, figures, htmx):
    client.force_login(finance)
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    opened = client.get(row_url(figures.scheme), **headers)
    stale = hidden_version(opened.content.decode())
    assert stale == "1"
    colleague_saves_figures(figures, other_finance)
    saved = snapshot(SchemeQuarter, pk=figures.pk)
    history = figures.history.count()

    response = client.post(row_url(figures.scheme), row_post(stale), **headers)

    if htmx:
        assert response.status_code == 200
        assert response.templates[0].name == "monitoring/_grid_row_form.html"
    else:
        assert response.status_code == 409
    content = response.content.decode()
    assert CONFLICT_HEADING in content
    assert "Femi Second" in content
    assert "colleague commentary" in content
    assert 'value="12,345"' in content
    assert 'value="77,777"' in content
    assert "typed commentary on delivery" in content
    assert hidden_version(content) == "2"
    assert snapshot(SchemeQuarter, pk=figures.pk) == saved
    assert figures.history.count() == history


def test_scheme_row_saved_again_over_the_newer_version(client, finance, other_finance, figures):
    client.force_login(finance)
    colleague_saves_figures(figures, other_finance)
    conflict = client.post(row_url(figures.scheme), row_post("1"))
    assert conflict.status_code == 409
    response = client.post(row_url(figures.scheme), row_post(hidden_version(conflict.content.decode())))
    assert response.status_code == 302
    figures.refresh_from_db()
    assert figures.ytd_actual == Decimal("12345.00")
    assert figures.commentary == "typed commentary on delivery"
    assert figures.version == 3


def test_scheme_service_raises_concurrent_edit_and_works_without_a_version(finance, other_finance, figures):
    colleague_saves_figures(figures, other_finance)
    with pytest.raises(ConcurrentEdit):
        monitoring_services.scheme_quarter_save(
            scheme=figures.scheme,
            quarter=Quarter.Q2,
            user=finance,
            fields={"ytd_actual": Decimal("1.00")},
            rag=figures.rag_status,
            expected_version=1,
        )
    figures.refresh_from_db()
    assert figures.ytd_actual == Decimal("60000.00")
    monitoring_services.scheme_quarter_save(
        scheme=figures.scheme, quarter=Quarter.Q2, user=finance, fields={"ytd_actual": Decimal("1.00")}, rag=None
    )
    figures.refresh_from_db()
    assert figures.ytd_actual == Decimal("1.00")


# Quarterly updates ----------------------------------------------------------------------------


@pytest.fixture
def draft_update(manager, plan):
    plan.status = DeficitRecoveryPlan.Status.SUBMITTED
    plan.save()
    return PlanUpdateFactory(plan=plan, quarter=Quarter.Q2, narrative="original narrative")


def test_update_service_raises_concurrent_edit_for_a_stale_version(manager, colleague, draft_update):
    plan = draft_update.plan
    monitoring_services.plan_update_save(
        plan=plan, quarter=Quarter.Q2, user=colleague, fields={"narrative": "colleague narrative"}, expected_version=1
    )
    saved = snapshot(PlanUpdate, pk=draft_update.pk)
    with pytest.raises(ConcurrentEdit) as caught:
        monitoring_services.plan_update_save(
            plan=plan, quarter=Quarter.Q2, user=manager, fields={"narrative": "my narrative"}, expected_version=1
        )
    assert caught.value.current_version == 2
    assert snapshot(PlanUpdate, pk=draft_update.pk) == saved
    # Without a version (a command) the save goes through.
    monitoring_services.plan_update_save(plan=plan, quarter=Quarter.Q2, user=manager, fields={"narrative": "command"})
    draft_update.refresh_from_db()
    assert draft_update.narrative == "command"
    assert draft_update.version == 3


def test_stale_update_form_is_refused_with_409_keeping_what_was_typed(client, manager, colleague, draft_update):
    plan = draft_update.plan
    url = reverse("monitoring:plan_update", args=[plan.pk, Quarter.Q2])
    client.force_login(manager)
    stale = hidden_version(client.get(url).content.decode())
    monitoring_services.plan_update_save(
        plan=plan, quarter=Quarter.Q2, user=colleague, fields={"narrative": "colleague narrative"}, expected_version=1
    )
    saved = snapshot(PlanUpdate, pk=draft_update.pk)

    response = client.post(
        url,
        {"version": stale, "on_target": "yes", "narrative": "my typed narrative", "save": "1"},
    )

    assert response.status_code == 409
    content = response.content.decode()
    assert CONFLICT_HEADING in content
    assert "my typed narrative" in content
    assert "colleague narrative" in content
    assert hidden_version(content) == "2"
    assert snapshot(PlanUpdate, pk=draft_update.pk) == saved
    again = client.post(url, {"version": "2", "on_target": "yes", "narrative": "my typed narrative", "save": "1"})
    assert again.status_code == 302
    draft_update.refresh_from_db()
    assert draft_update.narrative == "my typed narrative"
