"""Pure calculations on savings-scheme figures. Decimal in, Decimal out; no Django.

Figures are in pounds. Nil and unknown differ (DOMAIN.md, "Rules of arithmetic"): a dash or
a 0 is nil, Decimal(0); a figure nobody gave (a column the tracker lacks, a cell or a field
left empty) is unknown, None. Arithmetic on an unknown gives an unknown, and a total says how
many of its rows gave the figure (``Sum``), so no report shows an unknown as 0.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from monitoring.figures import QUARTER_FIGURE_NAMES
from recovery.money import format_pounds
from recovery.rag import RAG

ZERO = Decimal(0)


def nil(value: Decimal | None) -> Decimal:
    """An unknown counted as nothing: only where a rule must decide on what is known (the RAG
    suggestion), never for a figure that is shown."""
    return ZERO if value is None else value


@dataclass(frozen=True)
class SchemeFigures:
    """A scheme's figures for one quarter, as entered (amounts in pounds)."""

    target: Decimal
    ytd_budget: Decimal | None = None
    ytd_actual: Decimal | None = None
    forecast_year_end: Decimal | None = None
    forecast_next_year: Decimal | None = None
    projected_shortfall: Decimal | None = None

    @classmethod
    def of(cls, target: Decimal, values: Mapping[str, Decimal | None]) -> SchemeFigures:
        """From the target and the quarter's figures by name (monitoring.figures)."""
        return cls(target, **{name: values.get(name) for name in QUARTER_FIGURE_NAMES})


def balance_to_achieve(*, target: Decimal, ytd_actual: Decimal | None) -> Decimal | None:
    """Balance still to achieve = full-year target − year-to-date actual (seed 004: 86,805 − 78,114 = 8,691);
    unknown (None) where the actual is unknown."""
    return None if ytd_actual is None else target - ytd_actual


def shortfall_against_profile(*, ytd_budget: Decimal | None, ytd_actual: Decimal | None) -> Decimal | None:
    """How far year-to-date delivery is behind the profiled target (negative when ahead);
    unknown (None) where either figure is unknown."""
    if ytd_budget is None or ytd_actual is None:
        return None
    return ytd_budget - ytd_actual


def suggested_rag(figures: SchemeFigures) -> RAG:
    """The status the figures point to. Finance decides; this is a prompt, not a rule.

    - BLUE: the full target has been achieved (nothing left to achieve).
    - RED: the projected shortfall is half the target or more.
    - AMBER: any projected shortfall, or delivery behind the year-to-date profile.
    - GREEN: otherwise.

    An unknown figure points nowhere: only the figures given are weighed.
    """
    target = figures.target
    shortfall = nil(figures.projected_shortfall)
    balance = balance_to_achieve(target=target, ytd_actual=figures.ytd_actual)
    if target > 0 and balance is not None and balance <= 0:
        return RAG.BLUE
    if target > 0 and shortfall * 2 >= target:
        return RAG.RED
    if shortfall > 0:
        return RAG.AMBER
    if nil(shortfall_against_profile(ytd_budget=figures.ytd_budget, ytd_actual=figures.ytd_actual)) > 0:
        return RAG.AMBER
    return RAG.GREEN


def _pounds(amount: Decimal) -> str:
    """Whole pounds, or pounds and pence where whole pounds would read as £0."""
    shown = format_pounds(amount)
    return format_pounds(amount, places=2) if shown in {"£0", "-£0"} and amount != 0 else shown


def rag_disagreements(stated: RAG | None, figures: SchemeFigures) -> list[str]:
    """Where a stated status disagrees with the figures, one sentence for each reason.

    Only contradictions are listed (a GREEN scheme with a projected shortfall, a BLUE one with
    a balance still to achieve, a RED one whose figures show it delivered), not every
    difference from the suggestion. An unknown figure contradicts nothing.
    """
    if stated is None:
        return []
    reasons = []
    shortfall = nil(figures.projected_shortfall)
    balance = balance_to_achieve(target=figures.target, ytd_actual=figures.ytd_actual)
    behind = shortfall_against_profile(ytd_budget=figures.ytd_budget, ytd_actual=figures.ytd_actual)
    if stated in (RAG.GREEN, RAG.BLUE) and shortfall > 0:
        reasons.append(f"{stated.word} but a shortfall of {_pounds(shortfall)} is projected.")
    if stated is RAG.BLUE and balance is not None and balance > 0:
        reasons.append(f"BLUE (delivered) but {_pounds(balance)} is still to achieve.")
    if stated is RAG.GREEN and behind is not None and behind > 0:
        reasons.append(f"GREEN but {_pounds(behind)} behind the year-to-date profile.")
    if stated in (RAG.RED, RAG.AMBER) and figures.target > 0 and balance is not None and balance <= 0:
        reasons.append(f"{stated.word} but the full target has been achieved.")
    return reasons


@dataclass(frozen=True)
class Sum:
    """A total over rows, and how many of them gave the figure.

    ``amount`` is the sum of the known values: None where no row gave one (unknown, never 0),
    0 over no rows at all. ``known`` of ``count`` rows gave the figure; where some did not
    (``partial``) a report shows the amount and says so ("3 of 7 schemes").
    """

    amount: Decimal | None
    known: int
    count: int

    @property
    def partial(self) -> bool:
        return 0 < self.known < self.count

    @property
    def unknown(self) -> int:
        return self.count - self.known


def sum_of(values: Iterable[Decimal | None]) -> Sum:
    """The sum of the amounts given, with how many rows gave one (see ``Sum``)."""
    items = list(values)
    known = [value for value in items if value is not None]
    if items and not known:
        return Sum(None, 0, len(items))
    return Sum(sum(known, ZERO), len(known), len(items))


def total(values: Iterable[Decimal | None]) -> Decimal | None:
    """The sum of the amounts known; None (unknown) where every one is unknown, 0 over nothing."""
    return sum_of(values).amount


def ratio(numerator: Decimal | None, denominator: Decimal | None) -> Decimal | None:
    """numerator ÷ denominator, unrounded; None where either is unknown or the denominator is zero."""
    if numerator is None or denominator is None or denominator == 0:
        return None
    return numerator / denominator
