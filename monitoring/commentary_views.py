"""Finance's summary of a quarter: one page with the summary for every report and one for each
report, each saved as a draft or published. Thin: monitoring.commentary decides and writes."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from monitoring import commentary
from monitoring.forms import CommentaryForm
from monitoring.services import QuarterLocked
from recovery.concurrency import ConcurrentEdit, keep_typed, posted_version
from recovery.formtools import add_validation_errors, missing_version
from recovery.periods import FinancialYear, Period, Quarter
from recovery.viewtools import current_user


def _prefix(report: str) -> str:
    return f"summary-{report or 'all'}"


@login_required
@require_http_methods(["GET", "POST"])
def quarter_summary(request: HttpRequest, year: FinancialYear, quarter: Quarter) -> HttpResponse:
    period = Period(year, quarter)
    user = current_user(request)
    entries = commentary.commentary_entries(period=period, user=user)
    posted = request.POST.get("report") if request.method == "POST" else None
    forms = []
    for entry in entries:
        if entry.report == posted:
            form = CommentaryForm(request.POST, prefix=_prefix(entry.report))
        else:
            initial = {"text": entry.record.text if entry.record else ""}
            form = CommentaryForm(initial=initial, prefix=_prefix(entry.report))
        form.fields["text"].label = f"Summary: {entry.label.lower()}"
        forms.append((entry, form))
    if request.method == "POST":
        version = posted_version(request.POST)
        if version is None:
            return missing_version(request)
        chosen = next(((e, f) for e, f in forms if e.report == posted), None)
        if chosen is None:
            return missing_version(request)
        entry, form = chosen
        if form.is_valid():
            try:
                commentary.commentary_save(
                    period=period,
                    report=entry.report,
                    text=form.cleaned_data["text"],
                    publish="publish" in request.POST,
                    user=user,
                    expected_version=version,
                )
            except ConcurrentEdit as error:
                add_validation_errors(form, error)
                keep_typed(form, request.POST, error)
            except ValidationError as error:
                add_validation_errors(form, error)
            except QuarterLocked as error:
                add_validation_errors(form, ValidationError(str(error)))
            else:
                done = "published: the reports show it now" if "publish" in request.POST else "saved as a draft"
                messages.success(request, f"{entry.label}: {done}.")
                return redirect("monitoring:summary", year=year, quarter=quarter)
    return render(
        request,
        "monitoring/quarter_summary.html",
        {"period": period, "forms": forms, "locked": commentary.quarter_is_locked(period)},
    )
