"""LTI Dynamic Registration 1.0, tool side: discover the platform, register, learn ids.

An admin pastes one URL into Moodle 4.x or Canvas; the platform opens ``/lti/register``
with ``openid_configuration`` and ``registration_token``. The tool reads the platform's
configuration (§3.4), posts its own registration (§3.5) and stores what comes back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests

from lti_app.errors import AppError

TIMEOUT = (5.0, 20.0)
TOOL_CONFIG = "https://purl.imsglobal.org/spec/lti-tool-configuration"
PLATFORM_CONFIG = "https://purl.imsglobal.org/spec/lti-platform-configuration"
SERVICE_SCOPES = (
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
    "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
)


class RegistrationError(AppError):
    status = 400
    title = "Registreringen mislyktes"
    message = "Stegvis kunne ikke registrere seg i læringsplattformen."
    hint = "Start registreringen på nytt fra læringsplattformen. Feilen er logget."


@dataclass(frozen=True)
class PlatformConfiguration:
    """What the platform's openid-configuration says (the parts Stegvis uses)."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    registration_endpoint: str
    scopes_supported: tuple[str, ...]
    product: str
    messages: tuple[str, ...]


@dataclass(frozen=True)
class RegisteredTool:
    client_id: str
    deployment_id: str | None  # Canvas answers without one; the first launch brings it


def _http_url(value: Any) -> str:
    if not isinstance(value, str) or urlsplit(value).scheme not in {"http", "https"}:
        raise RegistrationError(f"not an http(s) URL: {value!r}")
    return value


def discover(openid_configuration: str, registration_token: str) -> PlatformConfiguration:
    """Read and check the platform's configuration (Dynamic Registration §3.4)."""
    url = _http_url(openid_configuration)
    try:
        # Canvas wants the registration token on this request too.
        response = requests.get(url, timeout=TIMEOUT, allow_redirects=False, headers={
            "Authorization": f"Bearer {registration_token}", "Accept": "application/json"})
        response.raise_for_status()
        data = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise RegistrationError(f"openid configuration {url}: {exc}") from exc
    if not isinstance(data, dict):
        raise RegistrationError("openid configuration is not a JSON object")
    issuer = _http_url(data.get("issuer"))
    # §3.5.1: the issuer must be the start of the configuration URL, so a page that was
    # handed someone else's configuration URL cannot register under that issuer.
    if not url.startswith(issuer.rstrip("/")):
        raise RegistrationError(f"issuer {issuer} does not match {url}")
    platform = data.get(PLATFORM_CONFIG) or {}
    messages = platform.get("messages_supported") or []
    # Moodle 4.x lists strings; the spec says objects with a "type".
    names = tuple(m if isinstance(m, str) else str(m.get("type")) for m in messages)
    return PlatformConfiguration(
        issuer=issuer,
        authorization_endpoint=_http_url(data.get("authorization_endpoint")),
        token_endpoint=_http_url(data.get("token_endpoint")),
        jwks_uri=_http_url(data.get("jwks_uri")),
        registration_endpoint=_http_url(data.get("registration_endpoint")),
        scopes_supported=tuple(s for s in data.get("scopes_supported", []) if isinstance(s, str)),
        product=str(platform.get("product_family_code") or "ukjent"),
        messages=names,
    )


def tool_registration(base_url: str, config: PlatformConfiguration) -> dict[str, Any]:
    """The registration request Stegvis sends (§3.5.2), only with scopes the platform has."""
    launch = f"{base_url}/lti/launch"
    messages: list[dict[str, Any]] = [{"type": "LtiResourceLinkRequest", "target_link_uri": launch}]
    if "LtiDeepLinkingRequest" in config.messages:
        messages.append({
            "type": "LtiDeepLinkingRequest", "target_link_uri": launch,
            "label": "Stegvis: legg til caser", "label#nb": "Stegvis: legg til caser",
        })
    return {
        "application_type": "web",
        "response_types": ["id_token"],
        "grant_types": ["implicit", "client_credentials"],
        "initiate_login_uri": f"{base_url}/lti/login",
        "redirect_uris": [launch],
        "client_name": "Stegvis",
        "client_name#nb": "Stegvis",
        "jwks_uri": f"{base_url}/.well-known/jwks.json",
        "token_endpoint_auth_method": "private_key_jwt",
        "scope": " ".join(s for s in SERVICE_SCOPES if s in config.scopes_supported),
        TOOL_CONFIG: {
            "domain": urlsplit(base_url).netloc,
            "target_link_uri": launch,
            "description": "Øvingscaser: hva gjør du når du er bekymret for et barn?",
            "claims": ["iss", "sub", "name", "given_name", "family_name", "email"],
            "messages": messages,
        },
    }


def register(
    config: PlatformConfiguration, registration_token: str, request_body: dict[str, Any]
) -> RegisteredTool:
    """POST the registration; return the client id and, if given, the deployment id."""
    try:
        response = requests.post(
            config.registration_endpoint, json=request_body, timeout=TIMEOUT,
            allow_redirects=False, headers={"Authorization": f"Bearer {registration_token}"},
        )
    except requests.RequestException as exc:
        raise RegistrationError(f"registration endpoint: {exc}") from exc
    if response.status_code not in (200, 201):
        raise RegistrationError(
            f"registration endpoint answered {response.status_code}: {response.text[:300]}")
    try:
        data = response.json()
        client_id = str(data["client_id"])
    except (ValueError, KeyError, TypeError) as exc:
        raise RegistrationError(f"registration answer without client_id: {exc}") from exc
    deployment = (data.get(TOOL_CONFIG) or {}).get("deployment_id")
    return RegisteredTool(client_id, str(deployment) if deployment else None)


def canvas_configuration(base_url: str) -> dict[str, Any]:
    """The JSON a Canvas admin pastes into a developer key ("Enter URL" method)."""
    launch = f"{base_url}/lti/launch"
    return {
        "title": "Stegvis",
        "description": "Øvingscaser: hva gjør du når du er bekymret for et barn?",
        "oidc_initiation_url": f"{base_url}/lti/login",
        "target_link_uri": launch,
        "public_jwk_url": f"{base_url}/.well-known/jwks.json",
        "scopes": list(SERVICE_SCOPES),
        "extensions": [{
            "platform": "canvas.instructure.com",
            "privacy_level": "public",
            "domain": urlsplit(base_url).netloc,
            "settings": {"placements": [
                {"placement": "assignment_selection", "message_type": "LtiDeepLinkingRequest",
                 "target_link_uri": launch, "text": "Stegvis"},
                {"placement": "link_selection", "message_type": "LtiDeepLinkingRequest",
                 "target_link_uri": launch, "text": "Stegvis"},
            ]},
        }],
        "custom_fields": {},
    }
