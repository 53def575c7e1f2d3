"""Switching single sign-on on for people who already have accounts: their first sign-in makes a
new account (matching is by subject, never by e-mail); `manage.py move_sso_identity` then gives
their single sign-on to the old account, with its plans and service areas."""

from __future__ import annotations

import uuid
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from plans.roles import Role
from recovery.accounts.models import ExternalIdentity, SignInEvent
from tests.accounts.conftest import set_user, sign_in
from tests.factories import ServiceAreaFactory, UserFactory

pytestmark = pytest.mark.django_db


def move(*args):
    out = StringIO()
    call_command("move_sso_identity", *args, stdout=out)
    return out.getvalue()


def test_the_old_account_signs_in_through_the_provider_after_the_move(client, sso):
    old = UserFactory(username="fiona", email="fiona@council.example", role=Role.SERVICE_MANAGER)
    area = ServiceAreaFactory(managers=[old])
    subject = f"subject-{uuid.uuid4()}"
    set_user(
        sso, subject, {"email": "fiona@council.example", "preferred_username": "fiona", "groups": ["finance-officers"]}
    )
    sign_in(client, sso, subject)
    client.post("/accounts/logout/")
    assert ExternalIdentity.objects.get(subject=subject).user.username == "fiona-2"

    assert "fiona now signs in as subject" in move("fiona-2", "fiona")

    assert sign_in(client, sso, subject).status_code == 302
    assert int(client.session["_auth_user_id"]) == old.pk
    old.refresh_from_db()
    assert set(old.groups.values_list("name", flat=True)) == {Role.FINANCE_OFFICER.value}  # from the token
    assert list(old.assigned_service_areas.all()) == [area]
    assert not User.objects.get(username="fiona-2").is_active
    event = SignInEvent.objects.get(kind=SignInEvent.Kind.IDENTITY_MOVED)
    assert (event.user, event.subject) == (old, subject)
    assert event.detail.startswith("from fiona-2 (now deactivated), by manage.py move_sso_identity")


@pytest.fixture
def made_by_sso(db):
    user = UserFactory(username="new-one")
    ExternalIdentity.objects.create(user=user, issuer="https://idp.example", subject="s-1")
    return user


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ({"username": "breakglass", "is_superuser": True}, "is a superuser"),
        ({"username": "new-one"}, "the same"),
        ({"username": "nobody-by-that-name"}, "No account named"),
    ],
)
def test_a_move_that_cannot_be_made_is_refused_with_a_reason(made_by_sso, target, message):
    if target["username"] != "nobody-by-that-name":
        UserFactory(**target)
    with pytest.raises(CommandError, match=message):
        move("new-one", target["username"])
    assert ExternalIdentity.objects.get(subject="s-1").user == made_by_sso
    assert User.objects.get(username="new-one").is_active


def test_an_account_without_single_sign_on_has_nothing_to_move(db):
    UserFactory(username="a")
    UserFactory(username="b")
    with pytest.raises(CommandError, match="has 0 single sign-on identities"):
        move("a", "b")


def test_an_account_already_signing_in_through_the_provider_is_not_given_a_second(made_by_sso):
    other = UserFactory(username="other")
    ExternalIdentity.objects.create(user=other, issuer="https://idp.example", subject="s-2")
    with pytest.raises(CommandError, match="already signs in through this provider"):
        move("new-one", "other")
