"""The background worker: ``manage.py run_jobs`` (``make worker``; ``make run`` starts one)."""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from recovery.jobs.services import WorkerStop, run_worker

logger = logging.getLogger(__name__)


def exit_with_parent() -> None:
    """End this process as soon as the process that started it is gone (even mid-job: the job's
    lease runs out and the next worker takes it), so a development worker is never orphaned."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        logger.warning("The process that started this worker (%s) has gone; stopping", parent)
        os._exit(1)

    threading.Thread(target=watch, name="watch-parent", daemon=True).start()


class Command(BaseCommand):
    help = (
        "Run background jobs (large PDFs, imports) until stopped. One process, no code reloading: "
        "SIGTERM or Ctrl-C stops it after the job in hand."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="run what is queued, then stop")
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between looks at an empty queue")
        parser.add_argument(
            "--exit-with-parent",
            action="store_true",
            help="stop at once when the process that started the worker ends (make run uses this)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["exit_with_parent"]:
            exit_with_parent()
        stop = WorkerStop()
        stop.install()
        ran = run_worker(once=options["once"], interval=options["interval"], stop=stop)
        if options["verbosity"]:
            self.stdout.write(f"Worker stopped after {ran} job{'s' if ran != 1 else ''}.")
