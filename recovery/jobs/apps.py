"""The background jobs app: jobs that survive a killed worker, and the workers that run them."""

from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class JobsConfig(AppConfig):
    name = "recovery.jobs"
    label = "jobs"
    verbose_name = "Background jobs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Each app declares its job kinds in its own ``jobs`` module (recovery/reporting/jobs.py);
        # importing them here means the web processes and the worker know the same kinds.
        autodiscover_modules("jobs")
