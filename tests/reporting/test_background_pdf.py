"""Large report PDFs are produced in the background (django-tasks) with a status page."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.urls import reverse

from recovery.reporting import renderers
from recovery.reporting.tasks import render_report_pdf

DUMMY = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend", "QUEUES": ["default"]}}
DATABASE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
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


def test_a_small_report_is_rendered_at_once(executive_client, settings):
    settings.TASKS = DUMMY
    response = executive_client.get(TRANSFORMATION)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_a_large_report_is_queued_and_the_status_page_says_so(executive_client, settings, tiny_threshold):
    settings.TASKS = DUMMY
    response = executive_client.get(TRANSFORMATION)
    assert response.status_code == 302
    status = executive_client.get(response["Location"])
    assert status.status_code == 200
    assert b"Preparing your PDF" in status.content
    assert b'http-equiv="refresh"' in status.content  # keeps checking without JavaScript


@pytest.fixture
def run_worker(monkeypatch):
    """The real worker, processing what is queued and then stopping. In production it is a
    process of its own; here it shares the test's database connection, which it must not close
    (on PostgreSQL that would end the test's transaction)."""
    from django_tasks_db.management.commands import db_worker

    def run() -> None:
        monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)
        call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)

    return run


def test_when_the_task_has_run_the_status_page_serves_the_pdf(executive_client, settings, tiny_threshold, run_worker):
    settings.TASKS = DATABASE
    response = executive_client.get(TRANSFORMATION)
    assert response.status_code == 302
    assert b"Preparing" in executive_client.get(response["Location"]).content
    run_worker()
    pdf = executive_client.get(response["Location"])
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")


def test_a_failed_render_shows_an_error_and_a_way_to_try_again(
    executive_client, settings, tiny_threshold, monkeypatch, run_worker
):
    settings.TASKS = DATABASE

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


def test_the_status_page_of_another_users_plan_is_not_found(client, django_user_model, demo, settings):
    settings.TASKS = DUMMY
    from plans.models import DeficitRecoveryPlan
    from tests.factories import UserFactory

    plan = DeficitRecoveryPlan.objects.get(tracker_ref="FRB/23/007")
    result = render_report_pdf.enqueue("plan", {"plan_id": plan.pk})
    stranger = UserFactory(role="Service manager")
    client.force_login(stranger)
    assert client.get(reverse("reporting:pdf_status", args=[result.id])).status_code == 404
    client.force_login(django_user_model.objects.get(username="manager"))
    assert client.get(reverse("reporting:pdf_status", args=[result.id])).status_code == 200


def test_an_unknown_task_is_not_found(executive_client, settings):
    settings.TASKS = DUMMY
    assert executive_client.get("/reports/pdf/00000000-0000-0000-0000-000000000000/").status_code == 404
    assert executive_client.get("/reports/pdf/not-an-id/").status_code == 404
