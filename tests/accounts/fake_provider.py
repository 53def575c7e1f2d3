"""A small OpenID Connect provider of our own that signs in anyone at once and hands back whatever
ID token a test asks for: forged, expired, for someone else... (the real mock provider only issues
good tokens). It checks PKCE as a real provider does, so a test also proves the verifier is sent."""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import jwt
import werkzeug.serving
from cryptography.hazmat.primitives.asymmetric import rsa
from werkzeug.wrappers import Request, Response


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_jwk(key: rsa.RSAPrivateKey, kid: str) -> dict[str, Any]:
    jwk = jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
    return {**jwk, "kid": kid, "use": "sig", "alg": "RS256"}


@dataclass
class FakeProvider:
    base_url: str = ""
    client_id: str = "recovery-app"
    key: rsa.RSAPrivateKey = field(default_factory=new_key)
    kid: str = "key-1"
    subject: str = "user-1"
    # Claims added to (or replacing) the good ID token's; a test sets these.
    claims: dict[str, Any] = field(default_factory=dict)
    # Turns the good claims and header into the token handed back (default: signed properly).
    token_maker: Callable[[FakeProvider, dict[str, Any], dict[str, Any]], str] | None = None
    authorize_requests: list[dict[str, str]] = field(default_factory=list)
    token_requests: list[dict[str, str]] = field(default_factory=list)
    _codes: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def issuer(self) -> str:
        return self.base_url

    def sign(self, claims: dict[str, Any], header: dict[str, Any], key: Any = None, alg: str = "RS256") -> str:
        return jwt.encode(claims, key if key is not None else self.key, algorithm=alg, headers=header)

    def good_claims(self, nonce: str | None) -> dict[str, Any]:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": self.subject,
            "aud": self.client_id,
            "iat": now,
            "exp": now + 300,
            "nonce": nonce,
            "email": f"{self.subject}@council.example",
            "groups": ["finance-officers"],
        }
        claims.update(self.claims)
        return claims

    # --- the HTTP side --------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        handler = {
            "/.well-known/openid-configuration": self._discovery,
            "/authorize": self._authorize,
            "/token": self._token,
            "/userinfo": self._userinfo,
            "/jwks": self._jwks,
        }.get(request.path)
        response = handler(request) if handler else Response("not found", status=404)
        return response(environ, start_response)

    def _discovery(self, request: Request) -> Response:
        return _json(
            {
                "issuer": self.issuer,
                "authorization_endpoint": f"{self.base_url}/authorize",
                "token_endpoint": f"{self.base_url}/token",
                "userinfo_endpoint": f"{self.base_url}/userinfo",
                "jwks_uri": f"{self.base_url}/jwks",
                "end_session_endpoint": f"{self.base_url}/logout",
            }
        )

    def _authorize(self, request: Request) -> Response:
        params = dict(request.args)
        self.authorize_requests.append(params)
        code = secrets.token_urlsafe(16)
        self._codes[code] = params
        query = urlencode({"code": code, "state": params.get("state", "")})
        return Response(status=302, headers={"Location": f"{params['redirect_uri']}?{query}"})

    def _token(self, request: Request) -> Response:
        form = dict(request.form)
        self.token_requests.append(form)
        issued = self._codes.pop(form.get("code", ""), None)
        if issued is None:
            return _json({"error": "invalid_grant"}, status=400)
        verifier = form.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if issued.get("code_challenge_method") != "S256" or challenge != issued.get("code_challenge"):
            return _json({"error": "invalid_grant", "error_description": "PKCE verification failed"}, status=400)
        claims = self.good_claims(issued.get("nonce"))
        header = {"kid": self.kid}
        token = self.token_maker(self, claims, header) if self.token_maker else self.sign(claims, header)
        return _json({"access_token": "access-" + secrets.token_urlsafe(8), "token_type": "Bearer", "id_token": token})

    def _userinfo(self, request: Request) -> Response:
        return _json({"sub": self.subject})

    def _jwks(self, request: Request) -> Response:
        return _json({"keys": [public_jwk(self.key, self.kid)]})


def _json(data: Any, status: int = 200) -> Response:
    import json

    return Response(json.dumps(data), status=status, content_type="application/json")


@contextmanager
def running(provider: FakeProvider) -> Iterator[FakeProvider]:
    server = werkzeug.serving.make_server("localhost", 0, provider, threaded=True)
    provider.base_url = f"http://localhost:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        server.shutdown()
        server.server_close()
        thread.join(2)
