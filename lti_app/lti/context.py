"""The typed result of a validated launch; nothing after ``launch`` touches raw claims."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any


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


def context_to_dict(ctx: LaunchContext) -> dict[str, object]:
    """JSON-able form, for a launch that must wait for the browser (platform storage)."""
    data = asdict(ctx)
    data["roles"] = sorted(ctx.roles)
    data["custom"] = dict(ctx.custom)
    return data


def context_from_dict(data: dict[str, Any]) -> LaunchContext:
    values = dict(data)
    values["roles"] = frozenset(values["roles"])
    ags = values["ags"]
    values["ags"] = AgsEndpoint(tuple(ags["scopes"]), ags["lineitems_url"], ags["lineitem_url"])
    if values.get("deep_linking"):
        dl = values["deep_linking"]
        values["deep_linking"] = DeepLinkSettings(
            **{**dl, "accept_types": tuple(dl["accept_types"])})
    return LaunchContext(**values)
