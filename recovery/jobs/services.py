"""Background jobs that survive a killed worker: the API every kind of background work uses.

Declare a kind in your app's ``jobs`` module (imported at start-up by every process)::

    from recovery.jobs.services import JobContext, job_kind

    @job_kind("tracker-import", max_attempts=2)
    def import_tracker(ctx: JobContext) -> dict:
        for batch in batches(ctx.params["upload"]):
            ...                                   # commit in chunks, each well under a minute
            ctx.progress(read=r, checked=c, written=w)   # shown on the status page
        return {"written": w}                     # JSON: kept on the job as ``job.result``

Start one from a view or service, and show its state::

    job = job_submit(kind="tracker-import", params={"upload": name}, key=digest, user=request.user)
    job = job_get(job_id)          # None when unknown; notices a dead worker on the way
    job.status, job.progress, job.result, job.error, worker_is_running()

- Identical requests share one job: while a job of a kind with a ``key`` is queued or running,
  ``job_submit`` with the same kind and key returns it (a database constraint makes this hold
  across web processes and workers). Without a key every request gets its own job.
- A worker (``manage.py run_jobs``) claims a job with a compare-and-set update, so two workers
  never run the same job. While it runs, a thread refreshes the job's heartbeat (and
  ``ctx.progress`` does too). A running job whose heartbeat is older than
  ``JOBS_LEASE_SECONDS`` lost its worker (killed, machine gone): it is queued again, up to the
  kind's ``max_attempts``, and then marked failed, so nothing stays "running" for ever. A handler
  must therefore be safe to run again from the start.
- A handler that raises fails the job at once (the same input would fail again); the user's
  "try again" submits a new job.
- Workers record when they were last seen, idle or busy: ``worker_is_running()`` is False when
  none has been seen for ``JOBS_WORKER_MISSING_SECONDS``, and pages say so.
- ``JOBS_RUN_IMMEDIATELY`` (``DJANGO_JOBS_IMMEDIATE=1``) runs each job inside ``job_submit``:
  for the tests and for a machine with no worker.
"""

from __future__ import annotations

import hashlib
import logging
import os
import signal
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import FrameType
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, close_old_connections, connections, transaction
from django.db.models import F, Max
from django.utils import timezone

from recovery.jobs.models import Job, Worker

logger = logging.getLogger(__name__)

Handler = Callable[["JobContext"], dict[str, Any] | None]
IMMEDIATE_WORKER = "in-process"


@dataclass(frozen=True)
class JobKind:
    name: str
    handler: Handler
    max_attempts: int


KINDS: dict[str, JobKind] = {}


def job_kind(name: str, *, max_attempts: int = 3) -> Callable[[Handler], Handler]:
    """Register ``handler`` as the code that runs jobs of kind ``name``."""

    def register(handler: Handler) -> Handler:
        KINDS[name] = JobKind(name=name, handler=handler, max_attempts=max_attempts)
        return handler

    return register


def lease_seconds() -> float:
    return float(getattr(settings, "JOBS_LEASE_SECONDS", 60))


def heartbeat_seconds() -> float:
    """How often a busy worker refreshes its jobs' heartbeat: well inside the lease."""
    return max(lease_seconds() / 4, 0.05)


class JobContext:
    """What a handler gets: the job's parameters and a way to report progress."""

    def __init__(self, job: Job) -> None:
        self.job = job
        self._saved_at = 0.0
        # Transactions already open when the handler starts (a test's own): progress reported
        # inside one the handler opens is not saved there (see ``progress``).
        self._depth = len(connections["default"].atomic_blocks)

    @property
    def params(self) -> dict[str, Any]:
        params: dict[str, Any] = self.job.params
        return params

    def progress(self, *, force: bool = False, **counts: int | str) -> None:
        """Record progress counts (``read=…, checked=…, written=…``); saved at most once a
        second unless ``force``. Also refreshes the job's heartbeat.

        Inside a transaction the handler opened, the counts are only kept (and saved with the
        outcome): an update there would be invisible until the commit and would lock the job's
        row against the heartbeat thread and the reaper for as long as the transaction lasts."""
        self.job.progress = {**self.job.progress, **counts}
        if self.job.worker == IMMEDIATE_WORKER:
            return
        if len(connections["default"].atomic_blocks) > self._depth:
            return
        now = time.monotonic()
        if not force and now - self._saved_at < 1:
            return
        self._saved_at = now
        Job.objects.filter(pk=self.job.pk, worker=self.job.worker, status=Job.Status.RUNNING).update(
            progress=self.job.progress, heartbeat_at=timezone.now()
        )


KEY_LENGTH = 128  # Job.key's max_length


def _stored_key(key: str) -> str:
    """A job's key as the database can hold it: as given when it fits, else a digest of it (so
    identical requests still share one job). PostgreSQL cannot store a NUL character in text."""
    if len(key) <= KEY_LENGTH and "\x00" not in key:
        return key
    return "sha256:" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def job_submit(
    *,
    kind: str,
    params: dict[str, Any],
    key: str = "",
    user: User | AnonymousUser | None = None,
) -> Job:
    """Queue a job of ``kind`` (or return the queued or running one with the same ``key``)."""
    if kind not in KINDS:
        raise LookupError(f"No background job kind {kind!r}; declare it with @job_kind in an app's jobs.py")
    key = _stored_key(key) if key else uuid.uuid4().hex
    creator = user if user is not None and user.is_authenticated else None
    for _ in range(5):
        existing = Job.objects.filter(kind=kind, key=key, status__in=Job.ACTIVE).first()
        if existing is not None:
            return existing
        try:
            with transaction.atomic():
                job = Job.objects.create(
                    kind=kind, key=key, params=params, max_attempts=KINDS[kind].max_attempts, created_by=creator
                )
        except IntegrityError:
            continue  # another process created it a moment ago: share theirs
        if getattr(settings, "JOBS_RUN_IMMEDIATELY", False):
            _run_in_process(job)
        return job
    raise RuntimeError(f"Could not queue or find the {kind} job {key}")  # pragma: no cover


def job_get(job_id: uuid.UUID | str) -> Job | None:
    """The job with this id (None for unknown or malformed ids); a job whose worker died is
    requeued or failed first, so callers never see it "running" for ever."""
    try:
        job = Job.objects.filter(pk=job_id).first()
    except (ValidationError, ValueError):
        return None
    if job is not None and job.status == Job.Status.RUNNING and _is_stale(job):
        jobs_reap_stale()
        job.refresh_from_db()
    return job


def _is_stale(job: Job, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    beat = job.heartbeat_at or job.started_at or job.created_at
    return beat < now - timedelta(seconds=lease_seconds())


def jobs_reap_stale() -> int:
    """Requeue (or, after the last attempt, fail) running jobs whose worker stopped beating."""
    now = timezone.now()
    cutoff = now - timedelta(seconds=lease_seconds())
    reaped = 0
    for job in Job.objects.filter(status=Job.Status.RUNNING, heartbeat_at__lt=cutoff):
        unchanged = Job.objects.filter(pk=job.pk, status=Job.Status.RUNNING, heartbeat_at=job.heartbeat_at)
        if job.attempts >= job.max_attempts:
            message = (
                f"The background worker stopped while running this job ({job.attempts} "
                f"attempt{'s' if job.attempts != 1 else ''}); it was not tried again."
            )
            reaped += unchanged.update(status=Job.Status.FAILED, finished_at=now, error=message)
            logger.error("Job %s (%s) failed: its worker %s stopped; no attempts left", job.pk, job.kind, job.worker)
        else:
            reaped += unchanged.update(status=Job.Status.QUEUED, worker="", error="")
            logger.warning("Job %s (%s) requeued: its worker %s stopped", job.pk, job.kind, job.worker)
    return reaped


def worker_last_seen() -> datetime | None:
    last_seen: datetime | None = Worker.objects.aggregate(last=Max("last_seen"))["last"]
    return last_seen


def worker_is_running() -> bool:
    """Has any worker been seen lately (idle workers beat too)?"""
    if getattr(settings, "JOBS_RUN_IMMEDIATELY", False):
        return True
    last_seen = worker_last_seen()
    missing_after = timedelta(seconds=float(getattr(settings, "JOBS_WORKER_MISSING_SECONDS", 60)))
    return last_seen is not None and last_seen >= timezone.now() - missing_after


def _claim(job_filter: dict[str, Any], worker: str) -> Job | None:
    """Take one queued job matching ``job_filter``: a compare-and-set, so one worker wins."""
    candidates = Job.objects.filter(status=Job.Status.QUEUED, **job_filter).order_by("created_at")
    for pk, attempts in candidates.values_list("pk", "attempts")[:10]:
        now = timezone.now()
        taken = Job.objects.filter(pk=pk, status=Job.Status.QUEUED, attempts=attempts).update(
            status=Job.Status.RUNNING,
            worker=worker,
            attempts=F("attempts") + 1,
            started_at=now,
            heartbeat_at=now,
            finished_at=None,
        )
        if taken:
            return Job.objects.get(pk=pk)
    return None


def _finish(job: Job, **fields: Any) -> bool:
    """Record the outcome, unless the job was meanwhile given to another worker."""
    done = Job.objects.filter(pk=job.pk, worker=job.worker, attempts=job.attempts, status=Job.Status.RUNNING).update(
        finished_at=timezone.now(), **fields
    )
    if not done:
        logger.warning("Job %s (%s) finished after its lease was lost; the result is discarded", job.pk, job.kind)
    return bool(done)


def _execute(job: Job) -> None:
    kind = KINDS.get(job.kind)
    if kind is None:
        _finish(job, status=Job.Status.FAILED, error=f"Unknown job kind {job.kind!r}")
        return
    context = JobContext(job)
    try:
        result = kind.handler(context)
    except Exception as exc:
        logger.exception("Job %s (%s) failed", job.pk, job.kind)
        _finish(
            job, status=Job.Status.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000], progress=context.job.progress
        )
        return
    _finish(job, status=Job.Status.SUCCEEDED, result=result, progress=context.job.progress, error="")


def _run_in_process(job: Job) -> None:
    claimed = _claim({"pk": job.pk}, IMMEDIATE_WORKER)
    if claimed is not None:
        _execute(claimed)
    job.refresh_from_db()


class _Heartbeat(threading.Thread):
    """Refreshes a running job's heartbeat (and its worker's) from a thread of its own, so a
    long render that never returns to the worker loop still holds its lease."""

    def __init__(self, job: Job) -> None:
        super().__init__(name=f"heartbeat-{job.pk}", daemon=True)
        self.job = job
        self.stopped = threading.Event()

    def run(self) -> None:
        try:
            while not self.stopped.wait(heartbeat_seconds()):
                now = timezone.now()
                try:
                    Job.objects.filter(pk=self.job.pk, worker=self.job.worker, status=Job.Status.RUNNING).update(
                        heartbeat_at=now
                    )
                    Worker.objects.filter(name=self.job.worker).update(last_seen=now)
                except DatabaseError:
                    logger.warning("Could not record the heartbeat of job %s; trying again", self.job.pk)
        finally:
            connections.close_all()


def worker_beat(name: str, *, started_at: datetime) -> None:
    """Record that the worker ``name`` is alive."""
    Worker.objects.update_or_create(
        name=name,
        defaults={
            "hostname": socket.gethostname()[:255],
            "pid": os.getpid(),
            "started_at": started_at,
            "last_seen": timezone.now(),
        },
    )


class WorkerStop:
    """Set by SIGTERM or SIGINT: the worker finishes the job in hand, then stops."""

    def __init__(self) -> None:
        self.requested = False

    def install(self) -> None:
        for number in (signal.SIGTERM, signal.SIGINT):
            signal.signal(number, self._handle)

    def _handle(self, number: int, frame: FrameType | None) -> None:
        logger.info("Worker stopping after the current job (signal %s)", number)
        self.requested = True


def run_worker(
    *,
    once: bool = False,
    interval: float = 1.0,
    stop: WorkerStop | None = None,
    manage_connections: bool = True,
    name: str = "",
) -> int:
    """Run queued jobs until stopped (or, with ``once``, until the queue is empty).

    Returns how many jobs it ran. ``manage_connections`` closes stale database connections
    between jobs, as a long-running process must (tests sharing a connection turn it off)."""
    name = name or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
    stop = stop or WorkerStop()
    started_at = timezone.now()
    worker_beat(name, started_at=started_at)
    Worker.objects.filter(last_seen__lt=timezone.now() - timedelta(days=7)).delete()
    last_beat = time.monotonic()
    ran = 0
    while not stop.requested:
        if manage_connections:
            close_old_connections()
        if time.monotonic() - last_beat >= heartbeat_seconds():
            worker_beat(name, started_at=started_at)
            last_beat = time.monotonic()
        jobs_reap_stale()
        job = _claim({}, name)
        if job is None:
            if once:
                break
            time.sleep(interval)
            continue
        logger.info("Running job %s (%s), attempt %s of %s", job.pk, job.kind, job.attempts, job.max_attempts)
        heartbeat = _Heartbeat(job)
        heartbeat.start()
        try:
            _execute(job)
        finally:
            heartbeat.stopped.set()
            heartbeat.join()
        ran += 1
    return ran
