"""Identity providers for the sign-in tests: the real mock OpenID Connect provider
(oidc-provider-mock, in a thread) and our fake one for crafted tokens; and the app's settings
pointing at either."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
import requests
from django.core.cache import cache

from tests.accounts.fake_provider import FakeProvider, running

CLIENT_ID = "recovery-app"
ROLE_GROUPS = {
    "Service manager": ["service-managers"],
    "Finance officer": ["finance-officers", "Finance-Leads"],
    "Executive": ["executives"],
    "Administrator": ["recovery-admins"],
}


@pytest.fixture(scope="session")
def mock_provider_url() -> Iterator[str]:
    """oidc-provider-mock, a real OpenID Connect provider (authlib), for the whole session."""
    os.environ.setdefault("AUTHLIB_INSECURE_TRANSPORT", "1")  # it speaks plain HTTP on localhost
    import oidc_provider_mock

    with oidc_provider_mock.run_server_in_thread() as server:
        yield f"http://localhost:{server.server_port}"


def configure(settings: Any, issuer: str) -> None:
    settings.OIDC_ISSUER = issuer
    settings.OIDC_DISCOVERY_URL = ""
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = "test-client-secret-long-enough-for-hs256"
    settings.OIDC_GROUPS_CLAIM = "groups"
    settings.OIDC_ROLE_GROUPS = ROLE_GROUPS
    settings.OIDC_PROVIDER_NAME = "Example Council"
    cache.clear()


@pytest.fixture
def sso(settings: Any, mock_provider_url: str) -> str:
    """Single sign-on on, through the mock provider; returns its URL."""
    configure(settings, mock_provider_url)
    return mock_provider_url


@pytest.fixture
def fake_provider(settings: Any) -> Iterator[FakeProvider]:
    """Single sign-on on, through the fake provider of crafted tokens."""
    with running(FakeProvider(client_id=CLIENT_ID)) as provider:
        configure(settings, provider.issuer)
        yield provider


def set_user(provider_url: str, subject: str, claims: dict[str, Any]) -> None:
    """What the mock provider will say about ``subject``."""
    response = requests.put(f"{provider_url}/users/{quote(subject, safe='')}", json=claims, timeout=10)
    assert response.status_code == 204, response.text


def sign_in(client: Any, provider_url: str | None, subject: str, *, next_url: str = "") -> Any:
    """The whole authorization-code flow: start here, sign in at the provider as ``subject`` (the
    mock's form), and come back to the callback. Returns the callback's response."""
    start = client.get("/oidc/authenticate/" + (f"?next={quote(next_url)}" if next_url else ""))
    assert start.status_code == 302, start.content
    location = start["Location"]
    if provider_url is not None:
        at_provider = requests.post(location, data={"sub": subject}, allow_redirects=False, timeout=10)
    else:
        at_provider = requests.get(location, allow_redirects=False, timeout=10)
    assert at_provider.status_code == 302, at_provider.text
    back = urlsplit(at_provider.headers["Location"])
    return client.get(f"{back.path}?{back.query}")
