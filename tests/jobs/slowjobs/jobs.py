"""A job kind for the worker-process tests: writes when it starts, then takes its time."""

from __future__ import annotations

import os
import time
from pathlib import Path

from recovery.jobs.services import JobContext, job_kind


@job_kind("test-slow", max_attempts=3)
def slow(ctx: JobContext) -> dict:
    with Path(ctx.params["log"]).open("a") as log:
        log.write(f"started {os.getpid()}\n")
    time.sleep(float(ctx.params["seconds"]))
    return {"pid": os.getpid()}
