"""python manage.py clean_uploads [--hours N]: run daily from cron.

Deletes tracker and Word uploads that were previewed and never imported, once no session could
still confirm them (monitoring/upload_cleanup.py). Prints one summary line; exits with status 1
when a file could not be deleted. ``-v 2`` lists each file deleted."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import CommandError, CommandParser

from monitoring.upload_cleanup import oldest_kept, uploads_clean
from recovery.cron import CronCommand, CronOutcome


class Command(CronCommand):
    help = "Delete uploads previewed and never imported (older than a session can last)."

    def add_arguments(self, parser: CommandParser) -> None:
        default = int(oldest_kept().total_seconds() // 3600)
        parser.add_argument(
            "--hours",
            type=int,
            default=None,
            help=f"Delete what is older than this many hours (default {default}: a session's length, at least a day).",
        )

    def run(self, **options: Any) -> CronOutcome:
        hours = options["hours"]
        if hours is not None and hours < 1:
            raise CommandError("--hours must be 1 or more: a preview being read now still needs its file.")
        run = uploads_clean(older_than=timedelta(hours=hours) if hours is not None else None)
        summary = f"clean_uploads: {len(run.deleted)} deleted, {run.kept} kept"
        if run.failed:
            summary += f", {len(run.failed)} could not be deleted ({run.failed[0]})"
        return CronOutcome(
            summary=summary,
            failed=len(run.failed),
            details=[f"deleted: {name}" for name in run.deleted] + [f"failed: {line}" for line in run.failed],
        )
