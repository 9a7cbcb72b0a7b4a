"""Names and Role Provisioning Services 2.0: the course roster, page by page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from lti_app.lti.roles import context_roles
from lti_app.lti.service_client import ServiceClient, ServiceError

SCOPE_MEMBERSHIP = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
MEMBERSHIP_TYPE = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
PAGE_SIZE = 100  # NRPS 2.0 §2.4.2: the tool may ask for pages of a given size
MAX_PAGES = 500  # a loop guard: 50,000 members is far beyond any course


@dataclass(frozen=True)
class Member:
    sub: str
    name: str | None
    email: str | None
    roles: frozenset[str]
    status: str


class NrpsClient(ServiceClient):
    """Reads one course's memberships on behalf of one registration."""

    def members(self, memberships_url: str) -> list[Member]:
        """Every member, following ``Link: <…>; rel="next"`` (NRPS 2.0 §2.4.2)."""
        members: list[Member] = []
        url: str | None = _with_limit(memberships_url, PAGE_SIZE)
        for _ in range(MAX_PAGES):
            if url is None:
                return members
            response = self.call("GET", url, (SCOPE_MEMBERSHIP,), "memberships",
                                 headers={"Accept": MEMBERSHIP_TYPE})
            try:
                body: dict[str, Any] = response.json()
            except ValueError as exc:
                raise ServiceError(f"memberships: not JSON: {exc}", retryable=True) from exc
            members.extend(_member(m) for m in body.get("members", []) if m.get("user_id"))
            # requests keeps the URL exactly as sent (pylti1p3 lower-cases the whole header).
            url = response.links.get("next", {}).get("url")
        raise ServiceError(f"memberships: more than {MAX_PAGES} pages", retryable=False)


def _member(data: dict[str, Any]) -> Member:
    return Member(
        sub=str(data["user_id"]),
        name=data.get("name") or " ".join(
            p for p in (data.get("given_name"), data.get("family_name")) if p) or None,
        email=data.get("email"),
        roles=context_roles(r for r in data.get("roles", []) if isinstance(r, str)),
        status=str(data.get("status", "Active")),
    )


def _with_limit(url: str, limit: int) -> str:
    parts = urlsplit(url)
    if "limit" in parse_qs(parts.query):
        return url
    query = "&".join(q for q in (parts.query, urlencode({"limit": limit})) if q)
    return urlunsplit(parts._replace(query=query))
