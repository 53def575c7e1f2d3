"""The organisation (directorate → portfolio → service area) and Deficit Recovery Plans.

Amounts are stored in pounds as Decimals. The plan form asks for £'000 figures; the form
converts. Pressure is computed from the stored figures, never stored.

The organisation models are shared by monitoring and reporting but stay here, in the app that
created their tables: moving them to the shared kernel would rename their tables and history
tables and need a state-only migration in three apps while others change them. Nothing in
plans/ imports monitoring/, so keeping them here makes no cycle.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import PurePath
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from simple_history.models import HistoricalRecords

from plans import calculations
from recovery.fields import FinancialYearField, money_field

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


class Directorate(models.Model):
    name = models.CharField(max_length=200, unique=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Portfolio(models.Model):
    """A grouping of service areas that the overall totals of Appendix 1 are reported by."""

    directorate = models.ForeignKey(Directorate, on_delete=models.PROTECT, related_name="portfolios")
    name = models.CharField(max_length=200)
    order = models.PositiveIntegerField(default=0, help_text="Position in reports.")
    history = HistoricalRecords()

    class Meta:
        ordering = ["directorate__name", "order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["directorate", "name"], name="portfolio_unique_in_directorate"),
        ]

    def __str__(self) -> str:
        return self.name


class ServiceArea(models.Model):
    portfolio = models.ForeignKey(Portfolio, on_delete=models.PROTECT, related_name="service_areas")
    name = models.CharField(max_length=200)
    order = models.PositiveIntegerField(default=0, help_text="Position in reports.")
    managers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="assigned_service_areas",
        help_text="Service managers who may see and edit every plan of this service area.",
    )
    history = HistoricalRecords(m2m_fields=[managers])

    class Meta:
        ordering = ["portfolio__directorate__name", "order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["portfolio", "name"], name="service_area_unique_in_portfolio"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def directorate(self) -> Directorate:
        return self.portfolio.directorate


class PlanQuerySet(models.QuerySet["DeficitRecoveryPlan"]):
    def visible_to(self, user: AbstractBaseUser | AnonymousUser) -> PlanQuerySet:
        """The plans a user may see. Drafts are private: a draft plan is seen only by its
        managers (those responsible for it or assigned to its service area). Finance,
        executives and administrators see every submitted plan; a service manager sees the
        plans they manage, drafts included."""
        from plans import rules as plan_rules
        from plans.roles import Role, has_role

        if not user.is_authenticated:
            return self.none()
        visible = Q(pk__in=[])
        if plan_rules.sees_all_plans(user):
            visible |= Q(status=DeficitRecoveryPlan.Status.SUBMITTED)
        if has_role(user, Role.SERVICE_MANAGER):
            visible |= Q(pk__in=self.model.objects.managed_by(user).values("pk"))
        return self.filter(visible)

    def filed(self) -> PlanQuerySet:
        """Submitted plans: the only ones reports, packs and exports may show."""
        return self.filter(status=DeficitRecoveryPlan.Status.SUBMITTED)

    def managed_by(self, user: AbstractBaseUser | AnonymousUser) -> PlanQuerySet:
        """The plans a user is responsible for or assigned to (their "my plans")."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(Q(managers=user) | Q(service_area__managers=user)).distinct()

    def with_organisation(self) -> PlanQuerySet:
        return self.select_related("service_area__portfolio__directorate")


class DeficitRecoveryPlan(models.Model):
    """One service area's plan to bring its spend back within budget in a financial year."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"

    service_area = models.ForeignKey(ServiceArea, on_delete=models.PROTECT, related_name="plans")
    financial_year = FinancialYearField(
        "financial year", help_text="The year the plan recovers the deficit in (the current year)."
    )
    tracker_ref = models.CharField(
        "combined tracker ref.",
        max_length=50,
        blank=True,
        help_text="The reference on the combined savings tracker, e.g. FRB/23/007 (if it has one).",
    )
    service_director = models.CharField(max_length=200, blank=True, help_text="As printed on the form.")
    service_manager = models.CharField(max_length=200, blank=True, help_text="As printed on the form.")
    managers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="managed_plans",
        verbose_name="responsible users",
        help_text="The accounts that fill in and update this plan.",
    )
    cost_centres = models.TextField(
        "activity / cost centres",
        blank=True,
        help_text="Cost centre codes (e.g. FF4104), one per line or separated by commas, or a description.",
    )

    previous_year_budget = money_field("previous year budget")
    previous_year_budget_note = models.TextField(blank=True)
    previous_year_outturn = money_field("previous year outturn")
    previous_year_outturn_note = models.TextField(blank=True)
    current_year_budget = money_field("current year budget")
    current_year_budget_note = models.TextField(blank=True)
    pressure_note = models.TextField(
        "pressure note",
        blank=True,
        help_text="Anything the figure alone does not say: projected overspend, offsetting grants.",
    )

    deficit_since = FinancialYearField(
        "in deficit since", null=True, blank=True, help_text="The year the budget was first in deficit."
    )
    context = models.TextField("context behind the pressure", blank=True)
    actions = models.TextField("actions to keep spend in line with budget", blank=True)

    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    version = models.PositiveIntegerField(default=1, help_text="Increases with every save (optimistic locking).")
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(m2m_fields=[managers])
    objects = PlanQuerySet.as_manager()

    class Meta:
        ordering = ["-financial_year", "service_area__name"]
        verbose_name = "deficit recovery plan"
        constraints = [
            models.UniqueConstraint(
                fields=["tracker_ref"],
                condition=~Q(tracker_ref=""),
                name="plan_tracker_ref_unique_when_present",
                violation_error_message="Another plan already has this combined tracker ref.",
            ),
        ]
        indexes = [models.Index(fields=["financial_year", "status"])]

    def __str__(self) -> str:
        return f"{self.service_area} {self.financial_year}"

    def get_absolute_url(self) -> str:
        return reverse("plans:detail", args=[self.pk])

    @property
    def pressure(self) -> Decimal | None:
        """Pressure on this activity this year, based on last year's outturn: outturn − budget."""
        return calculations.pressure(
            previous_year_budget=self.previous_year_budget,
            previous_year_outturn=self.previous_year_outturn,
        )

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT

    @property
    def cost_centre_list(self) -> list[str]:
        return calculations.split_cost_centres(self.cost_centres)


class Milestone(models.Model):
    """A step of the plan, with the amount it delivers (in pounds) and when it is due."""

    plan = models.ForeignKey(DeficitRecoveryPlan, on_delete=models.CASCADE, related_name="milestones")
    order = models.PositiveIntegerField(default=0)
    details = models.TextField("milestone details")
    amount = money_field("amount (£)")
    per_year = models.BooleanField("per year", default=False, help_text="The amount is a yearly saving.")
    due_text = models.CharField(
        "due",
        max_length=100,
        blank=True,
        help_text="A date (31/12/2023), a month (December 2023) or a financial year (2023/24).",
    )
    due_date = models.DateField(null=True, blank=True, help_text="Read from what was written under Due.")
    history = HistoricalRecords()

    class Meta:
        ordering = ["plan", "order", "pk"]

    def __str__(self) -> str:
        return self.details[:80]


def attachment_path(instance: Attachment, filename: str) -> str:
    # The stored name is not the uploaded one: nothing a user types reaches the file system.
    suffix = PurePath(filename).suffix.lower()
    return f"plan-attachments/{instance.plan_id}/{instance.token}{suffix}"


class Attachment(models.Model):
    """A file attached to a plan (a chart, a spreadsheet, a paper), shown only to its readers."""

    plan = models.ForeignKey(DeficitRecoveryPlan, on_delete=models.CASCADE, related_name="attachments")
    token = models.CharField(max_length=32, unique=True, editable=False)
    file = models.FileField(upload_to=attachment_path, max_length=255)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    description = models.CharField(max_length=255, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.original_name
