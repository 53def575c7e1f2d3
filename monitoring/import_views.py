"""Importing a tracker in the browser: upload, see the preview, then confirm (one transaction)."""

from __future__ import annotations

import re
import secrets
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRefresh

from monitoring import imports, jobs
from monitoring.figures import AMOUNT_FIGURES
from monitoring.import_forms import TrackerUploadForm
from monitoring.import_problems import SHOWN
from monitoring.imports import ImportSummary, tracker_import, tracker_importer_check, tracker_preview
from monitoring.tracker import LABELS, MAX_BYTES, TrackerUnreadable
from recovery.jobs.services import worker_is_running
from recovery.viewtools import current_user

SESSION_KEY = "tracker_uploads"
PROBLEMS_SESSION_KEY = "tracker_problem_reports"
TOKEN = re.compile(r"^[0-9a-f]{32}$")
FINGERPRINT = re.compile(r"^[0-9a-f]{64}$")


def _stored_name(token: str) -> str:
    return jobs.upload_name(token)


def _problems_name(token: str) -> str:
    return jobs.problems_name(token)


def _page_context(request: HttpRequest, page: jobs.PreviewPage) -> dict[str, object]:
    """The preview page's context; the CSV of every problem is this session's to download."""
    if page.problems_token:
        request.session[PROBLEMS_SESSION_KEY] = [
            *request.session.get(PROBLEMS_SESSION_KEY, [])[-4:],
            page.problems_token,
        ]
    return {
        "summary": page.summary,
        "shown": SHOWN,
        "shown_errors": page.summary.errors,
        "shown_warnings": page.summary.warnings,
        "error_count": page.error_count,
        "warning_count": page.warning_count,
        "error_kinds": page.error_kinds,
        "warning_kinds": page.warning_kinds,
        "problems_token": page.problems_token,
    }


def _preview_context(request: HttpRequest, summary: ImportSummary) -> dict[str, object]:
    """The preview's summary of problems: counts by kind, the first SHOWN of each listed, and
    (when there are any) every one of them stored as CSV for this session to download."""
    return _page_context(request, jobs.preview_page(summary))


def _remember_upload(request: HttpRequest, token: str) -> None:
    request.session[SESSION_KEY] = [*request.session.get(SESSION_KEY, [])[-4:], token]


@login_required
@require_http_methods(["GET", "POST"])
def tracker_upload(request: HttpRequest) -> HttpResponse:
    tracker_importer_check(user=current_user(request))
    form = TrackerUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if (upload.size or 0) > MAX_BYTES:
            form.add_error("file", f"The file is larger than the {MAX_BYTES // (1024 * 1024)} MB limit.")
        else:
            data = upload.read()
            if jobs.tracker_is_large(data):
                # Too large to check while the browser waits: the worker checks it.
                job, token = jobs.tracker_check_submit(user=current_user(request), data=data, filename=upload.name)
                _remember_upload(request, token)
                return redirect("monitoring:tracker_job", job_id=job.pk)
            try:
                summary = tracker_preview(source=data)
            except TrackerUnreadable as error:
                form.add_error("file", str(error))
            else:
                token = ""
                if summary.ok:
                    token = secrets.token_hex(16)
                    default_storage.save(_stored_name(token), ContentFile(data))
                    _remember_upload(request, token)
                return render(
                    request,
                    "monitoring/tracker_preview.html",
                    {**_preview_context(request, summary), "token": token, "filename": upload.name},
                    status=200 if summary.ok else 400,
                )
    return render(
        request,
        "monitoring/tracker_upload.html",
        {"form": form, "labels": LABELS, "figures": AMOUNT_FIGURES},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def tracker_confirm(request: HttpRequest, token: str) -> HttpResponse:
    tracker_importer_check(user=current_user(request))
    if not TOKEN.match(token) or token not in request.session.get(SESSION_KEY, []):
        messages.error(request, "That upload is not waiting to be imported: upload the file again.")
        return redirect("monitoring:tracker_upload")
    name = _stored_name(token)
    if not default_storage.exists(name):
        messages.error(request, "That upload has expired: upload the file again.")
        return redirect("monitoring:tracker_upload")
    previewed = request.POST.get("fingerprint", "")
    if not FINGERPRINT.match(previewed):
        messages.error(request, "That confirmation did not come from the preview: upload the file again.")
        return redirect("monitoring:tracker_upload")
    with default_storage.open(name, "rb") as handle:
        data = handle.read()
    if jobs.tracker_is_large(data):
        job = jobs.tracker_import_submit(
            user=current_user(request),
            token=token,
            only=set(request.POST.getlist("scheme")),
            fingerprint=previewed,
            rows=jobs.tracker_rows(data),
        )
        return redirect("monitoring:tracker_job", job_id=job.pk)
    try:
        summary = tracker_import(
            source=data,
            user=current_user(request),
            only=set(request.POST.getlist("scheme")),
            expected_fingerprint=previewed,
        )
    except TrackerUnreadable as error:
        messages.error(request, str(error))
        return redirect("monitoring:tracker_upload")
    if summary.stale:
        # The file or the app's figures changed since the preview: nothing was written. Show what
        # the import would do now, to check and confirm again.
        return render(
            request,
            "monitoring/tracker_preview.html",
            {**_preview_context(request, tracker_preview(source=data)), "token": token, "stale": True},
            status=409,
        )
    if not summary.committed:
        # Something changed since the preview (e.g. the quarter was locked): nothing was imported.
        return render(
            request, "monitoring/tracker_preview.html", {**_preview_context(request, summary), "token": ""}, status=400
        )
    default_storage.delete(name)
    request.session[SESSION_KEY] = [item for item in request.session.get(SESSION_KEY, []) if item != token]
    left_out = f" {summary.skipped} left as they were, as you chose." if summary.skipped else ""
    messages.success(
        request,
        f"Imported: {summary.new} new, {summary.updated} updated and {summary.unchanged} unchanged schemes.{left_out}",
    )
    return redirect("monitoring:quarters")


@login_required
@require_GET
def tracker_job(request: HttpRequest, job_id: str) -> HttpResponse:
    """A large tracker's check or import in the background: its progress while it runs
    (refreshing itself: htmx, or a meta refresh without JavaScript), then the preview, the
    result or why it failed. Only the user who uploaded the file sees it."""
    job = jobs.tracker_job_for(job_id=job_id, user=current_user(request))  # finance officers only
    if job is None:
        raise Http404("No such import is under way.")
    htmx = bool(getattr(request, "htmx", False))
    if job.is_active:
        template = "monitoring/_tracker_job_status.html" if htmx else "monitoring/tracker_job.html"
        return render(
            request,
            template,
            {"job": job, "progress": jobs.tracker_job_progress(job), "worker_missing": not worker_is_running()},
        )
    if htmx:
        return HttpResponseClientRefresh()  # finished: load the whole page (the preview or the result)
    token = job.params.get("token", "")
    result: dict[str, Any] = job.result or {}
    outcome = result.get("outcome")
    page = jobs.tracker_job_page(job) if outcome in ("preview", "stale", "errors") else None
    if job.failed or outcome == "unreadable" or (outcome in ("preview", "stale", "errors") and page is None):
        return render(
            request,
            "monitoring/tracker_job.html",
            {"job": job, "progress": jobs.tracker_job_progress(job), "failed": _failure(job, result)},
        )
    if outcome == "imported":
        request.session[SESSION_KEY] = [item for item in request.session.get(SESSION_KEY, []) if item != token]
        return render(request, "monitoring/tracker_job.html", {"job": job, "imported": result})
    assert page is not None
    context: dict[str, object] = {**_page_context(request, page), "filename": job.params.get("filename", "")}
    preview = "monitoring/tracker_preview.html"
    if job.kind == jobs.TRACKER_CHECK:
        ok = page.error_count == 0
        return render(request, preview, {**context, "token": token if ok else ""}, status=200 if ok else 400)
    if outcome == "stale":
        return render(request, preview, {**context, "token": token, "stale": True}, status=409)
    return render(request, preview, {**context, "token": ""}, status=400)


def _failure(job: Any, result: dict[str, Any]) -> str:
    """Why a tracker job has nothing to show, in words for finance."""
    if result.get("outcome") == "unreadable":
        return str(result.get("message", "The file cannot be read as a tracker."))
    what = "checked" if job.kind == jobs.TRACKER_CHECK else "imported"
    if job.failed and "worker stopped" in job.error:
        if job.kind == jobs.TRACKER_IMPORT:
            return (
                "The import did not finish: the background worker stopped while writing. An import is "
                "all or nothing, so upload the file again: its preview shows what is still to import."
            )
        return "The file could not be checked: the background worker stopped while reading it. Upload it again."
    if job.failed and "expired" in job.error:
        return "The uploaded file has expired: upload it again."
    return (
        f"Sorry, the file could not be {what}."
        + (" Nothing was imported." if job.kind == jobs.TRACKER_IMPORT else "")
        + " Upload it again to try again; if it fails again, tell your administrator."
    )


@login_required
@require_GET
def tracker_problems(request: HttpRequest, token: str) -> HttpResponse:
    """Every error and warning of a previewed tracker as CSV (the page lists the first SHOWN)."""
    tracker_importer_check(user=current_user(request))
    name = _problems_name(token)
    if (
        not TOKEN.match(token)
        or token not in request.session.get(PROBLEMS_SESSION_KEY, [])
        or not default_storage.exists(name)
    ):
        raise Http404("That list of problems has expired: upload the file again.")
    with default_storage.open(name, "rb") as handle:
        response = HttpResponse(handle.read(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="tracker-problems.csv"'
    return response


@login_required
@require_GET
def tracker_template(request: HttpRequest) -> HttpResponse:
    """An empty tracker with every column and one example row."""
    workbook = imports.tracker_template(user=current_user(request))  # finance officers only
    response = HttpResponse(workbook, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = 'attachment; filename="savings-tracker-template.xlsx"'
    return response
