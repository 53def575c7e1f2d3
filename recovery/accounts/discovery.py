"""The identity provider's endpoints, from its OpenID Connect discovery document.

Read when someone signs in (never at start-up, so the app runs while the provider is away) and
cached for an hour. The document's ``issuer`` must be the configured one exactly, as OpenID
Connect Discovery requires: a document served from elsewhere cannot redirect sign-ins."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.cache import cache

from recovery.accounts.config import SingleSignOn

CACHE_SECONDS = 60 * 60
_LOOPBACK = {"localhost", "127.0.0.1", "::1"}


class ProviderUnavailable(Exception):
    """The provider's discovery document could not be read or is not usable; the message says why."""


@dataclass(frozen=True)
class ProviderMetadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str = ""
    end_session_endpoint: str = ""


def _check_url(name: str, url: object) -> str:
    if not isinstance(url, str) or not url:
        raise ProviderUnavailable(f"The provider's discovery document has no {name}.")
    parts = urlsplit(url)
    # Plain HTTP only to this machine (a provider run for tests or development).
    if parts.scheme != "https" and not (parts.scheme == "http" and parts.hostname in _LOOPBACK):
        raise ProviderUnavailable(f"The provider's {name} is not an https:// address: {url}")
    return url


def provider_metadata(config: SingleSignOn) -> ProviderMetadata:
    """The provider's endpoints (cached); raises ProviderUnavailable with a reason."""
    key = "accounts:oidc-discovery:" + hashlib.sha256(config.discovery_url.encode()).hexdigest()
    cached = cache.get(key)
    if isinstance(cached, ProviderMetadata) and cached.issuer == config.issuer:
        return cached
    _check_url("discovery URL", config.discovery_url)
    try:
        response = requests.get(config.discovery_url, timeout=settings.OIDC_TIMEOUT)
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise ProviderUnavailable(f"The provider's discovery document could not be read: {exc}") from exc
    if not isinstance(document, dict):
        raise ProviderUnavailable("The provider's discovery document is not a JSON object.")
    if document.get("issuer") != config.issuer:
        raise ProviderUnavailable(
            f"The provider says its issuer is {document.get('issuer')!r}, not {config.issuer!r} (OIDC_ISSUER)."
        )
    optional = {
        name: _check_url(name, document[name]) if document.get(name) else ""
        for name in ("userinfo_endpoint", "end_session_endpoint")
    }
    metadata = ProviderMetadata(
        issuer=config.issuer,
        authorization_endpoint=_check_url("authorization_endpoint", document.get("authorization_endpoint")),
        token_endpoint=_check_url("token_endpoint", document.get("token_endpoint")),
        jwks_uri=_check_url("jwks_uri", document.get("jwks_uri")),
        **optional,
    )
    cache.set(key, metadata, CACHE_SECONDS)
    return metadata
