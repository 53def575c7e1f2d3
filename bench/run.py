"""Benchmark suite: `make bench`, or `.venv/bin/python bench/run.py [--profile] [--strict] [--only …]`.

Builds throw-away SQLite databases in a temporary directory (the demo data plus synthetic data
at 1x, 10x and 100x the seeds, see bench/data.py), then measures, each against a baseline
measured side by side in the same run (absolute times vary between machines), and prints every
target as met or missed:

- files: the Appendix PDF (app / bare WeasyPrint rendering the same final HTML); the Appendix
  and Transformation XLSX (app / bare openpyxl write-only writing the same values and number
  formats, read back from the app's workbook), at most 1.5x at 10x; a repeat PDF download of
  unchanged data (a cache hit), under 50 ms;
- pages: every page at 10x in time per request through the Django test client / the app's own
  near-empty signed-in page (the password-change page), at most 5x; the scheme grid and the
  exception views at 100x (6,000 schemes) at most 2x their 10x time (each relative to its own
  run's floor); SQL queries per page at 1x, 10x and 100x;
- pack: the committee pack of a quarter locked through the service, after a background worker
  ran what the lock queued: its first download is a cache hit, under 50 ms at 10x;
- import: a 10,000-row tracker, time and peak memory (RSS, in its own process);
- e2e: 100x end to end: a 60,000-row tracker (6,000 schemes, ten quarters, the most one upload
  may have) imported as one file in its own process, then the Appendix PDF of its last quarter
  asked for as a user does, rendered by a background worker while the progress page is polled:
  both times, the progress states and peak memory.

Every measurement is warmed up, then the two sides are measured alternately (A B A B) and the
median of each side is taken. Results: a table on stdout (progress on stderr),
var/bench/latest.json and var/bench/latest.md; README.md's table between the
markers ``<!-- bench:start -->`` and ``<!-- bench:end -->`` is replaced. ``--only pages,files``
runs some parts only. With --profile the measured work is profiled (cProfile, top entries by
cumulative time) into var/bench/profiles/.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import platform
import pstats
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PYTHON = sys.executable
OUT_DIR = ROOT / "var" / "bench"
PROFILE_DIR = OUT_DIR / "profiles"
README = ROOT / "README.md"
README_START, README_END = "<!-- bench:start -->", "<!-- bench:end -->"

SCALES = (1, 10)
LARGE = 100  # the scale at which the grid and the exception views must stay flat
IMPORT_ROWS = 10_000
E2E_SCHEMES = 6_000  # 100x the seeds' 60 schemes
E2E_QUARTERS = 10  # quarterly rows over two and a half years: 60,000 tracker rows
# ... imported as one file (monitoring.tracker.MAX_ROWS is 60,000). E2E_FILES > 1 splits it, each file
# imported in its own process; three files of 20,000 were imported while a 60,000-row import was
# quadratic (more than 17 minutes; issue 22).
E2E_FILES = 1
TARGET_PDF = 1.3  # app / bare WeasyPrint, at most
TARGET_XLSX = 1.5  # app / bare openpyxl write-only (same values and number formats), at most
TARGET_PAGE = 5.0  # a page at 10x / the empty signed-in page (time per request), at most
TARGET_FLAT = 2.0  # the grid and the exception views: time at 100x / time at 10x, at most
TARGET_CACHE_MS = 50.0  # a cached PDF or committee pack download, under
TARGET_IMPORT_S = 10.0  # 10,000 tracker rows, under

PAIRS = {"pdf": {1: 5, 10: 3}, "xlsx": 5, "client": 7, "gunicorn": 3}
CLIENT_SAMPLE_SECONDS = 0.2  # one test-client sample: requests for at least this long
CACHE_SAMPLES = 11

HELLO = "/bench/hello/"
FLOOR = "/accounts/password_change/"  # the app's own near-empty signed-in page


def _year_url() -> str:
    from bench.data import BENCH_QUARTER, BENCH_YEAR

    return f"{BENCH_YEAR.replace('/', '-')}/{BENCH_QUARTER}"


def pages() -> list[tuple[str, str, bool]]:
    """(name, URL, stays flat at 100x): every page measured against the empty signed-in page."""
    period = _year_url()
    return [
        ("Plan list", "/plans/", False),
        ("Scheme grid", f"/monitoring/{period}/schemes/", True),
        ("Scheme grid, RED only", f"/monitoring/{period}/schemes/?rag=RED", True),
        ("Dashboard", f"/reports/dashboard/{period}/", False),
        ("Appendix 1 page", f"/reports/appendix/{period}/", False),
        ("Transformation page", f"/reports/transformation/{period}/", False),
        ("Exceptions page", f"/reports/exceptions/{period}/", True),
        ("Exceptions: RED and AMBER", f"/reports/exceptions/{period}/?only=red_amber", True),
    ]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def median(values: list[float]) -> float:
    return float(statistics.median(values))


def alternate(
    first: Callable[[], float], second: Callable[[], float], *, pairs: int
) -> tuple[list[float], list[float]]:
    """A B A B …: each side measured in turn, so drift (other processes, heat) hits both alike."""
    a: list[float] = []
    b: list[float] = []
    for _ in range(pairs):
        a.append(first())
        b.append(second())
    return a, b


# Request plumbing (test client, handlers, middleware, decorators): left out of the cumulative list
# so that it shows the view, the selectors and the templates.
PLUMBING = (
    r"^(?!.*(django/test/|django/core/handlers/|django/utils/deprecation|middleware|django/contrib/auth/decorators"
    r"|django/views/decorators|bench/run\.py))"
)


def profile_to(path: Path, work: Callable[[], object], *, top: int = 15) -> str:
    """Run ``work`` under cProfile; write the top entries by cumulative time (request plumbing
    left out) and by own time, which names the hot spot inside them, and the raw stats (.prof)."""
    profiler = cProfile.Profile()
    profiler.enable()
    work()
    profiler.disable()
    path.parent.mkdir(parents=True, exist_ok=True)
    profiler.dump_stats(path.with_suffix(".prof"))
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text)
    stats.sort_stats("cumulative").print_stats(PLUMBING, top)
    stats.sort_stats("tottime").print_stats(top)
    path.write_text(text.getvalue(), encoding="utf-8")
    return str(path.relative_to(ROOT))


# The in-process measurements (run in a worker process per database) ---------------------------


def _bench_period() -> Any:
    from bench.data import BENCH_QUARTER, BENCH_YEAR
    from recovery.periods import FinancialYear, Period, Quarter

    return Period(FinancialYear.parse(BENCH_YEAR), Quarter.parse(BENCH_QUARTER))


def measure_pdf(scale: int, profile: bool) -> tuple[dict[str, Any], Any, bytes]:
    from weasyprint import HTML

    from plans.models import ServiceArea
    from recovery.reporting import renderers, selectors

    period = _bench_period()
    html = renderers.report_html_for_pdf(selectors.appendix_report(period=period))
    last: dict[str, Any] = {}

    def app() -> float:
        started = time.perf_counter()
        report = selectors.appendix_report(period=period)
        pdf = renderers.render_pdf(report)
        elapsed = time.perf_counter() - started
        last["report"], last["pdf"] = report, pdf
        return elapsed

    def bare() -> float:
        started = time.perf_counter()
        HTML(string=html).write_pdf()
        return time.perf_counter() - started

    # Warm up (fonts, stylesheets, templates) on a small report: one service area.
    area = ServiceArea.objects.filter(name__startswith="Bench service area").order_by("pk").first()
    small = selectors.appendix_report(
        period=period, filters=selectors.ReportFilters(service_area=area.pk if area else None)
    )
    renderers.render_pdf(small)
    HTML(string=renderers.report_html_for_pdf(small)).write_pdf()
    app_times, bare_times = alternate(app, bare, pairs=PAIRS["pdf"][scale])
    ratio = median(app_times) / median(bare_times)
    result = {
        "key": f"pdf_{scale}x",
        "name": f"Appendix PDF, {scale}x",
        "app_s": median(app_times),
        "bare_s": median(bare_times),
        "ratio": ratio,
        "ok": ratio <= TARGET_PDF,
        "samples": {"app": app_times, "bare": bare_times},
        "rows": sum(len(section.rows) for section in last["report"].sections),
        "html_bytes": len(html.encode()),
        "pdf_bytes": len(last["pdf"]),
    }
    if profile and not result["ok"]:
        result["profile"] = profile_to(PROFILE_DIR / f"pdf_{scale}x.txt", app)
    return result, last["report"], last["pdf"]


def workbook_cells(data: bytes) -> list[tuple[str, list[list[tuple[Any, str | None]]]]]:
    """Every sheet's cells (value, number format other than General) as the app wrote them."""
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(data))
    sheets = []
    for sheet in workbook.worksheets:
        rows = []
        for row in sheet.iter_rows():
            cells = [(cell.value, None if cell.number_format == "General" else cell.number_format) for cell in row]
            while cells and cells[-1][0] is None:
                cells.pop()
            rows.append(cells)
        sheets.append((sheet.title, rows))
    return sheets


def write_bare_xlsx(sheets: list[tuple[str, list[list[tuple[Any, str | None]]]]]) -> bytes:
    """The same cells with openpyxl write-only: a number format where the app has one, and text
    kept as text; no fonts, fills, borders, widths or frozen panes."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    for title, rows in sheets:
        sheet = workbook.create_sheet(title)
        for row in rows:
            values: list[Any] = []
            for value, number_format in row:
                if number_format is None and not (isinstance(value, str) and value.startswith("=")):
                    values.append(value)
                    continue
                cell = WriteOnlyCell(sheet, value=value)
                if number_format is not None:
                    cell.number_format = number_format
                if isinstance(value, str):
                    cell.data_type = "s"
                values.append(cell)
            sheet.append(values)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


XLSX_REPORTS = {"appendix": "Appendix XLSX", "transformation": "Transformation XLSX"}


def measure_xlsx(scale: int, kind: str, profile: bool) -> dict[str, Any]:
    """The app's workbook (selectors + render_xlsx) / bare openpyxl write-only writing the same
    values and number formats, read back from the app's workbook."""
    from recovery.reporting import renderers, selectors

    period = _bench_period()
    build = selectors.appendix_report if kind == "appendix" else selectors.transformation_report
    sheets = workbook_cells(renderers.render_xlsx(build(period=period)))

    def app() -> float:
        started = time.perf_counter()
        renderers.render_xlsx(build(period=period))
        return time.perf_counter() - started

    def bare() -> float:
        started = time.perf_counter()
        write_bare_xlsx(sheets)
        return time.perf_counter() - started

    app(), bare()  # warm up
    app_times, bare_times = alternate(app, bare, pairs=PAIRS["xlsx"])
    ratio = median(app_times) / median(bare_times)
    result = {
        "key": f"xlsx_{kind}_{scale}x",
        "name": f"{XLSX_REPORTS[kind]}, {scale}x",
        "app_s": median(app_times),
        "bare_s": median(bare_times),
        "ratio": ratio,
        "ok": ratio <= TARGET_XLSX if scale == SCALES[-1] else None,
        "samples": {"app": app_times, "bare": bare_times},
        "cells": sum(len(row) for _, rows in sheets for row in rows),
        "sheets": len(sheets),
    }
    if profile and scale == SCALES[-1]:
        result["profile"] = profile_to(PROFILE_DIR / f"xlsx_{kind}_{scale}x.txt", app)
    return result


def signed_in_client() -> Any:
    from django.contrib.auth.models import User
    from django.test import Client

    client = Client()
    client.force_login(User.objects.get(username="finance"), backend="recovery.accounts.backends.LocalPasswordBackend")
    return client


def _get(client: Any, url: str) -> Any:
    response = client.get(url)
    if response.status_code != 200:
        raise RuntimeError(f"GET {url}: HTTP {response.status_code}")
    return response


def measure_pages(scale: int, profile: bool) -> list[dict[str, Any]]:
    """Each page against the app's own near-empty signed-in page (FLOOR), in time per request,
    measured alternately; at 100x only the pages that must stay flat."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = signed_in_client()

    def timing(url: str) -> Callable[[], float]:
        def sample() -> float:
            count, started = 0, time.perf_counter()
            while True:
                _get(client, url)
                count += 1
                elapsed = time.perf_counter() - started
                if elapsed >= CLIENT_SAMPLE_SECONDS:
                    return 1000 * elapsed / count  # ms per request

        return sample

    floor = timing(FLOOR)
    results = []
    for name, url, flat in pages():
        if scale == LARGE and not flat:
            continue
        page = timing(url)
        page(), floor()  # warm up
        with CaptureQueriesContext(connection) as queries:
            body = _get(client, url).content
        # Counted now: the next request's request_started signal empties the query log.
        query_count = len(queries.captured_queries)
        page_ms, floor_ms = alternate(page, floor, pairs=PAIRS["client"])
        ratio = median(page_ms) / median(floor_ms)
        result = {
            "key": f"client_{url}_{scale}x",
            "page": name,
            "url": url,
            "scale": scale,
            "flat": flat,
            "page_ms": median(page_ms),
            "floor_ms": median(floor_ms),
            "ratio": ratio,
            "ok": ratio <= TARGET_PAGE if scale == SCALES[-1] else None,
            "queries": query_count,
            "bytes": len(body),
            "samples": {"page": page_ms, "floor": floor_ms},
        }
        if profile and (scale != SCALES[0]):
            slug = "".join(ch if ch.isalnum() else "_" for ch in name.lower())
            result["profile"] = profile_to(
                PROFILE_DIR / f"page_{slug}_{scale}x.txt", lambda url=url: [_get(client, url) for _ in range(3)]
            )
        log(f"  {name}: {result['page_ms']:.1f} ms, floor {result['floor_ms']:.1f} ms, {result['queries']} queries")
        results.append(result)
    return results


def measure_cache_hit(scale: int, report: Any, pdf: bytes, profile: bool) -> dict[str, Any]:
    """The same PDF again, data unchanged: through the view, from the cache."""
    from django.core.cache import cache

    from recovery.reporting import cache as report_cache

    client = signed_in_client()
    url = f"/reports/appendix/{_year_url()}/?format=pdf"
    # What cached_pdf() stores after rendering, without rendering the 10x report once more.
    cache.set(report_cache.pdf_cache_key(report), pdf, report_cache.PDF_CACHE_SECONDS)

    def download() -> float:
        started = time.perf_counter()
        response = client.get(url)
        elapsed = time.perf_counter() - started
        if response.status_code != 200 or response["Content-Type"] != "application/pdf":
            raise RuntimeError(
                f"GET {url}: HTTP {response.status_code} {response.get('Content-Type')}, not a cached PDF"
            )
        return elapsed

    download()  # warm up
    times = [download() for _ in range(CACHE_SAMPLES)]
    ms = 1000 * median(times)
    result = {
        "key": f"cache_{scale}x",
        "name": f"Cached PDF download, {scale}x",
        "ms": ms,
        "ok": ms < TARGET_CACHE_MS,
        "samples": times,
        "pdf_bytes": len(pdf),
    }
    if profile and not result["ok"]:
        result["profile"] = profile_to(PROFILE_DIR / f"cache_hit_{scale}x.txt", lambda: [download() for _ in range(5)])
    return result


def measure_pack(scale: int, profile: bool) -> dict[str, Any]:
    """The committee pack of a locked quarter: lock it through the service (as finance does),
    let a background worker run what the lock queued, then download the pack. The first download
    must already be a cache hit; then the median of repeat downloads."""
    from django.contrib.auth.models import User
    from django.core.cache import cache

    from monitoring import services

    cache.clear()
    period = _bench_period()
    services.quarter_lock(period=period, user=User.objects.get(username="finance"))
    started = time.perf_counter()
    subprocess.run(
        [PYTHON, "manage.py", "run_jobs", "--once", "--interval", "0.1", "-v0"],
        cwd=ROOT,
        env=os.environ.copy(),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    prerender_s = time.perf_counter() - started
    client = signed_in_client()
    url = f"/reports/pack/{_year_url()}/"
    # The first download is to be a cache hit, not this process's first request: with --only pack
    # nothing has warmed Django up (imports, URL resolver, templates) as the pages part does.
    _get(client, FLOOR)

    def download() -> float:
        started = time.perf_counter()
        response = client.get(url)
        elapsed = time.perf_counter() - started
        if response.status_code != 200 or response["Content-Type"] != "application/pdf":
            raise RuntimeError(f"GET {url}: HTTP {response.status_code} {response.get('Content-Type')}")
        return elapsed

    first_ms = 1000 * download()
    times = [download() for _ in range(CACHE_SAMPLES)]
    ms = 1000 * median(times)
    result = {
        "key": f"pack_{scale}x",
        "name": f"Committee pack of a locked quarter, {scale}x",
        "first_ms": first_ms,
        "ms": ms,
        "prerender_s": prerender_s,
        "ok": first_ms < TARGET_CACHE_MS and ms < TARGET_CACHE_MS,
        "samples": times,
    }
    if profile:
        result["profile"] = profile_to(PROFILE_DIR / f"pack_{scale}x.txt", lambda: [download() for _ in range(5)])
    return result


def worker_measure(scale: int, out: Path, profile: bool, parts: set[str]) -> None:
    import logging

    import django

    django.setup()
    logging.getLogger("weasyprint").setLevel(logging.ERROR)  # a warning about clip-path per PDF
    results: dict[str, Any] = {"scale": scale}
    if scale != LARGE and "files" in parts:
        log(f"[{scale}x] Appendix PDF: app vs bare WeasyPrint")
        results["pdf"], report, pdf = measure_pdf(scale, profile)
        for kind in XLSX_REPORTS:
            log(f"[{scale}x] {XLSX_REPORTS[kind]}: app vs bare openpyxl")
            results[f"xlsx_{kind}"] = measure_xlsx(scale, kind, profile)
        log(f"[{scale}x] cached PDF download")
        results["cache"] = measure_cache_hit(scale, report, pdf, profile)
    if "pages" in parts:
        log(f"[{scale}x] pages through the test client, against the empty signed-in page")
        results["pages"] = measure_pages(scale, profile)
    if scale == SCALES[-1] and "pack" in parts:
        log(f"[{scale}x] committee pack of a locked quarter")
        results["pack"] = measure_pack(scale, profile)
    out.write_text(json.dumps(results), encoding="utf-8")


def worker_generate(scale: int) -> None:
    import django

    django.setup()
    from bench import data

    print(json.dumps(data.generate(scale)))


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def worker_import(tracker: Path, out: Path, profile: bool, rows: int = IMPORT_ROWS) -> None:
    import django

    django.setup()
    from monitoring.imports import tracker_import

    before = _rss_mb()

    def run() -> Any:
        with tracker.open("rb") as handle:
            return tracker_import(source=handle, user=None)

    if profile:
        out.write_text(json.dumps({"profile": profile_to(PROFILE_DIR / f"import_{rows}.txt", run)}), encoding="utf-8")
        return
    started = time.perf_counter()
    summary = run()
    elapsed = time.perf_counter() - started
    peak = _rss_mb()
    if not summary.committed or summary.total != rows:
        raise RuntimeError(f"import: committed={summary.committed} rows={summary.total} errors={summary.errors[:3]}")
    result = {
        "rows": rows,
        "seconds": elapsed,
        "peak_rss_mb": peak,
        "rss_before_mb": before,
        "new": summary.new,
        "updated": summary.updated,
    }
    out.write_text(json.dumps(result), encoding="utf-8")


def worker_background_pdf(out: Path) -> None:
    """The Appendix PDF of the last imported quarter as a user gets it: ask for it (queued, as
    the report is large), watch the progress page while a background worker renders it, then
    download it. Reports the time, the progress page's states and the worker's peak memory."""
    import logging
    import re

    import django

    django.setup()
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    from bench.data import e2e_periods

    year, quarter = e2e_periods(E2E_QUARTERS)[-1]
    client = signed_in_client()
    url = f"/reports/appendix/{year.replace('/', '-')}/{quarter}/?format=pdf"
    started = time.perf_counter()
    response = client.get(url)
    if response.status_code != 302:
        raise RuntimeError(f"GET {url}: HTTP {response.status_code}, not sent to the progress page")
    status_url = response["Location"]
    worker = subprocess.Popen(
        [PYTHON, "manage.py", "run_jobs", "--once", "--interval", "0.2", "-v0"],
        cwd=ROOT,
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
    )
    progress: list[tuple[float, str]] = []
    pdf = b""
    while True:
        response = client.get(status_url)
        elapsed = time.perf_counter() - started
        if response.status_code == 200 and response["Content-Type"] == "application/pdf":
            pdf = response.content
            progress.append((elapsed, "downloaded"))
            break
        if response.status_code != 200 or elapsed > 1800:
            worker.kill()
            raise RuntimeError(f"progress page: HTTP {response.status_code} after {elapsed:.0f} s")
        state = re.search(r"\((ready|running|[a-z]+)", response.content.decode())
        shown = state.group(1) if state else "?"
        if not progress or progress[-1][1] != shown:
            progress.append((elapsed, shown))
        time.sleep(0.5)
    seconds = time.perf_counter() - started
    _, _, usage = os.wait4(worker.pid, 0)
    result = {
        "seconds": seconds,
        "pdf_bytes": len(pdf),
        "progress": progress,
        "worker_peak_rss_mb": usage.ru_maxrss / 1024,
        "pages": pdf.count(b"/Type /Page\n") or None,
    }
    out.write_text(json.dumps(result), encoding="utf-8")


def measure_import_memory(work: Path, base: Path, static_root: Path) -> dict[str, Any]:
    """Peak memory of the tracker import (bench/memory.py): 20,000 rows, and a sheet whose
    declared size lies, each in its own process on a copy of the base database."""
    from bench import data, memory

    var_dir = work / "import-memory"
    copy_database(base, var_dir, static_root)
    tracker = data.write_tracker(work / f"tracker-{memory.ROWS}.xlsx", memory.ROWS)
    return memory.measure(work, environment(var_dir), tracker, run_python, log)


# The orchestration ---------------------------------------------------------------------------


def environment(var_dir: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "DATABASE_URL", "REDIS_"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": "bench-secret-key-not-for-production-0123456789abcdefghijklmnop",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
            "DJANGO_SSL_REDIRECT": "0",
            "DJANGO_SECURE_COOKIES": "0",
            "DJANGO_HSTS_SECONDS": "0",
            "DJANGO_VAR_DIR": str(var_dir),
            "DJANGO_LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(ROOT),
        }
    )
    return env


def run_python(env: dict[str, str], *args: str, timeout: int = 600) -> str:
    """Run a Python process of this project; its progress (stderr) shows as it goes."""
    done = subprocess.run([PYTHON, *args], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:3])} failed (exit status {done.returncode}): see above")
    return done.stdout


def copy_database(source: Path, target: Path, static_root: Path) -> None:
    target.mkdir(parents=True)
    for suffix in ("", "-wal", "-shm"):
        if (source / f"db.sqlite3{suffix}").exists():
            shutil.copy2(source / f"db.sqlite3{suffix}", target / f"db.sqlite3{suffix}")
    (target / "staticfiles").symlink_to(static_root, target_is_directory=True)


def status(ok: bool | None) -> str:
    return "-" if ok is None else ("met" if ok else "missed")


def summarise(results: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(measurement, result, target, status) rows, in the order they are printed."""
    rows: list[tuple[str, str, str, str]] = []
    scales = results["scales"]
    big = str(SCALES[-1])
    for scale in SCALES:
        item = scales.get(str(scale), {}).get("pdf")
        if item:
            rows.append(
                (
                    f"Appendix PDF {scale}x ({item['rows']} rows)",
                    f"app {item['app_s']:.2f} s / bare WeasyPrint {item['bare_s']:.2f} s = {item['ratio']:.2f}x",
                    f"<= {TARGET_PDF}x",
                    status(item["ok"]),
                )
            )
    for kind, label in XLSX_REPORTS.items():
        for scale in SCALES:
            item = scales.get(str(scale), {}).get(f"xlsx_{kind}")
            if item:
                rows.append(
                    (
                        f"{label} {scale}x ({item['cells']} cells)",
                        f"app {item['app_s']:.3f} s / bare openpyxl write-only {item['bare_s']:.3f} s = "
                        f"{item['ratio']:.2f}x",
                        f"<= {TARGET_XLSX}x at {big}x" if str(scale) == big else "(for reading)",
                        status(item["ok"]),
                    )
                )
    client = {(p["page"], str(p["scale"])): p for scale in scales.values() for p in scale.get("pages", [])}
    floor = next((p for p in client.values() if p["scale"] == SCALES[-1]), None)
    if floor:
        rows.append(("Empty signed-in page (floor), 10x", f"{floor['floor_ms']:.1f} ms", FLOOR, "-"))
    for name, _, flat in pages():
        for scale in SCALES:
            item = client.get((name, str(scale)))
            if item:
                rows.append(
                    (
                        f"{name} {scale}x",
                        f"{item['page_ms']:.1f} ms / floor {item['floor_ms']:.1f} ms = {item['ratio']:.2f}x; "
                        f"{item['queries']} queries, {item['bytes'] // 1024} KB",
                        f"<= {TARGET_PAGE:g}x floor" if str(scale) == big else "(for reading)",
                        status(item["ok"]),
                    )
                )
        large, small = client.get((name, str(LARGE))), client.get((name, big))
        if flat and large and small:
            # Each time relative to its own run's floor, so the two databases' runs compare.
            growth = large["ratio"] / small["ratio"]
            rows.append(
                (
                    f"{name} {LARGE}x",
                    f"{large['page_ms']:.1f} ms (floor {large['floor_ms']:.1f} ms) = {growth:.2f}x its {big}x time; "
                    f"{large['queries']} queries (10x: {small['queries']}), {large['bytes'] // 1024} KB",
                    f"<= {TARGET_FLAT:g}x its {big}x time",
                    status(growth <= TARGET_FLAT),
                )
            )
        counts = [client[(name, str(scale))]["queries"] for scale in (*SCALES, LARGE) if (name, str(scale)) in client]
        if len(counts) > 1:
            rows.append(
                (
                    f"{name} SQL queries",
                    " / ".join(
                        f"{scale}x {client[(name, str(scale))]['queries']}"
                        for scale in (*SCALES, LARGE)
                        if (name, str(scale)) in client
                    ),
                    "equal",
                    status(len(set(counts)) == 1),
                )
            )
    for scale in SCALES:
        item = scales.get(str(scale), {}).get("cache")
        if item:
            rows.append(
                (
                    f"Cached PDF download {scale}x",
                    f"{item['ms']:.1f} ms",
                    f"< {TARGET_CACHE_MS:.0f} ms",
                    status(item["ok"]),
                )
            )
    item = scales.get(big, {}).get("pack")
    if item:
        rows.append(
            (
                f"Committee pack of a locked quarter {big}x",
                f"first download {item['first_ms']:.1f} ms, then {item['ms']:.1f} ms (rendered in the background "
                f"after the lock: {item['prerender_s']:.1f} s)",
                f"< {TARGET_CACHE_MS:.0f} ms, first download included",
                status(item["ok"]),
            )
        )
    item = results.get("import")
    if item:
        rows.append(
            (
                f"Tracker import, {IMPORT_ROWS:,} rows",
                f"{item['seconds']:.1f} s, peak RSS {item['peak_rss_mb']:.0f} MB "
                f"({item['rss_before_mb']:.0f} MB before)",
                f"< {TARGET_IMPORT_S:.0f} s",
                status(item["ok"]),
            )
        )
    item = results.get("e2e_import")
    if item:
        files = item.get("files", [item["rows"]])
        rows.append(
            (
                f"{LARGE}x end to end: tracker import, {item['rows']:,} rows"
                + (f" as {len(files)} files of {max(files):,}" if len(files) > 1 else ""),
                f"{item['seconds']:.1f} s"
                + (
                    " in all (" + ", ".join(f"{part['seconds']:.0f} s" for part in item["imports"]) + ")"
                    if len(files) > 1
                    else ""
                )
                + f", peak RSS {item['peak_rss_mb']:.0f} MB ({item['rss_before_mb']:.0f} MB before)",
                "reported",
                "-",
            )
        )
    item = results.get("e2e_pdf")
    if item:
        steps = ", ".join(f"{state} at {at:.0f} s" for at, state in item["progress"])
        rows.append(
            (
                f"{LARGE}x end to end: Appendix PDF in the background",
                f"{item['seconds']:.1f} s ({steps}); worker peak RSS {item['worker_peak_rss_mb']:.0f} MB, "
                f"{item['pdf_bytes'] // 1024} KB",
                "reported",
                "-",
            )
        )
    if "e2e_error" in results:
        rows.append((f"{LARGE}x end to end", f"failed: {results['e2e_error'][:200]}", "reported", "missed"))
    if "import_memory" in results:
        from bench import memory

        rows += memory.summary_rows(results["import_memory"])
    return rows


def table(rows: list[tuple[str, str, str, str]]) -> str:
    header = ("measurement", "result", "target", "status")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(4)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def markdown(results: dict[str, Any], rows: list[tuple[str, str, str, str]]) -> str:
    machine = results["machine"]
    lines = [
        f"Last run: {results['finished_at']} on {machine['cpus']} CPUs, Python {machine['python']}, "
        f"WeasyPrint {machine['weasyprint']}, openpyxl {machine['openpyxl']}; {results['seconds']:.0f} s in all; "
        f"load average {machine['load_average'][0]:.1f} at the start; parts run: {', '.join(results['parts'])}.",
        "",
        "| measurement | result | target | status |",
        "|---|---|---|---|",
    ]
    lines += [f"| {' | '.join(cell.replace('|', '/') for cell in row)} |" for row in rows]
    return "\n".join(lines) + "\n"


def update_readme(text: str) -> bool:
    """Replace the table between the bench markers in README.md, if it has them."""
    if not README.exists():
        return False
    readme = README.read_text(encoding="utf-8")
    start, end = readme.find(README_START), readme.find(README_END)
    if start < 0 or end < start:
        return False
    README.write_text(readme[: start + len(README_START)] + "\n" + text + readme[end:], encoding="utf-8")
    return True


def machine() -> dict[str, Any]:
    import django
    import openpyxl
    import weasyprint

    return {
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "weasyprint": weasyprint.__version__,
        "openpyxl": openpyxl.__version__,
    }


PARTS = ("files", "pages", "pack", "import", "e2e")  # --only chooses among these


def end_to_end(
    results: dict[str, Any], work: Path, e2e_dir: Path, trackers: list[Path], total: int, per_file: int
) -> None:
    """100x end to end: the tracker files imported one after another (each in its own process),
    then the Appendix PDF of the last quarter asked for and rendered in the background."""
    imports = []
    for number, tracker in enumerate(trackers):
        rows = min(per_file, total - number * per_file)
        log(f"100x end to end: importing {total:,} tracker rows, file {number + 1} of {len(trackers)}")
        out = work / f"e2e-import-{number + 1}.json"
        run_python(environment(e2e_dir), __file__, "import", str(tracker), str(out), "--rows", str(rows), timeout=3600)
        imports.append(json.loads(out.read_text(encoding="utf-8")))
    results["e2e_import"] = {
        "rows": total,
        "files": [item["rows"] for item in imports],
        "seconds": sum(item["seconds"] for item in imports),
        "peak_rss_mb": max(item["peak_rss_mb"] for item in imports),
        "rss_before_mb": max(item["rss_before_mb"] for item in imports),
        "imports": imports,
    }
    log("100x end to end: the Appendix PDF in the background")
    out = work / "e2e-pdf.json"
    run_python(environment(e2e_dir), __file__, "background-pdf", str(out), timeout=3600)
    results["e2e_pdf"] = json.loads(out.read_text(encoding="utf-8"))


def orchestrate(profile: bool, keep: bool, parts: set[str]) -> dict[str, Any]:
    from bench import data

    started = time.perf_counter()
    results: dict[str, Any] = {"machine": machine(), "scales": {}, "parts": sorted(parts)}
    if profile:
        shutil.rmtree(PROFILE_DIR, ignore_errors=True)
    work = Path(tempfile.mkdtemp(prefix="recovery-bench-"))
    collect: subprocess.Popen[bytes] | None = None
    try:
        base = work / "base"
        base.mkdir()
        env = environment(base)
        log(f"Preparing databases in {work}")
        run_python(env, "manage.py", "migrate", "--no-input", "-v0")
        run_python(env, "manage.py", "load_demo", "--force")
        # collectstatic (the manifest that production templates need) runs beside data generation.
        static_var = work / "static"
        collect = subprocess.Popen(
            [PYTHON, "manage.py", "collectstatic", "--no-input", "-v0"],
            cwd=ROOT,
            env=environment(static_var),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        scales = [*SCALES, LARGE] if "pages" in parts else list(SCALES)
        if not parts & {"files", "pages", "pack"}:
            scales = []
        dirs = {scale: work / f"scale-{scale}" for scale in scales}
        for scale, var_dir in dirs.items():
            copy_database(base, var_dir, static_var / "staticfiles")
            results["scales"][str(scale)] = {
                "data": json.loads(run_python(environment(var_dir), __file__, "generate", str(scale)))
            }
            log(f"  {scale}x: {results['scales'][str(scale)]['data']}")
        import_dir, e2e_dir = work / "import", work / "e2e"
        if "import" in parts:
            copy_database(base, import_dir, static_var / "staticfiles")
            tracker = data.write_tracker(work / "tracker-10000.xlsx", IMPORT_ROWS)
        if "e2e" in parts:
            copy_database(base, e2e_dir, static_var / "staticfiles")
            e2e_rows = E2E_SCHEMES * E2E_QUARTERS
            per_file = -(-e2e_rows // E2E_FILES)
            log(f"Writing a {e2e_rows:,}-row tracker as {E2E_FILES} files")
            e2e_trackers = [
                data.write_tracker_quarters(
                    work / f"tracker-{e2e_rows}-{number + 1}.xlsx",
                    schemes=E2E_SCHEMES,
                    quarters=E2E_QUARTERS,
                    rows=range(number * per_file, min((number + 1) * per_file, e2e_rows)),
                )
                for number in range(E2E_FILES)
            ]
        _, stderr = collect.communicate(timeout=600)
        if collect.returncode != 0:
            raise RuntimeError(f"collectstatic failed:\n{stderr.decode()[-2000:]}")
        log(f"Prepared in {time.perf_counter() - started:.0f} s")

        for scale, var_dir in dirs.items():
            out = work / f"measure-{scale}.json"
            args = [__file__, "measure", str(scale), str(out), "--only", ",".join(sorted(parts))]
            run_python(environment(var_dir), *args, *(["--profile"] if profile else []), timeout=1200)
            results["scales"][str(scale)].update(json.loads(out.read_text(encoding="utf-8")))

        if "import" in parts:
            log(f"Tracker import of {IMPORT_ROWS:,} rows")
            out = work / "import.json"
            run_python(environment(import_dir), __file__, "import", str(tracker), str(out), timeout=900)
            results["import"] = json.loads(out.read_text(encoding="utf-8"))
            results["import"]["ok"] = results["import"]["seconds"] < TARGET_IMPORT_S
            if profile and not results["import"]["ok"]:
                log("Profiling the tracker import")
                second = work / "import-profile"
                copy_database(base, second, static_var / "staticfiles")
                run_python(environment(second), __file__, "import", str(tracker), str(out), "--profile", timeout=900)
                results["import"].update(json.loads(out.read_text(encoding="utf-8")))
            results["import_memory"] = measure_import_memory(work, base, static_var / "staticfiles")
        if "e2e" in parts:
            try:
                end_to_end(results, work, e2e_dir, e2e_trackers, e2e_rows, per_file)
            except (RuntimeError, subprocess.SubprocessError, OSError) as error:
                # Whatever else was measured is still written; the table says the step failed.
                log(f"100x end to end failed: {error}")
                results["e2e_error"] = str(error)
    finally:
        if collect is not None and collect.poll() is None:
            collect.kill()
            collect.wait()
        if keep:
            log(f"Kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    results["seconds"] = time.perf_counter() - started
    results["finished_at"] = datetime.now().astimezone().isoformat(timespec="seconds")
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--profile", action="store_true", help="profile the measured work into var/bench/profiles/")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--keep", action="store_true", help="keep the temporary databases")
    parser.add_argument(
        "--only", default=",".join(PARTS), help=f"comma-separated parts to run (default all): {', '.join(PARTS)}"
    )
    sub = parser.add_subparsers(dest="worker")  # internal: the measurements inside one database
    generate = sub.add_parser("generate")
    generate.add_argument("scale", type=int)
    measure = sub.add_parser("measure")
    measure.add_argument("scale", type=int)
    measure.add_argument("out", type=Path)
    measure.add_argument("--profile", action="store_true")
    measure.add_argument("--only", default=",".join(PARTS))
    importing = sub.add_parser("import")
    importing.add_argument("tracker", type=Path)
    importing.add_argument("out", type=Path)
    importing.add_argument("--profile", action="store_true")
    importing.add_argument("--rows", type=int, default=IMPORT_ROWS)
    background = sub.add_parser("background-pdf")
    background.add_argument("out", type=Path)
    args = parser.parse_args()
    parts = {part.strip() for part in args.only.split(",") if part.strip()}
    if unknown := parts - set(PARTS):
        parser.error(f"unknown part(s): {', '.join(sorted(unknown))}; choose from {', '.join(PARTS)}")
    if args.worker == "generate":
        worker_generate(args.scale)
        return 0
    if args.worker == "measure":
        worker_measure(args.scale, args.out, args.profile, parts)
        return 0
    if args.worker == "import":
        worker_import(args.tracker, args.out, args.profile, args.rows)
        return 0
    if args.worker == "background-pdf":
        worker_background_pdf(args.out)
        return 0

    results = orchestrate(args.profile, args.keep, parts)
    rows = summarise(results)
    results["table"] = [dict(zip(("measurement", "result", "target", "status"), row, strict=True)) for row in rows]
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    (OUT_DIR / "latest.json").write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")
    text = markdown(results, rows)
    (OUT_DIR / "latest.md").write_text(text, encoding="utf-8")
    print(table(rows))
    missed = [row[0] for row in rows if row[3] == "missed"]
    print(f"\n{len(missed)} target(s) missed; {results['seconds']:.0f} s in all. Results: var/bench/latest.json")
    if update_readme(text):
        print("README.md updated (between the bench markers).")
    if args.profile:
        print("Profiles: var/bench/profiles/")
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
