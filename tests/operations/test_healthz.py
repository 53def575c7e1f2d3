"""/healthz for monitoring (issue 17): database, cache, storage and worker; no sign-in; no secrets."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from recovery.jobs.models import Worker
from recovery.jobs.services import run_worker

pytestmark = pytest.mark.django_db

WHO = ["anonymous", "manager", "finance", "executive", "administrator"]
# URL name -> the status each user gets (a working site with a worker running).
MATRIX = {"healthz": dict.fromkeys(WHO, 200)}


@pytest.fixture
def worker_running(settings):
    settings.JOBS_RUN_IMMEDIATELY = False
    run_worker(once=True, manage_connections=False)


@pytest.mark.parametrize("who", WHO)
def test_permission_matrix(client, request, worker_running, who):
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    response = client.get("/healthz")
    assert response.status_code == MATRIX["healthz"][who]
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_all_well(client, worker_running):
    body = client.get("/healthz").json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "cache", "storage", "worker"}
    assert all(check["ok"] for check in body["checks"].values())
    assert body["checks"]["worker"]["seconds_ago"] <= 5


def test_no_worker_seen_for_a_while_is_a_failure(client, settings, worker_running):
    Worker.objects.update(last_seen=timezone.now() - timedelta(seconds=settings.JOBS_WORKER_MISSING_SECONDS + 30))
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["worker"]
    assert body["checks"]["worker"]["seconds_ago"] >= settings.JOBS_WORKER_MISSING_SECONDS + 30


def test_never_a_worker_is_a_failure(client, settings):
    settings.JOBS_RUN_IMMEDIATELY = False
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["worker"] == {"ok": False, "last_seen": None, "seconds_ago": None}


SECRET = "s3cr3t-password-in-a-url"


@pytest.mark.parametrize("part", ["cache", "storage", "database"])
def test_a_broken_part_is_named_without_its_secrets(client, monkeypatch, worker_running, part):
    def broken(*args, **kwargs):
        raise ConnectionError(f"redis://admin:{SECRET}@cache.internal:6379 refused")

    if part == "cache":
        monkeypatch.setattr("recovery.operations.views.cache.set", broken)
    elif part == "storage":
        monkeypatch.setattr("recovery.operations.views.default_storage.exists", broken)
    else:
        monkeypatch.setattr(connection, "cursor", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    # Without the database the worker's heartbeat cannot be read either.
    assert body["failing"] == ([part, "worker"] if part == "database" else [part])
    assert body["checks"][part] == {"ok": False, "error": "ConnectionError"}
    assert SECRET not in response.content.decode()
    assert "internal" not in response.content.decode()


def test_it_tells_nothing_about_the_configuration(client, settings, worker_running):
    text = client.get("/healthz").content.decode()
    for secret in (settings.SECRET_KEY, str(settings.MEDIA_ROOT), settings.DATABASES["default"]["NAME"]):
        assert str(secret) not in text


def test_a_storage_that_cannot_be_written_is_a_failure(client, settings, worker_running, tmp_path):
    """The attachments' folder is gone (its path now runs through a file): uploads would fail,
    so /healthz must say so (a look-up of a missing name said all was well)."""
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the folder was")
    settings.MEDIA_ROOT = str(blocked / "media")
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["storage"]


def test_the_storage_probe_leaves_nothing_behind(client, settings, worker_running, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    for _ in range(3):
        assert client.get("/healthz").status_code == 200
    assert [path for path in (tmp_path / "media").rglob("*") if path.is_file()] == []
