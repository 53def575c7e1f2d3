"""The sign-in audit in the admin: read-only, and a role given or taken away on a user's page is
recorded with who did it."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from plans.roles import Role
from recovery.accounts.models import ExternalIdentity, SignInEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    admin = UserFactory(username="boss", is_staff=True, is_superuser=True)
    client.force_login(admin)
    return client


def change_roles(admin_client, user, roles):
    groups = [Group.objects.get_or_create(name=role.value)[0].pk for role in roles]
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on",
        "groups": groups,
        "date_joined_0": user.date_joined.strftime("%d/%m/%Y"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
        "external_identities-TOTAL_FORMS": "0",
        "external_identities-INITIAL_FORMS": "0",
        "external_identities-MIN_NUM_FORMS": "0",
        "external_identities-MAX_NUM_FORMS": "1000",
    }
    response = admin_client.post(f"/admin/auth/user/{user.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response


def test_a_role_changed_in_the_admin_is_recorded_with_who_changed_it(admin_client):
    user = UserFactory(username="sam", role=Role.SERVICE_MANAGER)
    SignInEvent.objects.all().delete()

    change_roles(admin_client, user, [Role.FINANCE_OFFICER])

    event = SignInEvent.objects.get()
    assert (event.kind, event.method, event.user) == ("roles_changed", "admin", user)
    assert event.detail == "added Finance officer; removed Service manager (by boss)"


def test_saving_a_user_without_changing_roles_records_nothing(admin_client):
    user = UserFactory(username="sam", role=Role.EXECUTIVE)
    SignInEvent.objects.all().delete()
    change_roles(admin_client, user, [Role.EXECUTIVE])
    assert not SignInEvent.objects.exists()


def test_the_audit_and_the_identities_are_read_only_in_the_admin(admin_client):
    user = UserFactory(username="sam", role=Role.EXECUTIVE)
    ExternalIdentity.objects.create(user=user, issuer="https://idp.example", subject="abc-123")
    event = SignInEvent.objects.create(kind="signed_in", method="sso", user=user, username="sam")
    assert admin_client.get("/admin/accounts/signinevent/").status_code == 200
    assert admin_client.get("/admin/accounts/signinevent/add/").status_code == 403
    page = admin_client.get(f"/admin/accounts/signinevent/{event.pk}/change/")
    assert page.status_code == 200
    assert admin_client.post(f"/admin/accounts/signinevent/{event.pk}/change/", {"detail": "edited"}).status_code == 403
    event.refresh_from_db()
    assert event.detail == ""
    assert admin_client.post(f"/admin/accounts/signinevent/{event.pk}/delete/").status_code == 403
    assert "abc-123" in admin_client.get(f"/admin/auth/user/{user.pk}/change/").content.decode()
