"""manage.py export_report: each report in each format from the demo data, and a CommandError
(exit status 1 with a message) for every mistake in the arguments."""

from __future__ import annotations

import io
import json
import re
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import load_workbook

from plans.models import DeficitRecoveryPlan
from tests.reporting.seeds import APPENDIX_SECTIONS, OVERALL_TOTAL

pytestmark = pytest.mark.django_db


def export(*args: str, output) -> StringIO:
    out = StringIO()
    call_command("export_report", *args, "--output", str(output), stdout=out, stderr=StringIO())
    return out


def test_appendix_as_json_holds_the_totals(demo, tmp_path):
    path = tmp_path / "appendix.json"
    out = export("appendix", "--year", "2022/23", "--format", "json", output=path)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert "Wrote Appendix 1" in out.getvalue()
    assert data["kind"] == "appendix"
    assert "31/12/2022" in data["period"]  # the latest quarter with figures, Q3, by default
    overall = next(s for s in data["sections"] if s["key"] == "overall")
    total = overall["total"]["values"]
    assert [Decimal(total[key]) for key in ("target", "forecast_year_end", "forecast_next_year", "mitigations")] == [
        Decimal(value) for value in OVERALL_TOTAL
    ]
    living = next(s for s in data["sections"] if s["title"] == "2. Living and Ageing Well")
    assert Decimal(living["total"]["values"]["target"]) == Decimal("10888000")
    assert living["total"]["values"]["timeline"] == "£661k remains to be mitigated."
    assert any("4,338" in note and "4,312" in note for note in data["notes"])


def test_appendix_as_xlsx(demo, tmp_path):
    path = tmp_path / "appendix.xlsx"
    export("appendix", "--year", "2022/23", "--quarter", "Q3", "--format", "xlsx", output=path)
    body = path.read_bytes()
    assert body.startswith(b"PK")
    book = load_workbook(io.BytesIO(body))
    assert book.sheetnames[-1] == "7. Overall Total"
    last = [cell.value for cell in list(book["7. Overall Total"].iter_rows())[-1]]
    assert last[:4] == ["Total", 25201, 15925, 24073]
    assert last[-1] == 1128


def test_transformation_as_pdf(demo, tmp_path):
    path = tmp_path / "transformation.pdf"
    export("transformation", "--year", "2012/13", "--quarter", "Q2", "--format", "pdf", output=path)
    body = path.read_bytes()
    assert body.startswith(b"%PDF")
    assert body.rstrip().endswith(b"%%EOF")


def test_appendix_as_html(demo, tmp_path):
    path = tmp_path / "appendix.html"
    export("appendix", "--year", "2022/23", "--quarter", "Q3", "--format", "html", output=path)
    html = path.read_text(encoding="utf-8")
    assert html.lstrip().lower().startswith("<!doctype html>")
    for text in ("25,201", "15,925", "1,128", "£661k remains to be mitigated.", *APPENDIX_SECTIONS):
        assert text in html, text
    assert "<link" not in html  # the styles are inlined: the file stands alone


def test_transformation_as_json_to_standard_output(demo):
    out = StringIO()
    call_command(
        "export_report", "transformation", "--year", "2012/13", "--quarter", "Q2", "--format", "json",
        "--output", "-", stdout=out,
    )  # fmt: skip
    data = json.loads(out.getvalue())
    total = next(s for s in data["sections"] if s["key"] == "total")["total"]["values"]
    assert Decimal(total["target"]) == Decimal("7956000")
    assert Decimal(total["projected_shortfall"]) == Decimal("2699636")


def test_binary_format_to_standard_output_is_written_or_refused(demo):
    """``--output -`` with a binary format (xlsx, pdf) must either write the document or refuse.

    Bug: export_report.handle writes "" to standard output for pdf and xlsx with ``--output -``
    and exits successfully, so ``export_report … --format xlsx --output - > a.xlsx`` silently
    produces an empty file."""
    out = StringIO()
    try:
        call_command("export_report", "appendix", "--year", "2022/23", "--format", "xlsx", "--output", "-", stdout=out)
    except CommandError:
        return
    assert out.getvalue().strip(), "nothing was written and no error was given"


@pytest.mark.parametrize("how", ["ref", "id"])
def test_plan_by_ref_or_id(demo, tmp_path, how):
    plan = DeficitRecoveryPlan.objects.get(tracker_ref="FRB/23/007")
    path = tmp_path / "plan.json"
    selector = ["--ref", "FRB/23/007"] if how == "ref" else ["--id", str(plan.pk)]
    export("plan", *selector, "--format", "json", output=path)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["kind"] == "plan"
    header = next(s for s in data["sections"] if s["key"] == "header")
    fields = dict(header["fields"])
    assert fields["Combined Tracker Ref."] == "FRB/23/007"
    assert next(value for label, value in header["fields"] if label.startswith("Pressure")) == "399"


def test_directorate_filter(demo, tmp_path):
    path = tmp_path / "filtered.json"
    export("appendix", "--year", "2022/23", "--directorate", "adult social care", "--format", "json", output=path)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["filters"] == {"Directorate": "Adult Social Care"}
    overall = next(s for s in data["sections"] if s["key"] == "overall")
    assert Decimal(overall["total"]["values"]["target"]) == Decimal(OVERALL_TOTAL[0])


def test_service_area_filter(demo, tmp_path):
    path = tmp_path / "area.json"
    export("appendix", "--year", "2022/23", "--service-area", "Living and Ageing Well", "--format", "json", output=path)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert [s["title"] for s in data["sections"]] == ["1. Living and Ageing Well", "2. Overall Total"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["appendix", "--year", "2030/31"], "2030/31"),
        (["appendix", "--year", "2022/24"], "2022/24"),
        (["appendix", "--year", "next year"], "next year"),
        (["appendix"], "--year"),
        (["appendix", "--year", "2022/23", "--quarter", "Q5"], "Q5"),
        (["transformation", "--year", "2012/13"], "--quarter"),
        (["appendix", "--year", "2022/23", "--directorate", "Nowhere"], "Nowhere"),
        (["appendix", "--year", "2022/23", "--service-area", "Nowhere"], "Nowhere"),
        (["plan", "--ref", "FRB/99/999"], "FRB/99/999"),
        (["plan", "--id", "999999"], "999999"),
        (["plan"], "--ref"),
    ],
    ids=[
        "unknown-year",
        "bad-year",
        "not-a-year",
        "no-year",
        "bad-quarter",
        "transformation-without-quarter",
        "unknown-directorate",
        "unknown-service-area",
        "unknown-plan-ref",
        "unknown-plan-id",
        "plan-not-named",
    ],
)
def test_mistakes_raise_command_error(demo, tmp_path, args, message):
    path = tmp_path / "out.json"
    with pytest.raises(CommandError, match=re.escape(message)):
        export(*args, "--format", "json", output=path)
    assert not path.exists()


def test_unwritable_output_is_a_command_error(demo, tmp_path):
    with pytest.raises(CommandError, match="Cannot write"):
        export("plan", "--ref", "FRB/23/007", "--format", "json", output=tmp_path)
