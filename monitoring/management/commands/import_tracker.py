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
from monitoring.tracker import MAX_BYTES, TrackerUnreadable, count_rows, progress_percent


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
        bar = _ProgressLine(
            self.stderr,
            verbose=options["verbosity"] >= 2,
            rows=max(count_rows(data) - 1, 0),  # less the header row
            writes=not options["dry_run"],
        )
        try:
            if options["dry_run"]:
                summary = tracker_preview(source=data, progress=bar)
            else:
                summary = tracker_import(source=data, user=None, progress=bar)
            bar.finish()
        except TrackerUnreadable as error:
            bar.finish()
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


class _ProgressLine:
    """Rows read, checked and written as the import goes: on a terminal a progress bar rewritten
    in place (``[######--------------]  30% read 2,501, checked 1,000, written 0 of about 2,500
    rows``); with ``-v 2`` when not on a terminal, one plain line per report."""

    WIDTH = 20

    def __init__(self, stream: Any, *, verbose: bool, rows: int = 0, writes: bool = True) -> None:
        self.stream = stream
        self.verbose = verbose
        self.rows = rows
        self.writes = writes
        self.terminal = bool(getattr(stream, "isatty", lambda: False)())
        self.counts = {"read": 0, "checked": 0, "written": 0}
        self.shown = False

    def __call__(self, **counts: int) -> None:
        self.counts.update(counts)
        text = ", ".join(f"{name} {value:,}" for name, value in self.counts.items())
        if self.verbose and not self.terminal:
            self.stream.write(f"{text} rows")
        elif self.terminal:
            percent = progress_percent(rows=self.rows, writes=self.writes, **self.counts)
            filled = percent * self.WIDTH // 100
            bar = "#" * filled + "-" * (self.WIDTH - filled)
            self.stream.write(f"\r[{bar}] {percent:3d}% {text} of about {self.rows:,} rows", ending="")
            self.stream.flush()
            self.shown = True

    def finish(self) -> None:
        if self.shown:
            self.stream.write("")
            self.shown = False
