"""Building savings-tracker workbooks in memory for the import tests, and the seed trackers."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook

from monitoring.models import Scheme, SchemeQuarter
from plans.models import Directorate, Portfolio, ServiceArea

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
TRACKER_002 = FIXTURES / "tracker_002_appendix.xlsx"
TRACKER_004 = FIXTURES / "tracker_004_transformation.xlsx"

HEADER: tuple[str, ...] = (
    "Financial year",
    "Quarter",
    "Directorate",
    "Service area",
    "Ref",
    "Title",
    "Target",
    "YTD budget",
    "YTD actual",
    "Projected shortfall",
    "RAG",
)

DEFAULTS: dict[str, Any] = {
    "Financial year": "2023/24",
    "Quarter": "Q2",
    "Directorate": "Adult Social Care",
    "Service area": "Living and Ageing Well",
    "Ref": "1",
    "Title": "Reduced Agency Spend",
    "Target": 303000,
    "YTD budget": 150000,
    "YTD actual": 100000,
    "Projected shortfall": 0,
    "RAG": "AMBER",
}


KEYS = {
    "financial_year": "Financial year",
    "quarter": "Quarter",
    "directorate": "Directorate",
    "service_area": "Service area",
    "ref": "Ref",
    "title": "Title",
    "target": "Target",
    "ytd_budget": "YTD budget",
    "ytd_actual": "YTD actual",
    "projected_shortfall": "Projected shortfall",
    "rag": "RAG",
}


def scheme(**values: Any) -> dict[str, Any]:
    """A scheme row of the default header: the defaults with ``values`` (by the names in KEYS)."""
    row = dict(DEFAULTS)
    row.update({KEYS[key]: value for key, value in values.items()})
    return row


def total(label: str = "Total", **values: Any) -> dict[str, Any]:
    """A stated-total row of the default header: only the title and the amounts given."""
    row: dict[str, Any] = {"Title": label}
    row.update({KEYS[key]: value for key, value in values.items()})
    return row


def xlsx(
    rows: Iterable[Mapping[str, Any] | Sequence[Any]] = (),
    header: Sequence[str] | None = HEADER,
    *,
    sheet: str = "Schemes",
    before: Sequence[tuple[str, Sequence[Sequence[Any]]]] = (),
    leading: Sequence[Sequence[Any]] = (),
) -> bytes:
    """A workbook as bytes. Dict rows are laid out by ``header`` (missing keys blank); list rows
    as given. ``before`` adds sheets (title, rows) ahead of this one; ``leading`` rows go above
    the header."""
    workbook = Workbook()
    first = workbook.active
    for index, (title, sheet_rows) in enumerate(before):
        target = first if index == 0 else workbook.create_sheet()
        target.title = title
        for values in sheet_rows:
            target.append(list(values))
    target = workbook.create_sheet() if before else first
    target.title = sheet
    for values in leading:
        target.append(list(values))
    if header is not None:
        target.append(list(header))
    for values in rows:
        if isinstance(values, Mapping):
            unknown = set(values) - set(header or ())
            assert not unknown, f"row keys not in the header: {unknown}"
            target.append([values.get(name) for name in header or ()])
        else:
            target.append(list(values))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def edited(path: Path, changes: Mapping[tuple[int, str], Any]) -> bytes:
    """A copy of a fixture workbook with cells changed: {(row number, header): value}."""
    workbook = load_workbook(path)
    sheet = workbook.worksheets[0]
    headers = [cell.value for cell in sheet[1]]
    for (row, header), value in changes.items():
        sheet.cell(row=row, column=headers.index(header) + 1, value=value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def zip_bytes(members: Mapping[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def zip_bomb(uncompressed_mb: int) -> bytes:
    """A zip with xl/workbook.xml and a member of ``uncompressed_mb`` MB of zeros (it compresses
    to about a thousandth of that): written in chunks, so it never sits in memory whole."""
    buffer = io.BytesIO()
    chunk = b"\0" * (1024 * 1024)
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>")
        archive.writestr("xl/workbook.xml", b"<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            for _ in range(uncompressed_mb):
                member.write(chunk)
    return buffer.getvalue()


def broken_sheet() -> bytes:
    """A workbook whose sheet XML is cut short: the zip and workbook.xml are fine."""
    with zipfile.ZipFile(io.BytesIO(xlsx([scheme()]))) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    members["xl/worksheets/sheet1.xml"] = members["xl/worksheets/sheet1.xml"][:300]
    return zip_bytes(members)


def state() -> dict[str, object]:
    """Everything an import may write, to show that one changed nothing."""
    return {
        "directorates": list(Directorate.objects.order_by("pk").values()),
        "portfolios": list(Portfolio.objects.order_by("pk").values()),
        "areas": list(ServiceArea.objects.order_by("pk").values()),
        "schemes": list(Scheme.objects.order_by("pk").values()),
        "quarters": list(SchemeQuarter.objects.order_by("pk").values()),
        "scheme_history": Scheme.history.count(),
        "quarter_history": SchemeQuarter.history.count(),
    }


def counts() -> dict[str, int]:
    return {
        "schemes": Scheme.objects.count(),
        "quarters": SchemeQuarter.objects.count(),
        "scheme_history": Scheme.history.count(),
        "quarter_history": SchemeQuarter.history.count(),
    }
