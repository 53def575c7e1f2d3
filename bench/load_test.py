"""Load test: real gunicorn processes on 127.0.0.1, concurrent clients saving and reading.

    .venv/bin/python bench/load_test.py            # SQLite, PostgreSQL, and two instances on PostgreSQL + Redis
    .venv/bin/python bench/load_test.py --only sqlite

Each of 16 clients signs in as finance (its own session) and does 50 operations, alternating a
save of its own scheme's year-to-date actual (with the version it last saw, as the grid form
does) and a read of the whole scheme grid. Afterwards the database is checked: every save that
got a success response must be there (the final figure, the version and the history count), so
a lost write is counted, not guessed. Bounded: every request has a timeout and the run stops
after a fixed number of operations. Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
CLIENTS = 16
OPERATIONS = 50
PASSWORD = "load-test-password-2026"  # noqa: S105 - a throwaway database
YEAR, QUARTER = "2012-13", "Q2"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ClientResult:
    saves_ok: int = 0
    reads_ok: int = 0
    errors: list[str] = field(default_factory=list)
    last_value: int | None = None
    latencies: list[float] = field(default_factory=list)


def environment(var_dir: Path, database_url: str | None, redis_url: str | None) -> dict[str, str]:
    env = {
        key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL"))
    }
    env.update(
        {
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": "load-test-secret-key-not-for-production-0123456789abcdef",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_SSL_REDIRECT": "0",
            "DJANGO_SECURE_COOKIES": "0",
            "DJANGO_HSTS_SECONDS": "0",
            "DJANGO_VAR_DIR": str(var_dir),
            "DJANGO_LOG_LEVEL": "WARNING",
            "AXES_FAILURE_LIMIT": "1000",
        }
    )
    if database_url:
        env["DATABASE_URL"] = database_url
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def manage(env: dict[str, str], *args: str) -> str:
    """Run one of this project's manage.py commands and return what it printed."""
    done = subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    return done.stdout


def prepare(env: dict[str, str]) -> list[int]:
    """Migrate a fresh database, load the demo data and a finance user; return the schemes to edit."""
    manage(env, "migrate", "--no-input", "-v0")
    manage(env, "collectstatic", "--no-input", "-v0")
    manage(env, "load_demo", "--force")
    script = (
        "from django.contrib.auth.models import User\n"
        f"u = User.objects.get(username='finance'); u.set_password({PASSWORD!r}); u.save()\n"
        "from monitoring.models import Scheme\n"
        "schemes = Scheme.objects.filter(financial_year=2012, is_unallocated=False).order_by('pk')\n"
        f"print(','.join(str(s.pk) for s in schemes[:{CLIENTS}]))\n"
    )
    return [int(pk) for pk in manage(env, "shell", "-v0", "-c", script).strip().split(",")]


def start_gunicorn(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [GUNICORN, "-c", "python:recovery.gunicorn", "recovery.wsgi"],
        cwd=ROOT,
        env={**env, "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": "4", "GUNICORN_LOG_LEVEL": "warning"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=2)
            return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("gunicorn did not start")


class Browser:
    def __init__(self, bases: list[str]) -> None:
        self.bases = bases
        self.turn = 0
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect())

    def base(self) -> str:
        self.turn += 1
        return self.bases[self.turn % len(self.bases)]

    def csrf(self) -> str:
        return next((cookie.value for cookie in self.jar if cookie.name == "csrftoken"), "") or ""

    def request(self, url: str, data: dict[str, str] | None = None) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(url, data=body)
        if data is not None:
            request.add_header("Referer", url)
            request.add_header("X-CSRFToken", self.csrf())
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode("utf-8", "replace")

    def login(self) -> None:
        base = self.bases[0]
        self.request(f"{base}/accounts/login/")
        status, _ = self.request(
            f"{base}/accounts/login/",
            {"username": "finance", "password": PASSWORD, "csrfmiddlewaretoken": self.csrf()},
        )
        if status != 302:
            raise RuntimeError(f"login failed: {status}")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


def client(number: int, scheme_pk: int, bases: list[str], result: ClientResult) -> None:
    browser = Browser(bases)
    try:
        browser.login()
    except Exception as error:
        result.errors.append(f"login: {error}")
        return
    version: int | None = None
    row_url = f"/monitoring/{YEAR}/{QUARTER}/schemes/{scheme_pk}/"
    for operation in range(OPERATIONS):
        base = browser.base()
        started = time.perf_counter()
        if operation % 2 == 0:
            if version is None:
                status, page = browser.request(base + row_url)
                match = re.search(r'name="version" value="(\d+)"', page)
                version = int(match.group(1)) if match else None
            value = number * 100_000 + operation
            form = {
                "ytd_actual": str(value),
                "version": "" if version is None else str(version),
                "csrfmiddlewaretoken": browser.csrf(),
            }
            status, page = browser.request(base + row_url, form)
            if status == 302:
                result.saves_ok += 1
                result.last_value = value
                version = (version or 0) + 1
            else:
                result.errors.append(f"save {operation}: HTTP {status}")
                version = None
        else:
            status, page = browser.request(f"{base}/monitoring/{YEAR}/{QUARTER}/schemes/")
            if status == 200 and "Savings schemes" in page:
                result.reads_ok += 1
            else:
                result.errors.append(f"read {operation}: HTTP {status}")
        result.latencies.append(time.perf_counter() - started)


def check(env: dict[str, str], schemes: list[int], results: list[ClientResult]) -> int:
    """Lost writes: a save that was acknowledged but is not in the database."""
    expected = {pk: (result.last_value, result.saves_ok) for pk, result in zip(schemes, results, strict=True)}
    script = (
        "import json\nfrom monitoring.models import SchemeQuarter\n"
        f"rows = SchemeQuarter.objects.filter(scheme_id__in={schemes!r}, quarter=2)\n"
        "print(json.dumps({r.scheme_id: [int(r.ytd_actual or 0), r.version, r.history.count()] for r in rows}))\n"
    )
    stored = {int(pk): values for pk, values in json.loads(manage(env, "shell", "-v0", "-c", script)).items()}
    lost = 0
    for pk, (last_value, saves) in expected.items():
        value, version, history = stored[pk]
        if saves and value != last_value:
            lost += 1
        # Seeded at version 1 with one history record: every acknowledged save adds one of each.
        lost += max(0, (1 + saves) - version) + max(0, (1 + saves) - history)
    return lost


def run(name: str, *, database_url: str | None, redis_url: str | None, instances: int) -> dict[str, object]:
    var_dir = Path(tempfile.mkdtemp(prefix=f"recovery-load-{name}-"))
    env = environment(var_dir, database_url, redis_url)
    processes = []
    try:
        schemes = prepare(env)
        ports = [free_port() for _ in range(instances)]
        processes = [start_gunicorn(env, port) for port in ports]
        bases = [f"http://127.0.0.1:{port}" for port in ports]
        results = [ClientResult() for _ in schemes]
        threads = [
            threading.Thread(target=client, args=(number, pk, bases, results[number]))
            for number, pk in enumerate(schemes)
        ]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        elapsed = time.perf_counter() - started
        errors = [error for result in results for error in result.errors]
        lost = check(env, schemes, results)
        latencies = sorted(latency for result in results for latency in result.latencies)
        return {
            "name": name,
            "instances": instances,
            "clients": len(schemes),
            "operations": sum(len(result.latencies) for result in results),
            "saves": sum(result.saves_ok for result in results),
            "reads": sum(result.reads_ok for result in results),
            "errors": len(errors),
            "lost_writes": lost,
            "seconds": round(elapsed, 2),
            "requests_per_second": round(sum(len(r.latencies) for r in results) / elapsed, 1),
            "median_ms": round(1000 * latencies[len(latencies) // 2], 1) if latencies else None,
            "p95_ms": round(1000 * latencies[int(len(latencies) * 0.95)], 1) if latencies else None,
            "first_errors": errors[:5],
        }
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(var_dir, ignore_errors=True)


def postgres_database(name: str) -> str:
    import psycopg

    admin = os.environ.get("PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    return admin.rsplit("/", 1)[0] + "/" + name


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", choices=["sqlite", "postgres", "scale-out"])
    args = parser.parse_args()
    runs = []
    if args.only in (None, "sqlite"):
        runs.append(run("sqlite", database_url=None, redis_url=None, instances=1))
    if args.only in (None, "postgres"):
        runs.append(run("postgres", database_url=postgres_database("recovery_load"), redis_url=None, instances=1))
    if args.only in (None, "scale-out"):
        redis = os.environ.get("LOAD_REDIS_URL", "redis://127.0.0.1:6379/15")
        runs.append(run("scale-out", database_url=postgres_database("recovery_load2"), redis_url=redis, instances=2))
    row = "{:<10} {:>4} {:>7} {:>5} {:>5} {:>5} {:>6} {:>4} {:>7} {:>9} {:>7}"
    print(
        row.format("run", "inst", "clients", "ops", "saves", "reads", "errors", "lost", "req/s", "median ms", "p95 ms")
    )
    keys = ("name", "instances", "clients", "operations", "saves", "reads", "errors", "lost_writes")
    keys += ("requests_per_second", "median_ms", "p95_ms")
    for item in runs:
        print(row.format(*(item[key] for key in keys)))
        for error in item["first_errors"]:  # type: ignore[attr-defined]
            print(f"  {item['name']}: {error}")
    out = ROOT / "var" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / "load.json").write_text(json.dumps(runs, indent=2))
    failed = [item["name"] for item in runs if item["errors"] or item["lost_writes"]]
    if failed:
        print(f"FAILED: errors or lost writes in {', '.join(failed)}", file=sys.stderr)
        return 1
    print(f"{len(runs)} passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
