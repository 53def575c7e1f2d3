"""Signing in through a real OpenID Connect provider (oidc-provider-mock): accounts, roles from
groups, refusals, matching by subject, and the audit."""

from __future__ import annotations

import uuid

import pytest
from django.contrib.auth.models import User

from plans.roles import Role
from recovery.accounts.models import ExternalIdentity, SignInEvent
from tests.accounts.conftest import set_user, sign_in
from tests.factories import ServiceAreaFactory, UserFactory

pytestmark = pytest.mark.django_db


def new_subject() -> str:
    # The mock provider lives for the whole session: every test signs in fresh subjects.
    return f"subject-{uuid.uuid4()}"


def roles_of(user: User) -> set[str]:
    return set(user.groups.values_list("name", flat=True))


def test_a_finance_group_member_signs_in_and_reaches_the_finance_pages(client, sso):
    subject = new_subject()
    set_user(sso, subject, {"email": "fiona@council.example", "name": "Fiona Finance", "groups": ["finance-officers"]})

    response = sign_in(client, sso, subject)

    assert response.status_code == 302
    assert response["Location"] == "/"
    user = ExternalIdentity.objects.get(subject=subject).user
    assert roles_of(user) == {Role.FINANCE_OFFICER.value}
    assert (user.email, user.first_name, user.last_name) == ("fiona@council.example", "Fiona", "Finance")
    assert not user.has_usable_password()
    assert client.get("/")["Location"] == "/tasks/"  # every role starts at My tasks
    assert client.get("/monitoring/").status_code == 200
    assert client.get("/monitoring/import/").status_code == 200  # finance only
    assert client.get("/plans/new/").status_code == 403  # a service manager's page


def test_sign_in_returns_to_the_page_asked_for(client, sso):
    subject = new_subject()
    set_user(sso, subject, {"email": "x@council.example", "groups": ["executives"]})
    assert sign_in(client, sso, subject, next_url="/reports/")["Location"] == "/reports/"


def test_sign_in_never_returns_to_another_site(client, sso):
    subject = new_subject()
    set_user(sso, subject, {"email": "x@council.example", "groups": ["executives"]})
    assert sign_in(client, sso, subject, next_url="https://evil.example/")["Location"] == "/"


@pytest.mark.parametrize(
    "groups",
    [[], ["everyone", "staff"], "staff", None, [1, 2], [{"name": "finance-officers"}]],
    ids=["empty", "unmapped", "one-unmapped-string", "no-claim", "numbers", "objects"],
)
def test_no_mapped_group_is_refused_with_a_clear_page_and_no_account(client, sso, groups):
    subject = new_subject()
    claims = {"email": "nobody@council.example"}
    if groups is not None:
        claims["groups"] = groups
    set_user(sso, subject, claims)
    users_before = User.objects.count()

    response = sign_in(client, sso, subject)

    assert response.status_code == 403
    text = response.content.decode()
    assert "not in any of the groups that give access" in text
    assert "nobody@council.example" in text
    assert User.objects.count() == users_before
    assert not ExternalIdentity.objects.exists()
    assert "_auth_user_id" not in client.session
    refusal = SignInEvent.objects.get(kind=SignInEvent.Kind.REFUSED)
    assert refusal.user is None
    assert refusal.subject == subject
    assert refusal.method == SignInEvent.Method.SINGLE_SIGN_ON
    assert "gives a role" in refusal.detail


def test_the_role_follows_the_group_at_every_sign_in_and_service_areas_stay(client, sso):
    subject = new_subject()
    set_user(sso, subject, {"email": "sam@council.example", "groups": ["service-managers"]})
    sign_in(client, sso, subject)
    user = ExternalIdentity.objects.get(subject=subject).user
    assert roles_of(user) == {Role.SERVICE_MANAGER.value}
    area = ServiceAreaFactory(managers=[user])
    client.post("/accounts/logout/")

    set_user(sso, subject, {"email": "sam@council.example", "groups": ["Finance-Leads"]})
    assert sign_in(client, sso, subject).status_code == 302

    user.refresh_from_db()
    assert roles_of(user) == {Role.FINANCE_OFFICER.value}
    assert list(user.assigned_service_areas.all()) == [area]  # assignments are the app's own
    change = SignInEvent.objects.get(kind=SignInEvent.Kind.ROLES_CHANGED)
    assert change.user == user
    assert change.detail == "Service manager → Finance officer"
    assert client.get("/monitoring/import/").status_code == 200


def test_a_user_taken_out_of_every_mapped_group_is_refused_and_loses_their_roles(client, sso):
    subject = new_subject()
    set_user(sso, subject, {"email": "leaver@council.example", "groups": ["executives"]})
    sign_in(client, sso, subject)
    user = ExternalIdentity.objects.get(subject=subject).user
    client.post("/accounts/logout/")

    set_user(sso, subject, {"email": "leaver@council.example", "groups": ["former-staff"]})
    assert sign_in(client, sso, subject).status_code == 403

    assert roles_of(user) == set()
    assert "_auth_user_id" not in client.session
    kinds = list(SignInEvent.objects.filter(user=user).order_by("pk").values_list("kind", flat=True))
    assert kinds == ["account_created", "signed_in", "roles_changed"]


def test_the_administrator_group_opens_the_django_admin_and_leaving_it_closes_it(client, sso):
    subject = new_subject()
    set_user(sso, subject, {"email": "ada@council.example", "groups": ["recovery-admins", "executives"]})
    sign_in(client, sso, subject)
    user = ExternalIdentity.objects.get(subject=subject).user
    assert roles_of(user) == {Role.ADMINISTRATOR.value, Role.EXECUTIVE.value}
    assert client.get("/admin/").status_code == 200
    client.post("/accounts/logout/")

    set_user(sso, subject, {"email": "ada@council.example", "groups": ["executives"]})
    sign_in(client, sso, subject)
    user.refresh_from_db()
    assert not (user.is_staff)
    assert not (user.is_superuser)
    assert client.get("/admin/").status_code == 302


def test_the_account_is_found_by_subject_not_by_email(client, sso):
    local = UserFactory(username="fiona", email="fiona@council.example", role=Role.SERVICE_MANAGER)
    first, second = new_subject(), new_subject()
    set_user(sso, first, {"email": "fiona@council.example", "preferred_username": "fiona", "groups": ["executives"]})

    sign_in(client, sso, first)
    from_provider = ExternalIdentity.objects.get(subject=first).user
    assert from_provider != local  # the same e-mail does not take over the local account
    assert from_provider.username == "fiona-2"
    assert roles_of(local) == {Role.SERVICE_MANAGER.value}
    client.post("/accounts/logout/")

    # The same person with a new e-mail address: the same account, its address updated.
    set_user(sso, first, {"email": "fiona.new@council.example", "groups": ["executives"]})
    sign_in(client, sso, first)
    from_provider.refresh_from_db()
    assert from_provider.email == "fiona.new@council.example"
    assert ExternalIdentity.objects.filter(subject=first).count() == 1
    client.post("/accounts/logout/")

    # Someone else given that address later: a different account.
    set_user(sso, second, {"email": "fiona.new@council.example", "groups": ["executives"]})
    sign_in(client, sso, second)
    assert ExternalIdentity.objects.get(subject=second).user not in {from_provider, local}


def test_an_account_deactivated_in_the_app_is_refused(client, sso):
    subject = new_subject()
    set_user(sso, subject, {"email": "gone@council.example", "groups": ["executives"]})
    sign_in(client, sso, subject)
    user = ExternalIdentity.objects.get(subject=subject).user
    client.post("/accounts/logout/")
    User.objects.filter(pk=user.pk).update(is_active=False)

    response = sign_in(client, sso, subject)

    assert response.status_code == 403
    assert "deactivated" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_every_sign_in_is_recorded_with_user_method_and_time(client, sso):
    subject = new_subject()
    set_user(sso, subject, {"email": "x@council.example", "groups": ["executives"]})
    sign_in(client, sso, subject)
    user = ExternalIdentity.objects.get(subject=subject).user

    event = SignInEvent.objects.get(kind=SignInEvent.Kind.SIGNED_IN)
    assert (event.user, event.method, event.ip_address) == (user, SignInEvent.Method.SINGLE_SIGN_ON, "127.0.0.1")
    assert event.detail == "roles: Executive"
    assert event.at is not None


def test_a_first_sign_in_that_loses_a_race_uses_the_account_the_other_tab_made(sso, monkeypatch):
    from django.db import IntegrityError

    from recovery.accounts import services
    from recovery.accounts.config import single_sign_on

    claims = {"sub": "twin-tabs", "email": "t@council.example", "groups": ["executives"]}
    real = services._sso_sign_in
    attempts = []

    def racing(**kwargs):
        attempts.append(1)
        if len(attempts) == 1:
            real(**kwargs)  # the other tab's sign-in commits first...
            raise IntegrityError("unique_identity_per_issuer")  # ...so this one's insert fails
        return real(**kwargs)

    monkeypatch.setattr(services, "_sso_sign_in", racing)
    user = services.sso_sign_in(config=single_sign_on(), issuer=sso, claims=claims, request=None)
    assert len(attempts) == 2
    assert ExternalIdentity.objects.get(subject="twin-tabs").user == user
    assert User.objects.count() == 1
