"""Large report PDFs are produced in the background (recovery.jobs) with a status page."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.urls import reverse

from recovery.jobs.services import run_worker as run_jobs
from recovery.reporting import renderers
from recovery.reporting.jobs import report_pdf_submit

TRANSFORMATION = "/reports/transformation/2012-13/Q2/?format=pdf"


@pytest.fixture
def demo(db, settings):
    settings.DEBUG = True
    call_command("load_demo", verbosity=0)
    settings.DEBUG = False
    cache.clear()


@pytest.fixture
def executive_client(client, django_user_model, demo):
    client.force_login(django_user_model.objects.get(username="executive"))
    return client


@pytest.fixture
def tiny_threshold(settings):
    settings.REPORT_PDF_BACKGROUND_ROWS = 1


@pytest.fixture
def queued(settings):
    """Jobs wait for a worker, as in production."""
    settings.JOBS_RUN_IMMEDIATELY = False


def test_a_small_report_is_rendered_at_once(executive_client, queued):
    response = executive_client.get(TRANSFORMATION)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_a_large_report_is_queued_and_the_status_page_says_so(executive_client, queued, tiny_threshold):
    response = executive_client.get(TRANSFORMATION)
    assert response.status_code == 302
    status = executive_client.get(response["Location"])
    assert status.status_code == 200
    assert b"Preparing your PDF" in status.content
    assert b'http-equiv="refresh"' in status.content  # keeps checking without JavaScript


@pytest.fixture
def run_worker():
    """The real worker loop, running what is queued and then stopping. In production it is a
    process of its own; here it shares the test's database connection, which it must not close
    (on PostgreSQL that would end the test's transaction)."""

    def run() -> None:
        run_jobs(once=True, manage_connections=False)

    return run


def test_when_the_task_has_run_the_status_page_serves_the_pdf(executive_client, queued, tiny_threshold, run_worker):
    response = executive_client.get(TRANSFORMATION)
    assert response.status_code == 302
    assert b"Preparing" in executive_client.get(response["Location"]).content
    run_worker()
    pdf = executive_client.get(response["Location"])
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")


def test_a_failed_render_shows_an_error_and_a_way_to_try_again(
    executive_client, queued, tiny_threshold, monkeypatch, run_worker
):

    def broken(report):
        raise RuntimeError("fonts missing")

    monkeypatch.setattr(renderers, "render_pdf", broken)
    response = executive_client.get(TRANSFORMATION)
    run_worker()
    page = executive_client.get(response["Location"])
    assert page.status_code == 500
    assert b"could not be produced" in page.content
    assert b"Try again" in page.content
    assert b'http-equiv="refresh"' not in page.content  # no spinner that never stops


def test_the_status_page_of_another_users_plan_is_not_found(client, django_user_model, demo, queued):
    from plans.models import DeficitRecoveryPlan
    from recovery.reporting import selectors
    from tests.factories import UserFactory

    plan = DeficitRecoveryPlan.objects.get(tracker_ref="FRB/23/007")
    params = {"plan_id": plan.pk}
    result = report_pdf_submit(kind="plan", params=params, report=selectors.report_for("plan", params))
    stranger = UserFactory(role="Service manager")
    client.force_login(stranger)
    assert client.get(reverse("reporting:pdf_status", args=[result.id])).status_code == 404
    client.force_login(django_user_model.objects.get(username="manager"))
    assert client.get(reverse("reporting:pdf_status", args=[result.id])).status_code == 200


def test_an_unknown_task_is_not_found(executive_client, queued):
    assert executive_client.get("/reports/pdf/00000000-0000-0000-0000-000000000000/").status_code == 404
    assert executive_client.get("/reports/pdf/not-an-id/").status_code == 404


# A worker that dies, no worker at all, identical requests and old links (issue 17).

REPORT_URLS = [
    TRANSFORMATION,
    "/reports/appendix/2022-23/Q3/?format=pdf",
    "/reports/exceptions/2012-13/Q2/?format=pdf",
]


@pytest.fixture
def numbered_pdfs(monkeypatch):
    """Each render gives a distinct (fake) PDF, so a test can tell which render it was served."""
    renders: list[bytes] = []

    def render(report):
        renders.append(f"%PDF-fake {len(renders) + 1} {report.title}".encode())
        return renders[-1]

    monkeypatch.setattr(renderers, "render_pdf", render)
    return renders


def _status_url(response) -> str:
    assert response.status_code == 302, response.status_code
    return response["Location"]


def _kill_the_worker_of_every_running_job() -> None:
    """What SIGKILL leaves: jobs still 'running', their heartbeat stopped long ago."""
    from datetime import timedelta

    from django.utils import timezone

    from recovery.jobs.models import Job

    long_ago = timezone.now() - timedelta(minutes=10)
    for job in Job.objects.filter(status__in=[Job.Status.QUEUED, Job.Status.RUNNING]):
        Job.objects.filter(pk=job.pk).update(
            status=Job.Status.RUNNING, worker="killed:42", attempts=job.attempts + 1, heartbeat_at=long_ago
        )


def test_a_pdf_whose_worker_was_killed_is_finished_by_the_next_worker(
    executive_client, queued, tiny_threshold, run_worker, numbered_pdfs
):
    status = _status_url(executive_client.get(TRANSFORMATION))
    _kill_the_worker_of_every_running_job()
    assert b"Preparing" in executive_client.get(status).content
    run_worker()
    pdf = executive_client.get(status)
    assert pdf.status_code == 200
    assert pdf.content == numbered_pdfs[-1]


def test_a_pdf_whose_worker_keeps_dying_fails_with_a_way_to_try_again(
    executive_client, queued, tiny_threshold, numbered_pdfs
):
    status = _status_url(executive_client.get(TRANSFORMATION))
    for _ in range(3):  # every attempt's worker is killed
        _kill_the_worker_of_every_running_job()
        page = executive_client.get(status)
    assert page.status_code == 500
    assert "the PDF service stopped while producing it" in page.content.decode()
    assert b"Try again" in page.content
    assert b'http-equiv="refresh"' not in page.content
    assert numbered_pdfs == []
    # "Try again" asks for the report afresh: a new job, not the failed one.
    assert _status_url(executive_client.get(TRANSFORMATION)) != status


def test_with_no_worker_the_status_page_says_to_tell_the_administrator(
    executive_client, queued, tiny_threshold, run_worker, settings
):
    from datetime import timedelta

    from django.utils import timezone

    from recovery.jobs.models import Worker

    status = _status_url(executive_client.get(TRANSFORMATION))
    assert "The PDF service is not running — tell your administrator" in executive_client.get(status).content.decode()
    run_worker()  # a worker that ran a while ago, then stopped
    Worker.objects.update(last_seen=timezone.now() - timedelta(seconds=settings.JOBS_WORKER_MISSING_SECONDS + 1))
    status = _status_url(executive_client.get("/reports/exceptions/2012-13/Q2/?format=pdf"))
    assert "tell your administrator" in executive_client.get(status).content.decode()
    Worker.objects.update(last_seen=timezone.now())
    assert "tell your administrator" not in executive_client.get(status).content.decode()


@pytest.mark.parametrize("url", REPORT_URLS)
@pytest.mark.parametrize("requests", [2, 5])
def test_identical_requests_for_a_large_pdf_share_one_job(
    executive_client, queued, tiny_threshold, run_worker, numbered_pdfs, url, requests
):
    from recovery.jobs.models import Job

    locations = {_status_url(executive_client.get(url)) for _ in range(requests)}
    assert len(locations) == 1
    assert Job.objects.count() == 1
    run_worker()
    run_worker()  # a second worker finds nothing left to render
    assert len(numbered_pdfs) == 1


def test_an_old_status_link_never_serves_a_pdf_of_old_figures(
    executive_client, queued, tiny_threshold, run_worker, numbered_pdfs
):
    from django.db.models import Value
    from django.db.models.functions import Concat

    from monitoring.models import Scheme

    status = _status_url(executive_client.get(TRANSFORMATION))
    run_worker()
    assert executive_client.get(status).content == numbered_pdfs[0]
    Scheme.objects.update(title=Concat("title", Value(" (revised)")))
    again = executive_client.get(status)
    assert again.status_code == 302  # not the old PDF: a fresh render of today's figures
    fresh_status = again["Location"]
    assert fresh_status != status
    run_worker()
    fresh = executive_client.get(fresh_status)
    assert fresh.status_code == 200
    assert fresh.content == numbered_pdfs[1]
    assert executive_client.get(status).content == numbered_pdfs[1]  # the old link now gives today's PDF


def test_an_old_status_link_whose_pdf_left_the_cache_renders_it_again(
    executive_client, queued, tiny_threshold, run_worker, numbered_pdfs
):
    status = _status_url(executive_client.get(TRANSFORMATION))
    run_worker()
    cache.clear()
    assert executive_client.get(status).status_code == 302
    run_worker()
    assert executive_client.get(status).content == numbered_pdfs[-1]
    assert len(numbered_pdfs) == 2
