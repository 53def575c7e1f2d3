"""Small helpers every app's views share (below plans/ and monitoring/, so no view imports another app's views)."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest


def current_user(request: HttpRequest) -> User:
    """The signed-in user (every view here is behind login_required)."""
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        raise PermissionDenied("Sign in first.")
    return user
