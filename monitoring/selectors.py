"""Reading monitoring data: the quarter's scheme grid, plan updates, quarters and history."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.db.models import BigIntegerField, Count, F, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import Cast, Round
from django.http import Http404
from django.shortcuts import get_object_or_404

from monitoring import calculations
from monitoring.figures import QUARTER_FIGURES, TARGET, YTD_ACTUAL
from monitoring.models import (
    DmtDecision,
    MilestoneProgress,
    MonitoringQuarter,
    PlanUpdate,
    QuarterLockEvent,
    Scheme,
    SchemeQuarter,
)
from plans.models import DeficitRecoveryPlan, Directorate, Milestone, ServiceArea
from plans.rules import can
from recovery.history import Change, history_of
from recovery.periods import FinancialYear, Period, Quarter
from recovery.rag import RAG, Movement, movement


@dataclass(frozen=True)
class GridColumn:
    key: str
    label: str


#: The grid's money columns: the target, then the quarterly figures the grid shows (those with
#: a "grid" label), with the balance to achieve (computed) after the YTD actual it comes from.
GRID_COLUMNS: tuple[GridColumn, ...] = (
    GridColumn(TARGET.name, "Full-year target"),
    *(
        column
        for figure in QUARTER_FIGURES
        if "grid" in figure.report_labels
        for column in (
            (GridColumn(figure.name, figure.report_labels["grid"]),)
            + ((GridColumn("balance_to_achieve", "Balance to achieve"),) if figure is YTD_ACTUAL else ())
        )
    ),
)


@dataclass
class GridRow:
    """One scheme in the quarter's grid: its figures this quarter and last quarter's RAG."""

    scheme: Scheme
    figures: SchemeQuarter | None
    previous_rag: RAG | None

    @property
    def rag(self) -> RAG | None:
        return self.figures.rag_status if self.figures else None

    @property
    def movement(self) -> Movement:
        return movement(self.previous_rag, self.rag)

    @property
    def balance_to_achieve(self) -> Decimal | None:
        return calculations.balance_to_achieve(
            target=self.scheme.target, ytd_actual=self.figures.ytd_actual if self.figures else None
        )

    @property
    def scheme_figures(self) -> calculations.SchemeFigures:
        if self.figures is None:
            return calculations.SchemeFigures(target=self.scheme.target)
        return self.figures.figures

    @property
    def suggested_rag(self) -> RAG:
        return calculations.suggested_rag(self.scheme_figures)

    @property
    def disagreements(self) -> list[str]:
        return calculations.rag_disagreements(self.rag, self.scheme_figures)

    def value(self, name: str) -> Decimal | None:
        if name == "target":
            return self.scheme.target
        if name == "balance_to_achieve":
            return self.balance_to_achieve
        return getattr(self.figures, name) if self.figures else None

    @property
    def amounts(self) -> list[Decimal | None]:
        """The row's money cells in GRID_COLUMNS order."""
        return [self.value(column.key) for column in GRID_COLUMNS]


@dataclass
class GridTotals:
    """Totals of the grid's money columns by key (GRID_COLUMNS), schemes counted by RAG. A
    column no scheme gave is None; ``known`` counts the schemes (of ``rows``) that gave each."""

    values: dict[str, Decimal | None]
    scheme_count: int
    counts: dict[RAG, int] = field(default_factory=dict)
    known: dict[str, int] = field(default_factory=dict)
    rows: int = 0

    def covers(self, key: str) -> str:
        """ "3 of 7 schemes" where only some of the rows gave the column's figure; else ""."""
        known = self.known.get(key, self.rows)
        return f"{known} of {self.rows} schemes" if 0 < known < self.rows else ""

    def __getattr__(self, name: str) -> Decimal:
        try:
            return self.__dict__["values"][name]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def amounts(self) -> list[Decimal | None]:
        return [self.values[column.key] for column in GRID_COLUMNS]

    @property
    def cells(self) -> list[tuple[Decimal | None, str]]:
        """Each column's total and what it covers ("3 of 7 schemes", or "")."""
        return [(self.values[column.key], self.covers(column.key)) for column in GRID_COLUMNS]


GRID_PAGE_SIZE = 50
# The grid's money columns that are summed from this quarter's figures (the others, target and
# balance to achieve, come from the scheme and from the totals).
_QUARTER_KEYS = tuple(column.key for column in GRID_COLUMNS if column.key not in ("target", "balance_to_achieve"))
_PENCE = Decimal("0.01")


def _pounds_sum(expression: Any) -> Sum:
    """SUM of an amount as whole pence (an integer), so the total is exact on every database:
    SQLite keeps a decimal column as a binary float, and summing those would be a float sum."""
    return Sum(Cast(Round(expression * 100), BigIntegerField()))


def _pounds(pence: int | None) -> Decimal | None:
    """Whole pence from the database as pounds; None where no row gave an amount (unknown)."""
    return None if pence is None else Decimal(pence) * _PENCE


def grid_schemes(
    *,
    period: Period,
    directorate: int | None = None,
    service_area: int | None = None,
    rag: RAG | None = None,
) -> QuerySet[Scheme]:
    """The year's schemes that match the grid's filters, in the grid's order (not yet read)."""
    schemes: QuerySet[Scheme] = Scheme.objects.for_year(period.year).with_organisation()
    if directorate:
        schemes = schemes.filter(service_area__portfolio__directorate_id=directorate)
    if service_area:
        schemes = schemes.filter(service_area_id=service_area)
    if rag is not None:
        schemes = schemes.filter(quarters__quarter=period.quarter, quarters__rag=rag.value)
    return schemes.order_by(
        "service_area__portfolio__directorate__name", "service_area__order", "service_area__name", "order", "pk"
    )


def grid_rows(*, period: Period, schemes: Iterable[Scheme]) -> list[GridRow]:
    """The given schemes (a page of the grid) with their figures for the quarter and last
    quarter's RAG, in two queries."""
    earlier = period.previous_in_year
    scheme_list = list(schemes)
    figures: dict[tuple[int, int], SchemeQuarter] = {
        (item.scheme_id, item.quarter): item
        for item in SchemeQuarter.objects.filter(
            scheme__in=[s.pk for s in scheme_list], quarter__in=period.with_previous_in_year
        )
    }
    rows = []
    for scheme in scheme_list:
        current = figures.get((scheme.pk, int(period.quarter)))
        previous = figures.get((scheme.pk, int(earlier.quarter))) if earlier else None
        if current is not None:
            current.scheme = scheme  # already read: its figures need the target
        rows.append(GridRow(scheme=scheme, figures=current, previous_rag=previous.rag_status if previous else None))
    return rows


def grid_totals(*, period: Period, schemes: QuerySet[Scheme]) -> GridTotals:
    """Totals of the grid's money columns over every scheme that matches (not only the page
    shown), summed by the database from the rows, with schemes counted by RAG; the unallocated
    requirement counts in money, not as a scheme. Two queries, whatever the number of schemes."""
    this_quarter = SchemeQuarter.objects.filter(scheme__in=schemes.values("pk"), quarter=period.quarter)
    money = this_quarter.aggregate(
        **{f"sum_{key}": _pounds_sum(F(key)) for key in _QUARTER_KEYS},
        **{f"known_{key}": Count(key) for key in _QUARTER_KEYS},
        # The balance is shown where the actual is known: its total is of those rows' targets.
        target_with_actual=Sum(
            Cast(Round(F("scheme__target") * 100), BigIntegerField()), filter=Q(ytd_actual__isnull=False)
        ),
    )
    schemes_money = schemes.order_by().aggregate(
        target=_pounds_sum(F("target")), count=Count("pk", filter=Q(is_unallocated=False)), rows=Count("pk")
    )
    counts: dict[RAG, int] = dict.fromkeys(RAG, 0)
    for value, count in (
        this_quarter.filter(scheme__is_unallocated=False)
        .exclude(rag="")
        .order_by()
        .values_list("rag")
        .annotate(count=Count("pk"))
    ):
        counts[RAG(value)] += count
    # Every total is the sum of what its rows show: a scheme with no figures this quarter shows
    # "–" in each column, so it counts in no quarter total (and in the target's).
    target = _pounds(schemes_money["target"]) or Decimal(0)
    summed = {key: _pounds(money[f"sum_{key}"]) for key in _QUARTER_KEYS}
    with_actual = _pounds(money["target_with_actual"])
    computed = {
        "target": target,
        "balance_to_achieve": calculations.balance_to_achieve(
            target=with_actual or Decimal(0), ytd_actual=summed.get("ytd_actual")
        ),
        **summed,
    }
    known = {key: money[f"known_{key}"] for key in _QUARTER_KEYS}
    known["balance_to_achieve"] = known.get("ytd_actual", 0)
    return GridTotals(
        values={column.key: computed[column.key] for column in GRID_COLUMNS},
        scheme_count=schemes_money["count"],
        counts=counts,
        known=known,
        rows=schemes_money["rows"],
    )


GRID_READERS_ONLY = "The scheme grid is for finance officers and executives."


def _require_grid_reader(user: User | AnonymousUser, message: str = GRID_READERS_ONLY) -> None:
    """The grid, its rows and a scheme's history are for finance officers and executives."""
    if not can(user, "monitoring.view_grid"):
        raise PermissionDenied(message)


@dataclass(frozen=True)
class GridAccess:
    """What the grid page needs before it reads a row: the quarter's lock record, what the user
    may do there, and the choices of its filters."""

    record: MonitoringQuarter | None
    can_edit: bool
    can_lock: bool
    directorates: list[tuple[int, str]]
    areas: list[tuple[int, str]]

    @property
    def locked(self) -> bool:
        return bool(self.record and self.record.is_locked)


def grid_access(*, user: User | AnonymousUser, period: Period) -> GridAccess:
    """The quarter's grid as ``user`` may use it (PermissionDenied unless they may read it)."""
    _require_grid_reader(user)
    directorates = list(Directorate.objects.values_list("pk", "name"))
    areas = list(ServiceArea.objects.values_list("pk", "name"))
    record = monitoring_quarter(period)
    return GridAccess(
        record=record,
        can_edit=can(user, "monitoring.change_scheme") and not (record and record.is_locked),
        can_lock=can(user, "monitoring.lock_quarter"),
        directorates=directorates,
        areas=areas,
    )


def grid_row(*, user: User | AnonymousUser, period: Period, scheme_pk: int) -> GridRow:
    """One row of the grid (for editing it in place); PermissionDenied unless ``user`` may read
    the grid, 404 for a scheme not of the quarter's year."""
    _require_grid_reader(user)
    scheme = get_object_or_404(Scheme.objects.for_year(period.year).with_organisation(), pk=scheme_pk)
    by_quarter = {Quarter(item.quarter): item for item in scheme.quarters.all()}
    earlier = period.previous_in_year
    previous = by_quarter.get(earlier.quarter) if earlier else None
    return GridRow(
        scheme=scheme, figures=by_quarter.get(period.quarter), previous_rag=previous.rag_status if previous else None
    )


@dataclass(frozen=True)
class SchemeHistory:
    """A scheme's own changes, and each quarter's figures and RAG changes with their reasons."""

    scheme: Scheme
    scheme_changes: list[Change]
    quarters: list[tuple[Quarter, list[Change]]]


def scheme_history(*, user: User | AnonymousUser, scheme_pk: int) -> SchemeHistory:
    """A scheme's history (finance officers and executives, as the grid; 404 for no scheme)."""
    _require_grid_reader(user, "Scheme history is for finance officers and executives.")
    scheme = get_object_or_404(Scheme.objects.with_organisation(), pk=scheme_pk)
    quarters = [
        (Quarter(item.quarter), history_of(item, reason_field="rag_reason"))
        for item in SchemeQuarter.objects.filter(scheme=scheme).order_by("quarter")
    ]
    return SchemeHistory(scheme=scheme, scheme_changes=history_of(scheme), quarters=quarters)


@dataclass(frozen=True)
class QuarterActions:
    """What the user may do from the list of quarters (the buttons it shows)."""

    can_lock: bool
    can_reopen: bool
    can_view_grid: bool
    can_import: bool
    can_write_summary: bool


def quarter_actions(*, user: User | AnonymousUser) -> QuarterActions:
    return QuarterActions(
        can_lock=can(user, "monitoring.lock_quarter"),
        can_reopen=can(user, "monitoring.reopen_quarter"),
        can_view_grid=can(user, "monitoring.view_grid"),
        can_import=can(user, "monitoring.import_tracker"),
        can_write_summary=can(user, "monitoring.write_commentary"),
    )


def monitoring_quarter(period: Period) -> MonitoringQuarter | None:
    return (
        MonitoringQuarter.objects.filter(financial_year=period.year, quarter=period.quarter)
        .select_related("locked_by")
        .first()
    )


@dataclass(frozen=True)
class LockSummary:
    """What locking a quarter freezes, and what is still open in it (for the confirmation page)."""

    plans: int  # submitted plans of the year
    updates_published: int  # updates submitted or approved for the quarter
    updates_awaiting_review: int
    schemes: int  # schemes of the year, the unallocated requirement not counted
    schemes_rated: int

    @property
    def plans_without_update(self) -> int:
        return self.plans - self.updates_published

    @property
    def schemes_not_rated(self) -> int:
        return self.schemes - self.schemes_rated


LOCKERS_ONLY = "Only finance officers can lock a quarter."
REOPENERS_ONLY = "Only an administrator can reopen a locked quarter."


def quarter_lock_summary(period: Period) -> LockSummary:
    """Counts for the lock's confirmation page: three queries."""
    plans = DeficitRecoveryPlan.objects.filter(
        financial_year=period.year, status=DeficitRecoveryPlan.Status.SUBMITTED
    ).count()
    updates = (
        PlanUpdate.objects.published()
        .for_period(period)
        .aggregate(published=Count("pk"), awaiting=Count("pk", filter=Q(status=PlanUpdate.Status.SUBMITTED)))
    )
    schemes = Scheme.objects.for_year(period.year).filter(is_unallocated=False)
    return LockSummary(
        plans=plans,
        updates_published=updates["published"],
        updates_awaiting_review=updates["awaiting"],
        schemes=schemes.count(),
        schemes_rated=SchemeQuarter.objects.filter(scheme__in=schemes, quarter=period.quarter).exclude(rag="").count(),
    )


@dataclass(frozen=True)
class DmtDecisionRecord:
    """One decision DMT recorded on an update's alternative proposal."""

    decision: DmtDecision
    comments: str
    by: str
    at: datetime | None


def dmt_decisions(update: PlanUpdate) -> list[DmtDecisionRecord]:
    """Every decision DMT recorded on the update's proposal, newest first, read from the
    update's history (a decision replaced by a later one is kept): two queries."""
    rows = list(
        update.history.filter(dmt_decided_at__isnull=False)
        .exclude(dmt_decision="")
        .order_by("history_date", "history_id")
        .values("dmt_decision", "dmt_comments", "dmt_decided_by", "dmt_decided_at")
    )
    names = {
        user.pk: user.get_full_name() or user.get_username()
        for user in User.objects.filter(pk__in={row["dmt_decided_by"] for row in rows})
    }
    records: list[DmtDecisionRecord] = []
    seen: set[tuple[Any, ...]] = set()
    for row in rows:
        key = (row["dmt_decision"], row["dmt_comments"], row["dmt_decided_by"], row["dmt_decided_at"])
        if key in seen:
            continue  # a later save of the update that left the decision as it was
        seen.add(key)
        records.append(
            DmtDecisionRecord(
                decision=DmtDecision(row["dmt_decision"]),
                comments=row["dmt_comments"],
                by=names.get(row["dmt_decided_by"], ""),
                at=row["dmt_decided_at"],
            )
        )
    return records[::-1]


def quarter_events(period: Period) -> QuerySet[QuarterLockEvent]:
    return QuarterLockEvent.objects.filter(
        monitoring_quarter__financial_year=period.year, monitoring_quarter__quarter=period.quarter
    ).select_related("user")


@dataclass(frozen=True)
class LockPage:
    """The lock's confirmation page: the quarter's record, and what locking it freezes (None
    when it is locked already: there is nothing to confirm)."""

    record: MonitoringQuarter | None
    summary: LockSummary | None


def quarter_lock_page(*, user: User | AnonymousUser, period: Period) -> LockPage:
    """What the lock's confirmation page shows; finance officers only (PermissionDenied)."""
    if not can(user, "monitoring.lock_quarter"):
        raise PermissionDenied(LOCKERS_ONLY)
    record = monitoring_quarter(period)
    if record is not None and record.is_locked:
        return LockPage(record=record, summary=None)
    return LockPage(record=record, summary=quarter_lock_summary(period))


@dataclass(frozen=True)
class ReopenPage:
    """The reopening page: the lock it undoes and the quarter's lock history."""

    record: MonitoringQuarter | None
    events: QuerySet[QuarterLockEvent]


def quarter_reopen_page(*, user: User | AnonymousUser, period: Period) -> ReopenPage:
    """What the reopening page shows; administrators only (PermissionDenied)."""
    if not can(user, "monitoring.reopen_quarter"):
        raise PermissionDenied(REOPENERS_ONLY)
    return ReopenPage(record=monitoring_quarter(period), events=quarter_events(period))


def years_with_data() -> list[FinancialYear]:
    """Financial years that have plans or schemes, newest first."""
    years = set(DeficitRecoveryPlan.objects.values_list("financial_year", flat=True))
    years |= set(Scheme.objects.values_list("financial_year", flat=True))
    return sorted((FinancialYear.parse(year) for year in years), reverse=True)


def quarters_overview() -> list[tuple[FinancialYear, list[tuple[Period, MonitoringQuarter | None]]]]:
    """For each year with data, its four quarters and their lock records."""
    years = years_with_data()
    records = {
        (FinancialYear.parse(record.financial_year), Quarter(record.quarter)): record
        for record in MonitoringQuarter.objects.select_related("locked_by")
    }
    return [(year, [(Period(year, quarter), records.get((year, quarter))) for quarter in Quarter]) for year in years]


# Plan updates -----------------------------------------------------------------------------


def plans_with_updates(
    *, user: User | AnonymousUser, period: Period
) -> list[tuple[DeficitRecoveryPlan, PlanUpdate | None]]:
    """The period's plans the user can see, each with its update for the quarter (if any)."""
    plans = (
        DeficitRecoveryPlan.objects.visible_to(user)
        .with_organisation()
        .filter(financial_year=period.year)
        .prefetch_related(
            Prefetch(
                "updates",
                # Drafts are private: an update the user may not read is left out ("Not submitted").
                queryset=PlanUpdate.objects.visible_to(user)
                .filter(quarter=period.quarter)
                .select_related("submitted_by"),
                to_attr="period_updates",
            )
        )
        .order_by("service_area__portfolio__directorate__name", "service_area__name", "pk")
    )
    return [(plan, plan.period_updates[0] if plan.period_updates else None) for plan in plans]


def plan_update_for(*, plan: DeficitRecoveryPlan, quarter: Quarter) -> PlanUpdate | None:
    return (
        PlanUpdate.objects.filter(plan=plan, quarter=quarter)
        .select_related("submitted_by", "reviewed_by")
        .prefetch_related(
            Prefetch("milestone_progress", queryset=MilestoneProgress.objects.select_related("milestone"))
        )
        .first()
    )


def plan_updates_by_quarter(plan: DeficitRecoveryPlan) -> dict[Quarter, PlanUpdate]:
    return {Quarter(update.quarter): update for update in PlanUpdate.objects.filter(plan=plan)}


def milestone_slippage(plan: DeficitRecoveryPlan) -> dict[int, list[MilestoneProgress]]:
    """Each milestone's reported progress, oldest first: the original date stays on the milestone."""
    history: dict[int, list[MilestoneProgress]] = {}
    for item in (
        MilestoneProgress.objects.filter(milestone__plan=plan).select_related("update").order_by("update__quarter")
    ):
        history.setdefault(item.milestone_id, []).append(item)
    return history


def current_due(milestone: Milestone, progress: Iterable[MilestoneProgress]) -> Any:
    """The latest revised date of a milestone, or its original one."""
    due = milestone.due_date
    for item in progress:
        if item.revised_due_date:
            due = item.revised_due_date
    return due


def scheme_quarters_as_at(*, period: Period, moment: datetime) -> dict[int, SchemeQuarter]:
    """Each scheme's figures and RAG for a quarter as they stood at a moment in time, from
    history: "RAG as at the end of Q2" stays answerable after later edits."""
    scheme_ids = list(Scheme.objects.for_year(period.year).values_list("pk", flat=True))
    historical = SchemeQuarter.history.as_of(moment).filter(scheme_id__in=scheme_ids, quarter=period.quarter)
    return {row.scheme_id: row for row in historical}


def plan_update_for_reader(*, user: User | AnonymousUser, plan_pk: int, quarter: Quarter) -> PlanUpdate:
    """The plan's update for the quarter; 404 unless ``user`` may read it (drafts are private)."""
    plan = plan_update_visible(user=user, plan_pk=plan_pk)
    updates = PlanUpdate.objects.select_related("plan__service_area__portfolio__directorate")
    update = get_object_or_404(updates, plan=plan, quarter=quarter)
    if not can(user, "monitoring.read_update", update):
        raise Http404("No update has been submitted for this quarter.")
    return update


DMT_ONLY = "Only an executive (DMT) decides, and only on the alternative proposal of a submitted RED update."


def plan_update_for_dmt(*, user: User | AnonymousUser, plan_pk: int, quarter: Quarter) -> PlanUpdate:
    """The update whose alternative proposal DMT decides on: 404 unless ``user`` may read it,
    PermissionDenied unless they may decide (an executive, a published RED update)."""
    update = plan_update_for_reader(user=user, plan_pk=plan_pk, quarter=quarter)
    if not can(user, "monitoring.decide_proposal", update):
        raise PermissionDenied(DMT_ONLY)
    return update


def plan_update_visible(*, user: User | AnonymousUser, plan_pk: int) -> DeficitRecoveryPlan:
    plan = get_object_or_404(
        DeficitRecoveryPlan.objects.visible_to(user)
        .with_organisation()
        .prefetch_related(Prefetch("milestones", queryset=Milestone.objects.order_by("order", "pk"))),
        pk=plan_pk,
    )
    return plan
