"""Large savings trackers, checked and then imported by the background worker (recovery.jobs).

A tracker of more than ``TRACKER_BACKGROUND_ROWS`` rows (counted cheaply in the file, see
``monitoring.tracker.count_rows``) is not read in the request: the upload is stored and a
``tracker-check`` job previews it, reporting rows read and checked; its preview (the counts,
every change, the problems summarised: counts by kind, the first ``SHOWN``, all of them as CSV)
is stored beside the upload for the status page to show. Confirming queues a ``tracker-import``
job that writes, reporting rows read, checked and written; the status page then shows what was
imported, or the new preview when something changed since the first.

Only the finance officer (or administrator) who uploaded the file sees its jobs.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from monitoring.import_changes import FieldChange, SchemeChange
from monitoring.import_problems import SHOWN, KindCount, kinds, problems_csv
from monitoring.imports import ImportSummary, tracker_import, tracker_importer_check, tracker_preview
from monitoring.tracker import Problem, TrackerUnreadable, count_rows, progress_percent
from recovery.jobs.models import Job
from recovery.jobs.services import JobContext, job_get, job_kind, job_submit

TRACKER_CHECK = "tracker-check"
TRACKER_IMPORT = "tracker-import"
TRACKER_JOBS = (TRACKER_CHECK, TRACKER_IMPORT)


def upload_name(token: str) -> str:
    return f"tracker-uploads/{token}.xlsx"


def problems_name(token: str) -> str:
    return f"tracker-uploads/{token}-problems.csv"


def _page_name(job_id: UUID | str) -> str:
    return f"tracker-uploads/job-{job_id}-preview.json"


def tracker_rows(data: bytes) -> int:
    """The rows of the workbook, counted without reading it (an upper bound; 0 if unreadable)."""
    return count_rows(data)


def tracker_is_large(data: bytes) -> bool:
    """Is the tracker checked and imported in the background (more rows than the setting)?"""
    return tracker_rows(data) > settings.TRACKER_BACKGROUND_ROWS


# The preview as a page shows it: problems summarised, never all of them.


@dataclass
class PreviewPage:
    """A preview for the page: ``summary.errors`` and ``summary.warnings`` hold only the first
    SHOWN of each; the counts, the kinds and the CSV (``problems_token``) cover them all."""

    summary: ImportSummary
    error_count: int
    warning_count: int
    error_kinds: list[KindCount]
    warning_kinds: list[KindCount]
    problems_token: str = ""


def preview_page(summary: ImportSummary) -> PreviewPage:
    """Summarise a preview's problems for the page and store every one of them as CSV (the
    page's download) when there are any."""
    problems_token = ""
    if summary.errors or summary.warnings:
        problems_token = secrets.token_hex(16)
        default_storage.save(
            problems_name(problems_token),
            ContentFile(problems_csv(errors=summary.errors, warnings=summary.warnings)),
        )
    shown = ImportSummary(
        new=summary.new,
        updated=summary.updated,
        unchanged=summary.unchanged,
        new_service_areas=list(summary.new_service_areas),
        errors=summary.errors[:SHOWN],
        warnings=summary.warnings[:SHOWN],
        committed=summary.committed,
        changes=summary.changes,
        skipped=summary.skipped,
        fingerprint=summary.fingerprint,
        stale=summary.stale,
    )
    return PreviewPage(
        summary=shown,
        error_count=len(summary.errors),
        warning_count=len(summary.warnings),
        error_kinds=kinds(summary.errors),
        warning_kinds=kinds(summary.warnings),
        problems_token=problems_token,
    )


def _problem_dump(problem: Problem) -> dict[str, Any]:
    return {
        "message": problem.message,
        "sheet": problem.sheet,
        "row": problem.row,
        "column": problem.column,
        "value": problem.value,
    }


def _page_dump(page: PreviewPage) -> dict[str, Any]:
    summary = page.summary
    return {
        "new": summary.new,
        "updated": summary.updated,
        "unchanged": summary.unchanged,
        "skipped": summary.skipped,
        "new_service_areas": summary.new_service_areas,
        "fingerprint": summary.fingerprint,
        "stale": summary.stale,
        "errors": [_problem_dump(problem) for problem in summary.errors],
        "warnings": [_problem_dump(problem) for problem in summary.warnings],
        "error_count": page.error_count,
        "warning_count": page.warning_count,
        "error_kinds": [[item.kind, item.count] for item in page.error_kinds],
        "warning_kinds": [[item.kind, item.count] for item in page.warning_kinds],
        "problems_token": page.problems_token,
        "changes": [
            {
                "key": change.key,
                "title": change.title,
                "service_area": change.service_area,
                "year": change.year,
                "rows": change.rows,
                "new": change.new,
                "changes": [
                    [
                        item.where,
                        item.name,
                        item.old,
                        item.new,
                        item.edited_by,
                        item.edited_at.isoformat() if item.edited_at else None,
                        item.imported_before,
                    ]
                    for item in change.changes
                ],
            }
            for change in summary.changes
        ],
    }


def _page_load(data: dict[str, Any]) -> PreviewPage:
    summary = ImportSummary(
        new=data["new"],
        updated=data["updated"],
        unchanged=data["unchanged"],
        skipped=data["skipped"],
        new_service_areas=data["new_service_areas"],
        fingerprint=data["fingerprint"],
        stale=data["stale"],
        errors=[Problem(**item) for item in data["errors"]],
        warnings=[Problem(**item) for item in data["warnings"]],
        changes=[
            SchemeChange(
                key=change["key"],
                title=change["title"],
                service_area=change["service_area"],
                year=change["year"],
                rows=change["rows"],
                new=change["new"],
                changes=[
                    FieldChange(where, name, old, new, by, datetime.fromisoformat(at) if at else None, before)
                    for where, name, old, new, by, at, before in change["changes"]
                ],
            )
            for change in data["changes"]
        ],
    )
    return PreviewPage(
        summary=summary,
        error_count=data["error_count"],
        warning_count=data["warning_count"],
        error_kinds=[KindCount(kind, count) for kind, count in data["error_kinds"]],
        warning_kinds=[KindCount(kind, count) for kind, count in data["warning_kinds"]],
        problems_token=data["problems_token"],
    )


def _store_page(job: Job, summary: ImportSummary) -> PreviewPage:
    page = preview_page(summary)
    name = _page_name(job.pk)
    if default_storage.exists(name):  # a repeated attempt of the job
        default_storage.delete(name)
    default_storage.save(name, ContentFile(json.dumps(_page_dump(page)).encode()))
    return page


def tracker_job_page(job: Job) -> PreviewPage | None:
    """The preview a finished job stored (None when it has none, or it has expired)."""
    name = _page_name(job.pk)
    if not default_storage.exists(name):
        return None
    with default_storage.open(name, "rb") as handle:
        return _page_load(json.loads(handle.read()))


def _upload(token: str) -> bytes:
    name = upload_name(token)
    if not default_storage.exists(name):
        raise FileNotFoundError("The uploaded file has expired: upload it again.")
    with default_storage.open(name, "rb") as handle:
        data: bytes = handle.read()
    return data


# The jobs


@job_kind(TRACKER_CHECK, max_attempts=2)
def check_tracker(ctx: JobContext) -> dict[str, Any]:
    """Preview a stored upload (nothing is written but the preview): safe to run again."""
    data = _upload(ctx.params["token"])
    try:
        summary = tracker_preview(source=data, progress=ctx.progress)
    except TrackerUnreadable as error:
        return {"outcome": "unreadable", "message": str(error)}
    page = _store_page(ctx.job, summary)
    return {"outcome": "preview", "ok": summary.ok, "errors": page.error_count, "warnings": page.warning_count}


# One attempt: the import is one transaction, so a worker that dies part-way wrote nothing, and
# the page says so rather than importing behind finance's back when a worker next starts.
@job_kind(TRACKER_IMPORT, max_attempts=1)
def import_tracker(ctx: JobContext) -> dict[str, Any]:
    """Import a stored upload that finance previewed and confirmed: the schemes left ticked,
    and only if the changes are still those previewed (otherwise the new preview is stored)."""
    token = ctx.params["token"]
    data = _upload(token)
    user = User.objects.get(pk=ctx.params["user_id"])
    try:
        summary = tracker_import(
            source=data,
            user=user,
            only=set(ctx.params["only"]),
            expected_fingerprint=ctx.params["fingerprint"],
            progress=ctx.progress,
        )
    except TrackerUnreadable as error:
        return {"outcome": "unreadable", "message": str(error)}
    if summary.stale:
        _store_page(ctx.job, tracker_preview(source=data))
        return {"outcome": "stale"}
    if not summary.committed:
        _store_page(ctx.job, summary)
        return {"outcome": "errors"}
    default_storage.delete(upload_name(token))
    return {
        "outcome": "imported",
        "new": summary.new,
        "updated": summary.updated,
        "unchanged": summary.unchanged,
        "skipped": summary.skipped,
    }


# Services for the views


def tracker_check_submit(*, user: User, data: bytes, filename: str) -> tuple[Job, str]:
    """Store a large upload and queue its check; returns the job and the upload's token."""
    tracker_importer_check(user=user)
    token = secrets.token_hex(16)
    default_storage.save(upload_name(token), ContentFile(data))
    job = job_submit(
        kind=TRACKER_CHECK,
        params={"token": token, "filename": filename[:200], "rows": tracker_rows(data)},
        key=token,
        user=user,
    )
    return job, token


def tracker_import_submit(*, user: User, token: str, only: set[str], fingerprint: str, rows: int) -> Job:
    """Queue the import of a previewed upload (the same confirm twice: the same job)."""
    tracker_importer_check(user=user)
    return job_submit(
        kind=TRACKER_IMPORT,
        params={"token": token, "user_id": user.pk, "only": sorted(only), "fingerprint": fingerprint, "rows": rows},
        key=token,
        user=user,
    )


def tracker_job_for(*, job_id: str, user: User) -> Job | None:
    """A tracker job of ``user``'s (None for anyone else's, or an unknown id)."""
    tracker_importer_check(user=user)
    job = job_get(job_id)
    if job is None or job.kind not in TRACKER_JOBS or job.created_by_id != user.pk:
        return None
    return job


@dataclass(frozen=True)
class JobProgress:
    """Rows read, checked and written so far, of about ``rows`` (the status page's figures)."""

    rows: int
    read: int
    checked: int
    written: int
    writes: bool  # the import job (the check job writes nothing)

    @property
    def percent(self) -> int:
        return progress_percent(
            rows=self.rows, read=self.read, checked=self.checked, written=self.written, writes=self.writes
        )


def tracker_job_progress(job: Job) -> JobProgress:
    counts = job.progress or {}
    # The file's rows counted in the XML include the header row.
    rows = max(int(job.params.get("rows", 0)) - 1, 0)
    return JobProgress(
        rows=rows,
        read=int(counts.get("read", 0)),
        checked=int(counts.get("checked", 0)),
        written=int(counts.get("written", 0)),
        writes=job.kind == TRACKER_IMPORT,
    )
