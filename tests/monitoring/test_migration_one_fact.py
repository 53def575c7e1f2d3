"""Migration 0005 merges "achieved to date" into "YTD actual" (one fact, one field): values
carried over, YTD actual kept where both were set and differ, and those rows listed."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("monitoring", "0004_versions")]
AFTER = [("monitoring", "0005_merge_achieved_into_ytd_actual")]


@pytest.fixture(autouse=True)
def _back_to_the_latest_migrations():
    """Leave the schema as the other tests expect it: every migration applied, later ones too."""
    yield
    call_command("migrate", verbosity=0)


@pytest.mark.django_db(transaction=True)
def test_achieved_to_date_is_merged_into_ytd_actual_and_differences_are_listed(capsys):
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    Directorate = old.get_model("plans", "Directorate")
    Portfolio = old.get_model("plans", "Portfolio")
    ServiceArea = old.get_model("plans", "ServiceArea")
    Scheme = old.get_model("monitoring", "Scheme")
    SchemeQuarter = old.get_model("monitoring", "SchemeQuarter")
    HistoricalSchemeQuarter = old.get_model("monitoring", "HistoricalSchemeQuarter")
    StatedTotal = old.get_model("monitoring", "StatedTotal")
    directorate = Directorate.objects.create(name="Adult Social Care")
    portfolio = Portfolio.objects.create(directorate=directorate, name="Living and Ageing Well")
    area = ServiceArea.objects.create(portfolio=portfolio, name="Living and Ageing Well")

    def quarter(title: str, achieved: str | None, actual: str | None):
        scheme = Scheme.objects.create(service_area=area, financial_year="2022/23", title=title, target=1500000)
        return SchemeQuarter.objects.create(
            scheme=scheme,
            quarter=3,
            achieved_to_date=None if achieved is None else Decimal(achieved),
            ytd_actual=None if actual is None else Decimal(actual),
        )

    only_achieved = quarter("Operating model and MER", "925000", None)
    only_actual = quarter("Reduced agency spend", None, "78114")
    same = quarter("Same both", "1000", "1000")
    differ = quarter("Differ", "2628000", "2628")
    neither = quarter("Neither", None, None)
    HistoricalSchemeQuarter.objects.create(
        id=only_achieved.pk,
        scheme_id=only_achieved.scheme_id,
        quarter=3,
        achieved_to_date=Decimal("900000"),
        version=1,
        updated_at="2026-01-01T00:00:00Z",
        history_date="2026-01-01T00:00:00Z",
        history_type="~",
    )
    StatedTotal.objects.create(
        financial_year="2022/23", quarter=3, scope="Living and Ageing Well", column="achieved_to_date", amount=5206000
    )
    capsys.readouterr()

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    printed = capsys.readouterr().out
    new = executor.loader.project_state(AFTER).apps
    merged = {row.pk: row.ytd_actual for row in new.get_model("monitoring", "SchemeQuarter").objects.all()}
    assert merged == {
        only_achieved.pk: Decimal("925000"),
        only_actual.pk: Decimal("78114"),
        same.pk: Decimal("1000"),
        differ.pk: Decimal("2628"),
        neither.pk: None,
    }
    history = new.get_model("monitoring", "HistoricalSchemeQuarter").objects.get(id=only_achieved.pk)
    assert history.ytd_actual == Decimal("900000")
    assert list(new.get_model("monitoring", "StatedTotal").objects.values_list("column", flat=True)) == ["ytd_actual"]
    assert "1 scheme quarter(s)" in printed
    assert "'Differ'" in printed
    assert "achieved to date 2628000.00, YTD actual 2628.00 (kept)" in printed
    assert "Operating model" not in printed
    assert "Same both" not in printed
