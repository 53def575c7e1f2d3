"""A large tracker is checked and imported by the background worker (issue 16): the upload
queues a job and sends finance to a page that shows rows read, checked and written and
refreshes itself (htmx, or a meta refresh without JavaScript), then the same preview a small
file gets; the confirm queues the import. Only the uploader sees the job; a failed job is a
clear message, not a 500."""

from __future__ import annotations

import html
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from monitoring import jobs as tracker_jobs
from monitoring.models import Scheme, SchemeQuarter
from monitoring.tracker import count_rows
from recovery.jobs.models import Job
from recovery.jobs.services import run_worker
from tests.factories import UserFactory
from tests.monitoring.tracker_helpers import scheme, xlsx

pytestmark = pytest.mark.django_db

UPLOAD = reverse("monitoring:tracker_upload")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def work() -> int:
    """The worker, as `manage.py run_jobs` runs it, until the queue is empty (sharing the test's
    database connection, which it must not close)."""
    return run_worker(once=True, manage_connections=False)


def upload(client, data: bytes, name: str = "big.xlsx"):
    return client.post(UPLOAD, {"file": SimpleUploadedFile(name, data, content_type=XLSX)})


def text(response) -> str:
    return html.unescape(response.content.decode())


def rows_of(count: int, **values) -> bytes:
    return xlsx([scheme(ref=str(number), title=f"Scheme {number}", **values) for number in range(count)])


@pytest.fixture
def background(settings):
    """Jobs wait for a worker (as in production); more than 3 rows is a large file."""
    settings.JOBS_RUN_IMMEDIATELY = False
    settings.TRACKER_BACKGROUND_ROWS = 3


@pytest.fixture
def as_finance(client, finance):
    client.force_login(finance)
    return client


def test_a_large_tracker_is_checked_then_imported_in_the_background(as_finance, background):
    response = upload(as_finance, rows_of(5))
    assert response.status_code == 302
    status_url = response["Location"]
    assert Scheme.objects.count() == 0
    job = Job.objects.get()
    assert (job.kind, job.status, job.params["rows"]) == ("tracker-check", "queued", 6)  # header + 5

    waiting = as_finance.get(status_url)
    assert waiting.status_code == 200
    page = text(waiting)
    assert "Checking the tracker: big.xlsx" in page
    assert "Rows read" in page
    assert "Rows checked" in page
    assert "The background worker is not running" in page  # no worker has been seen yet

    assert work() == 1
    job.refresh_from_db()
    assert job.progress == {"read": 6, "checked": 5}  # the header row is read too
    preview = as_finance.get(status_url)
    assert preview.status_code == 200
    assert preview.templates[0].name == "monitoring/tracker_preview.html"
    summary = preview.context["summary"]
    assert (summary.new, summary.updated, summary.unchanged) == (5, 0, 0)
    assert len(summary.changes) == 5

    confirm = as_finance.post(
        reverse("monitoring:tracker_confirm", args=[preview.context["token"]]),
        {"fingerprint": summary.fingerprint, "scheme": [change.key for change in summary.changes][:4]},
    )
    assert confirm.status_code == 302
    import_url = confirm["Location"]
    assert import_url != status_url
    importing = as_finance.get(import_url)
    assert "Importing the tracker" in text(importing)
    assert "Schemes written" in text(importing)
    assert Scheme.objects.count() == 0  # the worker has not run yet

    assert work() == 1
    job = Job.objects.get(kind="tracker-import")
    assert job.progress == {"read": 6, "checked": 5, "written": 4}
    done = as_finance.get(import_url)
    assert done.status_code == 200
    assert "Imported: 4 new, 0 updated and 0 unchanged schemes. 1 left as they were, as you chose." in text(done)
    assert Scheme.objects.count() == 4
    assert SchemeQuarter.objects.count() == 4


def test_a_small_tracker_is_still_checked_while_the_browser_waits(as_finance, settings):
    settings.JOBS_RUN_IMMEDIATELY = False
    settings.TRACKER_BACKGROUND_ROWS = 6
    response = upload(as_finance, rows_of(5))
    assert response.status_code == 200
    assert response.templates[0].name == "monitoring/tracker_preview.html"
    assert not Job.objects.exists()


def test_the_status_page_refreshes_itself_with_and_without_javascript(as_finance, background):
    status_url = upload(as_finance, rows_of(5))["Location"]
    page = text(as_finance.get(status_url))
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in page
    assert f'<a href="{status_url}">Check again</a>' in page
    assert f'data-hx-get="{status_url}" data-hx-trigger="every 2s"' in page
    # htmx asks for the progress alone while the job runs, and for a reload when it is done.
    partial = as_finance.get(status_url, headers={"HX-Request": "true"})
    assert partial.status_code == 200
    assert text(partial).startswith('<div id="job-status"')
    assert "<html" not in text(partial)
    work()
    finished = as_finance.get(status_url, headers={"HX-Request": "true"})
    assert finished.headers.get("HX-Refresh") == "true"
    assert 'http-equiv="refresh"' not in text(as_finance.get(status_url))  # the preview stops refreshing


def test_a_large_trackers_errors_are_summarised_with_every_one_in_the_csv(as_finance, background):
    status_url = upload(as_finance, rows_of(250, target="lots"))["Location"]
    work()
    preview = as_finance.get(status_url)
    assert preview.status_code == 400
    page = text(preview)
    assert "250 errors: nothing can be imported" in page
    assert "The first 200 of 250:" in page
    assert len(preview.context["shown_errors"]) == 200
    assert [item.count for item in preview.context["error_kinds"]] == [250]
    assert preview.context["error_kinds"][0].kind.startswith("column Target: ")
    assert preview.context["token"] == ""  # nothing to confirm
    assert "/confirm/" not in page
    csv_url = reverse("monitoring:tracker_problems", args=[preview.context["problems_token"]])
    assert csv_url in page
    csv = as_finance.get(csv_url)
    assert csv.status_code == 200
    assert len(csv.content.decode("utf-8-sig").strip().splitlines()) == 1 + 250
    assert Scheme.objects.count() == 0


def test_only_the_uploader_sees_the_job(client, as_finance, background, django_user_model):
    status_url = upload(as_finance, rows_of(5))["Location"]
    work()
    client.force_login(UserFactory(role="Finance officer"))
    assert client.get(status_url).status_code == 404
    client.force_login(UserFactory(role="Administrator"))
    assert client.get(status_url).status_code == 404
    client.force_login(UserFactory(role="Service manager"))
    assert client.get(status_url).status_code == 403
    client.force_login(UserFactory(role="Executive"))
    assert client.get(status_url).status_code == 403
    client.logout()
    assert client.get(status_url).status_code == 302


def test_a_job_of_another_kind_is_not_a_tracker_job(as_finance, finance, background):
    from recovery.jobs.services import job_submit
    from recovery.reporting.jobs import COMMITTEE_PACK

    other = job_submit(kind=COMMITTEE_PACK, params={"year": "2023/24", "quarter": "Q2"}, user=finance)
    assert as_finance.get(reverse("monitoring:tracker_job", args=[other.pk])).status_code == 404
    assert as_finance.get(reverse("monitoring:tracker_job", args=["not-a-job"])).status_code == 404


@pytest.mark.parametrize("kind", ["check", "import"])
def test_a_failed_job_shows_a_clear_message_not_a_500(as_finance, background, monkeypatch, kind):
    def broken(**kwargs):
        raise RuntimeError("disk on fire")

    if kind == "check":
        monkeypatch.setattr(tracker_jobs, "tracker_preview", broken)
        status_url = upload(as_finance, rows_of(5))["Location"]
    else:
        work_url = upload(as_finance, rows_of(5))["Location"]
        work()
        preview = as_finance.get(work_url)
        monkeypatch.setattr(tracker_jobs, "tracker_import", broken)
        status_url = as_finance.post(
            reverse("monitoring:tracker_confirm", args=[preview.context["token"]]),
            {"fingerprint": preview.context["summary"].fingerprint},
        )["Location"]
    work()
    page = as_finance.get(status_url)
    assert page.status_code == 200
    body = text(page)
    what = "checked" if kind == "check" else "imported"
    assert f"Sorry, the file could not be {what}." in body
    assert "disk on fire" not in body  # the cause is for the log, not the page
    assert 'http-equiv="refresh"' not in body
    assert reverse("monitoring:tracker_upload") in body
    assert Scheme.objects.count() == 0


def test_a_worker_that_dies_during_the_import_is_not_retried(as_finance, background):
    from datetime import timedelta

    from django.utils import timezone

    preview = as_finance.get(upload(as_finance, rows_of(5))["Location"])
    work()
    preview = as_finance.get(preview.wsgi_request.path)
    status_url = as_finance.post(
        reverse("monitoring:tracker_confirm", args=[preview.context["token"]]),
        {"fingerprint": preview.context["summary"].fingerprint},
    )["Location"]
    job = Job.objects.get(kind="tracker-import")
    long_ago = timezone.now() - timedelta(minutes=10)
    Job.objects.filter(pk=job.pk).update(status="running", worker="killed:1", attempts=1, heartbeat_at=long_ago)
    page = text(as_finance.get(status_url))
    assert "The import did not finish: the background worker stopped while writing." in page
    assert work() == 0  # not imported behind finance's back later
    assert Scheme.objects.count() == 0


def test_an_unreadable_large_file_says_why(as_finance, background, monkeypatch):
    monkeypatch.setattr(tracker_jobs, "count_rows", lambda data: 10)
    # (A file that is not a workbook counts no rows, so it is refused in the request; here the
    # count is made to say it is large, as a damaged workbook's would.)
    response = upload(as_finance, b"not a workbook at all")
    assert response.status_code == 302
    work()
    page = as_finance.get(response["Location"])
    assert page.status_code == 200
    assert "The file is not an Excel workbook (.xlsx)." in text(page)
    assert 'http-equiv="refresh"' not in text(page)


def test_a_confirm_after_the_figures_moved_shows_the_new_preview(as_finance, background):
    status_url = upload(as_finance, rows_of(5))["Location"]
    work()
    preview = as_finance.get(status_url)
    token, fingerprint = preview.context["token"], preview.context["summary"].fingerprint
    # Someone imports part of it meanwhile (a small file, in the request).
    from monitoring.imports import tracker_import

    tracker_import(source=rows_of(1), user=None)
    import_url = as_finance.post(reverse("monitoring:tracker_confirm", args=[token]), {"fingerprint": fingerprint})[
        "Location"
    ]
    work()
    again = as_finance.get(import_url)
    assert again.status_code == 409
    assert "Nothing was imported: something changed since your preview" in text(again)
    assert again.context["summary"].new == 4
    assert again.context["token"] == token  # confirm again from here
    assert Scheme.objects.count() == 1


# Counting rows without reading the workbook


def _workbook(sheets: list[int], *, declared: str = "") -> bytes:
    workbook = Workbook()
    for index, rows in enumerate(sheets):
        sheet = workbook.active if index == 0 else workbook.create_sheet()
        for number in range(rows):
            sheet.append([f"Scheme {number} " + "x" * 120, number])
    buffer = io.BytesIO()
    workbook.save(buffer)
    data = buffer.getvalue()
    if declared:
        import zipfile

        source = zipfile.ZipFile(io.BytesIO(data))
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
            for item in source.infolist():
                content = source.read(item.filename)
                if item.filename == "xl/worksheets/sheet1.xml":
                    content = re.sub(rb'<dimension ref="[^"]*"', f'<dimension ref="{declared}"'.encode(), content)
                target.writestr(item, content)
        data = out.getvalue()
    return data


@pytest.mark.parametrize("sheets", [[0], [1], [7], [2001], [12_000], [3, 4]])
def test_count_rows_counts_every_row_of_every_sheet(sheets):
    assert count_rows(_workbook(sheets)) == sum(sheets)  # 12,000 rows: several chunks of XML


@pytest.mark.parametrize("declared", ["A1:B2", "A1:XFD20000"])
def test_count_rows_does_not_trust_the_declared_size(declared):
    assert count_rows(_workbook([40], declared=declared)) == 40


@pytest.mark.parametrize("data", [b"", b"not a zip", b"PK\x03\x04broken"])
def test_count_rows_of_a_file_that_is_not_a_workbook_is_zero(data):
    assert count_rows(data) == 0


@pytest.mark.parametrize("ticked", [999, 5_000, 20_000, 60_000])
def test_the_confirm_takes_a_tick_box_for_every_scheme_a_tracker_may_have(as_finance, background, ticked):
    """A 5,000-row tracker's preview has 5,000 tick boxes: Django's default limit of 1,000
    fields refused its confirm with a 400."""
    from monitoring.tracker import MAX_ROWS

    assert ticked <= MAX_ROWS
    preview = as_finance.get(upload(as_finance, rows_of(5))["Location"])
    work()
    preview = as_finance.get(preview.wsgi_request.path)
    summary = preview.context["summary"]
    keys = [change.key for change in summary.changes]
    response = as_finance.post(
        reverse("monitoring:tracker_confirm", args=[preview.context["token"]]),
        {"fingerprint": summary.fingerprint, "scheme": keys + [f"{number:016x}" for number in range(ticked - 5)]},
    )
    assert response.status_code == 302
    work()
    assert "Imported: 5 new" in text(as_finance.get(response["Location"]))
