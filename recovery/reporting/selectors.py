"""Reading what the reports need, in a fixed number of queries, as the builders' plain inputs."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, ClassVar, cast

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    FilteredRelation,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)
from django.shortcuts import get_object_or_404
from django.utils import timezone

from monitoring.calculations import balance_to_achieve
from monitoring.commentary import published_summary
from monitoring.figures import QUARTER_FIGURE_NAMES
from monitoring.models import MilestoneProgress, PlanUpdate, Scheme, SchemeQuarter, StatedTotal
from plans.models import DeficitRecoveryPlan, Directorate, Milestone, Portfolio, ServiceArea
from plans.rules import can
from plans.selectors import plans_for_list
from recovery.periods import FinancialYear, Period, Quarter
from recovery.rag import RAG, OnTarget
from recovery.reporting import builders, dashboard, exception_report, paging, picker
from recovery.reporting.report import Report, Row


@dataclass(frozen=True)
class ReportFilters:
    directorate: int | None = None
    portfolio: int | None = None
    service_area: int | None = None

    def apply(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        """Narrow schemes or plans (both belong to a service area) to the filters given."""
        if self.directorate:
            queryset = queryset.filter(service_area__portfolio__directorate_id=self.directorate)
        if self.portfolio:
            queryset = queryset.filter(service_area__portfolio_id=self.portfolio)
        if self.service_area:
            queryset = queryset.filter(service_area_id=self.service_area)
        return queryset

    def describe(self) -> dict[str, str]:
        """The filters by name, for the report's heading."""
        described = {}
        if self.directorate:
            described["Directorate"] = str(Directorate.objects.filter(pk=self.directorate).first() or "—")
        if self.portfolio:
            described["Portfolio"] = str(Portfolio.objects.filter(pk=self.portfolio).first() or "—")
        if self.service_area:
            described["Service area"] = str(ServiceArea.objects.filter(pk=self.service_area).first() or "—")
        return described


_LINE_FIGURES = QUARTER_FIGURE_NAMES


SCHEME_ORDER = ("service_area__order", "service_area__name", "order", "pk")  # the reports' order of schemes


def _schemes_with_figures(*, period: Period, filters: ReportFilters, previous: bool = False) -> QuerySet[Scheme]:
    """The year's schemes (filtered), the quarter's figures joined as ``figures`` where there
    are any (and, with ``previous`` after Q1, last quarter's as ``last_quarter``)."""
    schemes = filters.apply(Scheme.objects.for_year(period.year)).annotate(
        figures=FilteredRelation("quarters", condition=Q(quarters__quarter=period.quarter))
    )
    earlier = period.previous_in_year
    if previous and earlier is not None:
        schemes = schemes.annotate(
            last_quarter=FilteredRelation("quarters", condition=Q(quarters__quarter=earlier.quarter))
        )
    return schemes


def _scheme_line_values(
    *,
    period: Period,
    filters: ReportFilters,
    previous: bool = False,
    schemes: QuerySet[Scheme] | None = None,
    extra: Sequence[str] = (),
) -> QuerySet[Scheme, dict[str, Any]]:
    """The year's schemes (filtered) as plain values with the quarter's figures joined where
    there are any (and last quarter's RAG): one query, no model objects. ``schemes`` narrows
    and orders them (from ``_schemes_with_figures``)."""
    if schemes is None:
        schemes = _schemes_with_figures(period=period, filters=filters, previous=previous).order_by(*SCHEME_ORDER)
    if previous and period.previous_in_year is not None:
        extra = ["last_quarter__rag", *extra]
    return schemes.values(
        "ref",
        "title",
        "target",
        "recurrence",
        "is_unallocated",
        "timeline",
        "challenges",
        "service_area__name",
        "service_area__order",
        "service_area__portfolio__name",
        "service_area__portfolio__directorate__name",
        "figures__pk",
        "figures__rag",
        "figures__commentary",
        *(f"figures__{name}" for name in _LINE_FIGURES),
        *extra,
    )


def _line(row: dict[str, Any]) -> builders.SchemeLine:
    return builders.SchemeLine(
        directorate=row["service_area__portfolio__directorate__name"],
        portfolio=row["service_area__portfolio__name"],
        service_area=row["service_area__name"],
        service_area_order=row["service_area__order"],
        ref=row["ref"],
        title=row["title"],
        target=row["target"],
        recurrence=row["recurrence"],
        is_unallocated=row["is_unallocated"],
        rag=RAG(row["figures__rag"]) if row["figures__rag"] else None,
        timeline=row["timeline"],
        challenges=row["challenges"],
        commentary=row["figures__commentary"] or "",
        **builders.figure_values({name: row[f"figures__{name}"] for name in _LINE_FIGURES}),
    )


def scheme_lines(*, period: Period, filters: ReportFilters = ReportFilters()) -> list[builders.SchemeLine]:
    """Every scheme of the year (filtered) with its figures for the quarter: one query."""
    return [_line(row) for row in _scheme_line_values(period=period, filters=filters)]


def portfolios_in_scope(*, period: Period, filters: ReportFilters = ReportFilters()) -> list[str]:
    """Every portfolio the Overall Total lists, empty ones too: those of the directorates that
    have schemes in the year (or of the directorate filtered on), in their reporting order."""
    portfolios = Portfolio.objects.all()
    if filters.service_area:
        portfolios = portfolios.filter(service_areas__pk=filters.service_area)
    elif filters.portfolio:
        portfolios = portfolios.filter(pk=filters.portfolio)
    elif filters.directorate:
        portfolios = portfolios.filter(directorate_id=filters.directorate)
    else:
        directorates = Scheme.objects.for_year(period.year).values("service_area__portfolio__directorate")
        portfolios = portfolios.filter(directorate__in=directorates)
    return list(portfolios.order_by("directorate__name", "order", "name").values_list("name", flat=True).distinct())


def stated_figures(*, period: Period) -> list[builders.StatedFigure]:
    return [
        builders.StatedFigure(scope=item.scope, column=item.column, amount=item.amount, source=item.source)
        for item in StatedTotal.objects.filter(financial_year=period.year, quarter=period.quarter)
    ]


def stated_total_warnings(*, period: Period) -> list[str]:
    """Each total a source document states for the period that disagrees with the rows."""
    stated = stated_figures(period=period)
    if not stated:
        return []
    report = appendix_report(period=period)
    return [note for note in report.notes if note.endswith(builders.STATED_TOTAL_NOTE_END)]


def _now(generated_at: datetime | None) -> datetime:
    return generated_at or timezone.localtime()


def appendix_report(
    *,
    period: Period,
    filters: ReportFilters = ReportFilters(),
    generated_at: datetime | None = None,
) -> Report:
    stated = stated_figures(period=period) if filters == ReportFilters() else []
    report = builders.build_appendix(
        period=period,
        lines=scheme_lines(period=period, filters=filters),
        portfolios=portfolios_in_scope(period=period, filters=filters),
        organisation=settings.ORGANISATION_NAME,
        generated_at=_now(generated_at),
        stated=stated,
        filters=filters.describe(),
    )
    report.summary = published_summary(period=period, report=ReportKind.APPENDIX.value)
    return report


def transformation_report(
    *,
    period: Period,
    filters: ReportFilters = ReportFilters(),
    generated_at: datetime | None = None,
) -> Report:
    report = builders.build_transformation(
        period=period,
        lines=scheme_lines(period=period, filters=filters),
        organisation=settings.ORGANISATION_NAME,
        generated_at=_now(generated_at),
        filters=filters.describe(),
    )
    report.summary = published_summary(period=period, report=ReportKind.TRANSFORMATION.value)
    return report


def plan_snapshot(plan: DeficitRecoveryPlan) -> builders.PlanSnapshot:
    """A plan with its milestones and quarterly updates, read in a fixed number of queries.
    Drafts are private: only submitted or approved updates (and their milestone progress) are
    in a report."""
    milestones = list(Milestone.objects.filter(plan=plan).order_by("order", "pk"))
    published = PlanUpdate.objects.published().filter(plan=plan)
    progress = MilestoneProgress.objects.filter(milestone__plan=plan, update__in=published).select_related("update")
    latest: dict[int, MilestoneProgress] = {}
    for item in sorted(progress, key=lambda entry: entry.update.quarter):
        latest[item.milestone_id] = item
    revised: dict[int, str] = {}
    for item in progress:
        if item.revised_due_text:
            revised[item.milestone_id] = item.revised_due_text
    updates = published.order_by("quarter").select_related("dmt_decided_by")
    area = plan.service_area
    return builders.PlanSnapshot(
        year=plan.financial_year,
        directorate=area.portfolio.directorate.name,
        tracker_ref=plan.tracker_ref,
        service_director=plan.service_director,
        service_area=area.name,
        service_manager=plan.service_manager,
        cost_centres=plan.cost_centres,
        previous_year_budget=plan.previous_year_budget,
        previous_year_budget_note=plan.previous_year_budget_note,
        previous_year_outturn=plan.previous_year_outturn,
        previous_year_outturn_note=plan.previous_year_outturn_note,
        current_year_budget=plan.current_year_budget,
        current_year_budget_note=plan.current_year_budget_note,
        pressure=plan.pressure,
        pressure_note=plan.pressure_note,
        deficit_since=str(plan.deficit_since) if plan.deficit_since else "",
        context=plan.context,
        actions=plan.actions,
        status=plan.get_status_display(),
        milestones=[
            builders.MilestoneLine(
                details=milestone.details,
                amount=milestone.amount,
                per_year=milestone.per_year,
                due_text=milestone.due_text,
                revised=revised.get(milestone.pk, ""),
                status=latest[milestone.pk].get_status_display() if milestone.pk in latest else "",
            )
            for milestone in milestones
        ],
        updates=[
            builders.UpdateLine(
                quarter=Quarter(update.quarter),
                on_target=OnTarget(update.on_target).label if update.on_target else "",
                narrative=update.narrative,
                status=update.get_status_display(),
                rag=RAG(update.rag) if update.rag else None,
                rag_reason=update.rag_reason,
                milestones_explanation=update.milestones_explanation,
                recovery_actions=update.recovery_actions,
                alternative_proposal=update.alternative_proposal,
                dmt_decision=_dmt_decision_text(update),
            )
            for update in updates
        ],
    )


def _dmt_decision_text(update: PlanUpdate) -> str:
    """DMT's decision on the update's alternative proposal, in a sentence ("" when none yet)."""
    if not update.dmt_decision:
        return ""
    who = update.dmt_decided_by
    name = (who.get_full_name() or who.get_username()) if who else "DMT"
    when = f" on {timezone.localtime(update.dmt_decided_at):%d/%m/%Y}" if update.dmt_decided_at else ""
    comments = f": {update.dmt_comments}" if update.dmt_comments else ""
    return f"{update.get_dmt_decision_display()} ({name}{when}){comments}"


def plan_report(*, plan: DeficitRecoveryPlan, generated_at: datetime | None = None) -> Report:
    return builders.build_plan(
        plan=plan_snapshot(plan), organisation=settings.ORGANISATION_NAME, generated_at=_now(generated_at)
    )


class ReportKind(enum.StrEnum):
    """The reports a page, a download or a background PDF can ask for."""

    APPENDIX = "appendix"
    TRANSFORMATION = "transformation"
    PLAN = "plan"
    EXCEPTIONS = "exceptions"


REPORT_KINDS = tuple(kind.value for kind in ReportKind)


@dataclass(frozen=True)
class AppendixRequest:
    """Appendix 1 for a quarter, optionally filtered."""

    period: Period
    filters: ReportFilters = ReportFilters()
    kind: ClassVar[ReportKind] = ReportKind.APPENDIX


@dataclass(frozen=True)
class TransformationRequest:
    """The Transformation Plan update for a quarter, optionally filtered."""

    period: Period
    filters: ReportFilters = ReportFilters()
    kind: ClassVar[ReportKind] = ReportKind.TRANSFORMATION


@dataclass(frozen=True)
class ExceptionsRequest:
    """The exception report for a quarter: every view, or ``only`` one of them."""

    period: Period
    filters: ReportFilters = ReportFilters()
    only: str = ""
    kind: ClassVar[ReportKind] = ReportKind.EXCEPTIONS


@dataclass(frozen=True)
class PlanRequest:
    """One plan's report."""

    plan_id: int
    kind: ClassVar[ReportKind] = ReportKind.PLAN


ReportRequest = AppendixRequest | TransformationRequest | ExceptionsRequest | PlanRequest


def build_report(request: ReportRequest) -> Report:
    """The report a typed request asks for."""
    if isinstance(request, PlanRequest):
        return plan_report(plan=DeficitRecoveryPlan.objects.with_organisation().get(pk=request.plan_id))
    if isinstance(request, AppendixRequest):
        return appendix_report(period=request.period, filters=request.filters)
    if isinstance(request, ExceptionsRequest):
        return exceptions_report(period=request.period, filters=request.filters, only=request.only or None)
    return transformation_report(period=request.period, filters=request.filters)


SUMMARY_READERS_ONLY = "The executive summaries are for finance officers, executives and administrators."


def may_read_summaries(*, user: AbstractBaseUser | AnonymousUser) -> bool:
    """Whether ``user`` may read the executive summaries (Appendix 1, the Transformation update,
    the exceptions, the dashboard, the committee pack and the open data): reporting/rules.py."""
    return can(user, "reporting.view_summaries")


def require_summary_reader(user: AbstractBaseUser | AnonymousUser) -> None:
    """PermissionDenied unless ``user`` may read the executive summaries."""
    if not may_read_summaries(user=user):
        raise PermissionDenied(SUMMARY_READERS_ONLY)


def report_for_user(*, user: AbstractBaseUser | AnonymousUser, request: ReportRequest) -> Report:
    """The report a typed request asks for, as ``user`` may read it: a plan's report follows the
    plan's view rule (404 for a plan they may not see, drafts included); the summaries are for
    finance officers, executives and administrators (PermissionDenied)."""
    if isinstance(request, PlanRequest):
        plan = get_object_or_404(DeficitRecoveryPlan.objects.visible_to(user).with_organisation(), pk=request.plan_id)
        return plan_report(plan=plan)
    require_summary_reader(user)
    return build_report(request)


def may_read_report(*, user: AbstractBaseUser | AnonymousUser, kind: str, params: dict[str, Any]) -> bool:
    """Whether ``user`` may read the report a background job carries (kind and plain params),
    by the rules of report_for_user."""
    if kind == ReportKind.PLAN:
        plan_id = params.get("plan_id")
        return isinstance(plan_id, int) and DeficitRecoveryPlan.objects.visible_to(user).filter(pk=plan_id).exists()
    return may_read_summaries(user=user)


@dataclass(frozen=True)
class ReportIndex:
    """The reports page: the years with schemes (for readers of the summaries) and the plans
    the user may see."""

    years: list[FinancialYear]
    plans: QuerySet[DeficitRecoveryPlan]
    can_read: bool


def report_index(*, user: User | AnonymousUser) -> ReportIndex:
    can_read = may_read_summaries(user=user)
    years = sorted(
        {FinancialYear.parse(year) for year in Scheme.objects.values_list("financial_year", flat=True)}, reverse=True
    )
    return ReportIndex(years=years if can_read else [], plans=plans_for_list(user=user)[:200], can_read=can_read)


def request_params(request: ReportRequest) -> dict[str, int | str | None]:
    """A request as plain data, for a background job to carry (``report_request`` reads it back)."""
    if isinstance(request, PlanRequest):
        return {"plan_id": request.plan_id}
    params: dict[str, int | str | None] = {
        "year": str(request.period.year),
        "quarter": request.period.quarter.label,
        "directorate": request.filters.directorate,
        "portfolio": request.filters.portfolio,
        "service_area": request.filters.service_area,
    }
    if isinstance(request, ExceptionsRequest):
        params["only"] = request.only
    return params


def report_request(kind: str, params: dict[str, int | str | None]) -> ReportRequest:
    """Read back a request a background job carries: appendix/transformation/exceptions take
    year ("2022/23"), quarter ("Q3") and optional filter ids (exceptions also ``only``); plan
    takes plan_id. Raises ValueError for anything else."""
    report_kind = ReportKind(kind)
    if report_kind == ReportKind.PLAN:
        return PlanRequest(plan_id=int(str(params["plan_id"])))
    period = Period(FinancialYear.parse(str(params["year"])), Quarter.parse(str(params["quarter"])))
    filters = ReportFilters(
        directorate=_int_or_none(params.get("directorate")),
        portfolio=_int_or_none(params.get("portfolio")),
        service_area=_int_or_none(params.get("service_area")),
    )
    if report_kind == ReportKind.APPENDIX:
        return AppendixRequest(period=period, filters=filters)
    if report_kind == ReportKind.EXCEPTIONS:
        return ExceptionsRequest(period=period, filters=filters, only=str(params.get("only") or ""))
    return TransformationRequest(period=period, filters=filters)


def report_for(kind: str, params: dict[str, int | str | None]) -> Report:
    """Build a report from the plain parameters a background job carries."""
    return build_report(report_request(kind, params))


def _int_or_none(value: int | str | None) -> int | None:
    return int(value) if value not in (None, "") else None


def scheme_exceptions(
    *, period: Period, filters: ReportFilters = ReportFilters()
) -> list[exception_report.SchemeException]:
    """Each scheme of the year with this quarter's figures and last quarter's RAG: one query."""
    return [_exception(row) for row in _scheme_line_values(period=period, filters=filters, previous=True)]


def _exception(row: dict[str, Any]) -> exception_report.SchemeException:
    return exception_report.SchemeException(
        line=_line(row),
        previous_rag=RAG(row["last_quarter__rag"]) if row.get("last_quarter__rag") else None,
        has_figures=row["figures__pk"] is not None,
    )


_RAGS = [rag.value for rag in RAG]


def _scheme_section_conditions(period: Period) -> dict[str, Q]:
    """Which schemes each scheme section of the exception report lists, as the database decides
    it: the same rules as exception_report's builders (``red_amber``, ``not_updated_schemes``,
    ``rag_disagreements`` in monitoring.calculations, ``rag_changes``), on the columns joined by
    ``_schemes_with_figures(previous=True)``. An unknown figure contradicts nothing."""
    # Amounts are compared, never subtracted: exact on SQLite too, where decimals are stored as REAL.
    actual, known_actual = F("figures__ytd_actual"), Q(figures__ytd_actual__isnull=False)
    disagreements = (
        Q(figures__rag__in=[RAG.GREEN, RAG.BLUE], figures__projected_shortfall__gt=0)
        | (Q(figures__rag=RAG.BLUE, target__gt=actual) & known_actual)
        | (Q(figures__rag=RAG.GREEN, figures__ytd_budget__isnull=False, figures__ytd_budget__gt=actual) & known_actual)
        | (Q(figures__rag__in=[RAG.RED, RAG.AMBER], target__gt=0, target__lte=actual) & known_actual)
    )
    if period.quarter > Quarter.Q1:
        changes = Q(figures__rag__in=_RAGS, last_quarter__rag__in=_RAGS) & ~Q(figures__rag=F("last_quarter__rag"))
    else:
        changes = Q(pk__in=[])  # nothing before Q1 in the year to change from
    return {
        "red_amber": Q(figures__rag__in=[RAG.RED, RAG.AMBER]),
        "not_updated_schemes": Q(figures__pk__isnull=True),
        "disagreements": disagreements,
        "rag_changes": changes,
    }


class PendingRows(Sequence[Row]):
    """A scheme section's rows before they are read: how many there are (counted by the
    database) and which of them a page shows (``paging.report_page`` slices it like a list).
    ``exceptions_page`` then reads the rows the page shows, in one query."""

    def __init__(self, key: str, total: int, start: int = 0, stop: int | None = None) -> None:
        self.key, self.total, self.start = key, total, start
        self.stop = total if stop is None else stop

    def __len__(self) -> int:
        return self.stop - self.start

    def __getitem__(self, index: Any) -> Any:
        if not isinstance(index, slice):
            raise TypeError("rows not yet read: only a slice of them can be taken")
        start, stop, step = index.indices(len(self))
        if step != 1:
            raise ValueError("rows not yet read: a slice must be of consecutive rows")
        return PendingRows(self.key, self.total, self.start + start, self.start + max(start, stop))

    def __iter__(self) -> Iterator[Row]:
        raise TypeError("rows not yet read: exceptions_page reads them")


SCHEME_SECTION_ROWS: dict[str, Callable[[Sequence[exception_report.SchemeException]], list[Row]]] = {
    "red_amber": exception_report.red_amber,
    "not_updated_schemes": exception_report.not_updated_schemes,
    "disagreements": exception_report.disagreements,
    "rag_changes": exception_report.rag_changes,
}


def _pending_scheme_sections(*, period: Period, filters: ReportFilters, only: str | None) -> dict[str, Sequence[Row]]:
    """The rows of the scheme sections shown (all four, or the one ``only`` asks for) as
    PendingRows: one query counts them (last quarter's figures joined only for RAG changes)."""
    keys = _SECTIONS_OF.get(only or "", list(SCHEME_SECTION_ROWS))
    schemes = _schemes_with_figures(period=period, filters=filters, previous="rag_changes" in keys)
    conditions = _scheme_section_conditions(period)
    counts = schemes.aggregate(**{key: Count("pk", filter=conditions[key]) for key in keys})
    return {key: PendingRows(key, counts[key]) for key in keys}


# The scheme sections each single view shows (the others show none, or, for every view, all four).
_SECTIONS_OF = {
    "red_amber": ["red_amber"],
    "not_updated": ["not_updated_schemes"],
    "disagreements": ["disagreements"],
    "rag_changes": ["rag_changes"],
}


def _read_pending(*, period: Period, filters: ReportFilters, pending: list[PendingRows]) -> dict[str, list[Row]]:
    """The rows of each pending slice, built by its section's own builder; one query for all
    of them, in the reports' order (the RED and AMBER builder then puts RED first, stably, as
    the slice was taken)."""
    wanted = [item for item in pending if len(item)]
    if not wanted:
        return {item.key: [] for item in pending}
    previous = any(item.key == "rag_changes" for item in wanted)
    schemes = _schemes_with_figures(period=period, filters=filters, previous=previous)
    conditions = _scheme_section_conditions(period)
    order: dict[str, tuple[Any, ...]] = {
        "red_amber": (Case(When(figures__rag=RAG.RED, then=Value(0)), default=Value(1)), *SCHEME_ORDER),
    }
    chosen: dict[str, Q] = {}
    for item in wanted:
        ids = schemes.filter(conditions[item.key]).order_by(*order.get(item.key, SCHEME_ORDER)).values("pk")
        chosen[item.key] = Q(pk__in=ids[item.start : item.stop])
    # Which slice each row is in, when there are several (one alone needs no telling).
    flags = (
        {f"in_{key}": ExpressionWrapper(condition, output_field=BooleanField()) for key, condition in chosen.items()}
        if len(chosen) > 1
        else {}
    )
    any_chosen = Q()
    for condition in chosen.values():
        any_chosen |= condition
    values = _scheme_line_values(
        period=period,
        filters=filters,
        previous=previous,
        schemes=schemes.filter(any_chosen).annotate(**flags).order_by(*SCHEME_ORDER),
        extra=list(flags),
    )
    found = list(values)
    rows: dict[str, list[Row]] = {item.key: [] for item in pending}
    for key in chosen:
        rows[key] = SCHEME_SECTION_ROWS[key]([_exception(row) for row in found if not flags or row[f"in_{key}"]])
    return rows


def exceptions_page_for_user(
    *, user: AbstractBaseUser | AnonymousUser, request: ExceptionsRequest, number: object
) -> tuple[Report, paging.ReportPage]:
    """exceptions_page for ``user``: PermissionDenied unless they may read the summaries."""
    require_summary_reader(user)
    return exceptions_page(request, number)


def exceptions_page(
    request: ExceptionsRequest, number: object, *, size: int = paging.REPORT_PAGE_ROWS
) -> tuple[Report, paging.ReportPage]:
    """Page ``number`` of the exception report as the page on screen shows it: the same as
    ``paging.report_page(build_report(request), number)``, but the sections about schemes are
    counted by the database and only the rows the page shows are read (two queries, however
    many schemes there are)."""
    report = exceptions_report(
        period=request.period, filters=request.filters, only=request.only or None, pending_rows=True
    )
    shown, page = paging.report_page(report, number, size=size)
    pending: list[PendingRows] = [
        cast(PendingRows, section.rows) for section in shown.sections if isinstance(section.rows, PendingRows)
    ]
    if pending:
        read = _read_pending(period=request.period, filters=request.filters, pending=pending)
        shown.sections = [
            dataclasses.replace(section, rows=read[cast(PendingRows, section.rows).key])
            if isinstance(section.rows, PendingRows)
            else section
            for section in shown.sections
        ]
    return shown, page


def _plans_of(period: Period, filters: ReportFilters) -> QuerySet[DeficitRecoveryPlan]:
    """The year's submitted plans: a draft plan is its managers' own and in no report."""
    return filters.apply(DeficitRecoveryPlan.objects.filed().filter(financial_year=period.year).with_organisation())


def milestone_lines(
    *, period: Period, filters: ReportFilters = ReportFilters()
) -> list[exception_report.MilestoneLine]:
    """Milestones of the year's plans with their current due date (latest revision, else the
    original) and latest reported progress; those with no readable date are left out. Two
    queries of plain values: a large county has thousands of milestones."""
    plans = _plans_of(period, filters)
    milestones = (
        Milestone.objects.filter(plan__in=plans)
        .order_by("plan", "order")
        .values("pk", "plan__service_area__name", "plan__financial_year", "details", "amount", "due_text", "due_date")
    )
    progress: dict[int, list[Any]] = {}
    published = PlanUpdate.objects.published().filter(plan__in=plans)
    for item in MilestoneProgress.objects.filter(milestone__plan__in=plans, update__in=published).values(
        "milestone_id", "update__quarter", "revised_due_date", "status"
    ):
        progress.setdefault(item["milestone_id"], []).append(item)
    lines = []
    for milestone in milestones:
        reports = sorted(progress.get(milestone["pk"], []), key=lambda entry: entry["update__quarter"])
        due, revised = milestone["due_date"], False
        for report in reports:
            if report["revised_due_date"]:
                due, revised = report["revised_due_date"], True
        if due is None:
            continue
        latest = reports[-1] if reports else None
        met = any(report["status"] == MilestoneProgress.Status.MET for report in reports)
        area = milestone["plan__service_area__name"]
        lines.append(
            exception_report.MilestoneLine(
                plan=f"{area} {milestone['plan__financial_year']}",
                service_area=area,
                details=milestone["details"],
                amount=milestone["amount"],
                due_text=milestone["due_text"],
                due=due,
                revised=revised,
                status="Met" if met else (_progress_label(latest["status"]) if latest else ""),
            )
        )
    return lines


def _progress_label(status: str) -> str:
    try:
        return str(MilestoneProgress.Status(status).label)
    except ValueError:
        return status


def plans_not_updated(*, period: Period, filters: ReportFilters = ReportFilters()) -> list[exception_report.PlanLine]:
    """Filed (submitted) plans of the year with no submitted or approved update for the quarter:
    the same plans the reminders go out for. A draft plan is not yet expected to report. The
    plans that did report are left out by the database, not read."""
    reported = PlanUpdate.objects.filter(
        plan=OuterRef("pk"),
        quarter=period.quarter,
        status__in=(PlanUpdate.Status.SUBMITTED, PlanUpdate.Status.APPROVED),
    )
    plans = (
        _plans_of(period, filters)
        .filter(status=DeficitRecoveryPlan.Status.SUBMITTED)
        .filter(~Exists(reported))
        .prefetch_related(
            "managers",
            Prefetch("updates", queryset=PlanUpdate.objects.filter(quarter=period.quarter), to_attr="period_updates"),
        )
    )
    lines = []
    for plan in plans.order_by("service_area__name", "pk"):
        update = plan.period_updates[0] if plan.period_updates else None
        lines.append(
            exception_report.PlanLine(
                plan=f"{plan.service_area.name} {plan.financial_year}",
                directorate=plan.service_area.portfolio.directorate.name,
                managers=", ".join(user.get_full_name() or user.get_username() for user in plan.managers.all()),
                update_status=update.get_status_display() if update else "Not started",
            )
        )
    return lines


def dashboard_calendar(*, user: AbstractBaseUser | AnonymousUser) -> picker.DataCalendar:
    """The years with plans and with schemes and the quarters with figures and with plan
    updates, as ``user`` may see them: drafts are private, so only submitted plans and published
    updates count (a draft plan's year is no year with plans). Four queries. The dashboard's:
    PermissionDenied unless ``user`` may read the summaries."""
    require_summary_reader(user)
    plan_years = (
        DeficitRecoveryPlan.objects.visible_to(user)
        .filed()
        .order_by()
        .values_list("financial_year", flat=True)
        .distinct()
    )
    scheme_years = Scheme.objects.order_by().values_list("financial_year", flat=True).distinct()
    figure_periods = (
        SchemeQuarter.objects.with_figures().order_by().values_list("scheme__financial_year", "quarter").distinct()
    )
    update_periods = (
        PlanUpdate.objects.visible_to(user)
        .published()
        .order_by()
        .values_list("plan__financial_year", "quarter")
        .distinct()
    )
    return picker.DataCalendar(
        plan_years=frozenset(FinancialYear.parse(year) for year in plan_years),
        scheme_years=frozenset(FinancialYear.parse(year) for year in scheme_years),
        figure_periods=frozenset(_period(year, quarter) for year, quarter in figure_periods),
        update_periods=frozenset(_period(year, quarter) for year, quarter in update_periods),
    )


def dashboard_board(*, period: Period, filters: ReportFilters = ReportFilters()) -> dashboard.Dashboard:
    """The dashboard of a quarter: its schemes' figures and RAG, and the plans not updated."""
    return dashboard.build_dashboard(
        period=period,
        schemes=scheme_exceptions(period=period, filters=filters),
        plans_not_updated=plans_not_updated(period=period, filters=filters),
    )


def latest_period_with_figures() -> Period | None:
    """The latest quarter in which a scheme reports a figure or a RAG: the quarter the dashboard
    opens on and finance's and DMT's tasks are about (one query)."""
    latest = (
        SchemeQuarter.objects.with_figures()
        .order_by("-scheme__financial_year", "-quarter")
        .values_list("scheme__financial_year", "quarter")
        .first()
    )
    return _period(*latest) if latest is not None else None


def _period(year: FinancialYear | int | str, quarter: int) -> Period:
    return Period(FinancialYear.parse(year), Quarter(quarter))


def dmt_proposals(*, period: Period, filters: ReportFilters = ReportFilters()) -> list[exception_report.ProposalLine]:
    """The quarter's published updates with an alternative proposal that went to DMT (RED, or
    already decided on), with DMT's decision: one query."""
    updates = (
        PlanUpdate.objects.published()
        .for_period(period)
        .filter(plan__in=_plans_of(period, filters))
        .exclude(alternative_proposal__regex=r"^\s*$")
        .select_related("plan__service_area__portfolio__directorate", "dmt_decided_by")
        .order_by("plan__service_area__name", "plan__pk")
    )
    lines = []
    for update in updates:
        if not (update.is_red or update.dmt_decision):
            continue
        who = update.dmt_decided_by
        decided = ""
        if update.dmt_decision and update.dmt_decided_at:
            name = (who.get_full_name() or who.get_username()) if who else "DMT"
            decided = f"{name}, {timezone.localtime(update.dmt_decided_at):%d/%m/%Y}"
        lines.append(
            exception_report.ProposalLine(
                plan=f"{update.plan.service_area.name} {update.plan.financial_year}",
                directorate=update.plan.service_area.portfolio.directorate.name,
                rag=update.rag_status or update.implied_rag,
                proposal=update.alternative_proposal.strip(),
                decision=update.get_dmt_decision_display() if update.dmt_decision else "",
                comments=update.dmt_comments,
                decided=decided,
            )
        )
    return lines


def exceptions_report(
    *,
    period: Period,
    filters: ReportFilters = ReportFilters(),
    only: str | None = None,
    today: date | None = None,
    generated_at: datetime | None = None,
    pending_rows: bool = False,
) -> Report:
    """The exception report. With ``pending_rows`` (only for ``exceptions_page``) the rows of the
    sections about schemes are PendingRows, not yet read."""
    # One view of the report reads only what it shows (the others' sections are not built).
    wanted = {only} if only else set(exception_report.EXCEPTION_KINDS)
    on_schemes = bool(wanted - {"overdue", "dmt"})
    return exception_report.build_exceptions(
        period=period,
        schemes=scheme_exceptions(period=period, filters=filters) if on_schemes and not pending_rows else [],
        scheme_rows=_pending_scheme_sections(period=period, filters=filters, only=only)
        if on_schemes and pending_rows
        else None,
        milestones=milestone_lines(period=period, filters=filters) if "overdue" in wanted else [],
        plans_not_updated=plans_not_updated(period=period, filters=filters) if "not_updated" in wanted else [],
        proposals=dmt_proposals(period=period, filters=filters) if "dmt" in wanted else [],
        organisation=settings.ORGANISATION_NAME,
        generated_at=_now(generated_at),
        today=today or timezone.localdate(),
        only=only,
        filters=filters.describe(),
    )


def open_data_rows(*, user: AbstractBaseUser | AnonymousUser) -> list[dict[str, object]]:
    """all_scheme_rows, for a reader of the summaries (PermissionDenied otherwise)."""
    require_summary_reader(user)
    return all_scheme_rows()


def all_scheme_rows() -> list[dict[str, object]]:
    """Every scheme in every quarter it has figures for, as the open-data feed's rows (one query)."""
    rows = []
    quarters = SchemeQuarter.objects.select_related("scheme__service_area__portfolio__directorate").order_by(
        "scheme__financial_year", "quarter", "scheme__service_area__order", "scheme__order", "scheme__pk"
    )
    for item in quarters:
        scheme = item.scheme
        area = scheme.service_area
        period = Period(FinancialYear.parse(scheme.financial_year), Quarter(item.quarter))
        rows.append(
            {
                "financial_year": str(period.year),
                "quarter": period.quarter.label,
                "quarter_end": period.end_date,
                "directorate": area.portfolio.directorate.name,
                "portfolio": area.portfolio.name,
                "service_area": area.name,
                "scheme_ref": scheme.ref,
                "scheme_title": scheme.title,
                "recurrence": scheme.recurrence,
                "unallocated": scheme.is_unallocated,
                "target": scheme.target,
                **item.values,
                "balance_to_achieve": balance_to_achieve(target=scheme.target, ytd_actual=item.ytd_actual),
                # Kept for feeds published before "achieved to date" and "YTD actual" were one figure.
                "achieved_to_date": item.ytd_actual,
                "rag": RAG(item.rag) if item.rag else None,
                "commentary": item.commentary,
                "updated_at": item.updated_at,
            }
        )
    return rows
