"""Uploads previewed and never imported are deleted once no session could still confirm them
(`manage.py clean_uploads`, daily from cron); a running background job keeps its upload."""

from __future__ import annotations

import os
import time
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from monitoring import jobs as tracker_jobs
from monitoring.upload_cleanup import oldest_kept, uploads_clean
from recovery.jobs.models import Job
from tests.monitoring.tracker_helpers import scheme, xlsx

pytestmark = pytest.mark.django_db

HOUR = 3600


def stored(name: str, *, hours_old: float) -> str:
    saved = default_storage.save(name, ContentFile(b"x"))
    moment = time.time() - hours_old * HOUR
    os.utime(default_storage.path(saved), (moment, moment))
    return saved


@pytest.mark.parametrize("folder", ["tracker-uploads", "plan-uploads"])
@pytest.mark.parametrize(("hours_old", "deleted"), [(0, False), (23, False), (25, True), (24 * 40, True)])
def test_an_upload_is_deleted_only_once_older_than_a_session_can_last(folder, hours_old, deleted):
    name = stored(f"{folder}/{'a' * 32}.bin", hours_old=hours_old)
    run = uploads_clean()
    assert default_storage.exists(name) is not deleted
    assert (name in run.deleted) is deleted


@pytest.mark.parametrize(("session_hours", "kept_hours"), [(1, 24), (8, 24), (24, 24), (72, 72)])
def test_uploads_are_kept_for_a_session_and_at_least_a_day(settings, session_hours, kept_hours):
    settings.SESSION_COOKIE_AGE = session_hours * HOUR
    assert oldest_kept() == timedelta(hours=kept_hours)


@pytest.mark.parametrize(
    ("status", "kept"),
    [(Job.Status.QUEUED, True), (Job.Status.RUNNING, True), (Job.Status.SUCCEEDED, False), (Job.Status.FAILED, False)],
)
def test_the_upload_of_an_unfinished_background_job_is_kept(finance, status, kept):
    token = "b" * 32
    name = stored(tracker_jobs.upload_name(token), hours_old=24 * 10)
    Job.objects.create(kind=tracker_jobs.TRACKER_CHECK, key=f"k-{status}", params={"token": token}, status=status)
    uploads_clean()
    assert default_storage.exists(name) is kept


def test_other_stored_files_are_never_touched():
    attachment = stored("attachments/plan-1/minutes.pdf", hours_old=24 * 400)
    uploads_clean()
    assert default_storage.exists(attachment)


def test_with_nothing_uploaded_yet_there_is_nothing_to_do():
    run = uploads_clean()
    assert (run.deleted, run.kept, run.failed) == ([], 0, [])


def test_a_previewed_upload_gone_by_the_confirm_says_so(client, finance, settings):
    client.force_login(finance)
    data = xlsx([scheme(ref="1", title="Scheme 1")])
    xlsx_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    preview = client.post(
        reverse("monitoring:tracker_upload"), {"file": SimpleUploadedFile("t.xlsx", data, content_type=xlsx_type)}
    )
    assert preview.status_code == 200
    token = preview.context["token"]
    uploads_clean(older_than=timedelta(0))
    assert not default_storage.exists(tracker_jobs.upload_name(token))
    confirm = client.post(
        reverse("monitoring:tracker_confirm", args=[token]),
        {"fingerprint": preview.context["summary"].fingerprint},
        follow=True,
    )
    assert confirm.status_code == 200
    assert "That upload has expired: upload the file again." in confirm.content.decode()


# The command (cron) ----------------------------------------------------------------------------


def test_the_command_prints_one_line_and_exits_0(capsys):
    stored("tracker-uploads/old.xlsx", hours_old=48)
    stored("tracker-uploads/new.xlsx", hours_old=1)
    call_command("clean_uploads")
    assert capsys.readouterr().out.strip() == "clean_uploads: 1 deleted, 1 kept"


def test_the_command_lists_each_file_with_verbosity_2(capsys):
    stored("plan-uploads/old.bin", hours_old=48)
    call_command("clean_uploads", "--hours", "2", verbosity=2)
    assert "deleted: plan-uploads/old.bin" in capsys.readouterr().out


def test_a_file_that_cannot_be_deleted_fails_the_run(monkeypatch):
    stored("tracker-uploads/old.xlsx", hours_old=48)
    stored("tracker-uploads/older.xlsx", hours_old=72)

    def refuse(name):
        raise PermissionError(13, "Permission denied", name)

    monkeypatch.setattr(default_storage, "delete", refuse)
    with pytest.raises(CommandError, match=r"^clean_uploads: 0 deleted, 0 kept, 2 could not be deleted"):
        call_command("clean_uploads")


@pytest.mark.parametrize("hours", ["0", "-3"])
def test_hours_below_one_are_refused(hours):
    with pytest.raises(CommandError, match="--hours must be 1 or more"):
        call_command("clean_uploads", "--hours", hours)
