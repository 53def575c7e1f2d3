"""The plans app: the organisation and the Deficit Recovery Plans."""

from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "plans"
    verbose_name = "Deficit recovery plans"

    def ready(self) -> None:
        from plans import signals  # noqa: F401  (connects the delete protection)
