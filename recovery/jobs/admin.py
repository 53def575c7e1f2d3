"""Background jobs and workers in the Django admin, read-only: what ran, when, and on which worker."""

from django.contrib import admin

from recovery.jobs.models import Job, Worker


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ["kind", "status", "attempts", "worker", "created_at", "finished_at"]
    list_filter = ["kind", "status"]
    readonly_fields = [field.name for field in Job._meta.fields]


@admin.register(Worker)
class WorkerAdmin(admin.ModelAdmin):
    list_display = ["name", "hostname", "pid", "started_at", "last_seen"]
    readonly_fields = ["name", "hostname", "pid", "started_at", "last_seen"]
