"""The typed result of a validated launch; nothing after ``launch`` touches raw claims."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class AgsEndpoint:
    """The Assignment and Grade Services claim (AGS 2.0 §3.1)."""

    scopes: tuple[str, ...] = ()
    lineitems_url: str | None = None
    lineitem_url: str | None = None


@dataclass(frozen=True)
class DeepLinkSettings:
    """The deep_linking_settings claim of an LtiDeepLinkingRequest (Deep Linking 2.0 §4.4.1)."""

    return_url: str
    accept_types: tuple[str, ...] = ()
    accept_multiple: bool = False
    data: str | None = None
    title: str | None = None


@dataclass(frozen=True)
class LaunchContext:
    """Who launched what, from which registration and deployment, in which role."""

    platform_id: int
    deployment_pk: int
    issuer: str
    client_id: str
    deployment_id: str
    message_type: str
    sub: str
    name: str | None
    email: str | None
    locale: str | None
    roles: frozenset[str]
    is_instructor: bool
    context_id: str | None
    context_title: str | None
    context_label: str | None
    resource_link_id: str | None
    resource_link_title: str | None
    custom: Mapping[str, str] = field(default_factory=dict)
    ags: AgsEndpoint = field(default_factory=AgsEndpoint)
    return_url: str | None = None
    deep_linking: DeepLinkSettings | None = None
    # Names and Role Provisioning Services 2.0 §3.6.1.1: the course roster URL.
    memberships_url: str | None = None
