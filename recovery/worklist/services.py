"""Writes for the task list: the visit a sign-in starts, and the cached counts' generation."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.utils import timezone

from recovery.worklist.models import Visit

GENERATION_KEY = "worklist:generation"


def visit_start(*, user: AbstractBaseUser) -> Visit:
    """A sign-in: the visit that was current becomes the previous one."""
    now = timezone.now()
    visit, created = Visit.objects.get_or_create(user_id=user.pk, defaults={"current_started_at": now})
    if not created:
        visit.previous_started_at = visit.current_started_at
        visit.current_started_at = now
        visit.save(update_fields=["previous_started_at", "current_started_at"])
    return visit


def task_counts_invalidate() -> None:
    """Something changed: every user's cached count is recomputed on their next page."""
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:
        cache.set(GENERATION_KEY, 1, None)
