"""The sign-in app: single sign-on, the local-password policy and the sign-in audit."""

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "recovery.accounts"
    label = "accounts"
    verbose_name = "Sign-in"

    def ready(self) -> None:
        from recovery.accounts import checks, signals  # noqa: F401  (registers the receivers and checks)
