"""Every page of the site is in a permission matrix: adding a view without deciding who may use it
fails here. The matrices themselves (tests/*/test_views.py) check each role's status code."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, get_resolver

from tests.accounts import test_people as people_matrix
from tests.accounts import test_views as accounts_matrix
from tests.monitoring import test_views as monitoring_matrix
from tests.operations import test_healthz as operations_matrix
from tests.plans import test_views as plans_matrix
from tests.reporting import test_views as reporting_matrix
from tests.worklist import test_my_tasks as worklist_matrix

# Pages that are not the app's own: Django's admin (administrators only, its own permission
# system) and the sign-in / password pages every visitor needs.
OUTSIDE_THE_MATRIX = {"home"}
AUTH_PAGES = {
    "login",
    "logout",
    "password_change",
    "password_change_done",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
}


def _names(patterns: list, namespace: str = "") -> set[str]:
    names: set[str] = set()
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if pattern.app_name == "admin" or pattern.namespace == "admin":
                continue
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names |= _names(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(f"{namespace}{pattern.name}")
    return names


def test_every_url_of_the_site_is_in_a_permission_matrix():
    covered = (
        {f"plans:{name}" for name in plans_matrix.MATRIX}
        | {f"monitoring:{row[0]}" for row in monitoring_matrix.MATRIX}
        | {f"reporting:{name}" for name in reporting_matrix.MATRIX}
        | set(operations_matrix.MATRIX)
        | set(accounts_matrix.MATRIX)
        | {f"worklist:{name}" for name in worklist_matrix.MATRIX}
        | {f"people:{name}" for name in people_matrix.MATRIX}
    )
    every = _names(get_resolver().url_patterns)
    missing = sorted(every - covered - OUTSIDE_THE_MATRIX - AUTH_PAGES)
    assert not missing, f"add these URLs to a permission matrix in tests/*/test_views.py: {missing}"


def test_home_sends_every_role_to_my_tasks(client, django_user_model):
    from tests.factories import UserFactory

    assert client.get("/").status_code == 302  # to the sign-in page
    for role in ("Service manager", "Finance officer", "Executive", "Administrator"):
        client.force_login(UserFactory(role=role))
        assert client.get("/")["Location"] == "/tasks/"
