"""My tasks: the landing page of every role."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from recovery.worklist import selectors


@login_required
@require_GET
def my_tasks(request: HttpRequest) -> HttpResponse:
    return render(request, "worklist/my_tasks.html", {"tasks": selectors.tasks_for(user=request.user)})


@login_required
@require_GET
def task_count(request: HttpRequest) -> HttpResponse:
    """The number in the navigation's "My tasks", fetched by the page once it has loaded (so no
    page pays for it), cached until a change is recorded."""
    return HttpResponse(str(selectors.task_count(user=request.user)), content_type="text/plain; charset=utf-8")
