"""Fixtures for quarterly monitoring: submitted plans, and seed 004's schemes loaded straight
from the fixture file (not through the app's loader, which has tests of its own)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from monitoring.models import Scheme, SchemeQuarter
from plans.models import DeficitRecoveryPlan
from recovery.periods import FinancialYear, Period, Quarter
from tests.factories import MilestoneFactory, ServiceAreaFactory

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
SEED_004 = json.loads((FIXTURES / "seed_004_transformation.json").read_text(encoding="utf-8"))

PLAN_PERIOD = Period(FinancialYear(2023), Quarter.Q2)  # the factories' plans are 2023/24
SEED_004_PERIOD = Period(FinancialYear(2012), Quarter.Q2)


def _submit(plan: DeficitRecoveryPlan) -> DeficitRecoveryPlan:
    plan.status = DeficitRecoveryPlan.Status.SUBMITTED
    plan.save()
    return plan


@pytest.fixture
def live_plan(plan):
    """``manager``'s plan, submitted: the plan their quarterly updates are about."""
    return _submit(plan)


@pytest.fixture
def other_live_plan(other_plan):
    """``other_manager``'s plan, submitted."""
    return _submit(other_plan)


@pytest.fixture
def milestone(live_plan):
    """Seed 003's first milestone, due "December 23"."""
    return MilestoneFactory(
        plan=live_plan,
        order=1,
        details="Recruitment of 2 IRO’s",
        amount=Decimal("37699.68"),
        per_year=True,
        due_text="December 23",
    )


def _money(text: str | None) -> Decimal:
    """A seed 004 figure: the fixture's null is a blank the seed prints, nil (0), as load_demo
    loads it (DOMAIN.md); unknown is a figure the seed has no column for."""
    return Decimal(0) if text is None else Decimal(text)


def load_seed_004(*, area=None, copies: int = 1) -> list[Scheme]:
    """Seed 004's 35 rows as schemes of 2012/13 with their Q2 figures (``copies`` times)."""
    if area is None:
        area = ServiceAreaFactory(
            name=SEED_004["service_area"],
            portfolio__name=SEED_004["portfolio"],
            portfolio__directorate__name=SEED_004["directorate"],
        )
    schemes = []
    for copy in range(copies):
        for order, row in enumerate(SEED_004["schemes"], start=1):
            scheme = Scheme.objects.create(
                service_area=area,
                financial_year=FinancialYear(2012),
                ref=row["ref"],
                title=row["title"] if copy == 0 else f"{row['title']} (copy {copy})",
                recurrence=row["recurrent"],
                is_unallocated=row["unallocated"],
                target=Decimal(row["target"]),
                order=order + copy * 100,
            )
            SchemeQuarter.objects.create(
                scheme=scheme,
                quarter=Quarter.Q2,
                ytd_budget=_money(row["ytd_budget"]),
                ytd_actual=_money(row["ytd_actual"]),
                projected_shortfall=_money(row["projected_shortfall"]),
                rag=row["rag"],
            )
            schemes.append(scheme)
    return schemes


@pytest.fixture
def seed_004(db) -> list[Scheme]:
    return load_seed_004()
