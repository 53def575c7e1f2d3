"""The People page: administrators add people, give and take roles and service areas,
deactivate an account and send a password reset, in the app (not the stock admin)."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client
from django.urls import reverse

from plans.roles import Role, user_roles
from recovery.accounts.models import SignInEvent
from tests.factories import ServiceAreaFactory, UserFactory


def form(**values: object) -> dict[str, object]:
    data: dict[str, object] = {"username": "new.person", "first_name": "Nia", "last_name": "Okafor", "email": ""}
    data["is_active"] = "on"
    data.update(values)
    return {key: value for key, value in data.items() if value is not None}


@pytest.mark.parametrize("who", ["manager", "finance", "executive"])
def test_only_administrators_reach_the_people_pages(client, request, who, administrator):
    client.force_login(request.getfixturevalue(who))
    for url in (
        reverse("people:list"),
        reverse("people:add"),
        reverse("people:change", args=[administrator.pk]),
    ):
        assert client.get(url).status_code == 403
    assert client.post(reverse("people:add"), form()).status_code == 403
    assert client.post(reverse("people:password_reset", args=[administrator.pk])).status_code == 403
    assert not User.objects.filter(username="new.person").exists()


def test_the_navigation_shows_people_to_administrators_only(client, administrator, finance):
    client.force_login(administrator)
    assert reverse("people:list") in client.get(reverse("worklist:my_tasks")).content.decode()
    client.force_login(finance)
    assert reverse("people:list") not in client.get(reverse("worklist:my_tasks")).content.decode()


def test_an_administrator_adds_a_service_manager_with_service_areas(client, administrator):
    areas = [ServiceAreaFactory(name="Libraries"), ServiceAreaFactory(name="Parks")]
    client.force_login(administrator)
    done = client.post(
        reverse("people:add"),
        form(roles=[Role.SERVICE_MANAGER.value], service_areas=[area.pk for area in areas], email="nia@example.org"),
    )
    person = User.objects.get(username="new.person")
    assert done.status_code == 302
    assert user_roles(person) == {Role.SERVICE_MANAGER}
    assert set(person.assigned_service_areas.all()) == set(areas)
    assert not person.has_usable_password()
    event = SignInEvent.objects.get(user=person)
    assert event.kind == SignInEvent.Kind.ACCOUNT_CREATED
    assert f"by {administrator.username}" in event.detail
    page = client.get(reverse("people:list")).content.decode()
    assert "Nia Okafor" in page
    assert "Libraries; Parks" in page


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        (
            {"username": "finance"},
            "username",
            "Someone already has the username “finance”.",
        ),
        (
            {"username": "FINANCE"},
            "username",
            "Someone already has the username “FINANCE”.",
        ),
        (
            {"roles": [Role.FINANCE_OFFICER.value], "service_areas": "AREA"},
            "service_areas",
            "Only a service manager is assigned to service areas",
        ),
        ({"username": "has space"}, "username", "Enter a valid username"),
        ({"email": "not-an-address"}, "email", "Enter a valid email address."),
    ],
)
def test_a_person_who_cannot_be_added_gets_a_clear_error(client, administrator, finance, values, field, message):
    area = ServiceAreaFactory()
    if values.get("service_areas") == "AREA":
        values = {**values, "service_areas": [area.pk]}
    client.force_login(administrator)
    before = User.objects.count()
    page = client.post(reverse("people:add"), form(**values))
    assert page.status_code == 200
    assert message in page.content.decode()
    assert User.objects.count() == before


def test_changing_roles_and_areas_is_audited_and_takes_effect(client, administrator, manager, service_area):
    other = ServiceAreaFactory(name="Waste")
    client.force_login(administrator)
    done = client.post(
        reverse("people:change", args=[manager.pk]),
        form(
            username=manager.username,
            roles=[Role.SERVICE_MANAGER.value, Role.EXECUTIVE.value],
            service_areas=[other.pk],
        ),
    )
    assert done.status_code == 302
    manager.refresh_from_db()
    assert user_roles(User.objects.get(pk=manager.pk)) == {Role.SERVICE_MANAGER, Role.EXECUTIVE}
    assert list(manager.assigned_service_areas.all()) == [other]
    assert manager not in service_area.managers.all()
    event = SignInEvent.objects.get(user=manager, kind=SignInEvent.Kind.ROLES_CHANGED)
    assert event.detail == f"added Executive (by {administrator.username})"


def test_a_deactivated_person_is_signed_out_and_cannot_sign_in(client, administrator, manager):
    other = Client()
    other.force_login(manager)
    assert other.get(reverse("worklist:my_tasks")).status_code == 200
    client.force_login(administrator)
    client.post(
        reverse("people:change", args=[manager.pk]),
        form(username=manager.username, roles=[Role.SERVICE_MANAGER.value], is_active=None),
    )
    manager.refresh_from_db()
    assert not manager.is_active
    assert other.get(reverse("worklist:my_tasks")).status_code == 302  # back to sign in
    signing_in = other.post(reverse("login"), {"username": manager.username, "password": "a-long-test-password-1"})
    assert signing_in.status_code == 200  # the sign-in page again, not a redirect in
    assert other.get(reverse("worklist:my_tasks")).status_code == 302
    assert SignInEvent.objects.filter(user=manager, detail__startswith="deactivated").exists()
    assert "Deactivated" in client.get(reverse("people:list")).content.decode()


def test_an_administrator_cannot_lock_themselves_or_everyone_out(client, administrator):
    client.force_login(administrator)
    url = reverse("people:change", args=[administrator.pk])
    page = client.post(url, form(username=administrator.username, roles=[Role.ADMINISTRATOR.value], is_active=None))
    assert "You cannot deactivate your own account" in page.content.decode()
    page = client.post(url, form(username=administrator.username, roles=[Role.EXECUTIVE.value]))
    assert "You cannot take away your own Administrator role" in page.content.decode()
    administrator.refresh_from_db()
    assert administrator.is_active
    assert Role.ADMINISTRATOR in user_roles(User.objects.get(pk=administrator.pk))


def test_the_last_active_administrator_keeps_the_role(client, administrator):
    # A superuser without the role (support) takes away the only administrator's role: refused.
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    client.force_login(root)
    page = client.post(
        reverse("people:change", args=[administrator.pk]),
        form(username=administrator.username, roles=[Role.EXECUTIVE.value]),
    )
    assert "This is the last active administrator" in page.content.decode()
    second = UserFactory(username="admin2", role=Role.ADMINISTRATOR)
    done = client.post(
        reverse("people:change", args=[administrator.pk]),
        form(username=administrator.username, roles=[Role.EXECUTIVE.value]),
    )
    assert done.status_code == 302
    assert Role.ADMINISTRATOR not in user_roles(User.objects.get(pk=administrator.pk))
    assert second.is_active


def test_a_password_reset_email_lets_a_new_person_set_a_password(client, administrator):
    client.force_login(administrator)
    client.post(reverse("people:add"), form(roles=[Role.FINANCE_OFFICER.value], email="nia@example.org"))
    person = User.objects.get(username="new.person")
    done = client.post(reverse("people:password_reset", args=[person.pk]), follow=True)
    assert "A password reset link has been e-mailed to nia@example.org." in done.content.decode()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["nia@example.org"]
    link = re.search(r"https?://[^/\s]+(/accounts/reset/\S+/)", mail.outbox[0].body)
    assert link is not None
    client.logout()
    form_page = client.get(link.group(1), follow=True)
    assert form_page.status_code == 200
    set_url = form_page.redirect_chain[-1][0] if form_page.redirect_chain else link.group(1)
    client.post(set_url, {"new_password1": "a-fresh-long-password-9", "new_password2": "a-fresh-long-password-9"})
    person.refresh_from_db()
    assert person.check_password("a-fresh-long-password-9")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"email": ""}, "This person has no e-mail address: add one first."),
        ({"is_active": False}, "This account is deactivated: reactivate it first."),
    ],
)
def test_a_password_reset_that_could_not_work_says_why(client, administrator, finance, change, message):
    User.objects.filter(pk=finance.pk).update(**change)
    client.force_login(administrator)
    done = client.post(reverse("people:password_reset", args=[finance.pk]), follow=True)
    assert message in done.content.decode()
    assert mail.outbox == []


def test_the_page_of_someone_who_signs_in_through_the_provider_says_their_roles_come_from_it(
    client, settings, administrator, finance, manager
):
    from recovery.accounts.models import ExternalIdentity

    settings.OIDC_PROVIDER_NAME = "Borsetshire Council"
    ExternalIdentity.objects.create(user=finance, issuer="https://idp.example", subject="finance-subject")
    client.force_login(administrator)
    page = client.get(reverse("people:change", args=[finance.pk])).content.decode()
    assert "signs in through single sign-on" in page
    assert "roles are set from their Borsetshire Council groups at every sign-in" in page
    local = client.get(reverse("people:change", args=[manager.pk])).content.decode()
    assert "signs in through single sign-on" not in local


@pytest.mark.parametrize(("local_login", "offered"), [("all", True), ("superusers", False)])
def test_a_password_reset_is_offered_only_where_a_password_would_let_them_in(
    client, settings, finance, local_login, offered
):
    settings.LOCAL_LOGIN = local_login
    # A break-glass administrator: with passwords for superusers only, the others use single sign-on.
    client.force_login(UserFactory(username="breakglass", is_superuser=True, role=Role.ADMINISTRATOR))
    page = client.get(reverse("people:change", args=[finance.pk])).content.decode()
    assert ("Send a password reset" in page) is offered
    assert ("Passwords here are only for break-glass administrators" in page) is not offered


def test_the_people_list_finds_by_name_and_pages(client, administrator):
    for number in range(55):
        UserFactory(username=f"person{number:02d}", first_name="Sam", last_name=f"Jones{number:02d}")
    client.force_login(administrator)
    page = client.get(reverse("people:list"), {"q": "jones0"}).content.decode()
    assert page.count("Sam Jones0") == 10
    first = client.get(reverse("people:list")).content.decode()
    assert "1 of 2" in first


# The People pages' permission matrix (tests/test_url_coverage.py): what each visitor gets.
MATRIX = {
    # name: (method, anonymous, manager, finance, executive, administrator)
    "list": ("get", 302, 403, 403, 403, 200),
    "add": ("get", 302, 403, 403, 403, 200),
    "change": ("get", 302, 403, 403, 403, 200),
    "password_reset": ("post", 302, 403, 403, 403, 302),
}
VISITORS = ("anonymous", "manager", "finance", "executive", "administrator")


@pytest.mark.parametrize("name", MATRIX)
@pytest.mark.parametrize("visitor", VISITORS)
def test_people_permission_matrix(client, db, request, name, visitor):
    target = UserFactory(username="target", role=Role.FINANCE_OFFICER)
    if visitor != "anonymous":
        client.force_login(request.getfixturevalue(visitor))
    method, *expected = MATRIX[name]
    url = reverse(f"people:{name}", args=[target.pk] if name in ("change", "password_reset") else [])
    assert getattr(client, method)(url).status_code == expected[VISITORS.index(visitor)]
    if method == "post":
        assert client.get(url).status_code in (302, 403, 405)
