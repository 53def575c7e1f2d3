"""Pure calculations on plan figures. Decimal in, Decimal out; no Django."""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal


def pressure(*, previous_year_budget: Decimal | None, previous_year_outturn: Decimal | None) -> Decimal | None:
    """Pressure on an activity this year, based on last year's outturn: outturn − budget.

    Seed 000: 397 − (−2) = 399 (£000s). None where either figure is missing: a pressure
    cannot be stated from half the figures.
    """
    if previous_year_budget is None or previous_year_outturn is None:
        return None
    return previous_year_outturn - previous_year_budget


def milestones_total(amounts: Iterable[Decimal | None]) -> Decimal:
    """The total of the milestone amounts that were given (nil ones count as nothing)."""
    return sum((amount for amount in amounts if amount is not None), Decimal(0))


_CODE_SEPARATORS = re.compile(r"[,;\n]+")


def split_cost_centres(text: str) -> list[str]:
    """Cost centres as a list: codes separated by commas, semicolons or new lines.

    Free text such as "All Placements Cost Centres" comes back as one item.
    """
    return [part.strip() for part in _CODE_SEPARATORS.split(text) if part.strip()]
