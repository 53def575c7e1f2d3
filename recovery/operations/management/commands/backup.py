"""python manage.py backup [--dir var/backups] [--output FILE]: run nightly from cron (``make backup``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser

from recovery.cron import CronCommand, CronOutcome
from recovery.operations.backup import BackupError, backup_create


class Command(CronCommand):
    help = (
        "Write one archive (readable by its owner only) holding the database and every stored file, "
        "with a manifest of row counts, checksums, app version and migrations. One summary line; "
        "exit status 1 on failure."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dir", default=str(Path(settings.VAR_DIR) / "backups"), help="where to write it")
        parser.add_argument("--output", help="the archive's file name (default recovery-YYYYmmdd-HHMMSS.tar.gz)")

    def run(self, **options: Any) -> CronOutcome:
        try:
            result = backup_create(
                directory=Path(options["dir"]), output=Path(options["output"]) if options["output"] else None
            )
        except BackupError as error:
            raise CommandError(f"backup failed: {error}") from error
        return CronOutcome(summary=f"backup: {result.summary}")
