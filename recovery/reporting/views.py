"""Report pages and downloads: ?format=html (default), pdf, xlsx or json."""

from __future__ import annotations

import dataclasses
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from recovery.jobs.services import job_get, worker_is_running
from recovery.periods import FinancialYear, Period, Quarter
from recovery.reporting import renderers, selectors
from recovery.reporting.cache import cached_pdf, cached_pdf_or_none, report_fingerprint, row_count
from recovery.reporting.forms import ReportFilterForm
from recovery.reporting.jobs import REPORT_PDF, report_pdf_submit
from recovery.reporting.opendata import render_csv, render_schemes_csv
from recovery.reporting.pack import pack_filename, pack_for_user
from recovery.reporting.paging import report_page
from recovery.reporting.report import Report
from recovery.reporting.word import render_docx

FORMATS = {
    "pdf": ("application/pdf", "pdf"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
    "json": ("application/json", "json"),
    "csv": ("text/csv; charset=utf-8", "csv"),
}
DOWNLOADS = [
    ("pdf", "Download PDF"),
    ("xlsx", "Download Excel (XLSX)"),
    ("docx", "Download Word (DOCX)"),
    ("csv", "Download CSV (open data)"),
    ("json", "Download data (JSON)"),
]


def _file_response(body: bytes, report_name: str, output: str) -> HttpResponse:
    content_type, extension = FORMATS[output]
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{report_name}.{extension}"'
    return response


def _pdf(request: HttpRequest, report: Report, asked: selectors.ReportRequest) -> HttpResponse:
    """A PDF from the cache when the data is unchanged; rendered now when the report is small;
    otherwise queued in the background, with a page that shows its progress."""
    pdf = cached_pdf_or_none(report)
    if pdf is None and row_count(report) <= settings.REPORT_PDF_BACKGROUND_ROWS:
        pdf = cached_pdf(report)
    if pdf is not None:
        return _file_response(pdf, report.filename_stem, "pdf")
    job = report_pdf_submit(
        kind=asked.kind.value, params=selectors.request_params(asked), report=report, user=request.user
    )
    if job.succeeded:  # jobs run in the request (DJANGO_JOBS_IMMEDIATE)
        pdf = cached_pdf_or_none(report)
        if pdf is not None:
            return _file_response(pdf, report.filename_stem, "pdf")
    return redirect("reporting:pdf_status", result_id=job.pk)


def _download(report: Report, output: str) -> HttpResponse:
    content_type, extension = FORMATS[output]
    if output == "xlsx":
        body = renderers.render_xlsx(report)
    elif output == "docx":
        body = render_docx(report)
    elif output == "csv":
        body = render_csv(report)
    else:
        body = renderers.render_json(report)
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{report.filename_stem}.{extension}"'
    return response


def _respond(request: HttpRequest, asked: selectors.ReportRequest) -> HttpResponse:
    """The report a page asked for, as a page or a download; summaries take the filter form."""
    filter_form = None
    if not isinstance(asked, selectors.PlanRequest):
        filter_form = ReportFilterForm(request.GET or None)
        asked = dataclasses.replace(asked, filters=filter_form.filters())
    output = request.GET.get("format", "html")
    # 404 for a plan the user may not see; 403 for a summary unless they may read summaries.
    if output in FORMATS:
        report = selectors.report_for_user(user=request.user, request=asked)
        return _pdf(request, report, asked) if output == "pdf" else _download(report, output)
    query = request.GET.copy()
    query.pop("format", None)
    if isinstance(asked, selectors.ExceptionsRequest):
        # Only the rows this page shows are read (the sections' sizes are counted).
        shown, page = selectors.exceptions_page_for_user(
            user=request.user, request=asked, number=request.GET.get("page")
        )
    else:
        shown, page = report_page(selectors.report_for_user(user=request.user, request=asked), request.GET.get("page"))
    page_query = query.copy()
    page_query.pop("page", None)
    tabs = (
        [(key, label, key == asked.only) for key, label in EXCEPTION_VIEWS]
        if isinstance(asked, selectors.ExceptionsRequest)
        else []
    )
    context = {
        "report": shown,
        "page": page,
        "page_query": page_query.urlencode(),
        "downloads": DOWNLOADS,
        "query": page_query.urlencode(),
        "filter_form": filter_form,
        "tabs": tabs,
    }
    return render(request, "reporting/report_page.html", context)


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    index = selectors.report_index(user=request.user)
    return render(
        request,
        "reporting/index.html",
        {"years": index.years, "quarters": list(Quarter), "plans": index.plans, "can_read": index.can_read},
    )


@login_required
@require_GET
def appendix(request: HttpRequest, year: FinancialYear, quarter: Quarter) -> HttpResponse:
    return _respond(request, selectors.AppendixRequest(period=Period(year, quarter)))


@login_required
@require_GET
def transformation(request: HttpRequest, year: FinancialYear, quarter: Quarter) -> HttpResponse:
    return _respond(request, selectors.TransformationRequest(period=Period(year, quarter)))


@login_required
@require_GET
def plan(request: HttpRequest, pk: int) -> HttpResponse:
    return _respond(request, selectors.PlanRequest(plan_id=pk))


EXCEPTION_VIEWS = [
    ("", "All exceptions"),
    ("red_amber", "RED and AMBER"),
    ("overdue", "Overdue milestones"),
    ("not_updated", "Not updated this quarter"),
    ("disagreements", "RAG the figures contradict"),
    ("rag_changes", "RAG changes"),
    ("dmt", "Proposals for DMT"),
]


@login_required
@require_GET
def exceptions(request: HttpRequest, year: FinancialYear, quarter: Quarter) -> HttpResponse:
    only = request.GET.get("only", "")
    if only not in dict(EXCEPTION_VIEWS):
        only = ""
    return _respond(request, selectors.ExceptionsRequest(period=Period(year, quarter), only=only))


@login_required
@require_GET
def pdf_status(request: HttpRequest, result_id: str) -> HttpResponse:
    """Progress of a PDF rendered in the background; the PDF itself once it is ready, but only
    while the figures are those it shows (otherwise a fresh one is prepared)."""
    job = job_get(result_id)
    if job is None or job.kind != REPORT_PDF:
        raise Http404("No such PDF is being prepared.")
    kind, params = job.params.get("kind"), job.params.get("params")
    if (
        kind not in selectors.REPORT_KINDS
        or not isinstance(params, dict)
        or not selectors.may_read_report(user=request.user, kind=kind, params=params)
    ):
        raise Http404("No such PDF is being prepared.")
    if job.succeeded:
        asked = selectors.report_request(kind, params)
        report = selectors.report_for_user(user=request.user, request=asked)
        if (job.result or {}).get("fingerprint") == report_fingerprint(report):
            pdf = cached_pdf_or_none(report)
            if pdf is not None:
                return _file_response(pdf, report.filename_stem, "pdf")
        # The figures changed since (or the PDF left the cache): prepare the PDF of today's figures.
        return _pdf(request, report, asked)
    failed = ""
    if job.failed:
        failed = (
            "Sorry, the PDF could not be produced: the PDF service stopped while producing it."
            if "worker stopped" in job.error
            else "Sorry, the PDF could not be produced."
        )
    return render(
        request,
        "reporting/pdf_status.html",
        {
            "job": job,
            "failed": failed,
            "retry_url": _report_url(kind, params),
            "worker_missing": not failed and not worker_is_running(),
        },
        status=500 if job.failed else 200,
    )


def _report_url(kind: str, params: dict[str, Any]) -> str:
    if kind == "plan":
        base = reverse("reporting:plan", args=[params["plan_id"]])
        return f"{base}?format=pdf"
    year = FinancialYear.parse(str(params["year"]))
    quarter = Quarter.parse(str(params["quarter"]))
    base = reverse(f"reporting:{kind}", args=[year, quarter])
    query = {key: params[key] for key in ("directorate", "portfolio", "service_area", "only") if params.get(key)}
    query["format"] = "pdf"
    return f"{base}?{urlencode(query)}"


def _filter_query(request: HttpRequest) -> str:
    """The dashboard's filters in the query string, so that changing year or quarter keeps them."""
    return urlencode({key: value for key in ReportFilterForm.base_fields if (value := request.GET.get(key))})


@login_required
@require_GET
def dashboard_latest(request: HttpRequest) -> HttpResponse:
    """The dashboard's front door: the year asked for (``?year=2023/24``, the year picker, which
    needs no JavaScript) at its opening quarter; otherwise the latest quarter with figures."""
    calendar = selectors.dashboard_calendar(user=request.user)  # 403 unless a reader of the summaries
    try:
        period: Period | None = calendar.opening_period(FinancialYear.parse(request.GET["year"]))
    except (KeyError, ValueError):
        period = calendar.latest_period()
    if period is None:
        return render(request, "reporting/dashboard_empty.html")
    return _to_dashboard(request, period)


@login_required
@require_GET
def dashboard_year(request: HttpRequest, year: FinancialYear) -> HttpResponse:
    """``/reports/dashboard/2023-24/``: the year at the quarter it opens on."""
    return _to_dashboard(request, selectors.dashboard_calendar(user=request.user).opening_period(year))


def _to_dashboard(request: HttpRequest, period: Period) -> HttpResponse:
    query = _filter_query(request)
    url = reverse("reporting:dashboard", args=[period.year, period.quarter])
    return redirect(f"{url}?{query}" if query else url)


@login_required
@require_GET
def dashboard(request: HttpRequest, year: FinancialYear, quarter: Quarter) -> HttpResponse:
    period = Period(year, quarter)
    year_picker = selectors.dashboard_calendar(user=request.user).picker(period)
    context: dict[str, Any] = {"period": period, "picker": year_picker, "query": _filter_query(request)}
    if year_picker.nothing:
        return render(request, "reporting/dashboard_no_data.html", context)
    filter_form = ReportFilterForm(request.GET or None)
    board = selectors.dashboard_board(period=period, filters=filter_form.filters())
    return render(request, "reporting/dashboard.html", {**context, "board": board, "filter_form": filter_form})


@login_required
@require_GET
def pack(request: HttpRequest, year: FinancialYear, quarter: Quarter) -> HttpResponse:
    """The committee pack: Appendix 1, the Transformation update and the exceptions as one PDF."""
    period = Period(year, quarter)
    return _file_response(pack_for_user(user=request.user, period=period), pack_filename(period), "pdf")


@login_required
@require_GET
def schemes_csv(request: HttpRequest) -> HttpResponse:
    """Every scheme in every quarter: the open-data feed (columns in README, "Open data")."""
    return _file_response(
        render_schemes_csv(selectors.open_data_rows(user=request.user)), "savings-schemes-all-quarters", "csv"
    )
