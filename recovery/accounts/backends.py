"""The two ways to sign in, as Django authentication backends.

``LocalPasswordBackend`` is Django's username-and-password backend, limited to superusers when
DJANGO_LOCAL_LOGIN=superusers. ``SingleSignOnBackend`` is mozilla-django-oidc's OpenID Connect
backend, which checks the state, nonce and PKCE verifier and the ID token's signature against the
provider's published keys; this subclass adds what the library leaves out (its issue #340): the
token's issuer, audience, expiry and issue time are required and checked (PyJWT does the checking),
and the account is found by the provider's subject, never by e-mail (``services.sso_sign_in``).
"""

from __future__ import annotations

from typing import Any

import jwt
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from recovery.accounts import services
from recovery.accounts.config import single_sign_on
from recovery.accounts.discovery import provider_metadata

# Clock difference allowed between this server and the provider when checking exp and iat.
LEEWAY_SECONDS = 60


def is_not_a_password_attempt(request: HttpRequest, credentials: dict[str, Any] | None = None) -> bool:
    """For django-axes: a single sign-on callback checks no password, so axes neither counts it as a
    failed password nor locks it out (the provider has its own protection). Only the callback
    passes a nonce and a PKCE verifier; the password form never does."""
    return bool(credentials) and "nonce" in credentials and "code_verifier" in credentials  # type: ignore[operator]


class LocalPasswordBackend(ModelBackend):
    """Username and password. With DJANGO_LOCAL_LOGIN=superusers only local superusers (the
    break-glass administrators) may use it, and other users' password sessions end at their next
    request."""

    def user_can_authenticate(self, user: Any) -> bool:
        if not super().user_can_authenticate(user):
            return False
        return services.password_sign_in_allowed(user=user)


class SingleSignOnBackend(OIDCAuthenticationBackend):
    """OpenID Connect (authorization code flow with PKCE), configured from the environment.

    The library's constructor reads the provider's endpoints from settings; here they come from
    the discovery document, read only when someone signs in through the provider (a backend is
    also built to load the signed-in user on every request, which must not call the provider).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.UserModel = get_user_model()
        self.issuer = ""

    def authenticate(self, request: HttpRequest | None, **kwargs: Any) -> Any:
        # Only the callback view passes a nonce and a verifier; a password sign-in never reaches here.
        if request is None or "nonce" not in kwargs or "password" in kwargs:
            return None
        config = single_sign_on()
        if config is None:
            return None
        metadata = provider_metadata(config)
        self.config = config
        self.issuer = metadata.issuer
        self.OIDC_OP_TOKEN_ENDPOINT = metadata.token_endpoint
        self.OIDC_OP_USER_ENDPOINT = metadata.userinfo_endpoint
        self.OIDC_OP_JWKS_ENDPOINT = metadata.jwks_uri
        self.OIDC_RP_CLIENT_ID = config.client_id
        self.OIDC_RP_CLIENT_SECRET = settings.OIDC_RP_CLIENT_SECRET
        self.OIDC_RP_SIGN_ALGO = settings.OIDC_RP_SIGN_ALGO
        self.OIDC_RP_IDP_SIGN_KEY = None
        return super().authenticate(request, **kwargs)

    def get_user(self, user_id: Any) -> Any:
        # Django's check (an account deactivated here ends its sessions), not the library's.
        return ModelBackend.get_user(self, user_id)

    def _verify_jws(self, payload: Any, key: Any) -> dict[str, Any]:
        """The library checks the signature (and PyJWT the expiry); this also requires and checks
        the issuer, the audience (this client) and the issue time."""
        try:
            header = jwt.get_unverified_header(payload)
        except jwt.InvalidTokenError as exc:
            raise SuspiciousOperation(f"The ID token is not a signed JWT: {exc}") from exc
        if header.get("alg") != self.OIDC_RP_SIGN_ALGO:
            raise SuspiciousOperation(
                f"The ID token is signed with {header.get('alg')!r}, not {self.OIDC_RP_SIGN_ALGO!r} (OIDC_SIGN_ALGO)."
            )
        try:
            claims: dict[str, Any] = jwt.decode(
                payload,
                key,
                algorithms=[self.OIDC_RP_SIGN_ALGO],
                audience=self.OIDC_RP_CLIENT_ID,
                issuer=self.issuer,
                leeway=LEEWAY_SECONDS,
                options={"require": ["iss", "aud", "exp", "iat", "sub"]},
            )
        except jwt.InvalidTokenError as exc:
            raise SuspiciousOperation(f"The ID token was refused: {exc}.") from exc
        audience = claims["aud"]
        # Several audiences: the token must have been issued to this client (OIDC Core 3.1.3.7).
        if isinstance(audience, list) and len(audience) > 1 and claims.get("azp") != self.OIDC_RP_CLIENT_ID:
            raise SuspiciousOperation("The ID token names several audiences and was not issued to this client (azp).")
        return claims

    def retrieve_matching_jwk(self, token: Any) -> Any:
        """The provider's published key that signed ``token``. As the library's, but a token without
        a key ID is accepted when the provider publishes a single signing key (OIDC Core 10.1
        requires the ID only when there are several), and nothing here can end in a server error."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError as exc:
            raise SuspiciousOperation(f"The ID token is not a signed JWT: {exc}") from exc
        response = requests.get(
            self.OIDC_OP_JWKS_ENDPOINT,
            verify=self.get_settings("OIDC_VERIFY_SSL", True),
            timeout=self.get_settings("OIDC_TIMEOUT", None),
        )
        response.raise_for_status()
        document = response.json()
        keys = document.get("keys") if isinstance(document, dict) else None
        kid, alg = header.get("kid"), header.get("alg")
        candidates = [
            key
            for key in (keys if isinstance(keys, list) else [])
            if isinstance(key, dict)
            and key.get("use", "sig") == "sig"
            and key.get("alg", alg) == alg
            and (kid is None or key.get("kid") == kid)
        ]
        if len(candidates) != 1:
            raise SuspiciousOperation(
                f"{len(candidates)} of the provider's keys match the ID token (key ID {kid!r}); exactly one must."
            )
        try:
            return jwt.PyJWK(candidates[0], algorithm=alg)
        except jwt.PyJWKError as exc:
            raise SuspiciousOperation(f"The provider's key cannot check the ID token: {exc}") from exc

    def get_or_create_user(self, access_token: str, id_token: str, payload: dict[str, Any]) -> Any:
        """The verified ID token's claims, completed by the userinfo endpoint's (which must be about
        the same subject); the ID token wins where both say something."""
        userinfo: dict[str, Any] = {}
        if self.OIDC_OP_USER_ENDPOINT and access_token:
            fetched = self.get_userinfo(access_token, id_token, payload)
            if isinstance(fetched, dict):
                if fetched.get("sub") not in (None, payload.get("sub")):
                    # Raised to the callback view, which records and shows the refusal (the library
                    # would turn it into a silent failure).
                    raise services.SignInNotVerified(
                        "The userinfo endpoint describes a different subject from the ID token."
                    )
                userinfo = fetched
        outcome = services.sso_sign_in(
            config=self.config, issuer=self.issuer, claims={**userinfo, **payload}, request=self.request
        )
        if isinstance(outcome, services.Refusal):
            self.request.sso_refusal = outcome  # shown by the callback view
            return None
        return outcome

    def get_userinfo(self, access_token: str, id_token: str, payload: dict[str, Any]) -> Any:
        try:
            return super().get_userinfo(access_token, id_token, payload)
        except requests.HTTPError as exc:
            raise services.SignInNotVerified(
                f"The provider's userinfo endpoint refused the access token: {exc}"
            ) from exc
