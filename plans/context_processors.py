"""What the navigation bar may offer, asked of the rules (plans/rules.py) rather than of Django's
``perms``, which says yes to any superuser: a link is shown only where following it is allowed."""

from functools import cached_property
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest

from plans.rules import can


class Navigation:
    """Each answer is worked out only if a template asks for it."""

    def __init__(self, request: HttpRequest) -> None:
        # An error page rendered before the middleware ran (a bad Host header) has no user.
        self._user = getattr(request, "user", None) or AnonymousUser()

    @cached_property
    def read_summaries(self) -> bool:
        return can(self._user, "reporting.view_summaries")

    @cached_property
    def manage_people(self) -> bool:
        return can(self._user, "accounts.manage_people")


def navigation(request: HttpRequest) -> dict[str, Any]:
    return {"may": Navigation(request)}
