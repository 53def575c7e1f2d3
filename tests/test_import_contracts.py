"""The layers are a contract: `lint-imports` (run by `make lint`) keeps them, and fails when one
is broken. Each case copies the three packages, adds one forbidden import, and runs the linter
on the copy: the contract named must be reported broken and the command must fail."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
PACKAGES = ("recovery", "plans", "monitoring")


def lint_imports(cwd: Path, *contracts: str) -> subprocess.CompletedProcess[str]:
    arguments = [str(LINT_IMPORTS), "--no-cache"]
    for contract in contracts:
        arguments += ["--contract", contract]
    return subprocess.run(  # noqa: S603 - this project's own linter on a copy of its code
        arguments,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(cwd), "COLUMNS": "200"},
    )


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_code_keeps_every_contract():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_the_copy_keeps_every_contract_before_it_is_broken(project_copy):
    result = lint_imports(project_copy)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("module", "forbidden_import", "contract"),
    [
        ("plans/selectors.py", "import monitoring.models", "plans-below-monitoring"),
        ("plans/models.py", "from monitoring import calculations", "layers"),
        ("monitoring/calculations.py", "import django.db", "pure"),
        ("recovery/reporting/builders.py", "from django.utils import timezone", "pure"),
        ("recovery/money.py", "import plans.models", "layers"),
        ("recovery/reporting/renderers.py", "from monitoring.models import Scheme", "renderers"),
        ("recovery/reporting/opendata.py", "from recovery.reporting import selectors", "renderers"),
        ("recovery/reporting/selectors.py", "from monitoring import views", "views-on-top"),
        ("monitoring/services.py", "from recovery.reporting import views", "views-on-top"),
        ("recovery/reporting/report.py", "from recovery.reporting import builders", "no-cycles"),
        ("monitoring/models.py", "from monitoring import services", "no-cycles"),
    ],
)
def test_a_contract_broken_on_purpose_fails_the_lint(project_copy, module, forbidden_import, contract):
    with (project_copy / module).open("a", encoding="utf-8") as handle:
        handle.write(f"\n{forbidden_import}  # broken on purpose\n")
    result = lint_imports(project_copy, contract)
    assert result.returncode != 0, result.stdout
    assert "1 broken" in result.stdout
    assert Path(module).stem in result.stdout  # the report names the module that broke it
