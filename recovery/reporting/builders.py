"""Builders: selected rows in, one Report out. Pure functions on Decimals; no Django.

- Appendix 1: Recovery Plan Performance by Service Area (seed 002), £000s.
- Transformation Plan Update to end of Quarter N (seed 004), pounds.
- A single Deficit Recovery Plan as filed (seeds 000, 001, 003).

Every total and percentage is computed here from the rows; a total stated by a source document
is only ever compared with the computed one, and a disagreement becomes a note.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from monitoring.calculations import Sum, balance_to_achieve, ratio, shortfall_against_profile, sum_of, total
from monitoring.figures import (
    BY_NAME,
    FORECAST_NEXT_YEAR,
    FORECAST_YEAR_END,
    PROJECTED_SHORTFALL,
    QUARTER_FIGURE_NAMES,
    TARGET,
    YTD_ACTUAL,
    YTD_BUDGET,
    Figure,
)
from recovery import form_text
from recovery.money import (
    THOUSAND,
    format_millions,
    format_pounds,
    format_share,
    format_thousands,
    format_thousands_k,
    round_half_up,
)
from recovery.periods import FinancialYear, Period, Quarter
from recovery.rag import RAG, REPORT_ORDER
from recovery.reporting.report import Column, Coverage, Headline, Report, Row, Section, Unit

ZERO = Decimal(0)
QUARTER_WORDS = {1: "one", 2: "two", 3: "three", 4: "four"}


@dataclass(frozen=True)
class SchemeLine:
    """A scheme and its figures for the report's quarter, as the selectors hand them over."""

    directorate: str
    portfolio: str
    service_area: str
    ref: str
    title: str
    target: Decimal
    service_area_order: int = 0
    recurrence: str = ""
    is_unallocated: bool = False
    ytd_budget: Decimal | None = None
    ytd_actual: Decimal | None = None
    forecast_year_end: Decimal | None = None
    forecast_next_year: Decimal | None = None
    projected_shortfall: Decimal | None = None
    rag: RAG | None = None
    timeline: str = ""
    challenges: str = ""
    commentary: str = ""


def figure_values(values: Mapping[str, Decimal | None]) -> dict[str, Any]:
    """A quarter's figures by name (monitoring.figures), as SchemeLine's keyword arguments."""
    return {name: values.get(name) for name in QUARTER_FIGURE_NAMES}


@dataclass(frozen=True)
class StatedFigure:
    """A total as a source document printed it, to compare with the computed one."""

    scope: str  # a service area or portfolio name, or "Total"
    column: str  # a figure's name (monitoring.figures): target, forecast_year_end, ytd_actual …
    amount: Decimal
    source: str = "the source document"


def _short_date(day: object) -> str:
    return f"{day:%d/%m/%y}"


# Appendix 1 ------------------------------------------------------------------------------


def _column(figure: Figure, report: str, unit: Unit, suffix: str = "", **options: Any) -> Column:
    """A report's column for a figure, headed as that report heads it (monitoring.figures)."""
    heading = figure.report_labels[report] + (f" {suffix}" if suffix else "")
    unit_text = {Unit.THOUSANDS: " (£000s)"}.get(unit, "")
    return Column(figure.name, heading + unit_text, unit, **options)


def appendix_columns(year: FinancialYear) -> list[Column]:
    end, next_end = _short_date(year.end_date), _short_date(year.next.end_date)
    return [
        Column("title", "Project Title", Unit.TEXT, width=40, wrap=True),
        _column(TARGET, "appendix", Unit.THOUSANDS, end),
        _column(FORECAST_YEAR_END, "appendix", Unit.THOUSANDS, end),
        Column("percent_year_end", f"% By {end}", Unit.PERCENT, width=9),
        _column(FORECAST_NEXT_YEAR, "appendix", Unit.THOUSANDS, next_end),
        Column("percent_next_year", f"% By {next_end}", Unit.PERCENT, width=9),
        _column(YTD_ACTUAL, "appendix", Unit.THOUSANDS),
        Column("timeline", "Timeline for completion", Unit.TEXT, width=45, wrap=True),
        Column("challenges", "Challenges", Unit.TEXT, width=45, wrap=True),
    ]


def overall_columns(year: FinancialYear) -> list[Column]:
    end, next_end = _short_date(year.end_date), _short_date(year.next.end_date)
    return [
        Column("portfolio", "Saving Category by Portfolio", Unit.TEXT, width=36, wrap=True),
        _column(TARGET, "appendix", Unit.THOUSANDS, end),
        _column(FORECAST_YEAR_END, "appendix", Unit.THOUSANDS, end),
        _column(FORECAST_NEXT_YEAR, "appendix", Unit.THOUSANDS, next_end),
        Column("percent_year_end", f"Forecast % by 1 April {year.end_date.year}", Unit.PERCENT, width=11),
        Column("percent_next_year", f"Forecast % by 1 April {year.next.end_date.year}", Unit.PERCENT, width=11),
        Column("mitigations", "Mitigations Required (£000s)", Unit.THOUSANDS),
    ]


# The figures Appendix 1 totals per table (and compares with a stated total).
APPENDIX_FIGURES = (TARGET.name, FORECAST_YEAR_END.name, FORECAST_NEXT_YEAR.name, YTD_ACTUAL.name)


def coverage_of(sums: Mapping[str, Sum], rows_are: str = "schemes") -> dict[str, Coverage]:
    """The totals that only some of their rows gave, as a report row's ``partial``."""
    return {key: Coverage(item.known, item.count, rows_are) for key, item in sums.items() if item.partial}


def share_of(part: Sum, whole: Decimal | None) -> Decimal | None:
    """part ÷ whole, shown only where every row gave the part: a percentage of a partial or
    unknown total would be a figure nobody gave."""
    return None if part.partial else ratio(part.amount, whole)


@dataclass
class _Sums:
    """An Appendix table's totals. A figure no row gave is None; ``coverage`` names the figures
    only some rows gave (their amount is the sum of the known ones)."""

    target: Decimal | None = ZERO
    forecast_year_end: Decimal | None = ZERO
    forecast_next_year: Decimal | None = ZERO
    ytd_actual: Decimal | None = ZERO
    count: int = 0
    coverage: dict[str, Coverage] = field(default_factory=dict)

    @classmethod
    def of(cls, lines: Sequence[SchemeLine]) -> _Sums:
        sums = {name: sum_of(getattr(line, name) for line in lines) for name in APPENDIX_FIGURES}
        return cls(
            **{name: item.amount for name, item in sums.items()},
            count=len(lines),
            coverage=coverage_of(sums, "projects"),
        )

    def share(self, name: str) -> Decimal | None:
        """A figure as a share of the target; not shown where only some rows gave it."""
        return None if name in self.coverage else ratio(getattr(self, name), self.target)

    @property
    def mitigations(self) -> Decimal | None:
        """Target − forecast by the end of year 2: what remains to be mitigated (negative:
        over-delivery); unknown where any row's forecast is unknown."""
        if self.target is None or self.forecast_next_year is None or FORECAST_NEXT_YEAR.name in self.coverage:
            return None
        return self.target - self.forecast_next_year


def mitigation_sentence(sums: _Sums) -> str:
    """The line under each Appendix table: "£661k remains to be mitigated"; where the forecast
    by the end of the following year is not known, it says so instead of inventing a figure."""
    remaining = sums.mitigations
    if remaining is None:
        coverage = sums.coverage.get(FORECAST_NEXT_YEAR.name)
        given = f"is given for {coverage} only" if coverage is not None else "is not known"
        return f"Not known what remains to be mitigated: the {FORECAST_NEXT_YEAR.phrase} {given}."
    if round_half_up(remaining / THOUSAND) > 0:
        return f"{format_thousands_k(remaining)} remains to be mitigated."
    if round_half_up(remaining / THOUSAND) < 0:
        return f"Delivered – no mitigations required ({format_thousands_k(-remaining)} over-delivery forecast)."
    return "Delivered – no mitigations required."


def build_appendix(
    *,
    period: Period,
    lines: Sequence[SchemeLine],
    portfolios: Sequence[str],
    organisation: str,
    generated_at: datetime,
    stated: Iterable[StatedFigure] = (),
    filters: dict[str, str] | None = None,
) -> Report:
    """Appendix 1: one table per service area and the Overall Total by portfolio (every portfolio
    listed, empty ones too), in £000s; mitigations required = target − forecast by end of year 2."""
    year = period.year
    columns = appendix_columns(year)
    by_area: dict[str, list[SchemeLine]] = {}
    order: dict[str, tuple[int, str]] = {}
    for line in lines:
        by_area.setdefault(line.service_area, []).append(line)
        order[line.service_area] = (line.service_area_order, line.service_area)
    sections: list[Section] = []
    computed: dict[tuple[str, str], Decimal] = {}
    for number, area in enumerate(sorted(by_area, key=lambda name: order[name]), start=1):
        area_lines = by_area[area]
        sums = _Sums.of(area_lines)
        rows = [
            Row(
                {
                    "title": line.title,
                    "target": line.target,
                    "forecast_year_end": line.forecast_year_end,
                    "percent_year_end": ratio(line.forecast_year_end, line.target),
                    "forecast_next_year": line.forecast_next_year,
                    "percent_next_year": ratio(line.forecast_next_year, line.target),
                    "ytd_actual": line.ytd_actual,
                    "timeline": line.timeline,
                    "challenges": line.challenges,
                }
            )
            for line in area_lines
        ]
        total_row = Row(
            {
                "title": "Total",
                "target": sums.target,
                "forecast_year_end": sums.forecast_year_end,
                "percent_year_end": sums.share(FORECAST_YEAR_END.name),
                "forecast_next_year": sums.forecast_next_year,
                "percent_next_year": sums.share(FORECAST_NEXT_YEAR.name),
                "ytd_actual": sums.ytd_actual,
                "timeline": mitigation_sentence(sums),
                "challenges": "",
            },
            kind="total",
            partial=sums.coverage,
        )
        for column in APPENDIX_FIGURES:
            if getattr(sums, column) is not None:
                computed[(area, column)] = getattr(sums, column)
        sections.append(
            Section(
                key=f"area-{number}",
                title=f"{number}. {area}",
                columns=columns,
                rows=rows,
                total=total_row,
                caption=f"{area}: savings projects, {period}",
            )
        )

    # Overall Total by portfolio.
    by_portfolio: dict[str, list[SchemeLine]] = {name: [] for name in portfolios}
    for line in lines:
        by_portfolio.setdefault(line.portfolio, []).append(line)
    overall_rows = []
    for name, portfolio_lines in by_portfolio.items():
        sums = _Sums.of(portfolio_lines)
        empty = not portfolio_lines
        overall_rows.append(
            Row(
                {
                    "portfolio": name,
                    "target": sums.target,
                    "forecast_year_end": None if empty else sums.forecast_year_end,
                    "forecast_next_year": None if empty else sums.forecast_next_year,
                    "percent_year_end": None if empty else sums.share(FORECAST_YEAR_END.name),
                    "percent_next_year": None if empty else sums.share(FORECAST_NEXT_YEAR.name),
                    "mitigations": sums.mitigations,
                },
                partial=sums.coverage,
            )
        )
        for column in ("target", "forecast_year_end", "forecast_next_year"):
            if getattr(sums, column) is not None:
                computed.setdefault((name, column), getattr(sums, column))
    everything = _Sums.of(list(lines))
    for column in APPENDIX_FIGURES:
        if getattr(everything, column) is not None:
            computed[("Total", column)] = getattr(everything, column)
    overall = Section(
        key="overall",
        title=f"{len(sections) + 1}. Overall Total",
        columns=overall_columns(year),
        rows=overall_rows,
        total=Row(
            {
                "portfolio": "Total",
                "target": everything.target,
                "forecast_year_end": everything.forecast_year_end,
                "forecast_next_year": everything.forecast_next_year,
                "percent_year_end": everything.share(FORECAST_YEAR_END.name),
                "percent_next_year": everything.share(FORECAST_NEXT_YEAR.name),
                "mitigations": everything.mitigations,
            },
            kind="total",
            partial=everything.coverage,
        ),
        caption=f"Overall total by portfolio, {period}",
    )
    sections.append(overall)

    notes = [
        "Figures in £000s. Totals and percentages are computed from the project rows; "
        "mitigations required = target − forecast by the end of the following year "
        "(negative where a portfolio over-delivers)."
    ]
    if _has_unknown(sections[:-1]):  # the project tables (the Overall Total's "–" is an empty portfolio)
        notes.append(UNKNOWN_NOTE)
    notes += stated_total_notes(stated, computed)
    return Report(
        kind="appendix",
        title="Appendix 1: Recovery Plan Performance by Service Area",
        period=f"{year} as at the end of {period.quarter.label} ({period.end_date:%d/%m/%Y})",
        organisation=organisation,
        generated_at=generated_at,
        sections=sections,
        notes=notes,
        filters=filters or {},
    )


UNKNOWN_NOTE = (
    "– is a figure not known (nobody gave it); a dash or 0 in a row is nil. A total over rows of "
    "which only some gave the figure is the sum of those, and says how many; no percentage or "
    "mitigation is worked out from a figure not known."
)


def _has_unknown(sections: Sequence[Section]) -> bool:
    """Whether any scheme row of the report's tables leaves an amount unknown."""
    for section in sections:
        money = [column.key for column in section.columns if column.unit in (Unit.POUNDS, Unit.THOUSANDS)]
        for row in section.rows:
            if row.kind in ("item", "unallocated") and any(row.get(key) is None for key in money):
                return True
    return False


STATED_TOTAL_NOTE_END = "This report uses the computed figure."


def stated_total_notes(stated: Iterable[StatedFigure], computed: dict[tuple[str, str], Decimal]) -> list[str]:
    """A note for every stated total that disagrees with the total computed from the rows."""
    notes = []
    for figure in stated:
        mine = computed.get((figure.scope, figure.column))
        if mine is None or round_half_up(mine / THOUSAND) == round_half_up(figure.amount / THOUSAND):
            continue
        words = BY_NAME[figure.column].phrase if figure.column in BY_NAME else figure.column
        notes.append(
            f"{figure.scope}: the {words} computed from the rows is "
            f"{format_thousands(mine)} (£000s); {figure.source} states {format_thousands(figure.amount)}. "
            f"{STATED_TOTAL_NOTE_END}"
        )
    return notes


# Transformation Plan update ------------------------------------------------------------------


TRANSFORMATION_COLUMNS = [
    Column("ref", "Scheme no", Unit.TEXT, width=9),
    Column("rag", "RAG status", Unit.RAG, width=10),
    Column("title", "Saving Summary", Unit.TEXT, width=48, wrap=True),
    Column("recurrence", "Recurrent/ Non Recurrent", Unit.TEXT, width=11),
    _column(TARGET, "transformation", Unit.POUNDS, width=14),
    _column(YTD_BUDGET, "transformation", Unit.POUNDS, width=14),
    _column(YTD_ACTUAL, "transformation", Unit.POUNDS, width=14),
    Column("balance", "Balance still to achieve", Unit.POUNDS, width=14),
    _column(PROJECTED_SHORTFALL, "transformation", Unit.POUNDS, width=14),
]


def _money_sums(lines: Sequence[SchemeLine]) -> dict[str, Sum]:
    return {
        "target": sum_of(line.target for line in lines),
        "ytd_budget": sum_of(line.ytd_budget for line in lines),
        "ytd_actual": sum_of(line.ytd_actual for line in lines),
        "balance": sum_of(balance_to_achieve(target=line.target, ytd_actual=line.ytd_actual) for line in lines),
        "projected_shortfall": sum_of(line.projected_shortfall for line in lines),
    }


def _money_row(title: str, lines: Sequence[SchemeLine], kind: str) -> Row:
    """A subtotal or total row: each figure the sum of what its rows show, saying how many gave it."""
    sums = _money_sums(lines)
    return Row(
        {"title": title, **{key: item.amount for key, item in sums.items()}},
        kind=kind,
        partial=coverage_of(sums),
    )


@dataclass(frozen=True)
class RagSummary:
    rag: RAG
    count: int
    value: Decimal
    share: Decimal | None


@dataclass(frozen=True)
class TransformationFigures:
    """The executive summary's headline figures, unrounded."""

    total_target: Decimal
    cumulative_target: Decimal | None  # None: no scheme gave a YTD budget
    cumulative_share: Decimal | None
    actual: Decimal | None  # None: no scheme gave a YTD actual
    actual_share: Decimal | None
    shortfall_against_profile: Decimal | None  # None unless every line gave both figures
    scheme_count: int
    unallocated: Decimal
    unallocated_share: Decimal | None
    by_rag: list[RagSummary] = field(default_factory=list)
    # How many lines gave the YTD budget and the YTD actual (of all lines, the unallocated too).
    cumulative_given: Coverage = field(default_factory=lambda: Coverage(0, 0))
    actual_given: Coverage = field(default_factory=lambda: Coverage(0, 0))

    @property
    def has_figures(self) -> bool:
        """Whether any line gave a figure for the quarter (YTD budget or YTD actual)."""
        return self.cumulative_target is not None or self.actual is not None


def transformation_figures(lines: Sequence[SchemeLine]) -> TransformationFigures:
    """Headline figures from the scheme rows. The unallocated requirement counts in the money,
    not as a scheme nor in a RAG's scheme value (seed 004: RED 5 schemes, £2.518m). A figure
    no line gave is None; a share is only worked out from a figure every line gave."""
    total_target = total(line.target for line in lines) or ZERO
    cumulative = sum_of(line.ytd_budget for line in lines)
    actual = sum_of(line.ytd_actual for line in lines)
    # Behind the profile only where every line gave both figures: a part would be a figure nobody gave.
    complete = cumulative.known == actual.known == len(lines)
    behind = shortfall_against_profile(ytd_budget=cumulative.amount, ytd_actual=actual.amount) if complete else None
    schemes = [line for line in lines if not line.is_unallocated]
    unallocated = total(line.target for line in lines if line.is_unallocated) or ZERO
    by_rag = []
    for rag in REPORT_ORDER:
        rated = [line for line in schemes if line.rag is rag]
        value = total(line.target for line in rated) or ZERO
        by_rag.append(RagSummary(rag=rag, count=len(rated), value=value, share=ratio(value, total_target)))
    return TransformationFigures(
        total_target=total_target,
        cumulative_target=cumulative.amount,
        cumulative_share=share_of(cumulative, total_target),
        actual=actual.amount,
        actual_share=share_of(actual, total_target),
        shortfall_against_profile=behind,
        scheme_count=len(schemes),
        unallocated=unallocated,
        unallocated_share=ratio(unallocated, total_target),
        by_rag=by_rag,
        cumulative_given=Coverage(cumulative.known, cumulative.count),
        actual_given=Coverage(actual.known, actual.count),
    )


def _millions(amount: Decimal) -> str:
    """£7.956m: the Transformation headlines give millions to three places."""
    return format_millions(amount, places=3)


def _given(coverage: Coverage, words: str) -> str:
    """ " (YTD actual given for 3 of 7 schemes)" where only some lines gave the figure."""
    if 0 < coverage.known < coverage.of:
        return f" ({words} given for {coverage.known} of {coverage.of} schemes only)"
    return ""


def transformation_headlines(figures: TransformationFigures, period: Period) -> list[Headline]:
    quarter_word = QUARTER_WORDS[int(period.quarter)]
    shortfall = figures.shortfall_against_profile
    if shortfall is None:
        shortfall_text = "the shortfall against the profile is not known"
    else:
        shortfall_text = (
            f"a shortfall of {format_thousands_k(shortfall)} against the profile"
            if shortfall > 0
            else f"{format_thousands_k(-shortfall)} ahead of the profile"
            if shortfall < 0
            else "exactly on the profile"
        )
    to_quarter_end = f"(to end of quarter {quarter_word} {period.year})"
    if figures.cumulative_target is None:
        cumulative_text = f"Cumulative savings target {to_quarter_end}: not known (no year to date budget given)"
    else:
        cumulative_text = (
            f"Cumulative savings target {to_quarter_end} {_millions(figures.cumulative_target)}"
            + _given(figures.cumulative_given, "year to date budget")
            + (
                f", which equates to {format_share(figures.cumulative_share)} of the full year target"
                if figures.cumulative_share is not None
                else ""
            )
        )
    if figures.actual is None:
        actual_text = "Actual savings achieved: not known (no year to date actual given)"
    else:
        actual_text = (
            f"Actual savings achieved are {_millions(figures.actual)}"
            + _given(figures.actual_given, "year to date actual")
            + (
                f", which is {format_share(figures.actual_share)} of the full year target"
                if figures.actual_share is not None
                else ""
            )
            + f", {shortfall_text}"
        )
    shortfall_headline = (
        f"Shortfall against the profiled target: {format_thousands_k(shortfall)}"
        if shortfall is not None
        else "Shortfall against the profiled target: not known (it needs the year to date budget and actual "
        "of every scheme)"
    )
    headlines = [
        Headline(
            "total_target",
            "Total savings plan target",
            f"Total Savings Plan target is {_millions(figures.total_target)}",
            figures.total_target,
            Unit.POUNDS,
        ),
        Headline(
            "cumulative_target",
            "Cumulative savings target",
            cumulative_text,
            figures.cumulative_target,
            Unit.POUNDS,
        ),
        Headline(
            "actual",
            "Actual savings achieved",
            actual_text,
            figures.actual,
            Unit.POUNDS,
        ),
        Headline(
            "shortfall_against_profile",
            "Shortfall against profile",
            shortfall_headline,
            shortfall,
            Unit.POUNDS,
        ),
        Headline(
            "scheme_count",
            "Number of schemes",
            f"Currently there are {figures.scheme_count} schemes with identified savings targets",
            figures.scheme_count,
        ),
        Headline(
            "unallocated",
            "Balance to achieve a balanced budget",
            "Balance of savings targets to achieve a balanced budget is "
            f"{format_thousands_k(figures.unallocated)}, which is "
            f"{format_share(figures.unallocated_share)} of the overall savings target",
            figures.unallocated,
            Unit.POUNDS,
        ),
    ]
    for summary in figures.by_rag:
        if summary.count == 0 and summary.rag is RAG.BLUE:
            continue
        headlines.append(
            Headline(
                f"rag_{summary.rag.value.lower()}",
                f"{summary.rag.word} schemes",
                f"{summary.count} scheme{'s' if summary.count != 1 else ''} RAG rated {summary.rag.word} with a "
                f"total value of {_millions(summary.value)} ({format_share(summary.share)} of the total savings)",
                summary.value,
                Unit.POUNDS,
                rag=summary.rag,
            )
        )
    return headlines


def build_transformation(
    *,
    period: Period,
    lines: Sequence[SchemeLine],
    organisation: str,
    generated_at: datetime,
    filters: dict[str, str] | None = None,
) -> Report:
    """The Transformation Plan update: headlines, then schemes grouped RED, AMBER, GREEN, BLUE
    (and any not yet rated) with subtotals, then the TOTAL. In pounds."""
    groups: list[tuple[RAG | None, list[SchemeLine]]] = [
        (rag, [line for line in lines if line.rag is rag]) for rag in REPORT_ORDER
    ]
    groups.append((None, [line for line in lines if line.rag is None]))
    sections = []
    for rag, group in groups:
        if not group:
            continue
        word = rag.word if rag else "Not rated"
        rows = [
            Row(
                {
                    "ref": line.ref,
                    "rag": line.rag,
                    "title": line.title,
                    "recurrence": line.recurrence,
                    "target": line.target,
                    "ytd_budget": line.ytd_budget,
                    "ytd_actual": line.ytd_actual,
                    "balance": balance_to_achieve(target=line.target, ytd_actual=line.ytd_actual),
                    "projected_shortfall": line.projected_shortfall,
                },
                kind="unallocated" if line.is_unallocated else "item",
            )
            for line in group
        ]
        sections.append(
            Section(
                key=f"rag-{word.lower().replace(' ', '-')}",
                title=f"{word} schemes",
                columns=TRANSFORMATION_COLUMNS,
                rows=rows,
                total=_money_row(f"{word} subtotal", group, "subtotal"),
                caption=f"Schemes rated {word}, {period}",
                rag=rag,
            )
        )
    sections.append(
        Section(
            key="total",
            title="Total",
            columns=TRANSFORMATION_COLUMNS,
            total=_money_row("TOTAL", list(lines), "total"),
            caption=f"All schemes, {period}",
        )
    )
    figures = transformation_figures(lines)
    quarter_number = int(period.quarter)
    return Report(
        kind="transformation",
        title=f"Transformation Plan Update Report to End of Quarter {quarter_number}",
        period=f"{period.year}, to {period.end_date:%d/%m/%Y}",
        organisation=organisation,
        generated_at=generated_at,
        sections=sections,
        headlines=transformation_headlines(figures, period),
        notes=[
            "Amounts in pounds. Balance still to achieve = full year budget − year to date actual. "
            "Subtotals, the total and every headline are computed from the scheme rows. "
            "An unallocated savings requirement counts in the money totals but not as a scheme, "
            "nor in a RAG's scheme value. Percentages are of the total target, to one decimal place, "
            "rounded half-up.",
            *([UNKNOWN_NOTE] if _has_unknown(sections) else []),
        ],
        filters=filters or {},
    )


# A single plan -----------------------------------------------------------------------------


@dataclass(frozen=True)
class MilestoneLine:
    details: str
    amount: Decimal | None
    per_year: bool
    due_text: str
    revised: str = ""
    status: str = ""


@dataclass(frozen=True)
class UpdateLine:
    quarter: Quarter
    on_target: str
    narrative: str
    status: str
    rag: RAG | None
    rag_reason: str = ""
    milestones_explanation: str = ""
    recovery_actions: str = ""
    alternative_proposal: str = ""
    dmt_decision: str = ""  # DMT's decision on the alternative proposal, as a sentence


@dataclass(frozen=True)
class PlanSnapshot:
    year: FinancialYear
    directorate: str
    tracker_ref: str
    service_director: str
    service_area: str
    service_manager: str
    cost_centres: str
    previous_year_budget: Decimal | None
    previous_year_budget_note: str
    previous_year_outturn: Decimal | None
    previous_year_outturn_note: str
    current_year_budget: Decimal | None
    current_year_budget_note: str
    pressure: Decimal | None
    pressure_note: str
    deficit_since: str
    context: str
    actions: str
    status: str
    milestones: list[MilestoneLine] = field(default_factory=list)
    updates: list[UpdateLine] = field(default_factory=list)


def _figure(value: Decimal | None, note: str) -> str:
    """A form figure in £'000 with its note. Exact: 18,473.5 stays 18,473.5 (a whole number of
    thousands, as almost every figure is, shows no decimals)."""
    shown = format_thousands(value, places=_places_in_thousands(value)) if value is not None else "—"
    return f"{shown} {note}".strip() if note else shown


def _places_in_thousands(value: Decimal) -> int:
    exponent = (value / THOUSAND).normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


MILESTONE_COLUMNS = [
    Column("details", "Milestone details", Unit.TEXT, width=60, wrap=True),
    Column("amount", "£", Unit.POUNDS, width=14),
    Column("due", "Date", Unit.TEXT, width=16),
    Column("progress", "Latest progress", Unit.TEXT, width=24, wrap=True),
]
QUARTER_COLUMNS = [
    Column("quarter", "Quarter", Unit.TEXT, width=26),
    Column("on_target", "On target?", Unit.TEXT, width=22),
    Column("rag", "RAG (finance)", Unit.RAG, width=10),
    Column("status", "Update", Unit.TEXT, width=14),
    Column("narrative", "Narrative", Unit.TEXT, width=70, wrap=True, rich=True),
]


def build_plan(*, plan: PlanSnapshot, organisation: str, generated_at: datetime) -> Report:
    """A Deficit Recovery Plan laid out as the seed form, with its quarterly updates and RAG history."""
    previous, current = plan.year.previous.short_label, plan.year.short_label
    header = Section(
        key="header",
        title="Deficit Recovery Plan",
        kind="fields",
        fields=[
            ("Directorate", plan.directorate),
            ("Combined Tracker Ref.", plan.tracker_ref or "—"),
            ("Service Director", plan.service_director or "—"),
            ("Service Area", plan.service_area),
            ("Service Manager", plan.service_manager or "—"),
            ("Activity/Cost centres", plan.cost_centres or "—"),
            (f"{previous} Budget £'000", _figure(plan.previous_year_budget, plan.previous_year_budget_note)),
            (f"{previous} Outturn £'000", _figure(plan.previous_year_outturn, plan.previous_year_outturn_note)),
            (f"{current} Budget £'000", _figure(plan.current_year_budget, plan.current_year_budget_note)),
            (
                f"Pressure on this activity in {current} (based on {previous} outturn) £'000",
                _figure(plan.pressure, plan.pressure_note),
            ),
            ("Status", plan.status),
        ],
    )
    context_lines = ([f"In deficit since {plan.deficit_since}."] if plan.deficit_since else []) + [plan.context]
    sections = [
        header,
        Section(
            key="context",
            title="Context behind the pressure",
            kind="text",
            lines=context_lines,
            guidance=list(form_text.CONTEXT_GUIDANCE),
        ),
        Section(
            key="actions",
            title=f"Actions to keep {current} spend in line with approved budget",
            kind="text",
            lines=[plan.actions],
            guidance=list(form_text.ACTIONS_GUIDANCE),
        ),
        Section(
            key="milestones",
            title="Timescale for budget deficit recovery",
            columns=MILESTONE_COLUMNS,
            rows=[
                Row(
                    {
                        "details": item.details,
                        "amount": item.amount,
                        "due": item.due_text + (f" (revised: {item.revised})" if item.revised else ""),
                        "progress": "; ".join(
                            part for part in ("Yearly saving" if item.per_year else "", item.status) if part
                        ),
                    }
                )
                for item in plan.milestones
            ],
            caption="Key milestones, the estimated amount to be delivered and the estimated date for each",
            guidance=list(form_text.MILESTONES_GUIDANCE),
        ),
    ]
    updates = {update.quarter: update for update in plan.updates}
    quarter_rows = []
    for quarter in Quarter:
        update = updates.get(quarter)
        period = Period(plan.year, quarter)
        quarter_rows.append(
            Row(
                {
                    "quarter": period.long_label.upper(),
                    "on_target": update.on_target if update else "",
                    "rag": update.rag if update else None,
                    "status": update.status if update else "Not started",
                    "narrative": update.narrative if update else "",
                }
            )
        )
    sections.append(
        Section(
            key="quarterly",
            title="Quarterly monitoring updates",
            columns=QUARTER_COLUMNS,
            rows=quarter_rows,
            caption=(
                "On target? Yes = GREEN; Partial (e.g. milestones slipped) = AMBER; No = RED. RAG as set by finance."
            ),
            guidance=list(form_text.QUARTERLY_GUIDANCE),
        )
    )
    for update in plan.updates:
        extra = [
            (label, text)
            for label, text in (
                ("Where milestones were not met", update.milestones_explanation),
                ("Bringing delivery back on track", update.recovery_actions),
                ("Alternative proposal for realigning budgets (for DMT)", update.alternative_proposal),
                ("DMT's decision on the proposal", update.dmt_decision),
                ("Reason for the RAG", update.rag_reason),
            )
            if text
        ]
        if extra:
            sections.append(
                Section(
                    key=f"update-{update.quarter.label.lower()}",
                    title=f"{update.quarter.label}: further detail",
                    kind="fields",
                    fields=extra,
                )
            )
    return Report(
        kind="plan",
        title=f"Deficit Recovery Plan: {plan.service_area}",
        period=str(plan.year),
        organisation=organisation,
        generated_at=generated_at,
        sections=sections,
        notes=["Figures in £'000 as on the form; milestone amounts in pounds. Pressure = outturn − budget."],
    )


__all__ = [
    "MilestoneLine",
    "PlanSnapshot",
    "SchemeLine",
    "StatedFigure",
    "UpdateLine",
    "build_appendix",
    "build_plan",
    "build_transformation",
    "format_pounds",
]
