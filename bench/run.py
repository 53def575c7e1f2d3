"""Benchmark suite: `make bench`, or `.venv/bin/python bench/run.py [--profile] [--strict]`.

Builds throw-away SQLite databases in a temporary directory (the demo data plus synthetic data
at 1x and 10x the seeds, see bench/data.py), then measures, each against a baseline measured
side by side in the same run (absolute times vary between machines):

- Appendix PDF: the app end to end (selectors.appendix_report + renderers.render_pdf, no cache)
  / bare WeasyPrint rendering the same final HTML (renderers.report_html_for_pdf);
- Appendix XLSX: the app (selectors + renderers.render_xlsx) / bare openpyxl in write-only mode
  writing the same cells (values and number formats, read back from the app's workbook);
- pages (plan list, scheme grid, dashboard, report pages): requests per second through the
  Django test client and through gunicorn (2 workers, 127.0.0.1 only) / a hello-world view of
  the same app (bench/urls.py), and SQL queries per page at 1x and 10x;
- a repeat PDF download of unchanged data (a cache hit), in ms;
- importing a 10,000-row savings tracker: time and peak memory (RSS, in its own process).

Every measurement is warmed up, then the two sides are measured alternately (A B A B) and the
median of each side is taken. Results: a table on stdout (progress on stderr),
var/bench/latest.json and var/bench/latest.md; README.md's table between the markers
``<!-- bench:start -->`` and ``<!-- bench:end -->`` is replaced, when README has them.
With --profile every missed target is profiled (cProfile, top entries by cumulative time)
into var/bench/profiles/. The run takes about five minutes on two cores.
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
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PYTHON = sys.executable
GUNICORN = str(Path(sys.executable).parent / "gunicorn")
OUT_DIR = ROOT / "var" / "bench"
PROFILE_DIR = OUT_DIR / "profiles"
README = ROOT / "README.md"
README_START, README_END = "<!-- bench:start -->", "<!-- bench:end -->"

SCALES = (1, 10)
IMPORT_ROWS = 10_000
TARGET_PDF = 1.3  # app / bare WeasyPrint, at most
TARGET_XLSX = 1.5  # app / bare openpyxl, at most
TARGET_PAGE = 0.5  # page / hello-world requests per second, at least
TARGET_CACHE_MS = 50.0  # a cached PDF download, under
TARGET_IMPORT_S = 10.0  # 10,000 tracker rows, under

PAIRS = {"pdf": {1: 5, 10: 3}, "xlsx": 5, "client": 5, "gunicorn": 3}
CLIENT_SAMPLE_SECONDS = 0.25  # one test-client sample: requests for at least this long
GUNICORN_BATCH_SECONDS = 1.2  # one gunicorn sample: concurrent requests for this long
GUNICORN_WARM_SECONDS = 0.4
GUNICORN_CLIENTS = 4
GUNICORN_MAX_REQUESTS = 3000  # per sample: bounded whatever the speed
CACHE_SAMPLES = 11

HELLO = "/bench/hello/"


def _year_url() -> str:
    from bench.data import BENCH_QUARTER, BENCH_YEAR

    return f"{BENCH_YEAR.replace('/', '-')}/{BENCH_QUARTER}"


def pages() -> list[tuple[str, str, bool]]:
    """(name, URL, has a target): the pages measured; the empty page is a floor, for reading."""
    period = _year_url()
    return [
        ("Plan list", "/plans/", True),
        ("Scheme grid", f"/monitoring/{period}/schemes/", True),
        ("Dashboard", f"/reports/dashboard/{period}/", True),
        ("Appendix 1 page", f"/reports/appendix/{period}/", True),
        ("Transformation page", f"/reports/transformation/{period}/", True),
        ("Exceptions page", f"/reports/exceptions/{period}/", True),
        ("Empty page (floor)", "/bench/empty/", False),
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


def measure_xlsx(scale: int, profile: bool) -> dict[str, Any]:
    from recovery.reporting import renderers, selectors

    period = _bench_period()
    sheets = workbook_cells(renderers.render_xlsx(selectors.appendix_report(period=period)))

    def app() -> float:
        started = time.perf_counter()
        renderers.render_xlsx(selectors.appendix_report(period=period))
        return time.perf_counter() - started

    def bare() -> float:
        started = time.perf_counter()
        write_bare_xlsx(sheets)
        return time.perf_counter() - started

    app(), bare()  # warm up
    app_times, bare_times = alternate(app, bare, pairs=PAIRS["xlsx"])
    ratio = median(app_times) / median(bare_times)
    result = {
        "key": f"xlsx_{scale}x",
        "name": f"Appendix XLSX, {scale}x",
        "app_s": median(app_times),
        "bare_s": median(bare_times),
        "ratio": ratio,
        "ok": ratio <= TARGET_XLSX,
        "samples": {"app": app_times, "bare": bare_times},
        "cells": sum(len(row) for _, rows in sheets for row in rows),
        "sheets": len(sheets),
    }
    if profile and not result["ok"]:
        result["profile"] = profile_to(PROFILE_DIR / f"xlsx_{scale}x.txt", app)
    return result


def signed_in_client() -> Any:
    from django.contrib.auth.models import User
    from django.test import Client

    client = Client()
    client.force_login(User.objects.get(username="finance"), backend="django.contrib.auth.backends.ModelBackend")
    return client


def _get(client: Any, url: str) -> Any:
    response = client.get(url)
    if response.status_code != 200:
        raise RuntimeError(f"GET {url}: HTTP {response.status_code}")
    return response


def measure_pages(scale: int, profile: bool) -> list[dict[str, Any]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = signed_in_client()

    def rate(url: str) -> Callable[[], float]:
        def sample() -> float:
            count, started = 0, time.perf_counter()
            while True:
                _get(client, url)
                count += 1
                elapsed = time.perf_counter() - started
                if elapsed >= CLIENT_SAMPLE_SECONDS:
                    return count / elapsed

        return sample

    hello = rate(HELLO)
    results = []
    for name, url, has_target in pages():
        page = rate(url)
        page(), hello()  # warm up
        with CaptureQueriesContext(connection) as queries:
            body = _get(client, url).content
        # Counted now: the next request's request_started signal empties the query log.
        query_count = len(queries.captured_queries)
        page_rates, hello_rates = alternate(page, hello, pairs=PAIRS["client"])
        ratio = median(page_rates) / median(hello_rates)
        result = {
            "key": f"client_{url}_{scale}x",
            "page": name,
            "url": url,
            "scale": scale,
            "page_rps": median(page_rates),
            "hello_rps": median(hello_rates),
            "ratio": ratio,
            "ms_per_request": 1000 / median(page_rates),
            "has_target": has_target,
            "ok": ratio >= TARGET_PAGE if has_target else None,
            "queries": query_count,
            "bytes": len(body),
            "samples": {"page": page_rates, "hello": hello_rates},
        }
        if profile and has_target and not result["ok"]:
            slug = name.lower().replace(" ", "_").replace("(", "").replace(")", "")
            result["profile"] = profile_to(
                PROFILE_DIR / f"page_{slug}_{scale}x.txt", lambda url=url: [_get(client, url) for _ in range(3)]
            )
        log(
            f"  {name}: {result['page_rps']:.1f} req/s, hello {result['hello_rps']:.0f} req/s, "
            f"{result['queries']} queries"
        )
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


def worker_measure(scale: int, out: Path, profile: bool) -> None:
    import logging

    import django

    django.setup()
    logging.getLogger("weasyprint").setLevel(logging.ERROR)  # a warning about clip-path per PDF
    results: dict[str, Any] = {"scale": scale}
    log(f"[{scale}x] Appendix PDF: app vs bare WeasyPrint")
    results["pdf"], report, pdf = measure_pdf(scale, profile)
    log(f"[{scale}x] Appendix XLSX: app vs bare openpyxl")
    results["xlsx"] = measure_xlsx(scale, profile)
    log(f"[{scale}x] cached PDF download")
    results["cache"] = measure_cache_hit(scale, report, pdf, profile)
    log(f"[{scale}x] pages through the test client")
    results["pages"] = measure_pages(scale, profile)
    # A signed-in session for the gunicorn clients (sessions are kept in the database).
    results["sessionid"] = signed_in_client().cookies["sessionid"].value
    out.write_text(json.dumps(results), encoding="utf-8")


def worker_generate(scale: int) -> None:
    import django

    django.setup()
    from bench import data

    print(json.dumps(data.generate(scale)))


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def worker_import(tracker: Path, out: Path, profile: bool) -> None:
    import django

    django.setup()
    from monitoring.imports import tracker_import

    before = _rss_mb()

    def run() -> Any:
        with tracker.open("rb") as handle:
            return tracker_import(source=handle, user=None)

    if profile:
        out.write_text(json.dumps({"profile": profile_to(PROFILE_DIR / "import_10000.txt", run)}), encoding="utf-8")
        return
    started = time.perf_counter()
    summary = run()
    elapsed = time.perf_counter() - started
    peak = _rss_mb()
    if not summary.committed or summary.new != IMPORT_ROWS:
        raise RuntimeError(f"import: committed={summary.committed} new={summary.new} errors={summary.errors[:3]}")
    result = {"seconds": elapsed, "peak_rss_mb": peak, "rss_before_mb": before, "new": summary.new}
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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_gunicorn(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        # --max-requests 0: no worker recycling in the middle of a measurement.
        [GUNICORN, "-c", "python:recovery.gunicorn", "--max-requests", "0", "recovery.wsgi"],
        cwd=ROOT,
        env={**env, "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": "2", "GUNICORN_LOG_LEVEL": "warning"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}{HELLO}", timeout=2).read()
            return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("gunicorn did not start")


def http_rate(base: str, url: str, sessionid: str, seconds: float) -> float:
    """Requests per second: GUNICORN_CLIENTS threads requesting ``url`` for ``seconds`` (at most
    GUNICORN_MAX_REQUESTS in all). Any error stops the run."""
    lock = threading.Lock()
    state = {"started": 0, "done": 0}
    errors: list[str] = []
    deadline = time.perf_counter() + seconds

    def client() -> None:
        while time.perf_counter() < deadline and not errors:
            with lock:
                if state["started"] >= GUNICORN_MAX_REQUESTS:
                    return
                state["started"] += 1
            request = urllib.request.Request(base + url, headers={"Cookie": f"sessionid={sessionid}"})
            try:
                with urllib.request.urlopen(request, timeout=60) as response:
                    response.read()
                    # A redirect (to the sign-in page) would be followed: count it as an error.
                    status = response.status if response.geturl() == base + url else 302
            except urllib.error.HTTPError as error:
                status = error.code
            except OSError as error:
                errors.append(f"{url}: {error}")
                return
            if status != 200:
                errors.append(f"{url}: HTTP {status}")
                return
            with lock:
                state["done"] += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(GUNICORN_CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    elapsed = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"gunicorn: {errors[0]}")
    return state["done"] / elapsed


def measure_gunicorn(env: dict[str, str], sessionid: str, scale: int) -> list[dict[str, Any]]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = start_gunicorn(env, port)
    results = []
    try:
        for name, url, has_target in pages():
            http_rate(base, url, sessionid, GUNICORN_WARM_SECONDS)  # warm up
            http_rate(base, HELLO, sessionid, GUNICORN_WARM_SECONDS)
            page_rates, hello_rates = alternate(
                lambda url=url: http_rate(base, url, sessionid, GUNICORN_BATCH_SECONDS),
                lambda: http_rate(base, HELLO, sessionid, GUNICORN_BATCH_SECONDS),
                pairs=PAIRS["gunicorn"],
            )
            ratio = median(page_rates) / median(hello_rates)
            log(f"  {name}: {median(page_rates):.1f} req/s, hello {median(hello_rates):.0f} req/s")
            results.append(
                {
                    "key": f"gunicorn_{url}_{scale}x",
                    "page": name,
                    "url": url,
                    "scale": scale,
                    "page_rps": median(page_rates),
                    "hello_rps": median(hello_rates),
                    "ratio": ratio,
                    "has_target": has_target,
                    "ok": ratio >= TARGET_PAGE if has_target else None,
                    "samples": {"page": page_rates, "hello": hello_rates},
                }
            )
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
    return results


def status(ok: bool | None) -> str:
    return "-" if ok is None else ("OK" if ok else "MISSED")


def summarise(results: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(measurement, result, target, status) rows, in the order they are printed."""
    rows: list[tuple[str, str, str, str]] = []
    for scale in SCALES:
        item = results["scales"][str(scale)]["pdf"]
        rows.append(
            (
                f"Appendix PDF {scale}x ({item['rows']} rows)",
                f"app {item['app_s']:.2f} s / bare WeasyPrint {item['bare_s']:.2f} s = {item['ratio']:.2f}x",
                f"<= {TARGET_PDF}x",
                status(item["ok"]),
            )
        )
    for scale in SCALES:
        item = results["scales"][str(scale)]["xlsx"]
        rows.append(
            (
                f"Appendix XLSX {scale}x ({item['cells']} cells)",
                f"app {item['app_s']:.3f} s / bare openpyxl {item['bare_s']:.3f} s = {item['ratio']:.2f}x",
                f"<= {TARGET_XLSX}x",
                status(item["ok"]),
            )
        )
    client = {(p["page"], scale): p for scale in SCALES for p in results["scales"][str(scale)]["pages"]}
    served = {p["page"]: p for p in results["gunicorn"]}
    for name, _, has_target in pages():
        target = f">= {TARGET_PAGE}x" if has_target else "(floor)"
        for scale in SCALES:
            item = client[(name, scale)]
            rows.append(
                (
                    f"{name} {scale}x, test client",
                    f"{item['page_rps']:.1f} req/s ({item['ms_per_request']:.1f} ms) / hello {item['hello_rps']:.0f} "
                    f"req/s = {item['ratio']:.3f}x",
                    target,
                    status(item["ok"]),
                )
            )
        item = served[name]
        rows.append(
            (
                f"{name} {item['scale']}x, gunicorn",
                f"{item['page_rps']:.1f} req/s / hello {item['hello_rps']:.0f} req/s = {item['ratio']:.3f}x",
                target,
                status(item["ok"]),
            )
        )
        counts = [client[(name, scale)]["queries"] for scale in SCALES]
        rows.append(
            (
                f"{name} SQL queries",
                " / ".join(f"{scale}x {count}" for scale, count in zip(SCALES, counts, strict=True)),
                "equal",
                status(len(set(counts)) == 1),
            )
        )
    for scale in SCALES:
        item = results["scales"][str(scale)]["cache"]
        rows.append(
            (f"Cached PDF download {scale}x", f"{item['ms']:.1f} ms", f"< {TARGET_CACHE_MS:.0f} ms", status(item["ok"]))
        )
    item = results["import"]
    rows.append(
        (
            f"Tracker import, {IMPORT_ROWS:,} rows",
            f"{item['seconds']:.1f} s, peak RSS {item['peak_rss_mb']:.0f} MB ({item['rss_before_mb']:.0f} MB before)",
            f"< {TARGET_IMPORT_S:.0f} s",
            status(item["ok"]),
        )
    )
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
        f"WeasyPrint {machine['weasyprint']}, openpyxl {machine['openpyxl']}; {results['seconds']:.0f} s in all.",
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


def orchestrate(profile: bool, keep: bool) -> dict[str, Any]:
    from bench import data

    started = time.perf_counter()
    results: dict[str, Any] = {"machine": machine(), "scales": {}}
    if profile:
        shutil.rmtree(PROFILE_DIR, ignore_errors=True)
    work = Path(tempfile.mkdtemp(prefix="recovery-bench-"))
    collect: subprocess.Popen[bytes] | None = None
    try:
        base = work / "base"
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
        dirs = {scale: work / f"scale-{scale}" for scale in SCALES}
        for scale, var_dir in dirs.items():
            copy_database(base, var_dir, static_var / "staticfiles")
            results["scales"][str(scale)] = {
                "data": json.loads(run_python(environment(var_dir), __file__, "generate", str(scale)))
            }
            log(f"  {scale}x: {results['scales'][str(scale)]['data']}")
        import_dir = work / "import"
        copy_database(base, import_dir, static_var / "staticfiles")
        tracker = data.write_tracker(work / "tracker-10000.xlsx", IMPORT_ROWS)
        _, stderr = collect.communicate(timeout=600)
        if collect.returncode != 0:
            raise RuntimeError(f"collectstatic failed:\n{stderr.decode()[-2000:]}")
        log(f"Prepared in {time.perf_counter() - started:.0f} s")

        for scale, var_dir in dirs.items():
            out = work / f"measure-{scale}.json"
            args = [__file__, "measure", str(scale), str(out)] + (["--profile"] if profile else [])
            run_python(environment(var_dir), *args, timeout=900)
            results["scales"][str(scale)].update(json.loads(out.read_text(encoding="utf-8")))
        scale = SCALES[-1]
        log(f"[{scale}x] pages through gunicorn (2 workers, {GUNICORN_CLIENTS} concurrent clients)")
        results["gunicorn"] = measure_gunicorn(
            environment(dirs[scale]), results["scales"][str(scale)].pop("sessionid"), scale
        )
        results["scales"][str(SCALES[0])].pop("sessionid", None)

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
    parser.add_argument("--profile", action="store_true", help="profile every missed target into var/bench/profiles/")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--keep", action="store_true", help="keep the temporary databases")
    sub = parser.add_subparsers(dest="worker")  # internal: the measurements inside one database
    generate = sub.add_parser("generate")
    generate.add_argument("scale", type=int)
    measure = sub.add_parser("measure")
    measure.add_argument("scale", type=int)
    measure.add_argument("out", type=Path)
    measure.add_argument("--profile", action="store_true")
    importing = sub.add_parser("import")
    importing.add_argument("tracker", type=Path)
    importing.add_argument("out", type=Path)
    importing.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    if args.worker == "generate":
        worker_generate(args.scale)
        return 0
    if args.worker == "measure":
        worker_measure(args.scale, args.out, args.profile)
        return 0
    if args.worker == "import":
        worker_import(args.tracker, args.out, args.profile)
        return 0

    results = orchestrate(args.profile, args.keep)
    rows = summarise(results)
    results["table"] = [dict(zip(("measurement", "result", "target", "status"), row, strict=True)) for row in rows]
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    (OUT_DIR / "latest.json").write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")
    text = markdown(results, rows)
    (OUT_DIR / "latest.md").write_text(text, encoding="utf-8")
    print(table(rows))
    missed = [row[0] for row in rows if row[3] == "MISSED"]
    print(f"\n{len(missed)} target(s) missed; {results['seconds']:.0f} s in all. Results: var/bench/latest.json")
    if update_readme(text):
        print("README.md updated (between the bench markers).")
    if args.profile:
        print("Profiles: var/bench/profiles/")
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
