"""python manage.py import_tracker FILE [--dry-run]: import an Excel savings tracker.

Prints how many schemes are new, updated and unchanged, then every warning and error, one line
each ("row N, column C: …"). Exits 0 on success (warnings allowed) and 1 on any error, having
imported nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from monitoring.imports import ImportSummary, tracker_import, tracker_preview
from monitoring.tracker import MAX_BYTES, TrackerUnreadable


class Command(BaseCommand):
    help = "Import an Excel savings tracker (.xlsx): all of it, or with any error none of it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="The .xlsx workbook.")
        parser.add_argument("--dry-run", action="store_true", help="Check and summarise only; change nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"{path} is not a file.")
        if path.stat().st_size > MAX_BYTES:
            raise CommandError(f"{path} is larger than the {MAX_BYTES // (1024 * 1024)} MB limit.")
        data = path.read_bytes()
        try:
            summary = tracker_preview(source=data) if options["dry_run"] else tracker_import(source=data, user=None)
        except TrackerUnreadable as error:
            raise CommandError(str(error)) from error
        self._print(summary, dry_run=options["dry_run"])
        if summary.errors:
            raise CommandError(f"{len(summary.errors)} error(s): nothing was imported.")

    def _print(self, summary: ImportSummary, *, dry_run: bool) -> None:
        verb = "would be" if dry_run or summary.errors else "were"
        self.stdout.write(
            f"{summary.total} scheme rows: {summary.new} new, {summary.updated} updated, "
            f"{summary.unchanged} unchanged ({verb} imported)."
        )
        for area in summary.new_service_areas:
            self.stdout.write(f"new service area: {area}")
        for warning in summary.warnings:
            self.stdout.write(f"warning: {warning}")
        for change in summary.flagged:
            for item in change.flagged:
                rows = ", ".join(str(number) for number in change.rows)
                when = f"{timezone.localtime(item.edited_at):%d/%m/%Y %H:%M}" if item.edited_at else ""
                self.stdout.write(
                    f"warning: row {rows}: {change.title} ({change.service_area}) {item.where} {item.label} "
                    f"was edited in the app by {item.edited_by} on {when} since the last import: "
                    f"{item.old} → {item.new}".replace("  ", " ")
                )
        for error in summary.errors:
            self.stderr.write(f"error: {error}")
