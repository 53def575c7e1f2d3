"""Report pages and downloads: ?format=html (default), pdf, xlsx or json."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from monitoring.models import Scheme
from plans.models import DeficitRecoveryPlan, Directorate, Portfolio, ServiceArea
from plans.rules import can
from plans.selectors import plans_for_list
from recovery.periods import FinancialYear, Period, Quarter
from recovery.reporting import renderers, selectors
from recovery.reporting.report import Report, report_as_data

FORMATS = {
    "pdf": ("application/pdf", "pdf"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "json": ("application/json", "json"),
}
DOWNLOADS = [("pdf", "Download PDF"), ("xlsx", "Download Excel (XLSX)"), ("json", "Download data (JSON)")]
PDF_CACHE_SECONDS = 24 * 60 * 60


def report_fingerprint(report: Report) -> str:
    """A hash of everything the report shows except when it was produced: the same data gives
    the same fingerprint, so a PDF of unchanged data can be served from the cache."""
    data = report_as_data(report)
    data.pop("generated_at", None)
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode("utf-8")).hexdigest()


def cached_pdf(report: Report) -> bytes:
    key = f"report-pdf:{report_fingerprint(report)}"
    pdf: bytes | None = cache.get(key)
    if pdf is None:
        pdf = renderers.render_pdf(report)
        cache.set(key, pdf, PDF_CACHE_SECONDS)
    return pdf


def _download(report: Report, output: str) -> HttpResponse:
    content_type, extension = FORMATS[output]
    if output == "pdf":
        body = cached_pdf(report)
    elif output == "xlsx":
        body = renderers.render_xlsx(report)
    else:
        body = renderers.render_json(report)
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{report.filename_stem}.{extension}"'
    return response


class ReportFilterForm(forms.Form):
    directorate = forms.ModelChoiceField(Directorate.objects.all(), required=False, empty_label="All directorates")
    portfolio = forms.ModelChoiceField(Portfolio.objects.all(), required=False, empty_label="All portfolios")
    service_area = forms.ModelChoiceField(ServiceArea.objects.all(), required=False, empty_label="All service areas")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-select"

    def filters(self) -> selectors.ReportFilters:
        if not self.is_valid():
            return selectors.ReportFilters()
        data = self.cleaned_data
        return selectors.ReportFilters(
            directorate=data["directorate"].pk if data.get("directorate") else None,
            portfolio=data["portfolio"].pk if data.get("portfolio") else None,
            service_area=data["service_area"].pk if data.get("service_area") else None,
        )


def _require_reader(request: HttpRequest) -> None:
    if not can(request.user, "reporting.view_summaries"):
        raise PermissionDenied("The executive summaries are for finance officers, executives and administrators.")


def _respond(
    request: HttpRequest, build: Callable[[selectors.ReportFilters], Report], *, with_filters: bool = True
) -> HttpResponse:
    filter_form = ReportFilterForm(request.GET or None) if with_filters else None
    report = build(filter_form.filters() if filter_form else selectors.ReportFilters())
    output = request.GET.get("format", "html")
    if output in FORMATS:
        return _download(report, output)
    query = request.GET.copy()
    query.pop("format", None)
    return render(
        request,
        "reporting/report_page.html",
        {"report": report, "downloads": DOWNLOADS, "query": query.urlencode(), "filter_form": filter_form},
    )


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    can_read = can(request.user, "reporting.view_summaries")
    years = sorted(
        {FinancialYear.parse(year) for year in Scheme.objects.values_list("financial_year", flat=True)}, reverse=True
    )
    return render(
        request,
        "reporting/index.html",
        {
            "years": years if can_read else [],
            "quarters": list(Quarter),
            "plans": plans_for_list(user=request.user)[:200],
            "can_read": can_read,
        },
    )


@login_required
@require_GET
def appendix(request: HttpRequest, year: FinancialYear, quarter: Quarter) -> HttpResponse:
    _require_reader(request)
    period = Period(year, quarter)
    return _respond(request, lambda filters: selectors.appendix_report(period=period, filters=filters))


@login_required
@require_GET
def transformation(request: HttpRequest, year: FinancialYear, quarter: Quarter) -> HttpResponse:
    _require_reader(request)
    period = Period(year, quarter)
    return _respond(request, lambda filters: selectors.transformation_report(period=period, filters=filters))


@login_required
@require_GET
def plan(request: HttpRequest, pk: int) -> HttpResponse:
    plan = get_object_or_404(DeficitRecoveryPlan.objects.visible_to(request.user).with_organisation(), pk=pk)
    return _respond(request, lambda filters: selectors.plan_report(plan=plan), with_filters=False)
