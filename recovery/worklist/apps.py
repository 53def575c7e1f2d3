"""The My tasks app: each role's landing page, the work waiting for them."""

from django.apps import AppConfig


class WorklistConfig(AppConfig):
    name = "recovery.worklist"
    label = "worklist"  # the app label its migrations and tables were made with
    verbose_name = "My tasks"

    def ready(self) -> None:
        from recovery.worklist import signals  # noqa: F401  (visits and the task counts' cache)
