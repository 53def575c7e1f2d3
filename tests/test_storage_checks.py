"""A missing or read-only data directory or database is a system check error and a clear message
when the app starts (gunicorn imports recovery.wsgi), not a 500 on every page.

Read-only is made real with the immutable attribute (``chattr +i``): the suite runs as root, for
whom permission bits do not stop a write, but an immutable file or directory does."""

from __future__ import annotations

import contextlib
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[1]


def environment(var_dir: Path, **overrides: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "PYTEST")) and key not in {"DATABASE_URL", "REDIS_URL"}
    }
    env.update(
        {
            "DJANGO_DEBUG": "1",
            "DJANGO_VAR_DIR": str(var_dir),
            "DJANGO_SETTINGS_MODULE": "recovery.settings",
            **overrides,
        }
    )
    return env


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=300, check=False
    )


@contextlib.contextmanager
def immutable(path: Path):
    """``path`` read-only even for root, for the duration."""
    subprocess.run(["chattr", "+i", str(path)], check=True)  # noqa: S603, S607
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)  # noqa: S603, S607


@pytest.fixture(scope="module")
def ready(tmp_path_factory):
    """A data directory with a migrated SQLite database, as `make migrate` leaves it."""
    var_dir = tmp_path_factory.mktemp("storage") / "var"
    var_dir.mkdir()
    done = run(["manage.py", "migrate", "--no-input", "-v0"], environment(var_dir))
    assert done.returncode == 0, done.stderr
    return var_dir


def test_a_missing_data_directory_is_a_check_error(tmp_path):
    missing = tmp_path / "nowhere" / "var"
    done = run(["manage.py", "check"], environment(missing))
    assert done.returncode != 0
    assert f"recovery.E001) The data directory {missing} does not exist" in done.stderr
    assert f"Create it (mkdir -p {missing})" in done.stderr


def test_the_app_refuses_to_start_without_its_data_directory(tmp_path):
    missing = tmp_path / "var"
    done = run(["-c", "import recovery.wsgi"], environment(missing))
    assert done.returncode == 3
    assert "The recovery plans app cannot start: its storage is not usable." in done.stderr
    assert f"recovery.E001: The data directory {missing} does not exist" in done.stderr
    assert "Traceback" not in done.stderr


def test_production_without_collected_static_files_refuses_to_start(ready):
    env = environment(ready, DJANGO_DEBUG="0", DJANGO_SECRET_KEY=secrets.token_urlsafe(50))
    done = run(["-c", "import recovery.wsgi"], env)
    assert done.returncode == 3
    assert "recovery.E004: The static files have not been collected" in done.stderr
    assert "Run `manage.py collectstatic --no-input`" in done.stderr


def test_a_read_only_data_directory_is_a_check_error(ready):
    with immutable(ready):
        done = run(["manage.py", "check"], environment(ready))
    assert done.returncode != 0
    assert f"recovery.E001) The data directory {ready} is read-only for this process" in done.stderr


def test_a_read_only_sqlite_database_is_a_check_error_and_no_start(ready):
    database = ready / "db.sqlite3"
    with immutable(database):
        checked = run(["manage.py", "check", "--database", "default"], environment(ready))
        started = run(["-c", "import recovery.wsgi"], environment(ready))
    assert checked.returncode != 0
    assert f"recovery.E010) The SQLite database {database} is read-only for this process" in checked.stderr
    assert started.returncode == 3
    assert "nobody could sign in or save" in started.stderr


def test_a_healthy_data_directory_passes(ready):
    done = run(["manage.py", "check", "--database", "default"], environment(ready))
    assert done.returncode == 0, done.stderr
    started = run(["-c", "import recovery.wsgi"], environment(ready))
    assert started.returncode == 0, started.stderr


def test_a_read_only_postgresql_database_is_a_check_error(tmp_path):
    """A standby, or a server set to refuse writes (as CI's PostgreSQL is made to here)."""
    url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    if not url.startswith("postgres"):
        url = "postgres://postgres@127.0.0.1:5432/postgres"
    # The server's own maintenance database: the suite's database name need not exist outside
    # the test run (pytest-django creates test_<name>, not <name>).
    url = url.split("?", 1)[0].rsplit("/", 1)[0] + "/postgres"
    separator = "&" if "?" in url else "?"
    read_only = f"{url}{separator}options=-c%20default_transaction_read_only%3Don"
    (tmp_path / "var").mkdir()
    done = run(["manage.py", "check", "--database", "default"], environment(tmp_path / "var", DATABASE_URL=read_only))
    assert done.returncode != 0, done.stdout + done.stderr
    assert "recovery.E010) The PostgreSQL database is read-only" in done.stderr


def test_opening_the_file_cache_does_not_recreate_a_missing_data_directory(tmp_path, settings):
    """Django runs system checks in no fixed order, and its own cache check opens the cache:
    Django's file cache then created the missing data directory before the storage check looked,
    so ``manage.py check`` passed on some runs (seen in CI). The storage check must see the
    directory as the app found it, whichever check runs first."""
    from django.core.cache import caches

    from recovery.checks import data_directories

    missing = tmp_path / "nowhere" / "var"
    settings.VAR_DIR = missing
    settings.MEDIA_ROOT = missing / "media"
    settings.CACHES = {
        "default": {"BACKEND": "recovery.filecache.FileCache", "LOCATION": str(missing / "cache")},
    }
    cache = caches["default"]  # as Django's check_file_based_cache_is_absolute does
    assert cache.get("anything") is None
    assert not missing.exists()
    assert [error.id for error in data_directories()][:1] == ["recovery.E001"]
    cache.set("key", "value")  # the first write creates it, as before
    assert cache.get("key") == "value"


@pytest.mark.parametrize(
    "command", [["migrate", "--no-input"], ["load_demo"], ["runserver", "--noreload", "127.0.0.1:0"]]
)
def test_commands_that_open_the_database_say_the_data_directory_is_missing(tmp_path, command):
    # `make run` with DJANGO_VAR_DIR pointing nowhere: a few lines naming the problem, not
    # Django's "unable to open database file" traceback.
    missing = tmp_path / "nowhere" / "var"
    done = run(["manage.py", *command], environment(missing))
    assert done.returncode != 0
    assert f"The data directory {missing} does not exist" in done.stderr
    assert "Traceback" not in done.stderr
