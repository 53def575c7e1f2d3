"""Importing Word plan forms in the browser: upload, see field by field what was read, then
create the draft plans (one transaction)."""

from __future__ import annotations

import re
import secrets

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from monitoring.import_forms import PlanUploadForm
from monitoring.plan_import import plan_import_area, plan_importer_check, plans_import, plans_import_preview
from plans.word_import import MAX_BYTES, WordUnreadable
from recovery.periods import FinancialYear
from recovery.viewtools import current_user

SESSION_KEY = "plan_uploads"
TOKEN = re.compile(r"^[0-9a-f]{32}$")


def _stored_name(token: str) -> str:
    return f"plan-uploads/{token}.bin"


@login_required
@require_http_methods(["GET", "POST"])
def plan_import_upload(request: HttpRequest) -> HttpResponse:
    plan_importer_check(user=current_user(request))  # service managers only
    form = PlanUploadForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        area = form.cleaned_data["service_area"]
        year = form.cleaned_data["year"]
        if (upload.size or 0) > MAX_BYTES:
            form.add_error("file", f"The file is larger than the {MAX_BYTES // (1024 * 1024)} MB limit.")
        else:
            data = upload.read()
            name = (upload.name or "upload")[-120:]
            try:
                summary = plans_import_preview(service_area=area, upload=data, name=name, year=year)
            except WordUnreadable as error:
                form.add_error("file", f"{error} Nothing was imported.")
            else:
                token = ""
                if summary.ok:
                    token = secrets.token_hex(16)
                    default_storage.save(_stored_name(token), ContentFile(data))
                    pending = request.session.get(SESSION_KEY, {})
                    forgotten = list(pending)[:-4]
                    for old in forgotten:  # an upload the session forgets can never be confirmed
                        if TOKEN.match(old):
                            default_storage.delete(_stored_name(old))
                    pending = {key: value for key, value in pending.items() if key not in forgotten}
                    pending[token] = {"area": area.pk, "year": str(year) if year else "", "name": name}
                    request.session[SESSION_KEY] = pending
                return render(
                    request,
                    "monitoring/plan_import_preview.html",
                    {"summary": summary, "token": token, "filename": name},
                    status=200 if summary.ok else 400,
                )
    return render(request, "monitoring/plan_import_upload.html", {"form": form}, status=400 if form.errors else 200)


@login_required
@require_POST
def plan_import_confirm(request: HttpRequest, token: str) -> HttpResponse:
    plan_importer_check(user=current_user(request))  # service managers only
    pending = request.session.get(SESSION_KEY, {})
    if not TOKEN.match(token) or token not in pending:
        messages.error(request, "That upload is not waiting to be imported: upload the file again.")
        return redirect("monitoring:plan_import")
    name = _stored_name(token)
    if not default_storage.exists(name):
        messages.error(request, "That upload has expired: upload the file again.")
        return redirect("monitoring:plan_import")
    details = pending[token]
    area = plan_import_area(user=current_user(request), pk=details["area"])  # still one of theirs
    with default_storage.open(name, "rb") as handle:
        data = handle.read()
    year = FinancialYear.parse(details["year"]) if details["year"] else None
    try:
        summary = plans_import(
            user=current_user(request), service_area=area, uploads=[(details["name"], data)], year=year
        )
    except WordUnreadable as error:
        messages.error(request, str(error))
        return redirect("monitoring:plan_import")
    if not summary.committed:
        # Something changed since the preview (e.g. a plan for that year was started): nothing stored.
        return render(
            request,
            "monitoring/plan_import_preview.html",
            {"summary": summary, "token": "", "filename": details["name"]},
            status=400,
        )
    default_storage.delete(name)
    request.session[SESSION_KEY] = {key: value for key, value in pending.items() if key != token}
    messages.success(
        request,
        f"Created {len(summary.created)} draft plan(s) in {area.name}: check each and submit it as usual.",
    )
    if len(summary.created) == 1:
        return redirect(summary.created[0])
    return redirect("plans:list")
