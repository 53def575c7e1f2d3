"""factory-boy factories for the plans app. Amounts are in pounds, as Decimals."""

from __future__ import annotations

from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from plans.models import DeficitRecoveryPlan, Directorate, Milestone, Portfolio, ServiceArea
from plans.roles import Role
from recovery.periods import FinancialYear, parse_due


class UserFactory(factory.django.DjangoModelFactory):
    """A user; ``UserFactory(role=Role.SERVICE_MANAGER)`` puts them in that role's group."""

    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.invalid")
    password = factory.django.Password("a-long-test-password-1")

    @factory.post_generation
    def role(self, create: bool, extracted: Role | str | None, **kwargs: object) -> None:
        if not create or not extracted:
            return
        group, _ = Group.objects.get_or_create(name=Role(extracted).value)
        self.groups.add(group)


class DirectorateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Directorate
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Directorate {n}")


class PortfolioFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Portfolio

    directorate = factory.SubFactory(DirectorateFactory)
    name = factory.Sequence(lambda n: f"Portfolio {n}")
    order = factory.Sequence(lambda n: n)


class ServiceAreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceArea
        skip_postgeneration_save = True

    portfolio = factory.SubFactory(PortfolioFactory)
    name = factory.Sequence(lambda n: f"Service area {n}")
    order = factory.Sequence(lambda n: n)

    @factory.post_generation
    def managers(self, create: bool, extracted: list[object] | None, **kwargs: object) -> None:
        if create and extracted:
            self.managers.add(*extracted)


class PlanFactory(factory.django.DjangoModelFactory):
    """A draft plan with seed 000's figures, in pounds (−£2,000 budget, £397,000 outturn)."""

    class Meta:
        model = DeficitRecoveryPlan
        skip_postgeneration_save = True

    service_area = factory.SubFactory(ServiceAreaFactory)
    financial_year = FinancialYear(2023)
    tracker_ref = ""
    service_director = "Dev Gopal"
    service_manager = "Deb Fensome"
    cost_centres = "FF4104"
    previous_year_budget = Decimal("-2000.00")
    previous_year_outturn = Decimal("397000.00")
    current_year_budget = Decimal("0.00")
    context = "Not enough resource to continue with the review work."
    actions = "Increase the recharge from ASC to ASC Financial Assessments."
    status = DeficitRecoveryPlan.Status.DRAFT

    @factory.post_generation
    def managers(self, create: bool, extracted: list[object] | None, **kwargs: object) -> None:
        if create and extracted:
            self.managers.add(*extracted)


class MilestoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Milestone

    plan = factory.SubFactory(PlanFactory)
    order = factory.Sequence(lambda n: n + 1)
    details = factory.Sequence(lambda n: f"Milestone {n}")
    amount = Decimal("80000.00")
    per_year = False
    due_text = "2023/2024"
    due_date = factory.LazyAttribute(lambda milestone: parse_due(milestone.due_text))


# Monitoring: savings schemes, their quarterly figures and plans' quarterly updates.


class SchemeFactory(factory.django.DjangoModelFactory):
    """A savings scheme of 2023/24 (amounts in pounds)."""

    class Meta:
        model = "monitoring.Scheme"

    service_area = factory.SubFactory(ServiceAreaFactory)
    financial_year = FinancialYear(2023)
    ref = factory.Sequence(lambda n: str(n + 1))
    title = factory.Sequence(lambda n: f"Scheme {n}")
    recurrence = "R"
    target = Decimal("100000.00")
    order = factory.Sequence(lambda n: n)


class SchemeQuarterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "monitoring.SchemeQuarter"

    scheme = factory.SubFactory(SchemeFactory)
    quarter = 2
    ytd_budget = Decimal("50000.00")
    ytd_actual = Decimal("50000.00")
    projected_shortfall = Decimal("0.00")
    rag = "GREEN"


class PlanUpdateFactory(factory.django.DjangoModelFactory):
    """A manager's quarterly update of a plan, a draft unless told otherwise."""

    class Meta:
        model = "monitoring.PlanUpdate"

    plan = factory.SubFactory(PlanFactory, status=DeficitRecoveryPlan.Status.SUBMITTED)
    quarter = 2
    on_target = "partial"
    narrative = "Conversations with staff with regards to moving to permanent contracts are ongoing."
    status = "draft"
