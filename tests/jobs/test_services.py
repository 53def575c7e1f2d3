"""Background jobs: a dead worker is noticed, retries are bounded, identical requests share a
job, two workers never run one job, and handlers report progress."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from recovery.jobs import services
from recovery.jobs.models import Job, Worker
from recovery.jobs.services import JobContext, job_get, job_kind, job_submit, run_worker, worker_is_running

pytestmark = pytest.mark.django_db

CALLS: list[dict] = []


@job_kind("test-echo", max_attempts=3)
def echo(ctx: JobContext) -> dict:
    CALLS.append(ctx.params)
    ctx.progress(read=10, checked=8, force=True)
    ctx.progress(written=7, force=True)
    return {"echo": ctx.params.get("value")}


@job_kind("test-broken", max_attempts=3)
def broken(ctx: JobContext) -> dict:
    CALLS.append(ctx.params)
    raise ValueError("row 12 is not a number")


@pytest.fixture(autouse=True)
def _queued(settings):
    """Jobs wait for a worker (as in production), instead of running inside job_submit."""
    settings.JOBS_RUN_IMMEDIATELY = False
    settings.JOBS_LEASE_SECONDS = 60
    CALLS.clear()


def work() -> int:
    return run_worker(once=True, manage_connections=False)


def kill_worker_of(job: Job, *, minutes_ago: int = 5) -> None:
    """What a SIGKILLed worker leaves behind: a running job whose heartbeat stopped."""
    long_ago = timezone.now() - timedelta(minutes=minutes_ago)
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.RUNNING,
        worker="gone:1234",
        attempts=job.attempts + 1,
        started_at=long_ago,
        heartbeat_at=long_ago,
    )
    job.refresh_from_db()


def test_a_job_runs_and_keeps_its_result_and_progress():
    job = job_submit(kind="test-echo", params={"value": 3})
    assert job.status == Job.Status.QUEUED
    assert work() == 1
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED
    assert job.result == {"echo": 3}
    assert job.progress == {"read": 10, "checked": 8, "written": 7}
    assert job.attempts == 1


def test_a_job_whose_worker_died_is_run_again_by_the_next_worker():
    job = job_submit(kind="test-echo", params={"value": 1})
    kill_worker_of(job)
    assert work() == 1
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED
    assert job.attempts == 2
    assert job.worker != "gone:1234"


@pytest.mark.parametrize("max_attempts", [1, 2, 3])
def test_a_job_whose_worker_keeps_dying_fails_after_its_last_attempt(max_attempts):
    job = job_submit(kind="test-echo", params={})
    Job.objects.filter(pk=job.pk).update(max_attempts=max_attempts)
    job.refresh_from_db()
    for attempt in range(1, max_attempts + 1):
        kill_worker_of(job)
        assert job.attempts == attempt
        seen = job_get(job.pk)  # a status page looking at it notices the dead worker
        assert seen is not None
        if attempt < max_attempts:
            assert seen.status == Job.Status.QUEUED
        job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert "worker stopped" in job.error
    assert work() == 0  # and nothing runs it again
    assert CALLS == []


def test_a_job_with_a_fresh_heartbeat_is_left_alone():
    job = job_submit(kind="test-echo", params={})
    kill_worker_of(job, minutes_ago=0)
    assert job_get(job.pk).status == Job.Status.RUNNING
    assert work() == 0


def test_a_handler_that_raises_fails_the_job_once_without_retrying():
    job = job_submit(kind="test-broken", params={"n": 1})
    assert work() == 1
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert "row 12 is not a number" in job.error
    assert len(CALLS) == 1


@hypothesis_settings(max_examples=15, deadline=None)
@given(
    requests=st.integers(min_value=2, max_value=8),
    key=st.text(min_size=1, max_size=40) | st.text(min_size=120, max_size=300) | st.just("a\x00b"),
)
def test_identical_requests_share_one_job(requests, key):
    """Any key, a NUL (which PostgreSQL cannot store) or one longer than the column included."""
    Job.objects.all().delete()
    jobs = {job_submit(kind="test-echo", params={"k": len(key)}, key=key).pk for _ in range(requests)}
    assert len(jobs) == 1
    assert Job.objects.count() == 1


def test_different_keys_get_different_jobs_and_a_finished_key_can_run_again():
    first = job_submit(kind="test-echo", params={}, key="a")
    assert job_submit(kind="test-echo", params={}, key="b").pk != first.pk
    work()
    again = job_submit(kind="test-echo", params={}, key="a")
    assert again.pk != first.pk
    assert again.status == Job.Status.QUEUED


def test_a_second_request_racing_the_first_gets_the_first_job(monkeypatch):
    """Two web processes both see no job, both insert: the database constraint lets one win
    and the other shares its job."""
    first = job_submit(kind="test-echo", params={}, key="same")
    real_filter = Job.objects.filter
    looked = []

    def blind_first_look(*args, **kwargs):
        queryset = real_filter(*args, **kwargs)
        if kwargs.get("key") == "same" and not looked:
            looked.append(True)
            return queryset.none()  # the other process has not committed yet when we look
        return queryset

    monkeypatch.setattr(Job.objects, "filter", blind_first_look)
    assert job_submit(kind="test-echo", params={}, key="same").pk == first.pk
    assert Job.objects.count() == 1


def test_two_workers_never_claim_the_same_job():
    job_submit(kind="test-echo", params={})
    first = services._claim({}, "worker-a")
    second = services._claim({}, "worker-b")
    assert first is not None
    assert second is None
    assert Job.objects.get().worker == "worker-a"


def test_a_worker_that_lost_its_lease_does_not_overwrite_the_new_attempt():
    job = job_submit(kind="test-echo", params={})
    slow = services._claim({}, "slow-worker")
    kill_worker_of(slow)  # its heartbeat stops; the job is handed on
    services.jobs_reap_stale()
    fresh = services._claim({}, "fresh-worker")
    assert fresh is not None
    assert services._finish(slow, status=Job.Status.FAILED, error="late") is False
    assert services._finish(fresh, status=Job.Status.SUCCEEDED, result={"ok": True}) is True
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED


def test_workers_are_seen_while_idle_and_missed_when_gone(settings):
    assert worker_is_running() is False  # never started
    work()
    assert worker_is_running() is True
    Worker.objects.update(last_seen=timezone.now() - timedelta(seconds=settings.JOBS_WORKER_MISSING_SECONDS + 5))
    assert worker_is_running() is False


def test_unknown_kinds_and_ids(settings):
    with pytest.raises(LookupError):
        job_submit(kind="no-such-kind", params={})
    assert job_get("not-a-uuid") is None
    assert job_get("00000000-0000-0000-0000-000000000000") is None


def test_jobs_run_in_the_request_when_told_to(settings):
    settings.JOBS_RUN_IMMEDIATELY = True
    job = job_submit(kind="test-echo", params={"value": 9})
    assert job.status == Job.Status.SUCCEEDED
    assert job.result == {"echo": 9}
    assert worker_is_running() is True


SEEN: list[dict] = []


@job_kind("test-progress-in-transaction", max_attempts=1)
def progress_in_transaction(ctx: JobContext) -> dict:
    from django.db import transaction

    def stored() -> dict:
        return Job.objects.values_list("progress", flat=True).get(pk=ctx.job.pk)

    ctx.progress(read=5, force=True)
    SEEN.append(stored())
    with transaction.atomic():
        ctx.progress(checked=5, force=True)
        SEEN.append(stored())  # not written inside the handler's transaction (the row stays unlocked)
    ctx.progress(written=4, force=True)
    SEEN.append(stored())
    return {}


def test_progress_inside_the_handlers_own_transaction_is_kept_and_saved_after_it():
    SEEN.clear()
    job = job_submit(kind="test-progress-in-transaction", params={})
    work()
    assert SEEN == [{"read": 5}, {"read": 5}, {"read": 5, "checked": 5, "written": 4}]
    job.refresh_from_db()
    assert job.progress == {"read": 5, "checked": 5, "written": 4}
