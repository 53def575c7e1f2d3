"""The dashboard: the quarter at a glance, from the same calculations as the reports.

Pure: plain inputs in, a Dashboard out. Each chart is a list of bars (label, value, share of the
longest bar) that the template draws as SVG, always beside a table of the same numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from monitoring.calculations import Sum, sum_of
from monitoring.figures import QUARTER_FIGURE_NAMES
from recovery.money import format_millions
from recovery.periods import Period
from recovery.rag import Movement, movement
from recovery.reporting.builders import TransformationFigures, transformation_figures
from recovery.reporting.exception_report import PlanLine, SchemeException

NOT_KNOWN = "not known"


@dataclass(frozen=True)
class Bar:
    label: str
    value: Decimal | None  # None: no scheme gave the figure (drawn as "not known", never £0)
    text: str  # the value as shown
    share: Decimal  # 0..1 of the chart's longest bar
    css: str = ""
    count: int | None = None
    covers: str = ""  # a sum over only some schemes says so: "3 of 7 schemes"


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    unit: str
    bars: list[Bar]
    groups: list[tuple[str, list[Bar]]] = field(default_factory=list)  # grouped bars (per service area)


@dataclass
class Dashboard:
    period: Period
    figures: TransformationFigures
    rag_chart: Chart
    profile_chart: Chart
    forecast_chart: Chart
    movement: dict[Movement, int]
    changes: Sequence[tuple[SchemeException, Movement]]
    plans_not_updated: list[PlanLine]
    unrated: int
    has_figures: bool = True  # whether any scheme gave a figure for the quarter (else: "no figures yet")


def _shown(value: Decimal | None) -> str:
    return NOT_KNOWN if value is None else format_millions(value, places=3)


def _covers(item: Sum | None) -> str:
    return f"{item.known} of {item.count} schemes" if item is not None and item.partial else ""


def _bars(items: Sequence[tuple[str, Decimal | None, str, int | None]], sums: Sequence[Sum | None] = ()) -> list[Bar]:
    longest = max((value for _, value, _, _ in items if value is not None), default=Decimal(0))
    bars = []
    for index, (label, value, css, count) in enumerate(items):
        share = value / longest if value is not None and longest > 0 and value > 0 else Decimal(0)
        covers = _covers(sums[index] if index < len(sums) else None)
        bars.append(Bar(label, value, _shown(value), share, css, count, covers))
    return bars


def build_dashboard(
    *, period: Period, schemes: Sequence[SchemeException], plans_not_updated: Sequence[PlanLine]
) -> Dashboard:
    lines = [item.line for item in schemes]
    figures = transformation_figures(lines)
    rag_chart = Chart(
        "rag",
        "Schemes by RAG: value of targets",
        "£m",
        _bars([(s.rag.word, s.value, f"rag-{s.rag.value.lower()}", s.count) for s in figures.by_rag]),
    )
    profile_chart = Chart(
        "profile",
        "Full-year target, year-to-date profile and year-to-date actual",
        "£m",
        _bars(
            [
                ("Full-year target", figures.total_target, "bar-target", None),
                ("YTD profile", figures.cumulative_target, "bar-profile", None),
                ("YTD actual", figures.actual, "bar-actual", None),
            ],
            [None, sum_of(line.ytd_budget for line in lines), sum_of(line.ytd_actual for line in lines)],
        ),
    )
    by_area: dict[str, list] = {}
    for line in lines:
        by_area.setdefault(line.service_area, []).append(line)
    area_values = [
        (area, sum_of(item.target for item in items), sum_of(item.forecast_year_end for item in items))
        for area, items in by_area.items()
    ]
    longest = max(
        [item.amount for _, target, forecast in area_values for item in (target, forecast) if item.amount is not None],
        default=Decimal(0),
    )

    def bar(label: str, item: Sum, css: str) -> Bar:
        value = item.amount
        share = value / longest if value is not None and longest > 0 and value > 0 else Decimal(0)
        return Bar(label, value, _shown(value), share, css, covers=_covers(item))

    forecast_chart = Chart(
        "forecast",
        "Forecast for the year against target, by service area",
        "£m",
        bars=[],
        groups=[
            (area, [bar("Target", target, "bar-target"), bar("Forecast", forecast, "bar-forecast")])
            for area, target, forecast in area_values
        ],
    )
    moves: dict[Movement, int] = dict.fromkeys(Movement, 0)
    changes = []
    for item in schemes:
        if item.line.is_unallocated:
            continue
        moved = movement(item.previous_rag, item.line.rag)
        moves[moved] += 1
        if moved in (Movement.IMPROVED, Movement.WORSENED):
            changes.append((item, moved))
    return Dashboard(
        period=period,
        figures=figures,
        rag_chart=rag_chart,
        profile_chart=profile_chart,
        forecast_chart=forecast_chart,
        movement=moves,
        changes=changes,
        plans_not_updated=list(plans_not_updated),
        unrated=sum(1 for line in lines if line.rag is None and not line.is_unallocated),
        has_figures=any(getattr(line, name) is not None for line in lines for name in QUARTER_FIGURE_NAMES),
    )
