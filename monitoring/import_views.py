"""Importing a tracker in the browser: upload, see the preview, then confirm (one transaction)."""

from __future__ import annotations

import io
import re
import secrets

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from openpyxl import Workbook

from monitoring.figures import AMOUNT_FIGURES
from monitoring.import_problems import SHOWN, kinds, problems_csv
from monitoring.imports import ImportSummary, tracker_import, tracker_preview
from monitoring.tracker import LABELS, MAX_BYTES, TrackerUnreadable
from plans.rules import can
from recovery.viewtools import current_user

SESSION_KEY = "tracker_uploads"
PROBLEMS_SESSION_KEY = "tracker_problem_reports"
TOKEN = re.compile(r"^[0-9a-f]{32}$")
FINGERPRINT = re.compile(r"^[0-9a-f]{64}$")


class TrackerUploadForm(forms.Form):
    file = forms.FileField(
        label="Tracker workbook (.xlsx)",
        help_text=f"An Excel workbook in the tracker format, up to {MAX_BYTES // (1024 * 1024)} MB.",
    )


def _require_importer(request: HttpRequest) -> None:
    if not can(request.user, "monitoring.import_tracker"):
        raise PermissionDenied("Only finance officers can import a savings tracker.")


def _stored_name(token: str) -> str:
    return f"tracker-uploads/{token}.xlsx"


def _problems_name(token: str) -> str:
    return f"tracker-uploads/{token}-problems.csv"


def _preview_context(request: HttpRequest, summary: ImportSummary) -> dict[str, object]:
    """The preview's summary of problems: counts by kind, the first SHOWN of each listed, and
    (when there are any) every one of them stored as CSV for this session to download."""
    context: dict[str, object] = {
        "summary": summary,
        "shown": SHOWN,
        "shown_errors": summary.errors[:SHOWN],
        "shown_warnings": summary.warnings[:SHOWN],
        "error_kinds": kinds(summary.errors),
        "warning_kinds": kinds(summary.warnings),
        "problems_token": "",
    }
    if summary.errors or summary.warnings:
        token = secrets.token_hex(16)
        default_storage.save(
            _problems_name(token), ContentFile(problems_csv(errors=summary.errors, warnings=summary.warnings))
        )
        request.session[PROBLEMS_SESSION_KEY] = [*request.session.get(PROBLEMS_SESSION_KEY, [])[-4:], token]
        context["problems_token"] = token
    return context


@login_required
@require_http_methods(["GET", "POST"])
def tracker_upload(request: HttpRequest) -> HttpResponse:
    _require_importer(request)
    form = TrackerUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if (upload.size or 0) > MAX_BYTES:
            form.add_error("file", f"The file is larger than the {MAX_BYTES // (1024 * 1024)} MB limit.")
        else:
            data = upload.read()
            try:
                summary = tracker_preview(source=data)
            except TrackerUnreadable as error:
                form.add_error("file", str(error))
            else:
                token = ""
                if summary.ok:
                    token = secrets.token_hex(16)
                    default_storage.save(_stored_name(token), ContentFile(data))
                    request.session[SESSION_KEY] = [*request.session.get(SESSION_KEY, [])[-4:], token]
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
    _require_importer(request)
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
def tracker_problems(request: HttpRequest, token: str) -> HttpResponse:
    """Every error and warning of a previewed tracker as CSV (the page lists the first SHOWN)."""
    _require_importer(request)
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
    _require_importer(request)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Schemes"
    example: dict[str, object] = {
        "financial_year": "2024/25",
        "quarter": "Q1",
        "directorate": "Adult Social Care",
        "portfolio": "Living and Ageing Well",
        "service_area": "Living and Ageing Well",
        "ref": "1a",
        "title": "Example scheme (delete this row)",
        "recurrence": "R",
        "target": "150",
        "ytd_budget": 30000,
        "ytd_actual": 25000,
        "forecast_year_end": 150000,
        "forecast_next_year": 150000,
        "projected_shortfall": 0,
        "rag": "GREEN",
        "timeline": "By March 2025",
    }
    sheet.append([LABELS[name] + (" (£000s)" if name == "target" else "") for name in LABELS])
    sheet.append([example.get(name, "") for name in LABELS])
    wide = {"title": 40, "timeline": 30, "challenges": 40, "directorate": 24, "portfolio": 24, "service_area": 24}
    for index, name in enumerate(LABELS, start=1):
        sheet.column_dimensions[chr(64 + index)].width = wide.get(name, 14)
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = 'attachment; filename="savings-tracker-template.xlsx"'
    return response
