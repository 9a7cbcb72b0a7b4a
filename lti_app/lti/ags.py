"""Assignment and Grade Services 2.0 client: access tokens, line items, scores.

Hand-written on requests rather than pylti1p3's ServiceConnector because that one has no
timeouts, caches tokens per issuer (every Canvas customer shares one issuer) and does not
tell a retryable failure from a final one. Every call here has a timeout and raises
:class:`AgsError` saying whether a retry can help.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import jwt
import requests

TIMEOUT = (5, 20)  # connect, read seconds
TOKEN_LEEWAY = 60
SCOPE_LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
SCOPE_SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
LINEITEM_TYPE = "application/vnd.ims.lis.v2.lineitem+json"
LINEITEMS_TYPE = "application/vnd.ims.lis.v2.lineitemcontainer+json"
SCORE_TYPE = "application/vnd.ims.lis.v1.score+json"
USER_AGENT = "Stegvis-LTI/0.1"  # some Moodle sites answer 403 to requests without one


class AgsError(Exception):
    """A failed AGS call; ``retryable`` says whether sending later can succeed."""

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


@dataclass(frozen=True)
class Score:
    user_id: str
    timestamp: str  # ISO 8601 of the original score time
    activity_progress: str
    grading_progress: str
    score_given: float | None = None
    score_maximum: float | None = None
    comment: str | None = None

    def payload(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "userId": self.user_id,
            "timestamp": self.timestamp,
            "activityProgress": self.activity_progress,
            "gradingProgress": self.grading_progress,
        }
        if self.score_given is not None and self.score_maximum is not None:
            data["scoreGiven"] = self.score_given
            data["scoreMaximum"] = self.score_maximum
        if self.comment:
            data["comment"] = self.comment
        return data


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


def _classify(response: requests.Response, what: str) -> AgsError:
    status = response.status_code
    body = response.text[:300]
    retry_after: float | None = None
    header = response.headers.get("Retry-After")
    if header and header.isdigit():
        retry_after = float(header)
    # Canvas answers rate limiting with 403 "Rate Limit Exceeded" (doc/api/throttling.md).
    rate_limited = status == 429 or (status == 403 and "rate limit" in body.lower())
    retryable = rate_limited or status >= 500 or status == 408
    return AgsError(
        f"{what}: HTTP {status} {body}", retryable=retryable, status=status,
        retry_after=retry_after,
    )


class AgsClient:
    """Calls one platform's AGS endpoints on behalf of one registration."""

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
            raise AgsError(f"token: {exc}", retryable=True) from exc
        if response.status_code != 200:
            raise _classify(response, "token")
        data = response.json()
        token = str(data["access_token"])
        _TOKENS.put(key, token, float(data.get("expires_in", 3600)))
        return token

    def _call(
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
                raise AgsError(f"{what}: {exc}", retryable=True) from exc
            if response.status_code == 401 and attempt == 1:
                _TOKENS.drop((self.auth.registration_key, " ".join(sorted(scopes))))
                kwargs["headers"] = {k: v for k, v in headers.items() if k != "Authorization"}
                continue
            if response.status_code >= 300:
                raise _classify(response, what)
            return response
        raise AssertionError("unreachable")

    def find_or_create_lineitem(
        self, lineitems_url: str, *, resource_link_id: str, resource_id: str, label: str
    ) -> str:
        """The line item of this resource link, created with scoreMaximum 100 if missing."""
        scopes = (SCOPE_LINEITEM,)
        listed = self._call(
            "GET", _with_query(lineitems_url, resource_link_id=resource_link_id), scopes,
            "lineitems", headers={"Accept": LINEITEMS_TYPE},
        ).json()
        for item in listed if isinstance(listed, list) else []:
            if item.get("resourceLinkId") == resource_link_id and item.get("id"):
                return str(item["id"])
        created = self._call(
            "POST", lineitems_url, scopes, "create lineitem",
            json={
                "scoreMaximum": 100, "label": label, "resourceId": resource_id,
                "resourceLinkId": resource_link_id,
            },
            headers={"Content-Type": LINEITEM_TYPE, "Accept": LINEITEM_TYPE},
        ).json()
        return str(created["id"])

    def post_score(self, lineitem_url: str, score: Score) -> None:
        """POST a score to ``<lineitem>/scores`` (AGS 2.0 §3.4), keeping any query string."""
        self._call(
            "POST", scores_url(lineitem_url), (SCOPE_SCORE,), "score",
            json=score.payload(), headers={"Content-Type": SCORE_TYPE},
        )


def scores_url(lineitem_url: str) -> str:
    """Moodle's line item URLs carry a query (``.../lineitem?type_id=1``): the scores
    endpoint is the path + ``/scores`` with the query kept."""
    parts = urlsplit(lineitem_url)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "/scores"))


def _with_query(url: str, **params: str) -> str:
    from urllib.parse import urlencode

    parts = urlsplit(url)
    query = "&".join(q for q in (parts.query, urlencode(params)) if q)
    return urlunsplit(parts._replace(query=query))
