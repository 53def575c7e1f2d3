from django.apps import AppConfig


class WorklistConfig(AppConfig):
    name = "worklist"
    verbose_name = "My tasks"

    def ready(self) -> None:
        from worklist import signals  # noqa: F401  (visits and the task counts' cache)
