"""The plans app: the organisation and the Deficit Recovery Plans."""

from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "plans"
    verbose_name = "Deficit recovery plans"

    def ready(self) -> None:
        from django.db.models.signals import pre_save

        from plans import signals  # noqa: F401  (connects the delete protection)
        from recovery import checks  # noqa: F401  (registers the storage checks)
        from recovery.integrity import clean_text_fields

        # Every model's text, whoever saves it: control characters out, nothing over its length.
        pre_save.connect(clean_text_fields, dispatch_uid="recovery.clean_text_fields")
