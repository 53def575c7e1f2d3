"""Seeds 002 and 004 read straight from the fixture files as the builders' inputs (SchemeLines),
and the figures the seeds print, which every reporting test checks against."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from recovery.periods import FinancialYear, Period, Quarter
from recovery.rag import RAG
from recovery.reporting.builders import SchemeLine

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
SEED_002: dict[str, Any] = json.loads((FIXTURES / "seed_002_appendix.json").read_text(encoding="utf-8"))
SEED_004: dict[str, Any] = json.loads((FIXTURES / "seed_004_transformation.json").read_text(encoding="utf-8"))

APPENDIX_PERIOD = Period(FinancialYear(2022), Quarter.Q3)
TRANSFORMATION_PERIOD = Period(FinancialYear(2012), Quarter.Q2)
THOUSAND = Decimal(1000)

# The Overall Total's portfolios in the order seed 002 prints them (an empty one included).
PORTFOLIOS = [row["portfolio"] for row in SEED_002["overall_total_printed"] if row["portfolio"] != "Total"]

# Seed 002, each section's Total row in pounds: target, forecast 31/03/23, forecast 31/03/24, achieved.
APPENDIX_TOTALS: dict[str, tuple[str, str, str, str]] = {
    "Change and Strategy Delivery": ("1803000", "1500000", "1803000", "925000"),
    "Living and Ageing Well": ("10888000", "6994000", "10227000", "5206000"),
    "Adults with a Disability": ("9506000", "4338000", "8710000", "2833400"),
    "Mental Health and Safeguarding": ("1650000", "1210000", "1450000", "877000"),
    "Adult Commissioning and Partnerships": ("100000", "100000", "100000", "100000"),
    "Governance and Inclusion": ("1254000", "1783000", "1783000", "1187000"),
}
APPENDIX_SECTIONS = list(APPENDIX_TOTALS)
MITIGATION_LINES = {
    "Living and Ageing Well": "£661k remains to be mitigated.",
    "Adults with a Disability": "£796k remains to be mitigated.",
    "Mental Health and Safeguarding": "£200k remains to be mitigated.",
}
# The Overall Total by portfolio: target, forecast year 1, forecast year 2, mitigations (pounds).
OVERALL: dict[str, tuple[str, str | None, str | None, str]] = {
    "Change and Strategy Delivery": ("1803000", "1500000", "1803000", "0"),
    "Living and Ageing Well": ("10888000", "6994000", "10227000", "661000"),
    "Adults with Disabilities": ("9506000", "4338000", "8710000", "796000"),
    "Mental Health and Wellbeing": ("1650000", "1210000", "1450000", "200000"),
    "Care Governance and Inclusion": ("1254000", "1783000", "1783000", "-529000"),
    "Commissioning and Partnerships": ("100000", "100000", "100000", "0"),
    "Chief Social Work Officer": ("0", None, None, "0"),
}
OVERALL_TOTAL = ("25201000", "15925000", "24073000", "1128000")

# Seed 004's subtotals and TOTAL as printed: target, YTD budget, YTD actual, balance, projected shortfall.
TRANSFORMATION_SUBTOTALS: dict[str, tuple[str, str, str, str, str]] = {
    "RED": ("2954636", "181006", "0", "2954636", "2699636"),
    "AMBER": ("2634805", "725384", "288785", "2346020", "0"),
    "GREEN": ("2366559", "942842", "1402337", "964222", "0"),
    "TOTAL": ("7956000", "1849232", "1691122", "6264878", "2699636"),
}
MONEY_COLUMNS = ("target", "ytd_budget", "ytd_actual", "balance", "projected_shortfall")
TRANSFORMATION_HEADLINES = [
    "£7.956m",
    "£1.849m",
    "23.2%",
    "£1.691m",
    "21.3%",
    "£158k",
    "34 schemes",
    "£436k",
    "5.5%",
]
RAG_HEADLINES = {
    "RED": ("5 schemes", "£2.518m", "31.7%"),
    "AMBER": ("16 schemes", "£2.635m", "33.1%"),
    "GREEN": ("13 schemes", "£2.367m", "29.7%"),
}


def _amount(text: str | None, multiplier: Decimal = Decimal(1)) -> Decimal | None:
    return None if text is None else Decimal(text) * multiplier


def _nil(text: str | None, multiplier: Decimal = Decimal(1)) -> Decimal:
    """A figure of a column the seed prints: the fixture's null is nil (a dash or blank), 0, as
    monitoring.demo loads it. A figure the seed has no column for is unknown (None)."""
    return Decimal(0) if text is None else Decimal(text) * multiplier


def appendix_lines() -> list[SchemeLine]:
    """Seed 002's 26 projects, amounts ×1000 (the fixture is in £000s)."""
    lines = []
    for section in SEED_002["sections"]:
        for row in section["schemes"]:
            lines.append(
                SchemeLine(
                    directorate=SEED_002["directorate"],
                    portfolio=section["portfolio"],
                    service_area=section["service_area"],
                    service_area_order=section["number"],
                    ref="",
                    title=row["title"],
                    target=_amount(row["target"], THOUSAND) or Decimal(0),
                    forecast_year_end=_nil(row["forecast_year_end"], THOUSAND),
                    forecast_next_year=_nil(row["forecast_next_year"], THOUSAND),
                    ytd_actual=_nil(row["achieved_to_date"], THOUSAND),
                    timeline=row["timeline"],
                    challenges=row["challenges"],
                )
            )
    return lines


def transformation_lines() -> list[SchemeLine]:
    """Seed 004's 35 rows (34 schemes and the unallocated requirement), in pounds."""
    return [
        SchemeLine(
            directorate=SEED_004["directorate"],
            portfolio=SEED_004["portfolio"],
            service_area=SEED_004["service_area"],
            ref=row["ref"],
            title=row["title"],
            target=Decimal(row["target"]),
            recurrence=row["recurrent"],
            is_unallocated=row["unallocated"],
            ytd_budget=_nil(row["ytd_budget"]),
            ytd_actual=_nil(row["ytd_actual"]),
            projected_shortfall=_nil(row["projected_shortfall"]),
            rag=RAG(row["rag"]),
        )
        for row in SEED_004["schemes"]
    ]


def multiply_schemes(period: Period, times: int) -> int:
    """Copy every scheme of the period's year (with its quarter's figures) ``times`` more times;
    return how many there were."""
    from monitoring.models import Scheme, SchemeQuarter

    originals = list(Scheme.objects.for_year(period.year).prefetch_related("quarters"))
    for copy in range(1, times + 1):
        for scheme in originals:
            figures = next(q for q in scheme.quarters.all() if q.quarter == period.quarter)
            clone = Scheme.objects.create(
                service_area_id=scheme.service_area_id,
                financial_year=scheme.financial_year,
                ref=scheme.ref,
                title=f"{scheme.title} (copy {copy})",
                recurrence=scheme.recurrence,
                is_unallocated=scheme.is_unallocated,
                target=scheme.target,
                order=scheme.order + 100 * copy,
            )
            SchemeQuarter.objects.create(
                scheme=clone,
                quarter=period.quarter,
                ytd_budget=figures.ytd_budget,
                ytd_actual=figures.ytd_actual,
                forecast_year_end=figures.forecast_year_end,
                forecast_next_year=figures.forecast_next_year,
                projected_shortfall=figures.projected_shortfall,
                rag=figures.rag,
            )
    return len(originals)
