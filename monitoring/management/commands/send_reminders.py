"""python manage.py send_reminders [--days 14] [--today YYYY-MM-DD]: run daily from cron.

Prints one summary line; exits with status 1 (the summary on stderr) when any reminder could not
be sent, or a plan nobody can be reminded about could not be reported to finance (no active
finance officer has an e-mail address), so cron monitoring notices. ``-v 2`` lists each reminder sent."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils import timezone

from monitoring.reminders import send_reminders
from recovery.cron import CronCommand, CronOutcome


class Command(CronCommand):
    help = "E-mail reminders about quarterly updates due or overdue (never the same one twice)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=14, help="Days before and after a quarter's end (default 14).")
        parser.add_argument("--today", help="Run as if today were this date (YYYY-MM-DD).")
        parser.add_argument(
            "--base-url", default="", help="The site's address, for links (e.g. https://recovery.example.gov.uk)."
        )

    def run(self, **options: Any) -> CronOutcome:
        if options["days"] < 0:
            raise CommandError("--days must be 0 or more.")
        try:
            today = date.fromisoformat(options["today"]) if options["today"] else timezone.localdate()
        except ValueError as error:
            raise CommandError(f"--today must be a date like 2024-09-20 ({error}).") from error
        run = send_reminders(today=today, days=options["days"], base_url=options["base_url"].rstrip("/"))
        return CronOutcome(
            summary=f"send_reminders: {run.summary}",
            failed=run.failures,
            details=[f"sent: {key}" for key in run.sent]
            + [f"failed: {key}" for key in run.failed]
            + [f"no active manager: {plan}" for plan in run.unreachable]
            + [f"nobody told (no finance officer with an address): {plan}" for plan in run.untold],
        )
