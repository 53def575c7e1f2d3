"""Start-up checks of the sign-in settings (shown by `manage.py check` and at every start)."""

from __future__ import annotations

from typing import Any

from django.core import checks

from recovery.accounts.config import local_login_for_superusers_only, single_sign_on


@checks.register(checks.Tags.security)
def sign_in_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    messages: list[checks.CheckMessage] = []
    config = single_sign_on()
    if local_login_for_superusers_only() and config is None:
        messages.append(
            checks.Warning(
                "DJANGO_LOCAL_LOGIN=superusers but single sign-on is not configured: only superusers can sign in.",
                hint="Set OIDC_ISSUER and OIDC_CLIENT_ID, or DJANGO_LOCAL_LOGIN=all.",
                id="accounts.W001",
            )
        )
    if config is not None and not any(config.role_groups.values()):
        messages.append(
            checks.Warning(
                "Single sign-on is on but no group gives a role: everyone who signs in through it is refused.",
                hint="Set OIDC_GROUPS_SERVICE_MANAGER, OIDC_GROUPS_FINANCE_OFFICER, OIDC_GROUPS_EXECUTIVE "
                "and/or OIDC_GROUPS_ADMINISTRATOR.",
                id="accounts.W002",
            )
        )
    return messages
