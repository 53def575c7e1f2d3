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


# The field a confirmation page's button posts. A POST to an action that cannot be undone by its
# author (submit, approve, return, lock, reopen) without it changes nothing and shows the
# confirmation page instead: one click, a replayed form or a crafted post never acts at once.
CONFIRM_FIELD = "confirm"


def confirmed(request: HttpRequest) -> bool:
    """The request is the confirmation page's POST (plain HTML, no JavaScript needed)."""
    return request.method == "POST" and request.POST.get(CONFIRM_FIELD) == "1"
