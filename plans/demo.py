"""Demo data from the seed documents: the organisation, the three seed plans and one user per role.

Loading is idempotent: what exists already (matched by its natural key) is left exactly as it
is, so running it twice changes nothing and never overwrites a demo user's edits.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.utils import timezone

from plans.models import DeficitRecoveryPlan, Directorate, Milestone, Portfolio, ServiceArea
from plans.roles import Role
from recovery.money import THOUSAND, parse_money
from recovery.periods import FinancialYear, parse_due

SEED_FILE = Path(settings.BASE_DIR) / "fixtures" / "seed_plans.json"

# The demo password: long enough for the validators, printed by the command and in README.
DEMO_PASSWORD = "recovery-demo-2026"  # noqa: S105 - demo accounts only, refused when DEBUG is off

DEMO_USERS: tuple[tuple[str, str, str, Role], ...] = (
    ("manager", "Sam", "Manager", Role.SERVICE_MANAGER),
    ("finance", "Fran", "Finance", Role.FINANCE_OFFICER),
    ("executive", "Alex", "Executive", Role.EXECUTIVE),
    ("admin", "Ade", "Administrator", Role.ADMINISTRATOR),
)


@dataclass
class LoadReport:
    created: dict[str, int] = field(default_factory=dict)

    def count(self, kind: str, created: bool) -> None:
        if created:
            self.created[kind] = self.created.get(kind, 0) + 1

    @property
    def changed_anything(self) -> bool:
        return any(self.created.values())


def read_seed(path: Path = SEED_FILE) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return data


def ensure_groups(report: LoadReport) -> dict[Role, Group]:
    groups = {}
    for role in Role:
        group, created = Group.objects.get_or_create(name=role.value)
        report.count("groups", created)
        groups[role] = group
    return groups


def ensure_users(report: LoadReport, groups: dict[Role, Group]) -> dict[str, User]:
    user_model = User
    users: dict[str, User] = {}
    for username, first, last, role in DEMO_USERS:
        user = user_model.objects.filter(username=username).first()
        if user is None:
            user = user_model(
                username=username,
                first_name=first,
                last_name=last,
                email=f"{username}@example.invalid",
                is_staff=role is Role.ADMINISTRATOR,
                is_superuser=role is Role.ADMINISTRATOR,
            )
            user.set_password(DEMO_PASSWORD)
            user.save()
            user.groups.add(groups[role])
            report.count("users", True)
        users[username] = user
    return users


def ensure_organisation(report: LoadReport, seed: dict[str, Any]) -> dict[tuple[str, str], ServiceArea]:
    areas: dict[tuple[str, str], ServiceArea] = {}
    for entry in seed["organisation"]:
        directorate, created = Directorate.objects.get_or_create(name=entry["directorate"])
        report.count("directorates", created)
        for position, portfolio_entry in enumerate(entry["portfolios"], start=1):
            portfolio, created = Portfolio.objects.get_or_create(
                directorate=directorate, name=portfolio_entry["name"], defaults={"order": position}
            )
            report.count("portfolios", created)
            for area_entry in portfolio_entry["service_areas"]:
                name, order = (area_entry, position) if isinstance(area_entry, str) else area_entry
                area, created = ServiceArea.objects.get_or_create(
                    portfolio=portfolio, name=name, defaults={"order": order}
                )
                report.count("service areas", created)
                areas[(directorate.name, name)] = area
    return areas


def ensure_plans(
    report: LoadReport,
    seed: dict[str, Any],
    areas: dict[tuple[str, str], ServiceArea],
    manager: User | None,
) -> None:
    for entry in seed["plans"]:
        area = areas[(entry["directorate"], entry["service_area"])]
        year = FinancialYear.parse(entry["financial_year"])
        if DeficitRecoveryPlan.objects.filter(service_area=area, financial_year=year).exists():
            continue
        plan = DeficitRecoveryPlan.objects.create(
            service_area=area,
            financial_year=year,
            tracker_ref=entry["tracker_ref"],
            service_director=entry["service_director"],
            service_manager=entry["service_manager"],
            cost_centres=entry["cost_centres"],
            previous_year_budget=parse_money(entry["previous_year_budget"], multiplier=THOUSAND),
            previous_year_budget_note=entry["previous_year_budget_note"],
            previous_year_outturn=parse_money(entry["previous_year_outturn"], multiplier=THOUSAND),
            previous_year_outturn_note=entry["previous_year_outturn_note"],
            current_year_budget=parse_money(entry["current_year_budget"], multiplier=THOUSAND),
            current_year_budget_note=entry["current_year_budget_note"],
            pressure_note=entry["pressure_note"],
            deficit_since=FinancialYear.parse(entry["deficit_since"]) if entry["deficit_since"] else None,
            context=entry["context"],
            actions=entry["actions"],
            status=DeficitRecoveryPlan.Status.SUBMITTED,
            submitted_at=timezone.now(),
            submitted_by=manager,
            created_by=manager,
        )
        report.count("plans", True)
        for order, milestone in enumerate(entry["milestones"], start=1):
            Milestone.objects.create(
                plan=plan,
                order=order,
                details=milestone["details"],
                amount=parse_money(milestone["amount"]),
                per_year=milestone["per_year"],
                due_text=milestone["due_text"],
                due_date=parse_due(milestone["due_text"]),
            )
            report.count("milestones", True)
        if manager is not None:
            plan.managers.add(manager)


def load_plan_seeds(report: LoadReport, *, with_users: bool = True) -> None:
    """Load the seed organisation and plans (and the demo users) into ``report``. The schemes
    are loaded by ``monitoring.demo.load_demo``, which calls this first (monitoring depends on
    plans, never the other way round)."""
    seed = read_seed()
    groups = ensure_groups(report)
    users = ensure_users(report, groups) if with_users else {}
    areas = ensure_organisation(report, seed)
    manager = users.get("manager")
    if manager is not None:
        for entry in seed["plans"]:
            area = areas[(entry["directorate"], entry["service_area"])]
            if not area.managers.filter(pk=manager.pk).exists():
                area.managers.add(manager)
                report.count("service area assignments", True)
    ensure_plans(report, seed, areas, manager)
