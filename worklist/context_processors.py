"""The task count in the navigation, read only when a page shows it."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from worklist import selectors


def task_count(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    return {"task_count": SimpleLazyObject(lambda: selectors.task_count(user=user)) if user is not None else 0}
