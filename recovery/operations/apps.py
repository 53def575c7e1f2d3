"""The operations app: the health check (/healthz) and backups (backup, restore)."""

from django.apps import AppConfig


class OperationsConfig(AppConfig):
    name = "recovery.operations"
    label = "operations"
    verbose_name = "Operations"
