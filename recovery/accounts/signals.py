"""Audit of every sign-in, whichever way; of refused passwords (django-axes counts those for its
lockout; this keeps them in the same audit as single sign-on). Roles changed in the admin are
recorded by its user page (admin.py)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from recovery.accounts import services
from recovery.accounts.models import SignInEvent

SSO_BACKEND = "recovery.accounts.backends.SingleSignOnBackend"


@receiver(user_logged_in, dispatch_uid="accounts-audit-sign-in")
def record_sign_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    single_sign_on = getattr(user, "backend", "") == SSO_BACKEND
    services.audit_record(
        kind=SignInEvent.Kind.SIGNED_IN,
        method=SignInEvent.Method.SINGLE_SIGN_ON if single_sign_on else SignInEvent.Method.PASSWORD,
        request=request,
        user=user,
        detail="roles: " + (", ".join(sorted(user.groups.values_list("name", flat=True))) or "none"),
    )


@receiver(user_login_failed, dispatch_uid="accounts-audit-password-refused")
def record_password_refused(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    if "password" not in credentials:
        return  # single sign-on refusals are recorded with their reason where they happen
    services.audit_record(
        kind=SignInEvent.Kind.REFUSED,
        method=SignInEvent.Method.PASSWORD,
        request=request,
        username=str(credentials.get("username") or ""),
        detail="Wrong username or password, a password sign-in not allowed for this account, or locked out.",
    )
