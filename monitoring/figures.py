"""The figures a savings scheme reports, each defined once. Pure: no Django.

Every list of a scheme's figures is derived from ``QUARTER_FIGURES`` (and ``TARGET``): the
tracker importer's headers, the service that saves a quarter, the grid's edit form and columns,
the selectors that hand figures to the report builders, the report columns, the open-data
feed and README's data dictionary. A new figure is one more ``Figure`` here (plus its model
field and migration).

One fact, one figure: trackers call the same fact by many names. Seed 002's "Achieved to
Date" and seed 004's "Year to Date actual" are both savings delivered in the year up to the
quarter's end, so both headers answer to ``ytd_actual``. A figure's ``headers`` are every name
the importer accepts for it, compared without case, spaces, underscores or a unit in brackets
("YTD actual (£000s)" is "ytdactual" in £000s).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field


def header_key(header: str) -> str:
    """How a header is compared: lower case, no spaces, underscores, hyphens or full stops."""
    return "".join(ch for ch in header.lower() if ch not in " _-.'’")


@dataclass(frozen=True)
class Figure:
    """One figure of a scheme, in pounds (Decimal), with everything that lists it.

    - ``name``: the model field and the attribute everywhere else.
    - ``label``: its short name on forms, the grid and the import template's header.
    - ``headers``: every tracker header the importer accepts for it (``label`` first).
    - ``report_labels``: the heading a report gives its column, by report kind
      (``appendix``: Appendix 1, £000s; ``transformation``: the Transformation update, pounds;
      ``exceptions``; ``grid``: the quarter's scheme grid); a view without an entry does not
      show the figure.
    - ``description``: the data-dictionary text (README, open-data feed).
    - ``phrase``: the figure in a sentence ("the forecast for the year").
    """

    name: str
    label: str
    description: str
    headers: tuple[str, ...]
    phrase: str
    report_labels: dict[str, str] = field(default_factory=dict)
    unit: str = "£"

    @property
    def header_keys(self) -> frozenset[str]:
        return frozenset(header_key(header) for header in (self.label, *self.headers))

    def answers_to(self, header: str) -> bool:
        return header_key(header) in self.header_keys


TARGET = Figure(
    name="target",
    label="Target",
    description="The scheme's saving for the full financial year (the full-year budget).",
    headers=("Target", "Full year budget", "Full-year target", "Full year target", "Savings target", "Annual target"),
    phrase="target",
    report_labels={"appendix": "Target", "transformation": "Full year budget", "exceptions": "Full year target"},
)

YTD_BUDGET = Figure(
    name="ytd_budget",
    label="YTD budget",
    description=(
        "The target profiled to the end of the quarter: what should have been delivered by now. "
        "Also called the profile or the year-to-date plan."
    ),
    headers=(
        "YTD budget",
        "Year to date budget",
        "YTD plan",
        "Year to date plan",
        "YTD profile",
        "Profile",
        "Profile to date",
        "Profiled target",
        "Budget to date",
        "Cumulative target",
    ),
    phrase="year-to-date budget",
    report_labels={"transformation": "Year to date budget", "grid": "YTD budget"},
)

YTD_ACTUAL = Figure(
    name="ytd_actual",
    label="YTD actual",
    description=(
        "Savings delivered in the year up to the end of the quarter. Appendix 1 calls it "
        '"Achieved to Date", the Transformation update "Year to Date actual": one fact.'
    ),
    headers=(
        "YTD actual",
        "Year to date actual",
        "Achieved to date",
        "Achieved",
        "Delivered to date",
        "Delivered",
        "Actual to date",
        "Savings achieved",
        "Achieved YTD",
    ),
    phrase="achieved to date",
    report_labels={
        "appendix": "Achieved to Date",
        "transformation": "Year to Date actual",
        "exceptions": "YTD actual",
        "grid": "YTD actual",
    },
)

FORECAST_YEAR_END = Figure(
    name="forecast_year_end",
    label="Forecast",
    description="The saving forecast to be delivered by the end of the financial year.",
    headers=(
        "Forecast",
        "Forecast year end",
        "Forecast to year end",
        "Year end forecast",
        "Forecast outturn",
        "Forecast this year",
        "Forecast year 1",
    ),
    phrase="forecast for the year",
    report_labels={"appendix": "Forecast"},
)

FORECAST_NEXT_YEAR = Figure(
    name="forecast_next_year",
    label="Forecast next year",
    description=(
        "The saving forecast to have been delivered by the end of the following year, cumulative "
        "(Appendix 1's year-2 forecast). Mitigations required = target − this figure."
    ),
    headers=(
        "Forecast next year",
        "Forecast to end of next year",
        "Forecast by end of next year",
        "Forecast year 2",
        "Forecast following year",
    ),
    phrase="forecast by the end of the following year",
    report_labels={"appendix": "Forecast"},
)

PROJECTED_SHORTFALL = Figure(
    name="projected_shortfall",
    label="Projected shortfall",
    description=(
        "How much of the full-year target is forecast not to be delivered: entered, not computed "
        "(unlike the shortfall against the profile, which is YTD budget − YTD actual)."
    ),
    headers=("Projected shortfall", "Forecast shortfall", "Shortfall", "Projected under-delivery"),
    phrase="projected shortfall",
    report_labels={
        "transformation": "Projected shortfall",
        "exceptions": "Projected shortfall",
        "grid": "Projected shortfall",
    },
)

#: The figures a scheme reports each quarter (model fields of SchemeQuarter), in display order.
QUARTER_FIGURES: tuple[Figure, ...] = (
    YTD_BUDGET,
    YTD_ACTUAL,
    FORECAST_YEAR_END,
    FORECAST_NEXT_YEAR,
    PROJECTED_SHORTFALL,
)
#: Every amount a tracker row may give: the scheme's target and its quarter's figures.
AMOUNT_FIGURES: tuple[Figure, ...] = (TARGET, *QUARTER_FIGURES)
QUARTER_FIGURE_NAMES: tuple[str, ...] = tuple(figure.name for figure in QUARTER_FIGURES)
BY_NAME: dict[str, Figure] = {figure.name: figure for figure in AMOUNT_FIGURES}


def figure_for_header(header: str, figures: Iterable[Figure] = AMOUNT_FIGURES) -> Figure | None:
    """The figure a tracker header answers to, or None."""
    key = header_key(header)
    return next((figure for figure in figures if key in figure.header_keys), None)


def _check_headers_unique() -> None:
    seen: dict[str, str] = {}
    for figure in AMOUNT_FIGURES:
        for key in figure.header_keys:
            if seen.setdefault(key, figure.name) != figure.name:
                raise AssertionError(f"header {key!r} answers to both {seen[key]} and {figure.name}")


_check_headers_unique()
