"""The restore drill with attachments in S3-compatible storage (moto stands in for S3)."""

from __future__ import annotations

import boto3
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from moto import mock_aws

from plans import services
from plans.models import Attachment
from tests.factories import PlanFactory
from tests.operations.test_backup import backup, downloads, restore

pytestmark = pytest.mark.django_db(transaction=True)

CONTENTS = {"chart.png": b"\x89PNG\r\n\x1a\n" + b"\x01" * 300, "paper.pdf": b"%PDF-1.4 committee paper"}


def use_bucket(settings, name: str) -> None:
    boto3.client("s3", region_name="eu-west-2").create_bucket(
        Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-2"}
    )
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {"bucket_name": name, "default_acl": "private", "file_overwrite": False},
        },
    }


@pytest.fixture
def aws(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-2")
    with mock_aws():
        yield


def test_the_restore_drill_brings_back_files_kept_in_s3(aws, settings, manager, service_area, tmp_path):
    use_bucket(settings, "live-attachments")
    plan = PlanFactory(service_area=service_area, managers=[manager])
    for name, content in CONTENTS.items():
        services.attachment_add(plan=plan, user=manager, upload=SimpleUploadedFile(name, content))
    archive = backup(tmp_path)

    call_command("flush", interactive=False, verbosity=0)
    use_bucket(settings, "new-machine-attachments")  # a new, empty bucket
    restore(archive)

    assert Attachment.objects.count() == 2
    restored = downloads(manager)
    assert restored == CONTENTS
    keys = boto3.client("s3", region_name="eu-west-2").list_objects_v2(Bucket="new-machine-attachments")["Contents"]
    assert sorted(item["Key"] for item in keys) == sorted(Attachment.objects.values_list("file", flat=True))


def test_healthz_writes_reads_and_deletes_a_probe_in_s3(aws, settings, client):
    from recovery.jobs.services import run_worker

    use_bucket(settings, "live-attachments")
    settings.JOBS_RUN_IMMEDIATELY = False
    run_worker(once=True, manage_connections=False)
    response = client.get("/healthz")
    assert response.status_code == 200, response.json()
    assert response.json()["checks"]["storage"] == {"ok": True}
    listed = boto3.client("s3", region_name="eu-west-2").list_objects_v2(Bucket="live-attachments")
    assert listed["KeyCount"] == 0  # the probe is gone
