"""/healthz: for the council's monitoring. Reachable without signing in; says only whether each
part works (never a host name, a setting or an error's text)."""

from __future__ import annotations

import logging
import secrets
from typing import Any

from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from recovery.jobs.services import worker_is_running, worker_last_seen

logger = logging.getLogger(__name__)


def _database() -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"ok": True}


def _cache() -> dict[str, Any]:
    key, value = "healthz-probe", secrets.token_hex(8)
    cache.set(key, value, 30)
    return {"ok": cache.get(key) == value}


def _storage() -> dict[str, Any]:
    """Write a small file, read it back and delete it (a file system or S3): a storage that is
    gone, full or read-only fails here, not at the next upload."""
    content = secrets.token_hex(8).encode()
    name = default_storage.save(f"healthz/probe-{secrets.token_hex(8)}", ContentFile(content))
    try:
        with default_storage.open(name, "rb") as handle:
            return {"ok": handle.read() == content}
    finally:
        default_storage.delete(name)


def _worker() -> dict[str, Any]:
    last_seen = worker_last_seen()
    return {
        "ok": worker_is_running(),
        "last_seen": last_seen.isoformat() if last_seen else None,
        "seconds_ago": round((timezone.now() - last_seen).total_seconds()) if last_seen else None,
    }


CHECKS = {"database": _database, "cache": _cache, "storage": _storage, "worker": _worker}


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 with ``"status": "ok"`` when every part works; 503 naming the parts that do not."""
    results: dict[str, dict[str, Any]] = {}
    for name, check in CHECKS.items():
        try:
            results[name] = check()
        except Exception as error:
            logger.warning("Health check %s failed: %s", name, type(error).__name__, exc_info=True)
            results[name] = {"ok": False, "error": type(error).__name__}
    failing = [name for name, result in results.items() if not result["ok"]]
    body = {"status": "failing" if failing else "ok", "failing": failing, "checks": results}
    return JsonResponse(body, status=503 if failing else 200)
