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
