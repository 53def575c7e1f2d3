"""The sign-in page, local passwords beside single sign-on (DJANGO_LOCAL_LOGIN), django-axes,
and signing out at the provider too (RP-initiated logout)."""

from __future__ import annotations

import json
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.models import User

from plans.roles import Role
from recovery.accounts.models import SignInEvent
from tests.accounts.conftest import set_user, sign_in
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-test-password-1"


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def password_login(client, username, password=PASSWORD):
    return client.post("/accounts/login/", {"username": username, "password": password})


# --- with nothing configured, signing in is as it was ---------------------------------------------


def test_without_configuration_the_sign_in_page_has_no_single_sign_on(client):
    page = client.get("/accounts/login/").content.decode()
    assert "Sign in with" not in page
    assert 'name="password"' in page
    assert "break-glass" not in page


@pytest.mark.parametrize("path", ["/oidc/authenticate/", "/oidc/callback/?code=x&state=y"])
def test_without_configuration_the_single_sign_on_addresses_are_not_found(client, path):
    assert client.get(path).status_code == 404


def test_without_configuration_a_password_signs_in_as_before(client):
    UserFactory(username="finance", role=Role.FINANCE_OFFICER)
    assert password_login(client, "finance").status_code == 302
    assert logged_in(client)
    event = SignInEvent.objects.get()
    assert (event.kind, event.method, event.username) == ("signed_in", "password", "finance")


def test_a_wrong_password_is_in_the_audit(client):
    UserFactory(username="finance", role=Role.FINANCE_OFFICER)
    password_login(client, "finance", "wrong-password-entirely")
    event = SignInEvent.objects.get()
    assert (event.kind, event.method, event.username, event.user) == ("refused", "password", "finance", None)


# --- the sign-in page with single sign-on -------------------------------------------------------


def test_the_sign_in_page_offers_the_organisation_with_the_page_asked_for(client, sso):
    page = client.get("/accounts/login/?next=/reports/").content.decode()
    assert "Sign in with Example Council" in page
    assert 'href="/oidc/authenticate/?next=%2Freports%2F"' in page
    assert 'name="password"' in page  # local accounts still sign in (DJANGO_LOCAL_LOGIN=all)


def test_the_start_goes_to_the_provider_with_this_client(client, sso):
    location = urlsplit(client.get("/oidc/authenticate/")["Location"])
    query = parse_qs(location.query)
    assert f"{location.scheme}://{location.netloc}" == sso
    assert query["client_id"] == ["recovery-app"]
    assert query["redirect_uri"] == ["http://testserver/oidc/callback/"]
    assert query["scope"] == ["openid email profile"]
    assert query["response_type"] == ["code"]


# --- DJANGO_LOCAL_LOGIN=superusers ----------------------------------------------------------------


@pytest.fixture
def superusers_only(settings, sso):
    settings.LOCAL_LOGIN = "superusers"


@pytest.mark.parametrize("role", list(Role))
def test_with_local_login_off_only_a_superuser_can_use_a_password(client, superusers_only, role):
    UserFactory(username="someone", role=role, is_staff=role is Role.ADMINISTRATOR)
    response = password_login(client, "someone")
    assert response.status_code == 200
    assert not logged_in(client)
    assert "only for break-glass administrator accounts" in response.content.decode()

    UserFactory(username="breakglass", is_superuser=True, is_staff=True)
    assert password_login(client, "breakglass").status_code == 302
    assert logged_in(client)


def test_with_local_login_off_the_password_form_is_folded_away_under_break_glass(client, superusers_only):
    page = client.get("/accounts/login/").content.decode()
    assert "Sign in with Example Council" in page
    assert "<summary>Break-glass administrator sign-in</summary>" in page


def test_switching_local_login_off_ends_the_password_sessions_of_other_users(client, settings):
    UserFactory(username="finance", role=Role.FINANCE_OFFICER)
    password_login(client, "finance")
    assert client.get("/monitoring/").status_code == 200
    settings.LOCAL_LOGIN = "superusers"
    assert client.get("/monitoring/").status_code == 302  # to the sign-in page


def test_with_local_login_off_single_sign_on_still_works(client, superusers_only, sso):
    subject = f"subject-{uuid.uuid4()}"
    set_user(sso, subject, {"email": "e@council.example", "groups": ["executives"]})
    assert sign_in(client, sso, subject).status_code == 302
    assert client.get("/reports/").status_code == 200


# --- django-axes beside single sign-on ----------------------------------------------------------


def test_refused_single_sign_ons_do_not_lock_anyone_out(client, sso):
    for _ in range(6):
        subject = f"subject-{uuid.uuid4()}"
        set_user(sso, subject, {"email": "n@council.example", "groups": ["nothing"]})
        assert sign_in(client, sso, subject).status_code == 403
    subject = f"subject-{uuid.uuid4()}"
    set_user(sso, subject, {"email": "ok@council.example", "groups": ["executives"]})
    assert sign_in(client, sso, subject).status_code == 302
    client.post("/accounts/logout/")
    UserFactory(username="finance", role=Role.FINANCE_OFFICER)
    assert password_login(client, "finance").status_code == 302


def test_passwords_are_still_locked_out_with_single_sign_on_on(client, sso):
    UserFactory(username="finance", role=Role.FINANCE_OFFICER)
    for _ in range(5):
        password_login(client, "finance", "wrong-password-entirely")
    assert password_login(client, "finance").status_code == 429
    assert not logged_in(client)


# --- signing out ----------------------------------------------------------------------------------


def test_signing_out_after_single_sign_on_ends_the_provider_session_too(client, sso):
    subject = f"subject-{uuid.uuid4()}"
    set_user(sso, subject, {"email": "e@council.example", "groups": ["executives"]})
    sign_in(client, sso, subject)
    id_token = client.session["oidc_id_token"]

    response = client.post("/accounts/logout/")

    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == f"{sso}/oauth2/end_session"
    query = parse_qs(location.query)
    assert query["id_token_hint"] == [id_token]
    assert query["post_logout_redirect_uri"] == ["http://testserver/accounts/login/"]
    assert query["client_id"] == ["recovery-app"]
    assert not logged_in(client)
    assert client.get("/reports/").status_code == 302


def test_signing_out_after_a_password_stays_here(client, sso):
    UserFactory(username="finance", role=Role.FINANCE_OFFICER)
    password_login(client, "finance")
    response = client.post("/accounts/logout/")
    assert response["Location"] == "/accounts/login/"
    assert not logged_in(client)


def test_signing_out_needs_a_post(client, sso):
    UserFactory(username="finance", role=Role.FINANCE_OFFICER)
    password_login(client, "finance")
    assert client.get("/accounts/logout/").status_code == 405
    assert logged_in(client)


def test_a_single_sign_on_account_has_no_password_to_change(client, sso):
    subject = f"subject-{uuid.uuid4()}"
    set_user(sso, subject, {"email": "e@council.example", "groups": ["executives"]})
    sign_in(client, sso, subject)
    page = client.get("/reports/").content.decode()
    assert "Change password" not in page
    assert "Sign out" in page
    assert not User.objects.get(email="e@council.example").has_usable_password()


# --- password reset follows DJANGO_LOCAL_LOGIN ---------------------------------------------------


@pytest.mark.parametrize(
    ("local_login", "sent_to"), [("all", {"f@x.example", "b@x.example"}), ("superusers", {"b@x.example"})]
)
def test_password_reset_links_go_only_to_accounts_that_may_use_a_password(
    client, settings, mailoutbox, local_login, sent_to
):
    settings.LOCAL_LOGIN = local_login
    UserFactory(username="finance", email="f@x.example", role=Role.FINANCE_OFFICER)
    UserFactory(username="breakglass", email="b@x.example", is_superuser=True)
    for address in ("f@x.example", "b@x.example"):
        assert client.post("/accounts/password_reset/", {"email": address}).status_code == 302
    assert {message.to[0] for message in mailoutbox} == sent_to


def test_the_django_admin_sign_in_follows_local_login_too(client, superusers_only):
    UserFactory(username="staff", role=Role.ADMINISTRATOR, is_staff=True)
    response = client.post("/admin/login/", {"username": "staff", "password": PASSWORD, "next": "/admin/"})
    assert response.status_code == 200
    assert not logged_in(client)

    UserFactory(username="breakglass", is_superuser=True, is_staff=True)
    response = client.post("/admin/login/", {"username": "breakglass", "password": PASSWORD, "next": "/admin/"})
    assert response.status_code == 302
    assert logged_in(client)


# --- sessions expire as they do for a password -----------------------------------------------------


@pytest.mark.parametrize("method", ["password", "single sign-on"])
@pytest.mark.parametrize("age", [8 * 60 * 60, 15 * 60])
def test_a_session_lasts_as_long_whichever_way_someone_signed_in(client, settings, sso, method, age):
    from datetime import timedelta

    from django.contrib.sessions.models import Session
    from django.utils import timezone

    settings.SESSION_COOKIE_AGE = age
    if method == "password":
        UserFactory(username="finance", role=Role.FINANCE_OFFICER)
        password_login(client, "finance")
    else:
        subject = f"subject-{uuid.uuid4()}"
        set_user(sso, subject, {"email": "f@council.example", "groups": ["finance-officers"]})
        sign_in(client, sso, subject)
    assert client.get("/monitoring/").status_code == 200

    assert client.session.get_expire_at_browser_close()
    assert client.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == ""  # gone when the browser closes
    stored = Session.objects.get(session_key=client.session.session_key)
    assert abs(stored.expire_date - (timezone.now() + timedelta(seconds=age))) < timedelta(seconds=30)

    Session.objects.filter(pk=stored.pk).update(expire_date=timezone.now() - timedelta(seconds=1))
    assert client.get("/monitoring/")["Location"].startswith("/accounts/login/")


# --- signing out where the provider cannot end its session ------------------------------------------


def test_signing_out_from_a_provider_without_an_end_session_endpoint_stays_here(client, fake_provider, monkeypatch):
    from tests.accounts.fake_provider import FakeProvider, _json

    discovery = FakeProvider._discovery

    def without_end_session(self, request):
        document = json.loads(discovery(self, request).get_data())
        del document["end_session_endpoint"]
        return _json(document)

    monkeypatch.setattr(FakeProvider, "_discovery", without_end_session)
    assert sign_in(client, None, "").status_code == 302
    response = client.post("/accounts/logout/")
    assert response["Location"] == "/accounts/login/"
    assert not logged_in(client)


def test_signing_out_while_the_provider_is_away_still_signs_out_here(client, settings, fake_provider):
    from tests.accounts.conftest import configure

    assert sign_in(client, None, "").status_code == 302
    configure(settings, "http://localhost:9")  # nothing listens there, and the cached document is gone
    response = client.post("/accounts/logout/")
    assert response["Location"] == "/accounts/login/"
    assert not logged_in(client)
    assert client.get("/reports/").status_code == 302


# --- break-glass means a local account: one linked to the provider never uses a password ----------


@pytest.fixture
def provider_administrator(client, sso):
    """Someone made a superuser by the provider's administrators' group, who has somehow been given
    a password since (an administrator set one, or a reset link from the People page)."""
    subject = f"subject-{uuid.uuid4()}"
    set_user(sso, subject, {"email": "ada@council.example", "preferred_username": "ada", "groups": ["recovery-admins"]})
    assert sign_in(client, sso, subject).status_code == 302
    client.post("/accounts/logout/")
    user = User.objects.get(username="ada")
    assert user.is_superuser
    user.set_password(PASSWORD)
    user.save()
    return user


def test_with_local_login_off_a_superuser_from_the_provider_cannot_use_a_password(
    client, superusers_only, provider_administrator
):
    # Disabled at the provider (a leaver), they must not keep a way in that goes around it.
    assert password_login(client, "ada").status_code == 200
    assert not logged_in(client)
    client.post("/admin/login/", {"username": "ada", "password": PASSWORD, "next": "/admin/"})
    assert not logged_in(client)
    UserFactory(username="breakglass", is_superuser=True, is_staff=True)
    assert password_login(client, "breakglass").status_code == 302  # a local superuser still can


def test_with_local_login_off_a_password_session_of_a_superuser_from_the_provider_ends(
    client, settings, provider_administrator
):
    assert password_login(client, "ada").status_code == 302  # DJANGO_LOCAL_LOGIN=all: allowed
    assert client.get("/people/").status_code == 200
    settings.LOCAL_LOGIN = "superusers"
    assert client.get("/people/").status_code == 302


def test_with_local_login_off_no_reset_link_goes_to_a_superuser_from_the_provider(
    client, superusers_only, provider_administrator, mailoutbox
):
    assert client.post("/accounts/password_reset/", {"email": "ada@council.example"}).status_code == 302
    breakglass = UserFactory(username="breakglass", is_superuser=True, is_staff=True, role=Role.ADMINISTRATOR)
    client.force_login(breakglass)
    done = client.post(f"/people/{provider_administrator.pk}/password-reset/", follow=True)
    assert "single sign-on" in done.content.decode()
    assert mailoutbox == []
