"""Background jobs and the workers that run them (see recovery/jobs/services.py for the API)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q


class Job(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    ACTIVE = (Status.QUEUED, Status.RUNNING)
    # Keys, kinds and worker names are identifiers matched byte for byte: recovery.integrity's
    # cleaning of typed text must not change them.
    text_is_machine_data = True

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=64)
    # Identical requests carry the same key: while one job with a key is queued or running, a
    # second request for it gets that job (the constraint below holds across processes).
    key = models.CharField(max_length=128)
    params = models.JSONField(default=dict)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    max_attempts = models.PositiveIntegerField(default=3)
    worker = models.CharField(max_length=128, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    progress = models.JSONField(default=dict, blank=True)
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["status", "created_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "key"],
                condition=Q(status__in=["queued", "running"]),
                name="jobs_one_active_job_per_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.key[:12]} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    @property
    def failed(self) -> bool:
        return self.status == self.Status.FAILED

    @property
    def succeeded(self) -> bool:
        return self.status == self.Status.SUCCEEDED


class Worker(models.Model):
    """A running worker process; ``last_seen`` is its heartbeat (also while it is idle)."""

    text_is_machine_data = True

    name = models.CharField(max_length=128, primary_key=True)
    hostname = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    last_seen = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return self.name
