from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "recovery.reporting"
    label = "reporting"
    verbose_name = "Reporting"
