"""Data safety: nothing with plans can be deleted by accident, a backup restores everything, and
every migration can be undone."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.models import ProtectedError
from django.test import Client

from monitoring.models import MilestoneProgress, MonitoringQuarter, PlanUpdate, Scheme, SchemeQuarter
from monitoring.services import ProgressData, plan_update_save, quarter_lock, scheme_quarter_save
from plans import services as plan_services
from plans.models import DeficitRecoveryPlan, Directorate, Milestone, Portfolio, ServiceArea
from plans.roles import Role
from recovery.history import history_of
from recovery.periods import FinancialYear, Period, Quarter
from tests.factories import MilestoneFactory, PlanFactory, SchemeFactory, SchemeQuarterFactory, UserFactory

MAKEFILE = Path(__file__).resolve().parents[1] / "Makefile"


# Deleting --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_directorate_with_plans_cannot_be_deleted(plan):
    directorate = plan.service_area.portfolio.directorate
    with pytest.raises(ProtectedError):
        directorate.delete()
    assert Directorate.objects.filter(pk=directorate.pk).exists()
    assert DeficitRecoveryPlan.objects.filter(pk=plan.pk).exists()


@pytest.mark.django_db
def test_a_portfolio_with_plans_cannot_be_deleted(plan):
    portfolio = plan.service_area.portfolio
    with pytest.raises(ProtectedError):
        portfolio.delete()
    assert Portfolio.objects.filter(pk=portfolio.pk).exists()


@pytest.mark.django_db
def test_a_service_area_with_plans_cannot_be_deleted(plan):
    area = plan.service_area
    with pytest.raises(ProtectedError):
        area.delete()
    assert ServiceArea.objects.filter(pk=area.pk).exists()
    assert DeficitRecoveryPlan.objects.filter(pk=plan.pk).exists()


@pytest.mark.django_db
def test_a_service_area_with_plans_cannot_be_deleted_through_a_queryset(plan):
    with pytest.raises(ProtectedError):
        ServiceArea.objects.filter(pk=plan.service_area.pk).delete()
    assert DeficitRecoveryPlan.objects.filter(pk=plan.pk).exists()


@pytest.mark.django_db
def test_a_plan_manager_cannot_be_deleted(service_area):
    """Only the managers link ties this user to the plan (no created_by): the signal protects it."""
    user = UserFactory(username="only_manager", role=Role.SERVICE_MANAGER)
    plan = PlanFactory(service_area=service_area, managers=[user], created_by=None)
    with pytest.raises(ProtectedError) as caught, transaction.atomic():
        user.delete()
    assert "only_manager" in str(caught.value)
    assert User.objects.filter(pk=user.pk).exists()
    assert list(plan.managers.all()) == [user]


@pytest.mark.django_db
def test_a_plan_manager_cannot_be_deleted_through_a_queryset(service_area):
    user = UserFactory(username="only_manager", role=Role.SERVICE_MANAGER)
    plan = PlanFactory(service_area=service_area, managers=[user], created_by=None)
    with pytest.raises(ProtectedError), transaction.atomic():
        User.objects.filter(pk=user.pk).delete()
    assert list(plan.managers.all()) == [user]


@pytest.mark.django_db
def test_a_user_without_plans_can_be_deleted(plan):
    user = UserFactory(username="leaver", role=Role.SERVICE_MANAGER)
    user.delete()
    assert not User.objects.filter(username="leaver").exists()
    assert DeficitRecoveryPlan.objects.filter(pk=plan.pk).exists()


@pytest.mark.django_db
def test_a_plan_with_quarterly_updates_cannot_be_deleted(plan):
    plan.status = DeficitRecoveryPlan.Status.SUBMITTED
    plan.save()
    PlanUpdate.objects.create(plan=plan, quarter=Quarter.Q1, narrative="Q1")
    with pytest.raises(ProtectedError):
        plan.delete()


@pytest.mark.django_db
@pytest.mark.parametrize("how", ["delete page", "delete selected action"])
def test_deleting_a_plan_manager_in_the_admin_is_refused_not_a_server_error(service_area, how):
    """The Django admin is where an administrator deletes accounts: the refusal must reach them
    as a message, not as a 500 page, and the account must remain."""
    admin = UserFactory(username="root", is_staff=True, is_superuser=True, role=Role.ADMINISTRATOR)
    user = UserFactory(username="only_manager", role=Role.SERVICE_MANAGER)
    PlanFactory(service_area=service_area, managers=[user], created_by=None)
    client = Client(raise_request_exception=False)
    client.force_login(admin)
    if how == "delete page":
        url = f"/admin/auth/user/{user.pk}/delete/"
        assert client.get(url).status_code == 200
        response = client.post(url, {"post": "yes"})
    else:
        response = client.post(
            "/admin/auth/user/", {"action": "delete_selected", "_selected_action": [user.pk], "post": "yes"}
        )
    assert response.status_code != 500
    assert User.objects.filter(pk=user.pk).exists()


# Backup and restore ------------------------------------------------------------------------


def test_make_backup_and_restore_are_thin_wrappers_of_the_commands():
    """The Makefile targets only call the management commands (which the tests exercise)."""
    text = MAKEFILE.read_text(encoding="utf-8")
    backup = text[text.index("\nbackup:") :].split("\n\n")[0]
    restore = text[text.index("\nrestore:") :].split("\n\n")[0]
    assert "manage.py backup" in backup
    assert "manage.py restore" in restore
    assert "dumpdata" not in backup
    assert "loaddata" not in restore


def make_data(manager, finance, service_area) -> None:
    """Plans, milestones, updates with progress, schemes and figures, with their history."""
    plan = plan_services.plan_create(
        user=manager,
        service_area=service_area,
        financial_year=FinancialYear(2023),
        fields={"context": "Context", "actions": "Actions", "previous_year_budget": Decimal("-2000.00")},
        milestones=[plan_services.MilestoneData(details="Recruit", amount=Decimal("37699.68"), due_text="December 23")],
    )
    plan = plan_services.plan_update(plan=plan, user=manager, fields={"context": "Context, revised"})
    plan.status = DeficitRecoveryPlan.Status.SUBMITTED
    plan.save()
    milestone = plan.milestones.get()
    plan_update_save(
        plan=plan,
        quarter=Quarter.Q1,
        user=manager,
        fields={"on_target": "partial", "narrative": "Slipped £1,000 – «quoted» ünïcödé"},
        progress=[ProgressData(milestone_id=milestone.pk, status="slipped", revised_due_text="March 24")],
    )
    for number in range(3):
        scheme = SchemeFactory(service_area=service_area, financial_year=FinancialYear(2023), plan=plan)
        SchemeQuarterFactory(scheme=scheme, quarter=Quarter.Q1)
        scheme_quarter_save(
            scheme=scheme,
            quarter=Quarter.Q1,
            user=finance,
            fields={"ytd_actual": Decimal(f"{number}1234.56"), "commentary": f"Commentary {number}"},
            rag=None,
        )
    other = PlanFactory(service_area=service_area, financial_year=FinancialYear(2022), managers=[finance])
    MilestoneFactory(plan=other)
    quarter_lock(period=Period(FinancialYear(2022), Quarter.Q4), user=finance)


MODELS = [
    User,
    Directorate,
    Portfolio,
    ServiceArea,
    DeficitRecoveryPlan,
    Milestone,
    PlanUpdate,
    MilestoneProgress,
    Scheme,
    SchemeQuarter,
    MonitoringQuarter,
]


def counts(*, history: bool) -> dict[str, int]:
    """Rows of every model (``history`` False) or of every model's history table (True)."""
    if history:
        return {model.__name__: model.history.count() for model in MODELS if hasattr(model, "history")}
    result = {model.__name__: model.objects.count() for model in MODELS}
    result["plan managers"] = DeficitRecoveryPlan.managers.through.objects.count()
    result["service area managers"] = ServiceArea.managers.through.objects.count()
    result["user groups"] = User.groups.through.objects.count()
    return result


def _to_millisecond(value: object) -> object:
    # Django's JSON serialiser writes times to the millisecond.
    if isinstance(value, datetime):
        return value.replace(microsecond=value.microsecond // 1000 * 1000)
    return value


def contents() -> dict[str, list[dict[str, object]]]:
    return {
        model.__name__: [
            {name: _to_millisecond(value) for name, value in row.items()}
            for row in model.objects.order_by("pk").values()
        ]
        for model in (DeficitRecoveryPlan, Milestone, PlanUpdate, MilestoneProgress, SchemeQuarter)
    }


def backup_flush_restore(tmp_path: Path) -> None:
    """What `make backup` then `make restore` into an empty database do."""
    call_command("backup", "--dir", str(tmp_path), stdout=StringIO())
    (backup,) = tmp_path.glob("recovery-*.tar.gz")
    assert backup.stat().st_size > 0
    call_command("flush", interactive=False, verbosity=0)
    assert DeficitRecoveryPlan.objects.count() == 0
    assert SchemeQuarter.history.count() == 0
    call_command("restore", str(backup), stdout=StringIO())


@pytest.mark.django_db(transaction=True)
def test_backup_and_restore_gives_back_every_row(manager, finance, service_area, tmp_path):
    make_data(manager, finance, service_area)
    before, data_before = counts(history=False), contents()
    assert before["DeficitRecoveryPlan"] == 2
    assert before["SchemeQuarter"] == 3

    backup_flush_restore(tmp_path)

    assert counts(history=False) == before
    assert contents() == data_before
    restored = DeficitRecoveryPlan.objects.get(financial_year=FinancialYear(2023))
    assert list(restored.managers.all()) == [manager]
    assert restored.context == "Context, revised"
    assert restored.history.latest().context == "Context, revised"


@pytest.mark.django_db(transaction=True)
def test_backup_and_restore_gives_back_the_history_unchanged(manager, finance, service_area, tmp_path):
    """The audit trail after a restore is the one backed up: restoring adds no entries of its own."""
    make_data(manager, finance, service_area)
    before = counts(history=True)
    assert before["SchemeQuarter"] >= 6
    assert before["DeficitRecoveryPlan"] >= 3
    plan = DeficitRecoveryPlan.objects.get(financial_year=FinancialYear(2023))
    trail = [(change.who, change.kind, change.changes) for change in history_of(plan)]

    backup_flush_restore(tmp_path)

    assert counts(history=True) == before
    assert [(change.who, change.kind, change.changes) for change in history_of(plan)] == trail


# Migrations ----------------------------------------------------------------------------------


def applied(app: str) -> set[str]:
    executor = MigrationExecutor(connection)
    return {name for label, name in executor.loader.applied_migrations if label == app}


@pytest.mark.django_db(transaction=True)
def test_migrations_can_be_reversed_and_applied_again():
    assert applied("plans")
    assert applied("monitoring")
    call_command("migrate", "monitoring", "zero", verbosity=0)
    assert applied("monitoring") == set()
    call_command("migrate", "plans", "zero", verbosity=0)
    assert applied("plans") == set()
    assert "plans_deficitrecoveryplan" not in connection.introspection.table_names()

    call_command("migrate", verbosity=0)

    assert "plans_deficitrecoveryplan" in connection.introspection.table_names()
    assert "monitoring_schemequarter" in connection.introspection.table_names()
    executor = MigrationExecutor(connection)
    assert executor.migration_plan(executor.loader.graph.leaf_nodes()) == []


@pytest.mark.django_db(transaction=True)
def test_migrations_reverse_one_step_at_a_time_with_data(manager, service_area):
    """Undoing the latest migration of each app keeps the data of the earlier schema."""
    plan = PlanFactory(service_area=service_area, managers=[manager])
    SchemeQuarterFactory(scheme=SchemeFactory(service_area=service_area))
    call_command("migrate", "monitoring", "0003", verbosity=0)
    call_command("migrate", "plans", "0001", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM plans_deficitrecoveryplan WHERE id = %s", [plan.pk])
        assert cursor.fetchone()[0] == 1
    call_command("migrate", verbosity=0)
    assert DeficitRecoveryPlan.objects.get(pk=plan.pk).version == 1
    assert SchemeQuarter.objects.get().version == 1
