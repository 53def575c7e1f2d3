"""The whole demo (``load_demo``: plans.demo's organisation, plans and users, then these) and
the demo schemes from seeds 002 (Appendix 1, 2022/23 at Q3, £000s) and 004 (Transformation Plan
update, 2012/13 at Q2, pounds), every row and figure as printed with the quirks resolved as
DOMAIN.md says (the resolutions are recorded beside each row in the fixture files).

Idempotent: a scheme that exists (same year, service area, ref and title) is left as it is.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from monitoring.models import PlanUpdate, Scheme, SchemeQuarter, StatedTotal
from plans.demo import LoadReport, load_plan_seeds, read_seed
from plans.models import DeficitRecoveryPlan, ServiceArea
from recovery.money import THOUSAND, parse_money
from recovery.periods import FinancialYear, Quarter
from recovery.rag import OnTarget

FIXTURES = Path(settings.BASE_DIR) / "fixtures"
SEED_002 = FIXTURES / "seed_002_appendix.json"
SEED_004 = FIXTURES / "seed_004_transformation.json"


def _read(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return data


def _amount(text: str | None, multiplier: Decimal) -> Decimal | None:
    return parse_money(text, multiplier=multiplier) if text is not None else None


def _nil_or_amount(text: str | None, multiplier: Decimal) -> Decimal:
    """A figure of a column the seed prints: its null (a dash or a blank cell in the source) is
    nil, 0; unknown is only a figure the seed does not have at all (DOMAIN.md)."""
    return _amount(text, multiplier) or Decimal(0)


def _area(directorate: str, name: str) -> ServiceArea:
    return ServiceArea.objects.get(portfolio__directorate__name=directorate, name=name)


def _ensure_scheme(
    report: LoadReport,
    *,
    area: ServiceArea,
    year: FinancialYear,
    quarter: Quarter,
    scheme_fields: dict[str, Any],
    quarter_fields: dict[str, Any],
) -> None:
    existing = Scheme.objects.filter(
        service_area=area, financial_year=year, ref=scheme_fields["ref"], title=scheme_fields["title"]
    ).first()
    if existing is not None:
        # Earlier versions loaded the seeds' printed blanks and dashes as unknown: they are nil.
        for name, value in quarter_fields.items():
            if value == 0 and not isinstance(value, str):
                SchemeQuarter.objects.filter(scheme=existing, quarter=quarter, **{f"{name}__isnull": True}).update(
                    **{name: value}
                )
        return
    scheme = Scheme.objects.create(service_area=area, financial_year=year, **scheme_fields)
    SchemeQuarter.objects.create(scheme=scheme, quarter=quarter, **quarter_fields)
    report.count("schemes", True)


def load_appendix_seed(report: LoadReport) -> None:
    """Seed 002: one service area per section, amounts in £000s."""
    seed = _read(SEED_002)
    year = FinancialYear.parse(seed["financial_year"])
    quarter = Quarter.parse(seed["quarter"])
    for section in seed["sections"]:
        area = _area(seed["directorate"], section["service_area"])
        for order, row in enumerate(section["schemes"], start=1):
            _ensure_scheme(
                report,
                area=area,
                year=year,
                quarter=quarter,
                scheme_fields={
                    "ref": "",
                    "title": row["title"],
                    "order": order,
                    "target": _amount(row["target"], THOUSAND) or Decimal(0),
                    "timeline": row["timeline"],
                    "challenges": row["challenges"],
                },
                quarter_fields={
                    "forecast_year_end": _nil_or_amount(row["forecast_year_end"], THOUSAND),
                    "forecast_next_year": _nil_or_amount(row["forecast_next_year"], THOUSAND),
                    # Seed 002's "Achieved to Date" is the year-to-date actual: one fact.
                    "ytd_actual": _nil_or_amount(row["achieved_to_date"], THOUSAND),
                },
            )


def _ensure_stated(
    report: LoadReport, *, year: FinancialYear, quarter: Quarter, scope: str, column: str, text: str
) -> None:
    amount = parse_money(text, multiplier=THOUSAND)
    if amount is None:
        return
    _, created = StatedTotal.objects.get_or_create(
        financial_year=year,
        quarter=quarter,
        scope=scope,
        column=column,
        source="Appendix 1 as printed (seed 002)",
        defaults={"amount": amount},
    )
    report.count("stated totals", created)


def load_appendix_stated_totals(report: LoadReport) -> None:
    """The totals seed 002 prints, kept to compare with the computed ones (4,312 vs 4,338)."""
    seed = _read(SEED_002)
    year = FinancialYear.parse(seed["financial_year"])
    quarter = Quarter.parse(seed["quarter"])
    section_columns = {"target": "target", "forecast": "forecast_year_end", "achieved_to_date": "ytd_actual"}
    for section in seed["sections"]:
        stated = section.get("stated_total") or {}
        for key, column in section_columns.items():
            if stated.get(key):
                _ensure_stated(
                    report, year=year, quarter=quarter, scope=section["service_area"], column=column, text=stated[key]
                )
    for row in seed["overall_total_printed"]:
        for column in ("target", "forecast_year_end", "forecast_next_year"):
            text = row.get(column)
            if text and text.strip() not in {"-", ""}:
                _ensure_stated(report, year=year, quarter=quarter, scope=row["portfolio"], column=column, text=text)


def load_transformation_seed(report: LoadReport) -> None:
    """Seed 004: one service area, amounts in pounds, RAG as printed."""
    seed = _read(SEED_004)
    year = FinancialYear.parse(seed["financial_year"])
    quarter = Quarter.parse(seed["quarter"])
    area = _area(seed["directorate"], seed["service_area"])
    one = Decimal(1)
    for order, row in enumerate(seed["schemes"], start=1):
        _ensure_scheme(
            report,
            area=area,
            year=year,
            quarter=quarter,
            scheme_fields={
                "ref": row["ref"],
                "title": row["title"],
                "order": order,
                "recurrence": row["recurrent"],
                "is_unallocated": row["unallocated"],
                "target": _amount(row["target"], one) or Decimal(0),
            },
            quarter_fields={
                "ytd_budget": _nil_or_amount(row["ytd_budget"], one),
                "ytd_actual": _nil_or_amount(row["ytd_actual"], one),
                "projected_shortfall": _nil_or_amount(row["projected_shortfall"], one),
                "rag": row["rag"],
            },
        )


@transaction.atomic
def load_demo(*, with_users: bool = True) -> LoadReport:
    """The whole demo: the seed organisation, plans and demo users (``plans.demo``), then the
    schemes, stated totals and quarterly updates; returns what was created."""
    report = LoadReport()
    load_plan_seeds(report, with_users=with_users)
    load_scheme_seeds(report)
    return report


def load_scheme_seeds(report: LoadReport) -> None:
    load_appendix_seed(report)
    load_appendix_stated_totals(report)
    load_transformation_seed(report)
    load_plan_update_seeds(report)


def load_plan_update_seeds(report: LoadReport) -> None:
    """The quarterly monitoring boxes the seed forms fill in. An update that answers "On
    target?" is loaded as submitted (003's Q2: Amber, i.e. Partial); one with a narrative but
    no answer (000's Q3, 003's Q3) as a draft its manager can finish and submit."""
    for entry in read_seed()["plans"]:
        plan = DeficitRecoveryPlan.objects.filter(
            service_area__portfolio__directorate__name=entry["directorate"],
            service_area__name=entry["service_area"],
            financial_year=FinancialYear.parse(entry["financial_year"]),
        ).first()
        if plan is None:
            continue
        for item in entry["quarterly_updates"]:
            quarter = Quarter.parse(item["quarter"])
            if PlanUpdate.objects.filter(plan=plan, quarter=quarter).exists():
                continue
            answer = OnTarget.parse(item["on_target"]) if item["on_target"] else None
            PlanUpdate.objects.create(
                plan=plan,
                quarter=quarter,
                on_target=answer.value if answer else "",
                narrative=item["narrative"],
                status=PlanUpdate.Status.SUBMITTED if answer else PlanUpdate.Status.DRAFT,
                submitted_by=plan.submitted_by if answer else None,
                submitted_at=plan.submitted_at if answer else None,
            )
            report.count("plan updates", True)
