"""What every command run from cron does: one summary line, and an exit status that says whether
anything failed, so the council's monitoring can tell a bad night from a good one.

A command subclasses ``CronCommand`` and implements ``run(**options) -> CronOutcome``. The
summary is printed on one line: on stdout when all went well; as the CommandError (stderr, exit
status 1) when ``failed`` is non-zero. An unexpected error is logged with its traceback and
reported the same way as one line ("<command> failed: <reason>")."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from django.core.management.base import BaseCommand, CommandError

logger = logging.getLogger(__name__)


@dataclass
class CronOutcome:
    summary: str
    failed: int = 0
    details: list[str] = field(default_factory=list)  # printed with --verbosity 2


class CronCommand(BaseCommand):
    def run(self, **options: Any) -> CronOutcome:
        raise NotImplementedError

    def handle(self, *args: Any, **options: Any) -> None:
        name = self.__module__.rsplit(".", 1)[-1]
        try:
            outcome = self.run(**options)
        except CommandError:
            raise
        except Exception as error:
            logger.exception("%s failed", name)
            reason = str(error).splitlines()[0] if str(error) else type(error).__name__
            raise CommandError(f"{name} failed: {reason}") from error
        if options.get("verbosity", 1) >= 2:
            for line in outcome.details:
                self.stdout.write(line)
        if outcome.failed:
            raise CommandError(outcome.summary)
        if options.get("verbosity", 1) >= 1:
            self.stdout.write(outcome.summary)
