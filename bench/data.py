"""Synthetic data for the benchmark, shaped like the seed documents and scaled.

At scale 1 the data is about the size of the seeds (60 schemes over 6 service areas, as seeds
002 and 004 together; 30 plans), at scale 10 ten times that (600 schemes over 60 service areas,
300 plans). Texts and figures are the seeds' own, cycled, so rows are as long as real ones.
Everything is in its own financial year (BENCH_YEAR) so the demo data does not mix in.

Written with bulk_create (the benchmark measures reading, not loading): no history records.
The tracker for the import benchmark is an .xlsx in the format README documents.
"""

from __future__ import annotations

import json
import random
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
BENCH_YEAR = "2030/31"  # the year every synthetic scheme and current plan belongs to
BENCH_QUARTER = "Q2"  # figures for Q1 and Q2, so the grid and dashboard show movement
IMPORT_YEAR = "2031/32"
AREAS_PER_SCALE = 6
SCHEMES_PER_AREA = 10
PLANS_PER_AREA = 5  # one per year, the last in BENCH_YEAR
MILESTONES_PER_PLAN = 3
RAGS = ("RED", "AMBER", "GREEN", "BLUE")


def _seed(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return data


def seed_scheme_texts() -> list[dict[str, str]]:
    """Seed 002 and 004 rows: title, timeline, challenges, ref, target in pounds."""
    texts = []
    appendix = _seed("seed_002_appendix.json")
    for section in appendix["sections"]:
        for row in section["schemes"]:
            target = Decimal(row["target"].replace(",", "") or 0) * 1000
            texts.append(
                {
                    "ref": "",
                    "title": row["title"],
                    "timeline": row["timeline"],
                    "challenges": row["challenges"],
                    "target": str(target),
                }
            )
    transformation = _seed("seed_004_transformation.json")
    for row in transformation["schemes"]:
        texts.append(
            {
                "ref": row["ref"],
                "title": row["title"],
                "timeline": "",
                "challenges": "",
                "target": row["target"].replace(",", ""),
            }
        )
    return texts


def _amount(target: Decimal, share: float) -> Decimal:
    return (target * Decimal(str(round(share, 2)))).quantize(Decimal(1))


def generate(scale: int) -> dict[str, int]:
    """Add the synthetic organisation, schemes (with Q1 and Q2 figures) and plans for ``scale``.

    Needs Django set up and the demo data loaded (the `manager` user owns some plans)."""
    from django.contrib.auth.models import User
    from django.db import transaction
    from django.utils import timezone

    from monitoring.models import PlanUpdate, Scheme, SchemeQuarter
    from plans.models import DeficitRecoveryPlan, Directorate, Milestone, Portfolio, ServiceArea
    from recovery.money import parse_money
    from recovery.periods import FinancialYear, Quarter, parse_due

    rng = random.Random(2026 + scale)  # noqa: S311 - repeatable test data, not secrets
    year = FinancialYear.parse(BENCH_YEAR)
    quarter = Quarter.parse(BENCH_QUARTER)
    texts = seed_scheme_texts()
    plan_seeds = _seed("seed_plans.json")["plans"]
    manager = User.objects.filter(username="manager").first()
    now = timezone.now()
    with transaction.atomic():
        areas: list[ServiceArea] = []
        for number in range(1, scale + 1):
            directorate = Directorate.objects.create(name=f"Bench directorate {number}")
            for p in range(1, 4):
                portfolio = Portfolio.objects.create(
                    directorate=directorate, name=f"Bench portfolio {number}.{p}", order=p
                )
                for a in range(1, AREAS_PER_SCALE // 3 + 1):
                    areas.append(
                        ServiceArea.objects.create(
                            portfolio=portfolio, name=f"Bench service area {number}.{p}.{a}", order=len(areas) + 1
                        )
                    )
        schemes = []
        for area_index, area in enumerate(areas):
            for order in range(1, SCHEMES_PER_AREA + 1):
                text = texts[(area_index * SCHEMES_PER_AREA + order) % len(texts)]
                schemes.append(
                    Scheme(
                        service_area=area,
                        financial_year=year,
                        ref=text["ref"] or f"{area_index + 1}{chr(96 + order)}",
                        title=text["title"],
                        recurrence=rng.choice(("R", "R", "NR")),
                        is_unallocated=order == SCHEMES_PER_AREA and area_index % AREAS_PER_SCALE == 0,
                        target=Decimal(text["target"]) or Decimal(25_000),
                        timeline=text["timeline"],
                        challenges=text["challenges"],
                        order=order,
                    )
                )
        schemes = Scheme.objects.bulk_create(schemes)
        figures = []
        for scheme in schemes:
            target = scheme.target
            for q in (Quarter.Q1, quarter):
                profile = int(q) / 4
                figures.append(
                    SchemeQuarter(
                        scheme=scheme,
                        quarter=q,
                        ytd_budget=_amount(target, profile),
                        ytd_actual=_amount(target, profile * rng.uniform(0.3, 1.1)),
                        forecast_year_end=_amount(target, rng.uniform(0.5, 1.05)),
                        forecast_next_year=_amount(target, rng.uniform(0.7, 1.1)),
                        projected_shortfall=_amount(target, rng.uniform(0.0, 0.4)),
                        rag="" if scheme.is_unallocated else rng.choice(RAGS),
                        commentary=scheme.challenges,
                        updated_by=manager,
                    )
                )
        SchemeQuarter.objects.bulk_create(figures)
        plans = []
        first_year = year.start_year - PLANS_PER_AREA + 1
        for area_index, area in enumerate(areas):
            for offset in range(PLANS_PER_AREA):
                entry = plan_seeds[(area_index + offset) % len(plan_seeds)]
                plans.append(
                    DeficitRecoveryPlan(
                        service_area=area,
                        financial_year=FinancialYear(first_year + offset),
                        tracker_ref="",
                        service_director=entry["service_director"],
                        service_manager=entry["service_manager"],
                        cost_centres=entry["cost_centres"],
                        previous_year_budget=parse_money(entry["previous_year_budget"], multiplier=Decimal(1000)),
                        previous_year_budget_note=entry["previous_year_budget_note"],
                        previous_year_outturn=parse_money(entry["previous_year_outturn"], multiplier=Decimal(1000)),
                        previous_year_outturn_note=entry["previous_year_outturn_note"],
                        current_year_budget=parse_money(entry["current_year_budget"], multiplier=Decimal(1000)),
                        current_year_budget_note=entry["current_year_budget_note"],
                        pressure_note=entry["pressure_note"],
                        context=entry["context"],
                        actions=entry["actions"],
                        status=DeficitRecoveryPlan.Status.SUBMITTED,
                        submitted_at=now,
                        submitted_by=manager,
                        created_by=manager,
                    )
                )
        plans = DeficitRecoveryPlan.objects.bulk_create(plans)
        milestones = []
        updates = []
        for plan_index, plan in enumerate(plans):
            entry = plan_seeds[plan_index % len(plan_seeds)]
            seeds = entry["milestones"] or [{"details": "Review", "amount": "1000", "per_year": False, "due_text": ""}]
            for order in range(1, MILESTONES_PER_PLAN + 1):
                milestone = seeds[(order - 1) % len(seeds)]
                due_text = milestone["due_text"] or f"31/12/{plan.financial_year.start_year}"
                milestones.append(
                    Milestone(
                        plan=plan,
                        order=order,
                        details=milestone["details"],
                        amount=parse_money(milestone["amount"]),
                        per_year=milestone["per_year"],
                        due_text=due_text,
                        due_date=parse_due(due_text),
                    )
                )
            if plan.financial_year == year and plan_index % 2 == 0:
                updates.append(
                    PlanUpdate(
                        plan=plan,
                        quarter=quarter,
                        on_target="partial",
                        narrative=(entry["quarterly_updates"] or [{"narrative": "On track."}])[0]["narrative"],
                        status=PlanUpdate.Status.SUBMITTED,
                        submitted_by=manager,
                        submitted_at=now,
                    )
                )
        Milestone.objects.bulk_create(milestones)
        PlanUpdate.objects.bulk_create(updates)
        if manager is not None:
            through = DeficitRecoveryPlan.managers.through
            through.objects.bulk_create(
                [through(deficitrecoveryplan_id=plan.pk, user_id=manager.pk) for plan in plans[::3]]
            )
    return {"service_areas": len(areas), "schemes": len(schemes), "plans": len(plans), "milestones": len(milestones)}


TRACKER_HEADER = (
    "Financial year",
    "Quarter",
    "Directorate",
    "Portfolio",
    "Service area",
    "Ref",
    "Title",
    "Recurrent",
    "Unallocated",
    "Target",
    "YTD budget",
    "YTD actual",
    "Forecast",
    "Forecast next year",
    "Projected shortfall",
    "RAG",
    "Timeline",
    "Challenges",
)


def write_tracker(path: Path, rows: int, *, areas: int = 60, directorates: int = 10) -> Path:
    """A savings tracker of ``rows`` scheme rows (no total rows) over ``areas`` service areas."""
    from openpyxl import Workbook

    rng = random.Random(rows)  # noqa: S311 - repeatable test data, not secrets
    texts = seed_scheme_texts()
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Schemes")
    sheet.append(TRACKER_HEADER)
    for number in range(rows):
        text = texts[number % len(texts)]
        area = number % areas
        directorate = area % directorates
        target = int(Decimal(text["target"])) or 25_000
        sheet.append(
            (
                IMPORT_YEAR,
                "Q2",
                f"Import directorate {directorate + 1}",
                f"Import portfolio {directorate + 1}.{area % 3 + 1}",
                f"Import service area {area + 1}",
                f"{number + 1}",
                text["title"],
                rng.choice(("R", "NR")),
                None,
                target,
                round(target * 0.5),
                round(target * rng.uniform(0.2, 0.6)),
                round(target * rng.uniform(0.5, 1.05)),
                round(target * rng.uniform(0.7, 1.1)),
                round(target * rng.uniform(0.0, 0.4)),
                rng.choice(RAGS),
                text["timeline"],
                text["challenges"],
            )
        )
    workbook.save(path)
    return path


def e2e_periods(quarters: int) -> list[tuple[str, str]]:
    """(financial year, quarter) of ``quarters`` consecutive quarters from IMPORT_YEAR's Q1."""
    first = int(IMPORT_YEAR[:4])
    return [(f"{first + n // 4}/{str(first + n // 4 + 1)[-2:]}", f"Q{n % 4 + 1}") for n in range(quarters)]


def write_tracker_quarters(
    path: Path, *, schemes: int, quarters: int, areas: int = 600, rows: range | None = None
) -> Path:
    """A savings tracker with a row for each of ``schemes`` schemes in each of ``quarters``
    consecutive quarters (the whole history a county keeps), over ``areas`` service areas:
    ``schemes * quarters`` rows, written row by row (write-only). ``rows``: only those rows (by
    number from 0, quarter after quarter), the same values as in the whole file."""
    from openpyxl import Workbook

    rng = random.Random(schemes * quarters)  # noqa: S311 - repeatable test data, not secrets
    texts = seed_scheme_texts()
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Schemes")
    # A status that worsens or skips a level from one quarter to the next needs its reason.
    sheet.append((*TRACKER_HEADER, "RAG reason"))
    row_number = -1
    for year, quarter in e2e_periods(quarters):
        share = int(quarter[1]) / 4
        for number in range(schemes):
            row_number += 1
            text = texts[number % len(texts)]
            area = number % areas
            directorate = area % 60
            target = int(Decimal(text["target"])) or 25_000
            values = (
                year,
                quarter,
                f"Import directorate {directorate + 1}",
                f"Import portfolio {directorate + 1}.{area % 3 + 1}",
                f"Import service area {area + 1}",
                f"{number + 1}",
                text["title"],
                "R" if number % 3 else "NR",
                None,
                target,
                round(target * share),
                round(target * share * rng.uniform(0.4, 1.1)),
                round(target * rng.uniform(0.5, 1.05)),
                round(target * rng.uniform(0.7, 1.1)),
                round(target * rng.uniform(0.0, 0.4)),
                rng.choice(RAGS),
                text["timeline"],
                text["challenges"],
                "Reviewed with the service area this quarter.",
            )
            if rows is None or row_number in rows:  # every row drawn, so the values are the same
                sheet.append(values)
    workbook.save(path)
    return path
