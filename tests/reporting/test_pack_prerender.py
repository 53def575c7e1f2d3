"""The committee pack of a locked quarter is rendered in the background when the quarter is
locked (and again when it is re-locked after reopening), so its download is a cache hit; the
cache key is the data's fingerprint, so a pack whose data changed is never served stale."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from monitoring import services
from monitoring.models import MonitoringQuarter, SchemeQuarter
from recovery.periods import FinancialYear, Period, Quarter
from recovery.reporting import jobs, renderers

pytestmark = pytest.mark.django_db

PERIOD = Period(FinancialYear(2012), Quarter.Q2)  # seed 004's quarter in the demo data
PACK = "/reports/pack/2012-13/Q2/"


def user(username: str):
    return get_user_model().objects.get(username=username)


@pytest.fixture
def renders(monkeypatch) -> list[bytes]:
    """A fake pack renderer: each render is numbered, and the PDF says which render made it."""
    made: list[bytes] = []

    def fake(**kwargs):
        pdf = b"%PDF-fake render " + str(len(made) + 1).encode()
        made.append(pdf)
        return pdf

    monkeypatch.setattr(renderers, "render_pack_pdf", fake)
    return made


def lock(django_capture_on_commit_callbacks, username: str = "finance") -> None:
    with django_capture_on_commit_callbacks(execute=True):
        services.quarter_lock(period=PERIOD, user=user(username))


def download(client) -> bytes:
    client.force_login(user("executive"))
    response = client.get(PACK)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    return response.content


def test_locking_a_quarter_renders_its_pack_so_the_download_is_a_cache_hit(
    client, demo, renders, django_capture_on_commit_callbacks
):
    lock(django_capture_on_commit_callbacks)
    assert len(renders) == 1  # rendered when the quarter was locked, before anyone asked
    assert download(client) == renders[0]
    assert download(client) == renders[0]
    assert len(renders) == 1  # both downloads from the cache


def test_without_a_lock_nothing_is_rendered_until_asked(client, demo, renders):
    assert renders == []
    assert download(client) == b"%PDF-fake render 1"


def test_relocking_after_reopening_renders_the_changed_pack(client, demo, renders, django_capture_on_commit_callbacks):
    lock(django_capture_on_commit_callbacks)
    services.quarter_reopen(period=PERIOD, user=user("admin"), reason="A late correction from the service.")
    figures = SchemeQuarter.objects.filter(scheme__financial_year=PERIOD.year, quarter=PERIOD.quarter).first()
    figures.ytd_actual = (figures.ytd_actual or Decimal(0)) + Decimal(1000)
    figures.save()
    lock(django_capture_on_commit_callbacks)
    assert len(renders) == 2  # the changed data, rendered again at the second lock
    assert download(client) == renders[1]
    assert len(renders) == 2


def test_a_report_that_changes_while_its_pack_renders_is_never_served_stale(
    client, demo, monkeypatch, django_capture_on_commit_callbacks
):
    made: list[bytes] = []

    def slow_render(**kwargs):
        # While the background job renders, someone changes a figure the pack shows.
        if not made:
            figures = SchemeQuarter.objects.filter(scheme__financial_year=PERIOD.year, quarter=PERIOD.quarter).first()
            SchemeQuarter.objects.filter(pk=figures.pk).update(ytd_actual=(figures.ytd_actual or 0) + 5)
        pdf = b"%PDF-render " + str(len(made) + 1).encode()
        made.append(pdf)
        return pdf

    monkeypatch.setattr(renderers, "render_pack_pdf", slow_render)
    lock(django_capture_on_commit_callbacks)
    assert made == [b"%PDF-render 1"]
    # The first render shows the data from before the change: the download renders afresh.
    assert download(client) == b"%PDF-render 2"
    assert download(client) == b"%PDF-render 2"


def test_a_queue_that_fails_does_not_fail_the_lock(
    client, demo, renders, monkeypatch, django_capture_on_commit_callbacks, caplog
):
    def broken(**kwargs):
        raise RuntimeError("the job queue is down")

    monkeypatch.setattr(jobs, "committee_pack_submit", broken)
    lock(django_capture_on_commit_callbacks)
    assert MonitoringQuarter.objects.get(financial_year=PERIOD.year, quarter=PERIOD.quarter).is_locked
    assert "Could not queue the committee pack" in caplog.text
    assert renders == []
    assert download(client) == b"%PDF-fake render 1"  # rendered when first asked for instead
