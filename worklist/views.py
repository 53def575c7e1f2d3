"""My tasks: the landing page of every role."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from worklist import selectors


@login_required
@require_GET
def my_tasks(request: HttpRequest) -> HttpResponse:
    return render(request, "worklist/my_tasks.html", {"tasks": selectors.tasks_for(user=request.user)})
