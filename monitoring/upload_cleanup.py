"""Uploads that were previewed and never imported: deleted once nobody can come back to them.

A tracker or Word upload is kept in storage (local or S3) between its preview and the import,
under ``tracker-uploads/`` and ``plan-uploads/``, with the problems CSV and a background check's
preview beside it. A preview nobody confirms would stay for ever; ``manage.py clean_uploads``
(daily, from cron) deletes what is older than a signed-in session can last, so no preview that
could still be confirmed loses its file, and keeps the upload of any background job that has
not finished.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.storage import default_storage
from django.utils import timezone

from monitoring.jobs import TRACKER_JOBS, upload_name
from recovery.jobs.models import Job

UPLOAD_FOLDERS = ("tracker-uploads", "plan-uploads")


def oldest_kept() -> timedelta:
    """How long an upload is kept: a session's length (a preview cannot outlive the session
    that holds its token), and never less than a day."""
    return max(timedelta(seconds=settings.SESSION_COOKIE_AGE), timedelta(days=1))


@dataclass
class Cleanup:
    deleted: list[str] = field(default_factory=list)
    kept: int = 0
    failed: list[str] = field(default_factory=list)


def _in_use() -> set[str]:
    """The uploads of background tracker jobs that have not finished."""
    unfinished = Job.objects.filter(kind__in=TRACKER_JOBS, status__in=Job.ACTIVE)
    return {upload_name(str(params.get("token", ""))) for params in unfinished.values_list("params", flat=True)}


def uploads_clean(*, older_than: timedelta | None = None, now: datetime | None = None) -> Cleanup:
    """Delete the stored uploads (and their CSVs and previews) last written more than
    ``older_than`` ago (default: oldest_kept()), except those a running job still needs."""
    cutoff = (now or timezone.now()) - (older_than if older_than is not None else oldest_kept())
    in_use = _in_use()
    run = Cleanup()
    for folder in UPLOAD_FOLDERS:
        try:
            _dirs, files = default_storage.listdir(folder)
        except FileNotFoundError:
            continue
        for file_name in files:
            name = f"{folder}/{file_name}"
            try:
                if name in in_use or default_storage.get_modified_time(name) >= cutoff:
                    run.kept += 1
                    continue
                default_storage.delete(name)
            except OSError as error:
                run.failed.append(f"{name}: {error}")
                continue
            run.deleted.append(name)
    return run
