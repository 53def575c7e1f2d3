"""Who made a change, for the history (django-simple-history).

Through the web, simple-history's middleware knows the user. A service may also run from a
command, a task or a test, so every service names the acting user on what it saves."""

from __future__ import annotations

from typing import TypeVar

from django.contrib.auth.models import User
from django.db.models import Model

M = TypeVar("M", bound=Model)


def changed_by(user: User | None, instance: M) -> M:
    """Mark ``instance`` as changed by ``user`` for its next history record; returns it."""
    instance._history_user = user  # type: ignore[attr-defined]
    return instance
