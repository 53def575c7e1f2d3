"""python manage.py import_plan FILE [FILE …] --service-area NAME [--year 2023/24] [--user NAME] [--dry-run]

Reads each filled-in Word plan form (.docx, or a .zip of them) and creates a draft plan for each
in the service area, with its milestones and the quarterly updates the form answers. Prints, for
every file, each field found (and where), each field not found and every problem. Exits 0 on
success (warnings allowed) and 1 on any error, having stored nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser

from monitoring.plan_import import PlanImportSummary, plans_import
from plans.models import ServiceArea
from plans.word_import import MAX_BYTES, WordUnreadable
from recovery.periods import FinancialYear


class Command(BaseCommand):
    help = "Import filled-in Word plan forms (.docx) as draft plans: all of them, or with any error none."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", help="The .docx forms (or .zip files of them).")
        parser.add_argument("--service-area", dest="service_area", required=True, help="The service area's name.")
        parser.add_argument("--year", help="The financial year, if the forms' labels do not say (e.g. 2023/24).")
        parser.add_argument(
            "--user",
            help="The manager the plans belong to (default: the service area's assigned manager, if it has one).",
        )
        parser.add_argument("--dry-run", action="store_true", help="Read and check only; store nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        area = self._area(options["service_area"])
        user = self._user(options.get("user"), area)
        year = None
        if options.get("year"):
            try:
                year = FinancialYear.parse(options["year"])
            except ValueError as error:
                raise CommandError(str(error)) from error
        uploads = []
        for name in options["files"]:
            path = Path(name)
            if not path.is_file():
                raise CommandError(f"{path} is not a file: nothing was imported.")
            if path.stat().st_size > MAX_BYTES:
                raise CommandError(
                    f"{path} is larger than the {MAX_BYTES // (1024 * 1024)} MB limit: nothing was imported."
                )
            uploads.append((path.name, path.read_bytes()))
        try:
            summary = plans_import(user=user, service_area=area, uploads=uploads, year=year, dry_run=options["dry_run"])
        except WordUnreadable as error:
            raise CommandError(f"{error} Nothing was imported.") from error
        except PermissionDenied as error:
            raise CommandError(f"{user.username} cannot start plans in {area.name}: nothing was imported.") from error
        self._print(summary)
        if summary.errors:
            raise CommandError(f"{len(summary.errors)} error(s): nothing was imported.")
        if options["dry_run"]:
            self.stdout.write(f"{len(summary.plans)} plan(s) would be imported (dry run: nothing stored).")
        else:
            for plan in summary.created:
                self.stdout.write(self.style.SUCCESS(f"Created draft plan {plan} (id {plan.pk})."))

    def _area(self, name: str) -> ServiceArea:
        areas = list(ServiceArea.objects.filter(name__iexact=name.strip()).select_related("portfolio__directorate"))
        if not areas:
            raise CommandError(f"No service area is called {name!r}.")
        if len(areas) > 1:
            where = ", ".join(area.portfolio.directorate.name for area in areas)
            raise CommandError(f"Several service areas are called {name!r} (in {where}): rename one in the admin.")
        return areas[0]

    def _user(self, username: str | None, area: ServiceArea) -> User:
        if username:
            user = User.objects.filter(username=username).first()
            if user is None:
                raise CommandError(f"No user is called {username!r}.")
            return user
        managers = list(area.managers.order_by("username"))
        if len(managers) != 1:
            raise CommandError(
                f"{area.name} has {len(managers)} assigned managers: name the plans' manager with --user."
            )
        return managers[0]

    def _print(self, summary: PlanImportSummary) -> None:
        for plan in summary.plans:
            self.stdout.write(f"{plan.name}: {plan.year or 'year unknown'}")
            for item in plan.fields:
                if item.found:
                    self.stdout.write(f"  found {item.label} ({item.where}): {item.shown[:80]!r}")
            self.stdout.write(f"  {len(plan.milestones)} milestone(s), {len(plan.updates)} quarterly update(s)")
            for problem in plan.warnings:
                self.stdout.write(f"  warning: {problem}")
            for problem in plan.errors:
                self.stderr.write(f"  error: {problem}")
