"""Which years and quarters the dashboard can show, and where it opens. Pure: no Django.

A year *has data* when it has savings schemes or recovery plans (submitted ones: drafts are
their managers' own). A quarter *has figures* when a scheme of that year reports a figure (nil
included, unknown not) or a RAG for it. The selector ``dashboard_calendar`` reads those facts;
everything else (the latest quarter with figures, the quarter a year opens on, the year and
quarter pickers, which message a year's page gives) is decided here, from them alone.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field

from recovery.periods import FinancialYear, Period, Quarter


class YearKind(enum.Enum):
    """What a financial year holds."""

    BOTH = "both"
    PLANS_ONLY = "plans only"
    SCHEMES_ONLY = "schemes only"
    NOTHING = "nothing"


@dataclass(frozen=True)
class YearChoice:
    """A year in the picker: where choosing it leads (its opening quarter) and what it holds."""

    year: FinancialYear
    kind: YearKind
    period: Period
    selected: bool = False

    @property
    def label(self) -> str:
        if self.kind is YearKind.BOTH:
            return str(self.year)
        if self.kind is YearKind.NOTHING:
            return f"{self.year} (no data)"
        return f"{self.year} ({self.kind.value})"


@dataclass(frozen=True)
class QuarterChoice:
    period: Period
    has_figures: bool
    has_updates: bool
    selected: bool = False


@dataclass(frozen=True)
class Picker:
    """Everything the dashboard's header needs: the year and quarter pickers and the facts its
    messages are built on."""

    period: Period
    kind: YearKind
    years: list[YearChoice]
    quarters: list[QuarterChoice]
    plan_years: list[YearChoice]  # the other years that have recovery plans
    scheme_years: list[YearChoice]  # the other years that have savings schemes
    latest: Period | None  # the latest quarter with figures, in any year

    @property
    def nothing(self) -> bool:
        return self.kind is YearKind.NOTHING

    @property
    def plans_only(self) -> bool:
        return self.kind is YearKind.PLANS_ONLY

    @property
    def schemes_only(self) -> bool:
        return self.kind is YearKind.SCHEMES_ONLY

    @property
    def has_schemes(self) -> bool:
        return self.kind in (YearKind.BOTH, YearKind.SCHEMES_ONLY)

    @property
    def quarter_has_figures(self) -> bool:
        return any(choice.has_figures for choice in self.quarters if choice.selected)

    @property
    def other_years(self) -> list[YearChoice]:
        """The years with data other than this one."""
        return [choice for choice in self.years if not choice.selected and choice.kind is not YearKind.NOTHING]

    @property
    def figure_quarters(self) -> list[QuarterChoice]:
        """The quarters of this year that have figures."""
        return [choice for choice in self.quarters if choice.has_figures]


def _latest(periods: Iterable[Period], year: FinancialYear) -> Quarter | None:
    quarters = [period.quarter for period in periods if period.year == year]
    return max(quarters) if quarters else None


@dataclass(frozen=True)
class DataCalendar:
    """The years with plans and with schemes, and the quarters with figures and with plan
    updates, as one user may see them."""

    plan_years: frozenset[FinancialYear] = frozenset()
    scheme_years: frozenset[FinancialYear] = frozenset()
    figure_periods: frozenset[Period] = frozenset()
    update_periods: frozenset[Period] = frozenset()
    _years: tuple[FinancialYear, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # A figure belongs to a scheme, and an update to a plan, of its year.
        object.__setattr__(self, "scheme_years", self.scheme_years | {p.year for p in self.figure_periods})
        object.__setattr__(self, "plan_years", self.plan_years | {p.year for p in self.update_periods})
        object.__setattr__(self, "_years", tuple(sorted(self.plan_years | self.scheme_years, reverse=True)))

    @property
    def years(self) -> list[FinancialYear]:
        """Every year with data, latest first."""
        return list(self._years)

    def kind(self, year: FinancialYear) -> YearKind:
        has_plans, has_schemes = year in self.plan_years, year in self.scheme_years
        if has_plans and has_schemes:
            return YearKind.BOTH
        if has_plans:
            return YearKind.PLANS_ONLY
        if has_schemes:
            return YearKind.SCHEMES_ONLY
        return YearKind.NOTHING

    def opening_quarter(self, year: FinancialYear) -> Quarter:
        """The quarter a year opens on: its latest with figures, else its latest with a plan
        update, else Q1."""
        return _latest(self.figure_periods, year) or _latest(self.update_periods, year) or Quarter.Q1

    def opening_period(self, year: FinancialYear) -> Period:
        return Period(year, self.opening_quarter(year))

    def latest_period(self) -> Period | None:
        """Where the dashboard opens: the latest quarter with figures; when no quarter has any,
        the latest year with data (at its opening quarter); None when there is no data at all."""
        if self.figure_periods:
            return max(self.figure_periods)
        if self._years:
            return self.opening_period(self._years[0])
        return None

    def _choice(self, year: FinancialYear, selected: FinancialYear | None = None) -> YearChoice:
        return YearChoice(year, self.kind(year), self.opening_period(year), selected=year == selected)

    def picker(self, period: Period) -> Picker:
        """The pickers and messages of the page for ``period`` (any period: one with no data
        is listed among the years so that the page can say so)."""
        years = sorted({*self._years, period.year}, reverse=True)
        return Picker(
            period=period,
            kind=self.kind(period.year),
            years=[self._choice(year, period.year) for year in years],
            quarters=[
                QuarterChoice(
                    Period(period.year, quarter),
                    has_figures=Period(period.year, quarter) in self.figure_periods,
                    has_updates=Period(period.year, quarter) in self.update_periods,
                    selected=quarter == period.quarter,
                )
                for quarter in Quarter
            ],
            plan_years=[self._choice(year) for year in self._years if year in self.plan_years and year != period.year],
            scheme_years=[
                self._choice(year) for year in self._years if year in self.scheme_years and year != period.year
            ],
            latest=max(self.figure_periods) if self.figure_periods else None,
        )
