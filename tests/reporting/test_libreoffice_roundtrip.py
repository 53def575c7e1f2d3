"""Every workbook opens in LibreOffice Calc, and after LibreOffice recalculates and saves it
(`soffice --headless --convert-to xlsx`) every figure equals the JSON export's.

LibreOffice (Debian's libreoffice-calc-nogui) is installed by `make test` when missing."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from django.core.management import call_command

from plans.models import DeficitRecoveryPlan
from recovery.periods import FinancialYear, Period, Quarter
from recovery.reporting import renderers, selectors

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings):
    settings.DEBUG = True
    call_command("load_demo", verbosity=0)
    settings.DEBUG = False


def round_trip(path: Path, tmp_path: Path) -> Path:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.fail("LibreOffice is needed for this test: `make test` installs libreoffice-calc-nogui.")
    out = tmp_path / "converted"
    out.mkdir()
    profile = (tmp_path / f"lo-profile-{os.getpid()}").as_uri()  # one profile per run: no lock clashes
    done = subprocess.run(  # noqa: S603 - LibreOffice on our own file
        [
            soffice,
            f"-env:UserInstallation={profile}",
            "--headless",
            "--norestore",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(out),
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    converted = out / path.name
    assert converted.is_file(), f"LibreOffice could not open or convert {path.name}: {done.stdout} {done.stderr}"
    return converted


def figures_from_json(data: dict) -> dict[str, list[list[Decimal | None]]]:
    """For each table section: its rows (and total) as the numbers the workbook should hold."""
    expected = {}
    for section in data["sections"]:
        if section["kind"] != "table":
            continue
        columns = section["columns"]
        rows = [*section["rows"], *([section["total"]] if section["total"] else [])]
        table = []
        for row in rows:
            values = []
            for column in columns:
                value = row["values"].get(column["key"])
                if column["unit"] in ("pounds", "thousands", "percent") and value is not None:
                    amount = Decimal(value)
                    values.append(amount / 1000 if column["unit"] == "thousands" else amount)
                else:
                    values.append(None)
            table.append(values)
        expected[section["title"]] = table
    return expected


def sheet_for(workbook: openpyxl.Workbook, title: str):
    cleaned = "".join(ch for ch in title if ch not in "[]:*?/\\").strip()[:28]
    return next(sheet for sheet in workbook.worksheets if sheet.title.startswith(cleaned[:25]))


def reports():
    return {
        "appendix": lambda: selectors.appendix_report(period=Period(FinancialYear(2022), Quarter.Q3)),
        "transformation": lambda: selectors.transformation_report(period=Period(FinancialYear(2012), Quarter.Q2)),
        "exceptions": lambda: selectors.exceptions_report(period=Period(FinancialYear(2012), Quarter.Q2)),
        "plan": lambda: selectors.plan_report(plan=DeficitRecoveryPlan.objects.get(tracker_ref="FRB/23/007")),
    }


@pytest.mark.parametrize("kind", ["appendix", "transformation", "exceptions", "plan"])
def test_workbook_survives_libreoffice_with_every_figure(demo, tmp_path, kind):
    report = reports()[kind]()
    original = tmp_path / f"{kind}.xlsx"
    original.write_bytes(renderers.render_xlsx(report))
    converted = openpyxl.load_workbook(round_trip(original, tmp_path), data_only=True)
    expected = figures_from_json(json.loads(renderers.render_json(report)))
    checked = 0
    for title, rows in expected.items():
        sheet = sheet_for(converted, title)
        cells = list(sheet.iter_rows(min_row=4, max_row=3 + len(rows), values_only=True))
        assert len(cells) == len(rows), title
        for got_row, want_row in zip(cells, rows, strict=True):
            for got, want in zip(got_row, want_row, strict=False):
                if want is None:
                    continue
                assert got is not None, f"{title}: a figure was lost"
                assert abs(Decimal(str(got)) - want) < Decimal("0.000001"), f"{title}: {got} != {want}"
                checked += 1
    assert checked > 0
    assert converted.properties.title == report.title
