"""Quarterly monitoring: plan updates, savings schemes and their quarterly figures, and the
quarter lock. Every change is kept with who, when and what (django-simple-history)."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from monitoring import calculations
from monitoring.figures import QUARTER_FIGURE_NAMES
from plans.models import DeficitRecoveryPlan, Milestone, ServiceArea
from recovery.fields import FinancialYearField, QuarterField, money_field
from recovery.periods import FinancialYear, Period, Quarter
from recovery.rag import RAG, OnTarget

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


def rag_field(verbose_name: str = "RAG") -> models.CharField:
    return models.CharField(verbose_name, max_length=5, choices=RAG.choices(), blank=True)


class MonitoringQuarter(models.Model):
    """A quarter of a financial year, which finance locks once its figures are final."""

    financial_year = FinancialYearField()
    quarter = QuarterField()
    locked_at = models.DateTimeField(null=True, blank=True)
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["-financial_year", "-quarter"]
        constraints = [
            models.UniqueConstraint(fields=["financial_year", "quarter"], name="monitoring_quarter_unique"),
        ]

    def __str__(self) -> str:
        return str(self.period)

    @property
    def period(self) -> Period:
        return Period(FinancialYear.parse(self.financial_year), Quarter(self.quarter))

    @property
    def is_locked(self) -> bool:
        return self.locked_at is not None


class QuarterLockEvent(models.Model):
    """Each lock and reopening of a quarter, with who, when and (for a reopening) why."""

    class Action(models.TextChoices):
        LOCKED = "locked", "Locked"
        REOPENED = "reopened", "Reopened"

    monitoring_quarter = models.ForeignKey(MonitoringQuarter, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(max_length=10, choices=Action.choices)
    reason = models.TextField(blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.monitoring_quarter} by {self.user}"


# An update's content is published once submitted or approved; a returned one is being changed
# by its manager, and a draft is theirs alone.
PUBLISHED_UPDATE_STATUSES = ("submitted", "approved")


class PlanUpdateQuerySet(models.QuerySet["PlanUpdate"]):
    def for_period(self, period: Period) -> PlanUpdateQuerySet:
        return self.filter(plan__financial_year=period.year, quarter=period.quarter)

    def awaiting_dmt_decision(self) -> PlanUpdateQuerySet:
        """Published RED updates (RED as finance set it, or a "No" not yet rated) whose
        alternative proposal DMT has not decided on."""
        red = Q(rag=RAG.RED.value) | (Q(rag="") & Q(on_target=OnTarget.NO.value))
        return (
            self.published()
            .filter(red, dmt_decision="")
            .exclude(alternative_proposal="")
            .exclude(alternative_proposal__regex=r"^\s*$")
        )

    def published(self) -> PlanUpdateQuerySet:
        """Updates of submitted plans that are submitted or approved: all that any report,
        pack or export may show."""
        return self.filter(status__in=PUBLISHED_UPDATE_STATUSES, plan__status=DeficitRecoveryPlan.Status.SUBMITTED)

    def visible_to(self, user: AbstractBaseUser | AnonymousUser) -> PlanUpdateQuerySet:
        """The updates whose content a user may read (the same rule as "monitoring.read_update"):
        the plan's managers every one; finance any but a draft; executives and administrators
        the published ones."""
        from plans.roles import Role, has_role

        if not user.is_authenticated:
            return self.none()
        visible = Q(pk__in=[])
        if has_role(user, Role.SERVICE_MANAGER):
            visible |= Q(plan__in=DeficitRecoveryPlan.objects.managed_by(user).values("pk"))
        if has_role(user, Role.FINANCE_OFFICER):
            visible |= Q(plan__status=DeficitRecoveryPlan.Status.SUBMITTED) & ~Q(status="draft")
        if has_role(user, Role.EXECUTIVE, Role.ADMINISTRATOR):
            visible |= Q(status__in=PUBLISHED_UPDATE_STATUSES, plan__status=DeficitRecoveryPlan.Status.SUBMITTED)
        return self.filter(visible)


class DmtDecision(models.TextChoices):
    """What DMT (an executive) decided about a RED update's alternative proposal."""

    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"
    MORE_INFORMATION = "more_info", "More information needed"


class PlanUpdate(models.Model):
    """A service manager's quarterly update of a plan, reviewed by finance."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"
        RETURNED = "returned", "Returned for changes"
        APPROVED = "approved", "Approved"

    plan = models.ForeignKey(DeficitRecoveryPlan, on_delete=models.PROTECT, related_name="updates")
    quarter = QuarterField()
    on_target = models.CharField(
        "on target?",
        max_length=10,
        blank=True,
        choices=[(answer.value, answer.label) for answer in OnTarget],
    )
    narrative = models.TextField(blank=True)
    milestones_explanation = models.TextField(
        "why milestones were not met", blank=True, help_text="Where milestones have not been met, explain why."
    )
    recovery_actions = models.TextField("how delivery will be brought back on track", blank=True)
    alternative_proposal = models.TextField(
        "alternative proposal for realigning budgets",
        blank=True,
        help_text=(
            "If the recovery plan cannot be delivered, THERE IS NO NEW MONEY AVAILABLE: propose how "
            "budgets can be realigned, for DMT to consider."
        ),
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    version = models.PositiveIntegerField(default=1)
    rag = rag_field("RAG set by finance")
    rag_reason = models.TextField("reason for the RAG", blank=True)
    finance_comments = models.TextField("comments from finance", blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    dmt_decision = models.CharField(
        "DMT decision on the alternative proposal", max_length=10, choices=DmtDecision.choices, blank=True
    )
    dmt_comments = models.TextField("DMT's comments", blank=True)
    dmt_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="DMT decision recorded by",
    )
    dmt_decided_at = models.DateTimeField("DMT decision recorded at", null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()
    objects = PlanUpdateQuerySet.as_manager()

    class Meta:
        ordering = ["plan", "quarter"]
        constraints = [models.UniqueConstraint(fields=["plan", "quarter"], name="plan_update_once_a_quarter")]

    def __str__(self) -> str:
        return f"{self.plan} {self.quarter_label}"

    @property
    def period(self) -> Period:
        return Period(FinancialYear.parse(self.plan.financial_year), Quarter(self.quarter))

    @property
    def quarter_label(self) -> str:
        return Quarter(self.quarter).label

    @property
    def implied_rag(self) -> RAG | None:
        """The status the manager's answer implies (Yes = GREEN, Partial = AMBER, No = RED)."""
        return OnTarget(self.on_target).rag if self.on_target else None

    @property
    def rag_status(self) -> RAG | None:
        return RAG(self.rag) if self.rag else None

    @property
    def is_red(self) -> bool:
        """RED as finance set it, or (until finance has) as the manager's "No" implies."""
        return (self.rag_status or self.implied_rag) == RAG.RED

    @property
    def awaits_dmt_decision(self) -> bool:
        """A published RED update with an alternative proposal that DMT has not decided on."""
        return (
            self.is_red
            and bool(self.alternative_proposal.strip())
            and self.status in PUBLISHED_UPDATE_STATUSES
            and not self.dmt_decision
        )


class MilestoneProgress(models.Model):
    """A milestone's progress as reported in one quarterly update. A revised date is recorded
    here and the original stays on the milestone, so the slippage history is kept."""

    class Status(models.TextChoices):
        ON_TRACK = "on_track", "On track"
        MET = "met", "Met"
        SLIPPED = "slipped", "Slipped (revised date)"
        NOT_MET = "not_met", "Will not be met"

    update = models.ForeignKey(PlanUpdate, on_delete=models.CASCADE, related_name="milestone_progress")
    milestone = models.ForeignKey(Milestone, on_delete=models.CASCADE, related_name="progress")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ON_TRACK)
    revised_due_text = models.CharField("revised date", max_length=100, blank=True)
    revised_due_date = models.DateField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["update", "milestone__order", "milestone__pk"]
        constraints = [
            models.UniqueConstraint(fields=["update", "milestone"], name="milestone_progress_once_per_update"),
        ]

    def __str__(self) -> str:
        return f"{self.milestone} – {self.get_status_display()}"


class SchemeQuerySet(models.QuerySet["Scheme"]):
    def for_year(self, year: FinancialYear) -> SchemeQuerySet:
        return self.filter(financial_year=year)

    def with_organisation(self) -> SchemeQuerySet:
        return self.select_related("service_area__portfolio__directorate")


class Scheme(models.Model):
    """A savings scheme (a row of Appendix 1 or of the Transformation Plan update).

    A scheme may be the *unallocated savings requirement* (seed 004's "Additional savings
    requirement to balance the budget"): it counts in money totals but not as a scheme.
    """

    class Recurrence(models.TextChoices):
        RECURRENT = "R", "Recurrent"
        NON_RECURRENT = "NR", "Non-recurrent"

    service_area = models.ForeignKey(ServiceArea, on_delete=models.PROTECT, related_name="schemes")
    financial_year = FinancialYearField()
    plan = models.ForeignKey(
        DeficitRecoveryPlan, on_delete=models.PROTECT, null=True, blank=True, related_name="schemes"
    )
    ref = models.CharField("scheme no.", max_length=30, blank=True, help_text="Not unique: seed 004 has two 16a.")
    title = models.CharField(max_length=500)
    recurrence = models.CharField(max_length=2, choices=Recurrence.choices, blank=True)
    is_unallocated = models.BooleanField(
        "unallocated savings requirement",
        default=False,
        help_text="A target not yet allocated to a scheme: in money totals, not in scheme counts.",
    )
    target = models.DecimalField("full-year target (£)", max_digits=14, decimal_places=2, default=Decimal(0))
    timeline = models.TextField("timeline for completion", blank=True)
    challenges = models.TextField(blank=True)
    order = models.PositiveIntegerField(default=0)
    history = HistoricalRecords()
    objects = SchemeQuerySet.as_manager()

    class Meta:
        ordering = ["financial_year", "service_area__order", "order", "pk"]
        indexes = [models.Index(fields=["financial_year", "service_area"])]

    def __str__(self) -> str:
        return f"{self.ref} {self.title}".strip()


class SchemeQuarterQuerySet(models.QuerySet["SchemeQuarter"]):
    def for_period(self, period: Period) -> SchemeQuarterQuerySet:
        return self.filter(scheme__financial_year=period.year, quarter=period.quarter)

    def with_figures(self) -> SchemeQuarterQuerySet:
        """Rows that report something: at least one figure given (nil counts, unknown does not)
        or a RAG set. A row with nothing in it (a tracker without figure columns, a grid row
        saved with only commentary) does not make its quarter one "with figures"."""
        reported = ~Q(rag="")
        for name in QUARTER_FIGURE_NAMES:
            reported |= Q(**{f"{name}__isnull": False})
        return self.filter(reported)


class SchemeQuarter(models.Model):
    """A scheme's figures, RAG and commentary at the end of one quarter."""

    scheme = models.ForeignKey(Scheme, on_delete=models.PROTECT, related_name="quarters")
    quarter = QuarterField()
    # One field per figure of monitoring.figures.QUARTER_FIGURES (a test keeps the two in step).
    ytd_budget = money_field("year-to-date budget (£)", help_text="The target profiled to the end of the quarter.")
    ytd_actual = money_field(
        "year-to-date actual (£)", help_text="Savings delivered in the year to the quarter's end (achieved to date)."
    )
    forecast_year_end = money_field("forecast to the end of the year (£)")
    forecast_next_year = money_field(
        "forecast to the end of next year (£)", help_text="Cumulative: delivered by the end of the following year."
    )
    projected_shortfall = money_field("projected shortfall (£)")
    rag = rag_field()
    rag_reason = models.TextField("reason for the RAG change", blank=True)
    commentary = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=1)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()
    objects = SchemeQuarterQuerySet.as_manager()

    class Meta:
        ordering = ["scheme__service_area__order", "scheme__order", "scheme__pk", "quarter"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "quarter"], name="scheme_quarter_once"),
            models.CheckConstraint(condition=Q(quarter__gte=1, quarter__lte=4), name="scheme_quarter_is_q1_to_q4"),
        ]

    def __str__(self) -> str:
        return f"{self.scheme} {Quarter(self.quarter).label}"

    @property
    def rag_status(self) -> RAG | None:
        return RAG(self.rag) if self.rag else None

    @property
    def figures(self) -> calculations.SchemeFigures:
        return calculations.SchemeFigures.of(self.scheme.target, self.values)

    @property
    def values(self) -> dict[str, Decimal | None]:
        """The quarter's figures by name (monitoring.figures.QUARTER_FIGURES)."""
        return {name: getattr(self, name) for name in QUARTER_FIGURE_NAMES}

    @property
    def balance_to_achieve(self) -> Decimal | None:
        return calculations.balance_to_achieve(target=self.scheme.target, ytd_actual=self.ytd_actual)

    @property
    def suggested_rag(self) -> RAG:
        return calculations.suggested_rag(self.figures)

    @property
    def disagreements(self) -> list[str]:
        return calculations.rag_disagreements(self.rag_status, self.figures)


class StatedTotal(models.Model):
    """A total as an imported or seed document printed it. Never used as a figure: reports
    compute totals from rows and say where a stated total disagrees."""

    financial_year = FinancialYearField()
    quarter = QuarterField()
    scope = models.CharField(max_length=200, help_text="The service area or portfolio, or Total.")
    column = models.CharField(max_length=40)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    source = models.CharField(max_length=200, default="the source document")

    class Meta:
        ordering = ["financial_year", "quarter", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["financial_year", "quarter", "scope", "column", "source"], name="stated_total_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.column}: {self.amount}"


class ReminderLog(models.Model):
    """A reminder that was sent, so the same one is never sent twice (the key is unique)."""

    class Kind(models.TextChoices):
        DUE = "due", "Update due soon"
        OVERDUE = "overdue", "Update overdue"
        FINANCE = "finance", "Outstanding updates (to finance)"

    key = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    financial_year = FinancialYearField()
    quarter = QuarterField()
    plan = models.ForeignKey(DeficitRecoveryPlan, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    recipients = models.TextField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-sent_at"]

    def __str__(self) -> str:
        return self.key


class QuarterCommentary(models.Model):
    """Finance's executive summary of a quarter: the prose seed 004 opens with, shown above the
    headlines of Appendix 1, the Transformation update and the committee pack. One for every
    report of the quarter (``report`` empty), and optionally one more for a single report.

    ``text`` is finance's working copy; ``published_text`` is what the reports show, set when
    finance publishes. A draft is private: saving a draft over a published summary leaves the
    published words in the reports until the draft is published."""

    class ReportChoice(models.TextChoices):
        ALL = "", "Every report of the quarter"
        APPENDIX = "appendix", "Appendix 1 only"
        TRANSFORMATION = "transformation", "Transformation update only"

    financial_year = FinancialYearField()
    quarter = QuarterField()
    report = models.CharField(max_length=20, choices=ReportChoice.choices, blank=True, default="")
    text = models.TextField("Summary", blank=True, max_length=20_000)
    published_text = models.TextField(blank=True, max_length=20_000)
    version = models.PositiveIntegerField(default=1, help_text="Increases with every save (optimistic locking).")
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name_plural = "quarter commentaries"
        constraints = [
            models.UniqueConstraint(fields=["financial_year", "quarter", "report"], name="quarter_commentary_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.get_report_display()}, Q{self.quarter} {self.financial_year}"

    @property
    def has_unpublished_changes(self) -> bool:
        return self.text.strip() != self.published_text.strip()
