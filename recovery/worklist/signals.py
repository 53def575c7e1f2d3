"""Keeping the task list current: a sign-in starts a visit; any recorded change makes the cached
task counts in the navigation stale."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from simple_history.signals import post_create_historical_record

from recovery.worklist import services


@receiver(user_logged_in, dispatch_uid="worklist-visit")
def _start_visit(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    services.visit_start(user=user)


@receiver(post_create_historical_record, dispatch_uid="worklist-stale-counts")
def _counts_are_stale(sender: Any, **kwargs: Any) -> None:
    services.task_counts_invalidate()
