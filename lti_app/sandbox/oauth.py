"""OAuth 2.0 client credentials with a JWT client assertion (IMS Security Framework
§4.1, RFC 7523), as the platform side.

Hand-written rather than ``LTI1P3PlatformConfAbstract.get_access_token``: the library
checks only the assertion's signature (no iss/sub/aud/exp/jti), accepts any `alg` the
tool's key claims, fetches the tool's JWKS without a refetch on an unknown kid, and issues
a JWT access token whose scopes it never enforces.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jwt
import requests
from jwt.algorithms import RSAAlgorithm

from .registrations import ToolRegistration
from .store import Store

CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ACCESS_TOKEN_LIFETIME = 3600
JWKS_TIMEOUT_SECONDS = 5
# Clock skew tolerated on `iat` only (a tool's clock a little ahead of ours).
IAT_SKEW_SECONDS = 60


class TokenError(Exception):
    """An OAuth 2.0 error response (RFC 6749 §5.2)."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status


class ToolKeySet:
    """The tool's public keys, fetched over HTTP, refetched once when a kid is unknown."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._lock = threading.Lock()
        self._keys: dict[str, Any] = {}

    def _fetch(self) -> dict[str, Any]:
        try:
            resp = requests.get(self.url, timeout=JWKS_TIMEOUT_SECONDS)
            resp.raise_for_status()
            document = resp.json()
        except (requests.RequestException, ValueError) as exc:
            raise TokenError(
                "invalid_client", f"could not fetch the tool's JWKS from {self.url}: {exc}", 401
            ) from exc
        keys: dict[str, Any] = {}
        for jwk in document.get("keys", []) if isinstance(document, dict) else []:
            if not isinstance(jwk, dict) or jwk.get("kty") != "RSA" or not jwk.get("kid"):
                continue
            if jwk.get("alg", "RS256") != "RS256" or jwk.get("use", "sig") != "sig":
                continue
            try:
                keys[str(jwk["kid"])] = RSAAlgorithm.from_jwk(json.dumps(jwk))
            except (jwt.InvalidKeyError, ValueError, KeyError):
                continue
        return keys

    def get(self, kid: str) -> Any:
        with self._lock:
            key = self._keys.get(kid)
            if key is None:
                self._keys = self._fetch()
                key = self._keys.get(kid)
        if key is None:
            raise TokenError("invalid_client", f"no key with kid {kid!r} in the tool's JWKS", 401)
        return key


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    scopes: list[str]
    expires_in: int

    def as_response(self) -> dict[str, Any]:
        return {
            "access_token": self.access_token,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
            "scope": " ".join(self.scopes),
        }


# client_id -> (registration, its key set), or None for an unknown client
RegistrationLookup = Callable[[str], tuple[ToolRegistration, ToolKeySet] | None]


def _verify_assertion(
    assertion: str,
    *,
    token_url: str,
    client_id: str,
    tool_keys: ToolKeySet,
    store: Store,
    now: float,
) -> None:
    try:
        header = jwt.get_unverified_header(assertion)
    except jwt.InvalidTokenError as exc:
        raise TokenError("invalid_client", f"client_assertion is not a JWT: {exc}", 401) from exc
    if header.get("alg") != "RS256":
        raise TokenError("invalid_client", "client_assertion must be signed with RS256", 401)
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise TokenError("invalid_client", "client_assertion has no kid header", 401)
    key = tool_keys.get(kid)
    try:
        # Signature only here; the registered claims are checked below against our clock.
        claims: dict[str, Any] = jwt.decode(
            assertion,
            key,
            algorithms=["RS256"],
            options={
                "verify_aud": False,
                "verify_exp": False,
                "verify_iat": False,
                "verify_nbf": False,
                "verify_iss": False,
            },
        )
    except jwt.InvalidTokenError as exc:
        raise TokenError("invalid_client", f"client_assertion rejected: {exc}", 401) from exc

    if claims.get("iss") != client_id or claims.get("sub") != client_id:
        raise TokenError("invalid_client", "iss and sub must both be the client_id", 401)
    aud = claims.get("aud")
    audiences = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
    if token_url not in audiences:
        raise TokenError("invalid_client", f"aud must contain {token_url}", 401)
    exp = claims.get("exp")
    if not isinstance(exp, int | float) or isinstance(exp, bool):
        raise TokenError("invalid_client", "client_assertion has no exp", 401)
    if exp <= now:
        raise TokenError("invalid_client", "client_assertion has expired", 401)
    iat = claims.get("iat")
    if not isinstance(iat, int | float) or isinstance(iat, bool) or iat > now + IAT_SKEW_SECONDS:
        raise TokenError("invalid_client", "client_assertion needs an iat not in the future", 401)
    nbf = claims.get("nbf")
    if nbf is not None and (not isinstance(nbf, int | float) or nbf > now + IAT_SKEW_SECONDS):
        raise TokenError("invalid_client", "client_assertion is not valid yet (nbf)", 401)
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti:
        raise TokenError("invalid_client", "client_assertion has no jti", 401)
    if not store.record_jti(jti, float(exp), now):
        raise TokenError("invalid_client", "client_assertion jti was already used", 401)


def _assertion_client_id(assertion: str) -> str:
    """The client the assertion claims to come from (checked against its signature later)."""
    try:
        claims = jwt.decode(assertion, options={"verify_signature": False})
    except jwt.InvalidTokenError as exc:
        raise TokenError("invalid_client", f"client_assertion is not a JWT: {exc}", 401) from exc
    sub = claims.get("sub")
    return sub if isinstance(sub, str) else ""


def issue_access_token(
    form: dict[str, str],
    *,
    token_url: str,
    lookup: RegistrationLookup,
    store: Store,
    clock: Callable[[], float],
) -> IssuedToken:
    """Each registration's assertion is checked with that registration's own JWKS."""
    if form.get("grant_type") != "client_credentials":
        raise TokenError("unsupported_grant_type", "grant_type must be client_credentials")
    if form.get("client_assertion_type") != CLIENT_ASSERTION_TYPE:
        raise TokenError(
            "invalid_request", f"client_assertion_type must be {CLIENT_ASSERTION_TYPE}"
        )
    assertion = form.get("client_assertion", "")
    if not assertion:
        raise TokenError("invalid_request", "client_assertion is missing")
    requested = form.get("scope", "").split()
    if not requested:
        raise TokenError("invalid_request", "scope is missing")
    client_id = form.get("client_id") or _assertion_client_id(assertion)
    found = lookup(client_id)
    if found is None:
        raise TokenError("invalid_client", "unknown client_id", 401)
    registration, tool_keys = found
    now = clock()
    _verify_assertion(
        assertion,
        token_url=token_url,
        client_id=registration.client_id,
        tool_keys=tool_keys,
        store=store,
        now=now,
    )
    granted = [s for s in dict.fromkeys(requested) if s in registration.scopes]
    if not granted:
        raise TokenError("invalid_scope", "none of the requested scopes is offered")
    token = secrets.token_urlsafe(32)
    store.save_token(token, registration.client_id, granted, now + ACCESS_TOKEN_LIFETIME)
    return IssuedToken(token, granted, ACCESS_TOKEN_LIFETIME)
