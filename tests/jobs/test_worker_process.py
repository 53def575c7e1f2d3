"""Real worker processes: one is SIGKILLed mid-job and the next finishes the job; the worker
`make run` starts is a single process that never outlives the recipe that started it."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def job_db(tmp_path_factory):
    """An SQLite database file that separate processes share, migrated once."""
    where = tmp_path_factory.mktemp("jobs-db")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.jobs_process_settings",
        "DATABASE_URL": f"sqlite:///{where / 'db.sqlite3'}",
        "DJANGO_MEDIA_ROOT": str(where / "media"),
    }
    env.pop("REDIS_URL", None)
    subprocess.run([PYTHON, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=300)
    return {"env": env, "db": where / "db.sqlite3", "dir": where}


def query(db: Path, sql: str, *params):
    with sqlite3.connect(db, timeout=20) as connection:
        return connection.execute(sql, params).fetchall()


def wait_for(condition, timeout: float = 60, message: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {message or condition}")


def start_worker(job_db) -> subprocess.Popen:
    return subprocess.Popen(
        [PYTHON, "manage.py", "run_jobs", "--interval", "0.2"],
        cwd=ROOT,
        env=job_db["env"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def children_of(pid: int) -> list[int]:
    children: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        children += [int(child) for child in (task / "children").read_text().split()]
    return children


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/status")
    return not (status.exists() and "zombie" in status.read_text())


def test_a_job_whose_worker_is_sigkilled_is_finished_by_the_next_worker(job_db):
    log = job_db["dir"] / "slow.log"
    submit = (
        "import django; django.setup();"
        "from recovery.jobs.services import job_submit;"
        f"print(job_submit(kind='test-slow', params={{'log': {str(log)!r}, 'seconds': 4}}).pk.hex)"
    )
    job_id = subprocess.run(
        [PYTHON, "-c", submit], cwd=ROOT, env=job_db["env"], check=True, capture_output=True, text=True, timeout=120
    ).stdout.strip()
    first = start_worker(job_db)
    try:
        wait_for(lambda: log.exists() and "started" in log.read_text(), message="the first worker to start the job")
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        assert query(job_db["db"], "SELECT status FROM jobs_job WHERE id = ?", job_id) == [("running",)]
        second = start_worker(job_db)
        try:
            wait_for(
                lambda: query(job_db["db"], "SELECT status FROM jobs_job WHERE id = ?", job_id)[0][0] == "succeeded",
                timeout=90,
                message="the second worker to finish the job",
            )
        finally:
            second.terminate()
            second.wait(timeout=30)
    finally:
        if first.poll() is None:
            first.kill()
    (attempts, worker) = query(job_db["db"], "SELECT attempts, worker FROM jobs_job WHERE id = ?", job_id)[0]
    assert attempts == 2
    assert f":{second.pid}:" in worker
    assert log.read_text().count("started") == 2


def make_run_worker_command() -> str:
    """The command `make run` starts the worker with (from make's dry run, nothing executed)."""
    dry_run = subprocess.run(
        ["make", "-n", "run"], cwd=ROOT, capture_output=True, text=True, check=True, timeout=60
    ).stdout
    worker = re.search(r"^\s*(\S+ manage\.py [^&\n]*)&", dry_run, re.MULTILINE)
    assert worker, dry_run
    return worker.group(1).strip()


def test_the_make_run_worker_is_one_process_and_dies_with_make_run(job_db):
    command = make_run_worker_command()
    recipe = subprocess.Popen(
        ["bash", "-c", f"{command} & echo $!; sleep 300"],
        cwd=ROOT,
        env=job_db["env"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        worker = int(recipe.stdout.readline())
        wait_for(
            lambda: query(job_db["db"], "SELECT count(*) FROM jobs_worker WHERE pid = ?", worker)[0][0] == 1,
            message="the worker to report in",
        )
        assert children_of(worker) == []  # no reloader parent with a child doing the work
        recipe.send_signal(signal.SIGKILL)  # even a recipe killed outright takes its worker along
        recipe.wait(timeout=10)
        wait_for(lambda: not alive(worker), timeout=15, message="the worker to stop with make run")
    finally:
        if recipe.poll() is None:
            recipe.kill()


def make_run_recipe(port: int) -> str:
    """The shell command `make run` runs last (the worker and the server), from make's dry run."""
    dry_run = subprocess.run(
        ["make", "-n", "run", f"PORT={port}"], cwd=ROOT, capture_output=True, text=True, check=True, timeout=60
    ).stdout
    start = dry_run.index(make_run_worker_command())
    return dry_run[start:]


def descendants_of(pid: int) -> list[int]:
    found = []
    for child in children_of(pid):
        found += [child, *descendants_of(child)]
    return found


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_sigterm_to_make_run_stops_the_server_and_the_worker(job_db, tmp_path):
    """`kill <pid of make>`: make passes SIGTERM on to the recipe's shell, which must stop the
    worker and the server at once (a shell waiting for a foreground server put off its trap, so
    nothing stopped until the server ended of its own accord)."""
    port = free_port()
    env = {**job_db["env"], "DJANGO_VAR_DIR": str(tmp_path), "DJANGO_DEBUG": "1"}
    recipe = subprocess.Popen(
        ["bash", "-c", make_run_recipe(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:

        def serving() -> bool:
            import urllib.error
            import urllib.request

            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                    return True
            except urllib.error.HTTPError:
                return True  # it answered
            except OSError:
                return False

        wait_for(serving, timeout=90, message="the development server to answer")
        processes = descendants_of(recipe.pid)
        assert len(processes) >= 2  # the worker and the server (and the server's reloader child)
        recipe.send_signal(signal.SIGTERM)  # what make does with the SIGTERM it is sent
        recipe.wait(timeout=15)
        wait_for(lambda: not any(alive(pid) for pid in processes), timeout=15, message="every process to stop")
        assert not serving()
    finally:
        if recipe.poll() is None:
            os.killpg(recipe.pid, signal.SIGKILL)
