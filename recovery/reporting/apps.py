"""The reporting app: the reports, their renderers, the dashboard and the open-data feed."""

from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "recovery.reporting"
    label = "reporting"
    verbose_name = "Reporting"
