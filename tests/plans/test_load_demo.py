"""manage.py load_demo: the seed organisation, the three seed plans and one user per role."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.urls import reverse

from plans.demo import DEMO_PASSWORD
from plans.models import DeficitRecoveryPlan, Directorate, Milestone, Portfolio, ServiceArea
from plans.roles import Role
from recovery.periods import FinancialYear

pytestmark = pytest.mark.django_db

User = get_user_model()


def load(**options) -> str:
    out = StringIO()
    call_command("load_demo", stdout=out, **options)
    return out.getvalue()


def seed_plan(service_area: str) -> DeficitRecoveryPlan:
    return DeficitRecoveryPlan.objects.get(service_area__name=service_area)


def row_counts() -> dict[str, int]:
    """Rows in every table, history and many-to-many tables included."""
    return {model._meta.label: model._default_manager.count() for model in apps.get_models(include_auto_created=True)}


@pytest.fixture
def debug(settings):
    settings.DEBUG = True
    return settings


def test_load_demo_creates_the_seed_plans_and_users(debug):
    output = load()
    assert DeficitRecoveryPlan.objects.count() == 3
    assert {plan.financial_year for plan in DeficitRecoveryPlan.objects.all()} == {FinancialYear(2023)}
    assert set(DeficitRecoveryPlan.objects.values_list("status", flat=True)) == {"submitted"}
    assert User.objects.count() == 4
    groups = {user.username: set(user.groups.values_list("name", flat=True)) for user in User.objects.all()}
    assert groups == {
        "manager": {Role.SERVICE_MANAGER.value},
        "finance": {Role.FINANCE_OFFICER.value},
        "executive": {Role.EXECUTIVE.value},
        "admin": {Role.ADMINISTRATOR.value},
    }
    assert DEMO_PASSWORD in output
    assert "Demo data loaded" in output


def test_load_demo_organisation(debug):
    load()
    assert set(Directorate.objects.values_list("name", flat=True)) == {
        "Chief Executive",
        "Children, Families & Education",
        "Adult Social Care",
        "Adult Social Services",
    }
    # Seed 002's overall total lists every portfolio, the empty Chief Social Work Officer too.
    empty = Portfolio.objects.get(name="Chief Social Work Officer")
    assert not empty.service_areas.exists()
    assert ServiceArea.objects.get(name="Adults with a Disability").portfolio.name == "Adults with Disabilities"


def test_seed_000_plan(debug):
    load()
    plan = seed_plan("Adult Social care assessment costs and income shortfall")
    assert plan.service_area.portfolio.directorate.name == "Chief Executive"
    assert plan.tracker_ref == "FRB/23/007"
    assert plan.service_director == "Dev Gopal"
    assert plan.service_manager == "Deb Fensome"
    assert plan.cost_centre_list == ["FF4104"]
    assert plan.previous_year_budget == Decimal("-2000")
    assert plan.previous_year_outturn == Decimal("397000")
    assert plan.current_year_budget == Decimal("0")
    assert plan.pressure == Decimal("399000")
    milestone = plan.milestones.get()
    assert milestone.amount == Decimal("80000")
    assert milestone.due_text == "2023/2024"
    assert str(milestone.due_date) == "2024-03-31"
    assert milestone.per_year is False


def test_seed_001_plan(debug):
    load()
    plan = seed_plan("Children’s Placements")
    assert plan.tracker_ref == ""
    assert plan.cost_centres == "All Placements Cost Centres"
    assert plan.pressure == Decimal("366000")
    assert "£366k final outturn overspend" in plan.pressure_note
    assert not plan.milestones.exists()


def test_seed_003_plan(debug):
    load()
    plan = seed_plan("Children’s Staffing")
    assert plan.pressure == Decimal("1931000")
    assert plan.deficit_since == FinancialYear(2019)
    assert plan.previous_year_outturn == Decimal("31752000")
    assert plan.previous_year_outturn_note.startswith("(£1,932k overspend being offset by £525k SF unallocated grant")
    assert plan.current_year_budget_note == "(Full staffing GF budget across whole CFE department)"
    milestones = list(plan.milestones.order_by("order"))
    assert len(milestones) == 4
    assert sum(m.amount for m in milestones) == Decimal("110825.56")
    assert all(m.per_year for m in milestones)
    assert [str(m.due_date) for m in milestones] == ["2023-12-31", "2023-12-31", "2023-11-30", "2024-01-31"]
    assert "| Team Manager | £1,865.27 |" in plan.context


def test_demo_manager_is_responsible_for_every_seed_plan(debug):
    load()
    manager = User.objects.get(username="manager")
    for plan in DeficitRecoveryPlan.objects.all():
        assert list(plan.managers.all()) == [manager]
        assert plan.service_area.managers.filter(pk=manager.pk).exists()
        assert plan.submitted_by == manager


def test_load_demo_twice_changes_nothing(debug):
    load()
    before = row_counts()
    output = load()
    assert row_counts() == before
    assert "nothing changed" in output
    assert before["plans.HistoricalDeficitRecoveryPlan"] > 0
    assert before["plans.Milestone"] == Milestone.objects.count() == 5


def test_load_demo_keeps_a_demo_users_edits(debug):
    load()
    plan = seed_plan("Children’s Staffing")
    plan.context = "Edited by the demo user"
    plan.save()
    manager = User.objects.get(username="manager")
    manager.set_password("a-new-password-for-sam")
    manager.save()
    load()
    plan.refresh_from_db()
    manager.refresh_from_db()
    assert plan.context == "Edited by the demo user"
    assert manager.check_password("a-new-password-for-sam")


def test_load_demo_refuses_demo_users_when_debug_is_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG is off"):
        load()
    assert not User.objects.exists()
    assert not DeficitRecoveryPlan.objects.exists()


def test_load_demo_force_creates_users_when_debug_is_off(settings):
    settings.DEBUG = False
    load(force=True)
    assert User.objects.count() == 4
    assert DeficitRecoveryPlan.objects.count() == 3


def test_load_demo_without_users_works_when_debug_is_off(settings):
    settings.DEBUG = False
    output = load(no_users=True)
    assert not User.objects.exists()
    assert DeficitRecoveryPlan.objects.count() == 3
    assert DEMO_PASSWORD not in output
    assert not seed_plan("Children’s Staffing").managers.exists()


@pytest.mark.parametrize("username", ["manager", "finance", "executive", "admin"])
def test_demo_users_can_log_in_with_the_printed_password(debug, client, username):
    output = load()
    assert f"password for each: {DEMO_PASSWORD}" in output
    response = client.post("/accounts/login/", {"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.get(reverse("plans:list")).status_code == 200


def test_demo_manager_sees_the_seed_plans(debug, client):
    load()
    client.post("/accounts/login/", {"username": "manager", "password": DEMO_PASSWORD})
    response = client.get(reverse("plans:list"))
    assert response.context["page"].paginator.count == 3
