"""The tool registrations the sandbox can launch with.

One static registration comes from the settings (client_id, deployment_id, the tool's URLs
under tool_base_url); Dynamic Registration adds more, kept in the sandbox database. Every
launch, deep linking request and token request names its registration by client_id.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from .config import AGS_LAUNCH_SCOPES, SCOPE_LINEITEM, SCOPE_LINEITEM_READONLY, SERVICE_SCOPES
from .config import SandboxSettings as _Settings
from .store import Store, StoredRegistration


@dataclass(frozen=True)
class ToolRegistration:
    client_id: str
    deployment_id: str
    name: str
    login_url: str  # OIDC login initiation
    launch_url: str  # target_link_uri of resource link launches
    deep_link_url: str  # target_link_uri of deep linking requests
    jwks_url: str
    redirect_uris: tuple[str, ...]
    scopes: tuple[str, ...]  # service scopes the token endpoint may grant
    dynamic: bool

    @property
    def tool_netloc(self) -> str:
        """host[:port] of the tool (deep-linked URLs must stay on it)."""
        return urlsplit(self.launch_url).netloc

    def ags_claim_scopes(self) -> list[str]:
        """AGS scopes in the launch claim (Moodle: lineitem, result.readonly, score)."""
        scopes = [s for s in AGS_LAUNCH_SCOPES if s in self.scopes]
        if SCOPE_LINEITEM not in self.scopes and SCOPE_LINEITEM_READONLY in self.scopes:
            scopes.insert(0, SCOPE_LINEITEM_READONLY)
        return scopes


def static_registration(settings: _Settings) -> ToolRegistration:
    tool = settings.tool_base_url
    return ToolRegistration(
        client_id=settings.client_id,
        deployment_id=settings.deployment_id,
        name="Stegvis (fast registrering)",
        login_url=f"{tool}/lti/login",
        launch_url=f"{tool}/lti/launch",
        deep_link_url=f"{tool}/lti/launch",
        jwks_url=f"{tool}/.well-known/jwks.json",
        redirect_uris=(f"{tool}/lti/launch",),
        scopes=SERVICE_SCOPES,
        dynamic=False,
    )


def from_stored(stored: StoredRegistration) -> ToolRegistration:
    return ToolRegistration(
        client_id=stored.client_id,
        deployment_id=stored.deployment_id,
        name=stored.name,
        login_url=stored.login_url,
        launch_url=stored.launch_url,
        deep_link_url=stored.deep_link_url,
        jwks_url=stored.jwks_url,
        redirect_uris=stored.redirect_uris,
        scopes=stored.scopes,
        dynamic=True,
    )


def find_registration(settings: _Settings, store: Store, client_id: str) -> ToolRegistration | None:
    if client_id == settings.client_id:
        return static_registration(settings)
    if not client_id:
        return None
    stored = store.get_registration(client_id)
    return None if stored is None else from_stored(stored)


def all_registrations(settings: _Settings, store: Store) -> list[ToolRegistration]:
    return [static_registration(settings)] + [from_stored(s) for s in store.list_registrations()]
