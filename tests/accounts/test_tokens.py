"""Tokens that must be refused, served by a provider of our own (tests/accounts/fake_provider.py):
forged, expired, for another client or from another issuer, replayed or tampered with. Each is
refused with a page that says so, nothing is signed in, no account is created, and the refusal
is in the audit. Also: state, nonce and PKCE are really used."""

from __future__ import annotations

import base64
import json
import time
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import requests
from django.contrib.auth.models import User

from recovery.accounts.models import ExternalIdentity, SignInEvent
from tests.accounts.conftest import sign_in
from tests.accounts.fake_provider import FakeProvider, new_key

pytestmark = pytest.mark.django_db


def assert_refused(client, response, status=400):
    assert response.status_code == status, response.content
    assert "_auth_user_id" not in client.session
    assert not User.objects.exists()
    assert not ExternalIdentity.objects.exists()
    assert SignInEvent.objects.filter(kind=SignInEvent.Kind.REFUSED, method=SignInEvent.Method.SINGLE_SIGN_ON).exists()
    assert not SignInEvent.objects.filter(kind=SignInEvent.Kind.SIGNED_IN).exists()


def test_a_good_token_signs_in(client, fake_provider):
    response = sign_in(client, None, "")
    assert response.status_code == 302
    assert ExternalIdentity.objects.get(subject="user-1").user.groups.get().name == "Finance officer"


def unsigned(claims: dict) -> str:
    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


FORGERIES = {
    # Signed with a key the provider does not publish, under the provider's key ID.
    "forged signature": lambda p, c, h: p.sign(c, h, key=new_key()),
    # A good token with its claims changed afterwards (signature no longer matches).
    "tampered claims": lambda p, c, h: _tamper(p.sign(c, h), {"groups": ["recovery-admins"]}),
    "no signature (alg none)": lambda p, c, h: unsigned(c),
    # A shared-secret algorithm, keyed with the client secret (mozilla-django-oidc's default mode).
    "HS256 with the client secret": lambda p, c, h: jwt.encode(
        c, "test-client-secret-long-enough-for-hs256", algorithm="HS256", headers=h
    ),
    "expired": lambda p, c, h: p.sign({**c, "iat": int(time.time()) - 7200, "exp": int(time.time()) - 3600}, h),
    "no expiry": lambda p, c, h: p.sign({k: v for k, v in c.items() if k != "exp"}, h),
    "issued in the future": lambda p, c, h: p.sign({**c, "iat": int(time.time()) + 3600}, h),
    "wrong audience": lambda p, c, h: p.sign({**c, "aud": "another-app"}, h),
    "no audience": lambda p, c, h: p.sign({k: v for k, v in c.items() if k != "aud"}, h),
    "several audiences, not issued to us": lambda p, c, h: p.sign({**c, "aud": [p.client_id, "another-app"]}, h),
    "wrong issuer": lambda p, c, h: p.sign({**c, "iss": "https://login.evil.example"}, h),
    "no issuer": lambda p, c, h: p.sign({k: v for k, v in c.items() if k != "iss"}, h),
    "wrong nonce (a replayed token)": lambda p, c, h: p.sign({**c, "nonce": "an-old-nonce"}, h),
    "no nonce": lambda p, c, h: p.sign({k: v for k, v in c.items() if k != "nonce"}, h),
    "no subject": lambda p, c, h: p.sign({k: v for k, v in c.items() if k != "sub"}, h),
    "unknown key ID": lambda p, c, h: p.sign(c, {"kid": "key-2"}),
    "not a JWT": lambda p, c, h: "this is not a token",
}


def _tamper(token: str, changes: dict) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims.update(changes)
    new_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{new_payload}.{signature}"


@pytest.mark.parametrize("forgery", FORGERIES, ids=list(FORGERIES))
def test_a_bad_id_token_is_refused(client, fake_provider, forgery):
    fake_provider.token_maker = FORGERIES[forgery]
    response = sign_in(client, None, "")
    assert_refused(client, response)
    assert "could not be verified" in response.content.decode()


def test_several_audiences_are_accepted_when_the_token_was_issued_to_us(client, fake_provider):
    fake_provider.claims = {"aud": [fake_provider.client_id, "another-app"], "azp": fake_provider.client_id}
    assert sign_in(client, None, "").status_code == 302


def test_a_token_without_a_key_id_is_checked_against_the_single_published_key(client, fake_provider):
    fake_provider.token_maker = lambda p, c, h: p.sign(c, {})
    assert sign_in(client, None, "").status_code == 302


def test_the_authorization_request_carries_state_nonce_and_an_s256_pkce_challenge(client, fake_provider):
    sign_in(client, None, "")
    (request,) = fake_provider.authorize_requests
    (token_request,) = fake_provider.token_requests
    assert len(request["state"]) >= 32
    assert len(request["nonce"]) >= 32
    assert request["code_challenge_method"] == "S256"
    assert token_request["code_verifier"] != request["code_challenge"]  # the provider checked it matches
    assert "code_verifier" not in request


def test_a_callback_with_a_state_this_browser_did_not_start_is_refused(client, fake_provider):
    start = client.get("/oidc/authenticate/")
    location = requests.get(start["Location"], allow_redirects=False, timeout=10).headers["Location"]
    code = parse_qs(urlsplit(location).query)["code"][0]
    response = client.get("/oidc/callback/", {"code": code, "state": "forged-state"})
    assert_refused(client, response)


def test_a_callback_in_another_browser_is_refused(client, fake_provider, django_user_model):
    from django.test import Client

    start = client.get("/oidc/authenticate/")
    location = urlsplit(requests.get(start["Location"], allow_redirects=False, timeout=10).headers["Location"])
    other = Client()
    response = other.get(f"{location.path}?{location.query}")
    assert response.status_code == 403
    assert "did not complete" in response.content.decode()
    assert not User.objects.exists()


def test_a_callback_cannot_be_used_twice(client, fake_provider):
    start = client.get("/oidc/authenticate/")
    location = urlsplit(requests.get(start["Location"], allow_redirects=False, timeout=10).headers["Location"])
    assert client.get(f"{location.path}?{location.query}").status_code == 302
    client.post("/accounts/logout/")
    again = client.get(f"{location.path}?{location.query}")
    assert again.status_code == 403  # the state went with the session
    assert "_auth_user_id" not in client.session


def test_the_provider_refusing_the_pkce_verifier_is_refused(client, fake_provider, monkeypatch):
    start = client.get("/oidc/authenticate/")
    location = urlsplit(requests.get(start["Location"], allow_redirects=False, timeout=10).headers["Location"])
    # Someone else's challenge: the verifier this browser holds no longer matches.
    for params in fake_provider._codes.values():
        params["code_challenge"] = "x" * 43
    assert_refused(client, client.get(f"{location.path}?{location.query}"))


def test_the_provider_saying_no_is_shown(client, fake_provider):
    client.get("/oidc/authenticate/")
    state = next(iter(client.session["oidc_states"]))
    response = client.get(
        "/oidc/callback/", {"error": "access_denied", "error_description": "The user cancelled", "state": state}
    )
    assert response.status_code == 403
    assert "The user cancelled" in response.content.decode()
    assert SignInEvent.objects.get().detail == "The provider answered access_denied: The user cancelled"


def test_userinfo_about_someone_else_is_refused(client, fake_provider, monkeypatch):
    monkeypatch.setattr(FakeProvider, "_userinfo", lambda self, request: _json_response({"sub": "someone-else"}))
    assert_refused(client, sign_in(client, None, ""))


def _json_response(data, status=200):
    from tests.accounts.fake_provider import _json

    return _json(data, status)


def test_a_token_endpoint_in_trouble_says_try_again_later(client, fake_provider, monkeypatch):
    monkeypatch.setattr(FakeProvider, "_token", lambda self, request: _json_response({"error": "server_error"}, 502))
    response = sign_in(client, None, "")
    assert response.status_code == 503
    assert "Try again in a few minutes" in response.content.decode()
    assert not User.objects.exists()


@pytest.mark.parametrize("state", [None, "", "a-state-this-browser-never-sent"])
def test_a_provider_error_for_a_sign_in_this_browser_did_not_start_neither_signs_out_nor_shows_its_text(
    client, fake_provider, state
):
    # A link anyone can send: it must not end the session of whoever follows it, nor put the
    # sender's words on the app's own page.
    from tests.factories import UserFactory

    client.force_login(UserFactory(username="finance"))
    client.get("/oidc/authenticate/")  # a sign-in of this browser's own is outstanding
    query = {"error": "access_denied", "error_description": "Your account is locked: call 0800 000 000"}
    if state is not None:
        query["state"] = state
    response = client.get("/oidc/callback/", query)
    assert response.status_code == 403
    text = response.content.decode()
    assert "0800" not in text
    assert "did not complete" in text
    assert "_auth_user_id" in client.session
    assert len(client.session["oidc_states"]) == 1  # this browser's own sign-in can still finish


def test_groups_sent_only_by_the_userinfo_endpoint_give_the_role(client, fake_provider, monkeypatch):
    fake_provider.token_maker = lambda p, c, h: p.sign({k: v for k, v in c.items() if k != "groups"}, h)
    monkeypatch.setattr(
        FakeProvider, "_userinfo", lambda self, request: _json_response({"sub": self.subject, "groups": ["executives"]})
    )
    assert sign_in(client, None, "").status_code == 302
    assert ExternalIdentity.objects.get(subject="user-1").user.groups.get().name == "Executive"


def test_the_id_token_wins_over_the_userinfo_endpoint(client, fake_provider, monkeypatch):
    monkeypatch.setattr(
        FakeProvider,
        "_userinfo",
        lambda self, request: _json_response({"sub": self.subject, "groups": ["recovery-admins"]}),
    )
    assert sign_in(client, None, "").status_code == 302
    assert ExternalIdentity.objects.get(subject="user-1").user.groups.get().name == "Finance officer"


def test_entra_ids_groups_overage_is_refused_with_the_reason(client, fake_provider):
    fake_provider.token_maker = lambda p, c, h: p.sign(
        {
            **{k: v for k, v in c.items() if k != "groups"},
            "_claim_names": {"groups": "src1"},
            "_claim_sources": {"src1": {"endpoint": "https://graph.windows.net/tenant/users/x/getMemberObjects"}},
        },
        h,
    )
    response = sign_in(client, None, "")
    assert_refused(client, response, status=403)
    assert "not in any of the groups that give access" in response.content.decode()
    assert "too many groups" in SignInEvent.objects.get(kind=SignInEvent.Kind.REFUSED).detail


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"code": "x", "state": "y"},
        {"error": "access_denied", "error_description": "spam"},
        {"error": "access_denied", "state": "y"},
    ],
)
def test_callbacks_from_a_browser_that_started_no_sign_in_leave_no_audit_lines(client, fake_provider, query):
    # Anyone can request the callback address: repeated, it must not fill the sign-in audit.
    for _ in range(5):
        response = client.get("/oidc/callback/", query)
        assert response.status_code in (400, 403)
        assert "_auth_user_id" not in client.session
    assert not SignInEvent.objects.exists()
