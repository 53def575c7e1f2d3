"""The dashboard: the quarter at a glance, from the same calculations as the reports.

Pure: plain inputs in, a Dashboard out. Each chart is a list of bars (label, value, share of the
longest bar) that the template draws as SVG, always beside a table of the same numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from monitoring.calculations import total
from recovery.money import format_millions
from recovery.periods import Period
from recovery.rag import Movement, movement
from recovery.reporting.builders import TransformationFigures, transformation_figures
from recovery.reporting.exception_report import PlanLine, SchemeException


@dataclass(frozen=True)
class Bar:
    label: str
    value: Decimal
    text: str  # the value as shown
    share: Decimal  # 0..1 of the chart's longest bar
    css: str = ""
    count: int | None = None


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


def _bars(items: Sequence[tuple[str, Decimal, str, int | None]], *, text: str = "money") -> list[Bar]:
    longest = max((value for _, value, _, _ in items), default=Decimal(0))
    bars = []
    for label, value, css, count in items:
        share = value / longest if longest > 0 else Decimal(0)
        shown = format_millions(value, places=3) if text == "money" else str(value)
        bars.append(Bar(label=label, value=value, text=shown, share=share, css=css, count=count))
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
            ]
        ),
    )
    by_area: dict[str, list] = {}
    for line in lines:
        by_area.setdefault(line.service_area, []).append(line)
    area_values = [
        (area, total(item.target for item in items), total(item.forecast_year_end for item in items))
        for area, items in by_area.items()
    ]
    longest = max([max(target, forecast) for _, target, forecast in area_values], default=Decimal(0))

    def bar(label: str, value: Decimal, css: str) -> Bar:
        return Bar(label, value, format_millions(value, places=3), value / longest if longest > 0 else Decimal(0), css)

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
    )
