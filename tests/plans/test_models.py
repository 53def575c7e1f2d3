"""Model constraints, the financial-year field, PROTECT and history."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from plans.models import DeficitRecoveryPlan, Milestone
from recovery.periods import FinancialYear
from tests.factories import MilestoneFactory, PlanFactory, ServiceAreaFactory

pytestmark = pytest.mark.django_db


def test_two_plans_may_both_have_no_tracker_ref():
    PlanFactory(tracker_ref="")
    PlanFactory(tracker_ref="")
    assert DeficitRecoveryPlan.objects.filter(tracker_ref="").count() == 2


def test_tracker_ref_is_unique_when_present():
    PlanFactory(tracker_ref="FRB/23/007")
    with pytest.raises(IntegrityError), transaction.atomic():
        PlanFactory(tracker_ref="FRB/23/007")
    assert DeficitRecoveryPlan.objects.filter(tracker_ref="FRB/23/007").count() == 1


def test_financial_year_round_trips_through_the_database():
    plan = PlanFactory(financial_year=FinancialYear(2023), deficit_since="2019/20")
    plan.refresh_from_db()
    assert plan.financial_year == FinancialYear(2023)
    assert isinstance(plan.financial_year, FinancialYear)
    assert str(plan.financial_year) == "2023/24"
    assert plan.deficit_since == FinancialYear(2019)


def test_deficit_since_may_be_blank():
    plan = PlanFactory(deficit_since=None)
    plan.refresh_from_db()
    assert plan.deficit_since is None


def test_financial_year_filters_by_type_and_by_text():
    this_year = PlanFactory(financial_year=FinancialYear(2023))
    PlanFactory(financial_year=FinancialYear(2022))
    assert list(DeficitRecoveryPlan.objects.filter(financial_year=FinancialYear(2023))) == [this_year]
    assert list(DeficitRecoveryPlan.objects.filter(financial_year="2023/24")) == [this_year]
    assert DeficitRecoveryPlan.objects.filter(financial_year__gte="2022/23").count() == 2


def test_plans_are_ordered_newest_year_first():
    older = PlanFactory(financial_year=FinancialYear(2021))
    newer = PlanFactory(financial_year=FinancialYear(2023))
    assert list(DeficitRecoveryPlan.objects.all()) == [newer, older]


def test_pressure_and_cost_centres_on_the_model():
    plan = PlanFactory(cost_centres="FF4104, FF4105")
    assert plan.pressure == Decimal("399000")  # seed 000, in pounds
    assert plan.cost_centre_list == ["FF4104", "FF4105"]
    assert PlanFactory(previous_year_outturn=None).pressure is None


def test_deleting_a_directorate_with_plans_is_refused():
    plan = PlanFactory()
    directorate = plan.service_area.portfolio.directorate
    with pytest.raises(ProtectedError):
        directorate.delete()
    assert DeficitRecoveryPlan.objects.filter(pk=plan.pk).exists()


def test_deleting_a_service_area_with_plans_is_refused():
    plan = PlanFactory()
    with pytest.raises(ProtectedError):
        plan.service_area.delete()
    assert DeficitRecoveryPlan.objects.filter(pk=plan.pk).exists()


def test_a_service_area_without_plans_can_be_deleted():
    area = ServiceAreaFactory()
    area.delete()
    assert not type(area).objects.filter(pk=area.pk).exists()


def test_deleting_a_plan_deletes_its_milestones():
    milestone = MilestoneFactory()
    milestone.plan.delete()
    assert not Milestone.objects.filter(pk=milestone.pk).exists()


def test_history_is_recorded_on_every_change():
    plan = PlanFactory()
    assert plan.history.count() == 1
    plan.context = "Changed."
    plan.save()
    assert plan.history.count() == 2
    assert plan.history.first().context == "Changed."
    assert plan.history.last().history_type == "+"


def test_milestone_history_is_recorded():
    milestone = MilestoneFactory()
    milestone.amount = Decimal("90000")
    milestone.save()
    assert milestone.history.count() == 2
