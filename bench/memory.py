"""Peak memory of the tracker import (part of `make bench`): 20,000 rows, and a sheet whose
declared size lies (``A1:XFD20001`` over 20,000 one-cell rows, which openpyxl would pad to
16,384 cells a row: 2.6 GB before the reader went by the cells themselves).

Each file is read in a process of its own, whose peak resident memory (``getrusage``) is the
figure; the target is under 250 MB whatever the file says.
"""

from __future__ import annotations

import io
import json
import re
import resource
import sys
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

TARGET_MB = 250.0
ROWS = 20_000


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def write_lying_tracker(path: Path, rows: int = ROWS) -> Path:
    """A header and ``rows`` one-cell rows, declaring A1:XFD{rows + 1} (the issue's 108 KB file)."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Schemes")
    sheet.append(["Financial year", "Quarter", "Directorate", "Service area", "Title", "Target"])
    for number in range(rows):
        sheet.append([f"Scheme {number + 1}"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    name = next(member for member in members if member.startswith("xl/worksheets/sheet"))
    xml = members[name].decode()
    dimension = f'<dimension ref="A1:XFD{rows + 1}"/>'
    xml, count = re.subn(r"<dimension [^>]*/>", dimension, xml)
    if not count:
        xml = xml.replace("<sheetData", dimension + "<sheetData", 1)
    members[name] = xml.encode()
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for member, data in members.items():
            archive.writestr(member, data)
    return path


def child(kind: str, tracker: Path, out: Path) -> None:
    """In its own process: import (or preview) the file, then report the peak RSS."""
    import django

    django.setup()
    from monitoring.imports import tracker_import, tracker_preview

    before = _peak_mb()
    started = time.perf_counter()
    with tracker.open("rb") as handle:
        if kind == "import":
            summary = tracker_import(source=handle, user=None)
            if not summary.committed:
                raise RuntimeError(f"import not committed: {summary.errors[:3]}")
        else:
            summary = tracker_preview(source=handle)
    result = {
        "seconds": time.perf_counter() - started,
        "peak_rss_mb": _peak_mb(),
        "rss_before_mb": before,
        "rows": summary.total,
        "errors": len(summary.errors),
    }
    out.write_text(json.dumps(result), encoding="utf-8")


def measure(
    work: Path, env: dict[str, str], tracker: Path, run_python: Callable[..., str], log: Callable[[str], None]
) -> dict[str, Any]:
    """Peak memory importing ``tracker`` (20,000 rows) and previewing the lying-size file."""
    lying = write_lying_tracker(work / "tracker-lying-size.xlsx")
    results: dict[str, Any] = {}
    for key, kind, path in (("rows", "import", tracker), ("lying", "preview", lying)):
        log(f"Tracker import memory: {path.name} ({path.stat().st_size // 1024} KB)")
        out = work / f"memory-{key}.json"
        run_python(env, __file__, kind, str(path), str(out), timeout=900)
        item = json.loads(out.read_text(encoding="utf-8"))
        item["file_kb"] = path.stat().st_size // 1024
        item["ok"] = item["peak_rss_mb"] < TARGET_MB
        results[key] = item
    return results


def summary_rows(results: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(measurement, result, target, status) rows for the benchmark table."""
    names = {
        "rows": f"Tracker import memory, {ROWS:,} rows",
        "lying": f"Tracker preview memory, {ROWS:,} one-cell rows declaring A1:XFD{ROWS + 1}",
    }
    rows = []
    for key, name in names.items():
        item = results[key]
        rows.append(
            (
                f"{name} ({item['file_kb']} KB)",
                f"peak RSS {item['peak_rss_mb']:.0f} MB ({item['rss_before_mb']:.0f} MB before), "
                f"{item['seconds']:.1f} s",
                f"< {TARGET_MB:.0f} MB",
                "OK" if item["ok"] else "MISSED",
            )
        )
    return rows


if __name__ == "__main__":
    child(sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]))
