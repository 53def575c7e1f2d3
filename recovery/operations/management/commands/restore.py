"""python manage.py restore ARCHIVE [--replace] [--check] (``make restore BACKUP=…``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from recovery.operations.backup import BackupError, backup_restore, manifest_summary


class Command(BaseCommand):
    help = (
        "Restore an archive written by `manage.py backup`: checks it against its manifest first, "
        "refuses a database or storage that holds data unless --replace (which replaces everything, "
        "never merges), and verifies the result against the manifest."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", help="the .tar.gz written by manage.py backup")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="delete everything in the database and storage first, then restore (never a merge)",
        )
        parser.add_argument("--check", action="store_true", help="only check the archive; change nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["archive"])
        try:
            if options["check"]:
                self.stdout.write(manifest_summary(path))
                return
            result = backup_restore(path=path, replace=options["replace"])
        except BackupError as error:
            raise CommandError(f"restore refused: {error}") from error
        self.stdout.write(f"restore: {result.summary}")
