"""With DJANGO_S3_BUCKET set, attachments live in S3-compatible storage shared by every server:
uploaded, listed and downloaded through the app (moto stands in for S3 here)."""

from __future__ import annotations

import boto3
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from moto import mock_aws

from plans import services

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 32
BUCKET = "recovery-attachments"


@pytest.fixture
def s3(settings, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-2")
    with mock_aws():
        boto3.client("s3", region_name="eu-west-2").create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-2"}
        )
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {
                "BACKEND": "storages.backends.s3.S3Storage",
                "OPTIONS": {"bucket_name": BUCKET, "default_acl": "private", "file_overwrite": False},
            },
        }
        yield boto3.client("s3", region_name="eu-west-2")


def test_an_attachment_is_stored_in_the_bucket_and_served_by_the_app(s3, plan, manager, client):
    attachment = services.attachment_add(
        plan=plan, user=manager, upload=SimpleUploadedFile("chart.png", PNG), description="Q3 chart"
    )
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket=BUCKET)["Contents"]]
    assert keys == [attachment.file.name]
    assert keys[0].startswith(f"plan-attachments/{plan.pk}/")
    assert keys[0].endswith(".png")
    client.force_login(manager)
    response = client.get(f"/plans/{plan.pk}/attachments/{attachment.pk}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG


def test_a_removed_attachment_leaves_the_bucket(s3, plan, manager, django_capture_on_commit_callbacks):
    attachment = services.attachment_add(plan=plan, user=manager, upload=SimpleUploadedFile("chart.png", PNG))
    with django_capture_on_commit_callbacks(execute=True):
        services.attachment_delete(attachment=attachment, user=manager)
    assert s3.list_objects_v2(Bucket=BUCKET).get("KeyCount") == 0


def test_uploads_never_imported_are_cleaned_from_the_bucket_too(s3, db):
    from datetime import timedelta

    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from monitoring.upload_cleanup import uploads_clean

    old = default_storage.save("tracker-uploads/old.xlsx", ContentFile(b"x"))
    keep = default_storage.save("plan-attachments/1/minutes.pdf", ContentFile(b"y"))
    assert uploads_clean(older_than=timedelta(hours=1)).deleted == []  # just written: kept
    run = uploads_clean(older_than=timedelta(0))
    assert run.deleted == [old]
    assert [item["Key"] for item in s3.list_objects_v2(Bucket=BUCKET)["Contents"]] == [keep]
