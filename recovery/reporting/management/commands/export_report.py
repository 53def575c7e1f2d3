"""python manage.py export_report REPORT --format {html,pdf,xlsx,docx,json,csv} --output FILE

REPORT is appendix (--year 2022/23 [--quarter Q3]), transformation (--year 2012/13 --quarter Q2)
or plan (--ref FRB/23/007 or --id N); --directorate and --service-area filter the summaries.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from monitoring.models import Scheme, SchemeQuarter
from plans.models import DeficitRecoveryPlan, Directorate, ServiceArea
from recovery.periods import FinancialYear, Period, Quarter
from recovery.reporting import renderers, selectors
from recovery.reporting.opendata import render_csv, render_schemes_csv
from recovery.reporting.report import Report
from recovery.reporting.word import render_docx

FORMATS = ("html", "pdf", "xlsx", "docx", "json", "csv")
SCHEMES = "schemes"  # the open-data feed of every scheme and quarter, not a report


class Command(BaseCommand):
    help = "Export a report (appendix, transformation or plan) as HTML, PDF, XLSX, Word (DOCX), JSON or CSV."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "report",
            choices=[
                selectors.ReportKind.APPENDIX,
                selectors.ReportKind.TRANSFORMATION,
                selectors.ReportKind.PLAN,
                SCHEMES,
            ],
        )
        parser.add_argument("--format", dest="output_format", choices=FORMATS, required=True)
        parser.add_argument("--output", required=True, help="The file to write ('-' for standard output).")
        parser.add_argument("--year", help="Financial year, e.g. 2022/23.")
        parser.add_argument("--quarter", help="Q1 to Q4 (appendix: default the latest quarter with figures).")
        parser.add_argument("--ref", help="A plan's combined tracker ref, e.g. FRB/23/007.")
        parser.add_argument("--id", type=int, help="A plan's id.")
        parser.add_argument("--directorate", help="Directorate name (summaries only).")
        parser.add_argument("--service-area", dest="service_area", help="Service area name (summaries only).")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["report"] == SCHEMES:
            if options["output_format"] != "csv":
                raise CommandError("The schemes feed is CSV only: use --format csv.")
            self._output(render_schemes_csv(selectors.all_scheme_rows()), options, "All schemes, every quarter")
            return
        report = self._report(options)
        body = self._render(report, options["output_format"])
        self._output(body, options, f"{report.title} ({report.period})")

    def _output(self, body: bytes, options: dict[str, Any], what: str) -> None:
        if options["output"] == "-":
            if options["output_format"] in ("html", "json", "csv"):
                self.stdout.write(body.decode("utf-8"))
            else:
                # PDF and XLSX are bytes: only a real output stream can take them.
                stream = getattr(self.stdout._out, "buffer", None)
                if stream is None:
                    raise CommandError(f"{options['output_format'].upper()} is binary: give a file with --output.")
                stream.write(body)
                stream.flush()
            return
        path = Path(options["output"])
        try:
            path.write_bytes(body)
        except OSError as error:
            raise CommandError(f"Cannot write {path}: {error.strerror}.") from error
        self.stdout.write(self.style.SUCCESS(f"Wrote {what} to {path}."))

    def _report(self, options: dict[str, Any]) -> Report:
        kind = selectors.ReportKind(options["report"])
        if kind == selectors.ReportKind.PLAN:
            return selectors.build_report(selectors.PlanRequest(plan_id=self._plan(options).pk))
        if not options.get("year"):
            raise CommandError(f"--year is required for the {kind} report (e.g. --year 2022/23).")
        try:
            year = FinancialYear.parse(options["year"])
        except ValueError as error:
            raise CommandError(str(error)) from error
        if not Scheme.objects.for_year(year).exists():
            raise CommandError(f"There are no savings schemes for {year}.")
        quarter = self._quarter(options.get("quarter"), year, required=kind == selectors.ReportKind.TRANSFORMATION)
        period = Period(year, quarter)
        asked: selectors.ReportRequest
        if kind == selectors.ReportKind.APPENDIX:
            asked = selectors.AppendixRequest(period=period, filters=self._filters(options))
        else:
            asked = selectors.TransformationRequest(period=period, filters=self._filters(options))
        return selectors.build_report(asked)

    def _quarter(self, text: str | None, year: FinancialYear, *, required: bool) -> Quarter:
        if text:
            try:
                return Quarter.parse(text)
            except ValueError as error:
                raise CommandError(str(error)) from error
        if required:
            raise CommandError("--quarter is required for the transformation report (e.g. --quarter Q2).")
        latest = (
            SchemeQuarter.objects.filter(scheme__financial_year=year)
            .order_by("-quarter")
            .values_list("quarter", flat=True)
            .first()
        )
        return Quarter(latest) if latest else Quarter.Q4

    def _filters(self, options: dict[str, Any]) -> selectors.ReportFilters:
        directorate = service_area = None
        if options.get("directorate"):
            found = Directorate.objects.filter(name__iexact=options["directorate"]).first()
            if found is None:
                raise CommandError(f"No directorate is called {options['directorate']!r}.")
            directorate = found.pk
        if options.get("service_area"):
            area = ServiceArea.objects.filter(name__iexact=options["service_area"]).first()
            if area is None:
                raise CommandError(f"No service area is called {options['service_area']!r}.")
            service_area = area.pk
        return selectors.ReportFilters(directorate=directorate, service_area=service_area)

    def _plan(self, options: dict[str, Any]) -> DeficitRecoveryPlan:
        plan = self._find_plan(options)
        if plan.is_draft:
            # Drafts are private to their managers: no export shows one.
            raise CommandError(f"{plan} is a draft: only a submitted plan can be exported.")
        return plan

    def _find_plan(self, options: dict[str, Any]) -> DeficitRecoveryPlan:
        plans = DeficitRecoveryPlan.objects.with_organisation()
        if options.get("id") is not None:
            plan = plans.filter(pk=options["id"]).first()
            if plan is None:
                raise CommandError(f"There is no plan with id {options['id']}.")
            return plan
        if options.get("ref"):
            plan = plans.filter(tracker_ref=options["ref"]).first()
            if plan is None:
                raise CommandError(f"There is no plan with combined tracker ref {options['ref']!r}.")
            return plan
        raise CommandError("Name the plan with --ref (combined tracker ref) or --id.")

    def _render(self, report: Report, output_format: str) -> bytes:
        if output_format == "pdf":
            return renderers.render_pdf(report)
        if output_format == "xlsx":
            return renderers.render_xlsx(report)
        if output_format == "docx":
            return render_docx(report)
        if output_format == "json":
            return renderers.render_json(report)
        if output_format == "csv":
            return render_csv(report)
        return renderers.render_html(report)
