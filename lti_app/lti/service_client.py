"""Calls to LTI Advantage services (AGS, NRPS) on behalf of one registration.

Hand-written on requests rather than pylti1p3's ServiceConnector because that one has no
timeouts, caches tokens per issuer (every Canvas customer shares one issuer) and does not
tell a retryable failure from a final one. Every call here has a timeout and raises
:class:`ServiceError` saying whether a retry can help. Tokens: OAuth 2 client credentials
with a signed client assertion (LTI Security Framework §4.1), cached per registration and
scope set until shortly before they expire.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

import jwt
import requests

TIMEOUT = (5, 20)  # connect, read seconds
TOKEN_LEEWAY = 60
USER_AGENT = "Stegvis-LTI/0.1"  # some Moodle sites answer 403 to requests without one


class ServiceError(Exception):
    """A failed service call; ``retryable`` says whether sending later can succeed."""

    def __init__(
        self, message: str, *, retryable: bool, status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.status = status
        self.retry_after = retry_after


@dataclass(frozen=True)
class ServiceAuth:
    """What is needed to get a token from one registration's token endpoint."""

    registration_key: str  # tokens are cached per registration, never per issuer
    client_id: str
    token_url: str
    audience: str | None
    kid: str
    private_key_pem: str


class _TokenCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: dict[tuple[str, str], tuple[str, float]] = {}

    def get(self, key: tuple[str, str]) -> str | None:
        with self._lock:
            entry = self._tokens.get(key)
        if entry and entry[1] > time.time():
            return entry[0]
        return None

    def put(self, key: tuple[str, str], token: str, expires_in: float) -> None:
        with self._lock:
            self._tokens[key] = (token, time.time() + max(expires_in - TOKEN_LEEWAY, 1))

    def drop(self, key: tuple[str, str]) -> None:
        with self._lock:
            self._tokens.pop(key, None)


_TOKENS = _TokenCache()


def _classify(response: requests.Response, what: str) -> ServiceError:
    status = response.status_code
    body = response.text[:300]
    retry_after: float | None = None
    header = response.headers.get("Retry-After")
    if header and header.isdigit():
        retry_after = float(header)
    # Canvas answers rate limiting with 403 "Rate Limit Exceeded" (doc/api/throttling.md).
    rate_limited = status == 429 or (status == 403 and "rate limit" in body.lower())
    retryable = rate_limited or status >= 500 or status == 408
    return ServiceError(
        f"{what}: HTTP {status} {body}", retryable=retryable, status=status,
        retry_after=retry_after,
    )


class ServiceClient:
    """Authorised calls to one registration's LTI Advantage services."""

    def __init__(self, auth: ServiceAuth, session: requests.Session | None = None) -> None:
        self.auth = auth
        self.http = session or requests.Session()
        self.http.headers["User-Agent"] = USER_AGENT

    def _assertion(self) -> str:
        now = int(time.time())
        claims = {
            "iss": self.auth.client_id,
            "sub": self.auth.client_id,
            "aud": self.auth.audience or self.auth.token_url,
            "iat": now,
            "exp": now + 300,
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(
            claims, self.auth.private_key_pem, algorithm="RS256", headers={"kid": self.auth.kid}
        )

    def token(self, scopes: tuple[str, ...]) -> str:
        """An access token for ``scopes`` (cached per registration and scope set)."""
        key = (self.auth.registration_key, " ".join(sorted(scopes)))
        cached = _TOKENS.get(key)
        if cached:
            return cached
        try:
            response = self.http.post(
                self.auth.token_url,
                data={
                    "grant_type": "client_credentials",
                    "client_assertion_type": (
                        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
                    ),
                    "client_assertion": self._assertion(),
                    "scope": " ".join(sorted(scopes)),
                },
                timeout=TIMEOUT,
            )
        except requests.RequestException as exc:
            raise ServiceError(f"token: {exc}", retryable=True) from exc
        if response.status_code != 200:
            raise _classify(response, "token")
        data = response.json()
        token = str(data["access_token"])
        _TOKENS.put(key, token, float(data.get("expires_in", 3600)))
        return token

    def call(
        self, method: str, url: str, scopes: tuple[str, ...], what: str, **kwargs: Any
    ) -> requests.Response:
        """One authorised call; a 401 drops the cached token and tries once more."""
        for attempt in (1, 2):
            headers = dict(kwargs.pop("headers", {}))
            headers["Authorization"] = f"Bearer {self.token(scopes)}"
            try:
                response = self.http.request(
                    method, url, headers=headers, timeout=TIMEOUT, allow_redirects=False,
                    **kwargs,
                )
            except requests.RequestException as exc:
                raise ServiceError(f"{what}: {exc}", retryable=True) from exc
            if response.status_code == 401 and attempt == 1:
                _TOKENS.drop((self.auth.registration_key, " ".join(sorted(scopes))))
                kwargs["headers"] = {k: v for k, v in headers.items() if k != "Authorization"}
                continue
            if response.status_code >= 300:
                raise _classify(response, what)
            return response
        raise AssertionError("unreachable")

