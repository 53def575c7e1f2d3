"""Password reset that follows DJANGO_LOCAL_LOGIN: with passwords for superusers only, nobody
else is sent a reset link (they could not sign in with the new password anyway)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.contrib.auth.forms import PasswordResetForm

from recovery.accounts.config import local_login_for_superusers_only


class LocalPasswordResetForm(PasswordResetForm):
    def get_users(self, email: str) -> Iterator[Any]:
        for user in super().get_users(email):
            if not local_login_for_superusers_only() or user.is_superuser:
                yield user
