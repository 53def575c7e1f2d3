"""The reporting app: the reports, their renderers, the dashboard and the open-data feed."""

from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "recovery.reporting"
    label = "reporting"
    verbose_name = "Reporting"

    def ready(self) -> None:
        from monitoring.signals import quarter_locked
        from recovery.reporting.signals import prerender_committee_pack

        quarter_locked.connect(prerender_committee_pack, dispatch_uid="reporting.prerender_committee_pack")
