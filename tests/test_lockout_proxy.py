"""Sign-in lockout behind the reverse proxy README describes: the client's address comes from the
trusted proxy's X-Forwarded-For (never from anyone else's), an account is locked out per account
*and* address, and an address is locked out of every account after many failures (spraying)."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory

from recovery.lockout import client_ip
from tests.factories import UserFactory

LOGIN_URL = "/accounts/login/"
PASSWORD = "a-long-test-password-1"  # the factories' password
PROXY = "10.0.0.5"


@pytest.fixture(autouse=True)
def _behind_a_proxy(settings):
    settings.TRUSTED_PROXIES = [PROXY, "10.1.0.0/16"]
    settings.PROXY_COUNT = 1
    settings.AXES_FAILURE_LIMIT = 5
    settings.AXES_IP_FAILURE_LIMIT = 12


def via_proxy(forwarded_for: str) -> dict[str, str]:
    return {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": forwarded_for}


def direct(address: str, forged: str | None = None) -> dict[str, str]:
    headers = {"REMOTE_ADDR": address}
    if forged is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forged
    return headers


def login(username: str, password: str, headers: dict[str, str]) -> int:
    return Client().post(LOGIN_URL, {"username": username, "password": password}, **headers).status_code


# The client's address ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("meta", "expected"),
    [
        (via_proxy("203.0.113.5"), "203.0.113.5"),
        (via_proxy("1.2.3.4, 203.0.113.5"), "203.0.113.5"),  # the client's own entry is not trusted
        (via_proxy(" 2001:db8::1 "), "2001:db8::1"),
        ({"REMOTE_ADDR": "10.1.4.4", "HTTP_X_FORWARDED_FOR": "203.0.113.6"}, "203.0.113.6"),  # a trusted network
        (via_proxy("not-an-address"), PROXY),
        (via_proxy(""), PROXY),
        (direct("198.51.100.7", forged="203.0.113.9"), "198.51.100.7"),  # untrusted: header ignored
        (direct("198.51.100.7"), "198.51.100.7"),
    ],
)
def test_the_client_address_comes_only_from_the_trusted_proxy(meta, expected):
    request = RequestFactory().get("/", **meta)
    assert client_ip(request) == expected


def test_two_proxies_in_line(settings):
    settings.PROXY_COUNT = 2
    request = RequestFactory().get("/", **via_proxy("6.6.6.6, 203.0.113.5, 10.1.0.9"))
    assert client_ip(request) == "203.0.113.5"
    short = RequestFactory().get("/", **via_proxy("203.0.113.5"))
    assert client_ip(short) == PROXY


def test_without_trusted_proxies_the_header_is_ignored(settings):
    settings.TRUSTED_PROXIES = []
    settings.PROXY_COUNT = 0
    request = RequestFactory().get("/", **via_proxy("203.0.113.5"))
    assert client_ip(request) == PROXY


# Lockout --------------------------------------------------------------------------------------------


@pytest.fixture
def victim(db):
    return UserFactory(username="victim")


@pytest.mark.django_db
def test_behind_the_proxy_an_attacker_cannot_lock_a_named_user_out(victim):
    for _ in range(5):
        login("victim", "wrong-password-entirely", via_proxy("203.0.113.5"))
    # The attacker's address is locked out of that account …
    assert login("victim", PASSWORD, via_proxy("203.0.113.5")) == 429
    # … but the victim, signing in through the same proxy from their own address, is not.
    assert login("victim", PASSWORD, via_proxy("203.0.113.9")) == 302


@pytest.mark.django_db
def test_forging_the_forwarded_header_does_not_escape_the_lockout(victim):
    for number in range(5):
        login("victim", "wrong-password-entirely", via_proxy(f"192.0.2.{number}, 203.0.113.5"))
    assert login("victim", PASSWORD, via_proxy("192.0.2.99, 203.0.113.5")) == 429


@pytest.mark.django_db
def test_a_forged_header_from_an_untrusted_source_is_ignored(victim):
    for number in range(5):
        login("victim", "wrong-password-entirely", direct("198.51.100.7", forged=f"203.0.113.{number}"))
    # Locked out by its real address, whatever it claims to be forwarding for …
    assert login("victim", PASSWORD, direct("198.51.100.7", forged="203.0.113.77")) == 429
    # … and the addresses it named are not locked out.
    assert login("victim", PASSWORD, via_proxy("203.0.113.1")) == 302


@pytest.mark.django_db
def test_password_spraying_from_one_address_is_locked_out_across_accounts(db):
    users = [UserFactory(username=f"officer{number}") for number in range(13)]
    for user in users[:11]:
        assert login(user.username, "Summer2026!!", via_proxy("203.0.113.5")) == 200
    assert login(users[11].username, "Summer2026!!", via_proxy("203.0.113.5")) == 429
    # Twelve failures across twelve accounts: the address is locked out of every account …
    assert login(users[12].username, PASSWORD, via_proxy("203.0.113.5")) == 429
    # … and no other address is.
    assert login(users[12].username, PASSWORD, via_proxy("203.0.113.6")) == 302


@pytest.mark.django_db
def test_a_few_mistakes_across_an_office_behind_one_address_lock_nobody_else_out(db):
    users = [UserFactory(username=f"officer{number}") for number in range(4)]
    for user in users[:3]:
        for _ in range(2):
            login(user.username, "typo-password-here", via_proxy("203.0.113.5"))
    assert login(users[3].username, PASSWORD, via_proxy("203.0.113.5")) == 302
