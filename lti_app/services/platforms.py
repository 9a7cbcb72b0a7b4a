"""Registering LMS platforms and their deployments."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_app.lti import registration
from lti_app.lti.registration import PlatformConfiguration
from lti_app.models import Deployment, Platform


def add_platform(
    db: Session, *, name: str, issuer: str, client_id: str, auth_login_url: str,
    auth_token_url: str, key_set_url: str, deployment_ids: Iterable[str],
    auth_audience: str | None = None, profile: str | None = None,
    awaiting_first_deployment: bool = False,
) -> tuple[Platform, bool]:
    """Create or update the registration (issuer, client_id); add missing deployments.

    Returns the platform and whether it was new. Running it twice changes nothing.
    """
    platform = db.scalar(
        select(Platform).where(Platform.issuer == issuer, Platform.client_id == client_id)
    )
    created = platform is None
    if platform is None:
        platform = Platform(issuer=issuer, client_id=client_id)
        db.add(platform)
    platform.name = name
    platform.auth_login_url = auth_login_url
    platform.auth_token_url = auth_token_url
    platform.key_set_url = key_set_url
    platform.auth_audience = auth_audience
    platform.profile = profile
    platform.awaiting_first_deployment = awaiting_first_deployment
    db.flush()
    known = {d.deployment_id for d in platform.deployments}
    for deployment_id in deployment_ids:
        if deployment_id not in known:
            platform.deployments.append(Deployment(deployment_id=deployment_id))
    db.flush()
    return platform, created


def list_platforms(db: Session) -> list[Platform]:
    return list(db.scalars(select(Platform).order_by(Platform.id)))


def remove_platform(db: Session, platform_id: int) -> bool:
    platform = db.get(Platform, platform_id)
    if platform is None:
        return False
    db.delete(platform)
    db.flush()
    return True


def register_dynamically(
    db: Session, base_url: str, openid_configuration: str, registration_token: str
) -> tuple[Platform, PlatformConfiguration]:
    """Register Stegvis in the platform that sent the admin here (Dynamic Registration)."""
    config = registration.discover(openid_configuration, registration_token)
    tool = registration.register(
        config, registration_token, registration.tool_registration(base_url, config))
    platform, _created = add_platform(
        db, name=f"{config.product} {config.issuer}", issuer=config.issuer,
        client_id=tool.client_id, auth_login_url=config.authorization_endpoint,
        auth_token_url=config.token_endpoint, key_set_url=config.jwks_uri,
        deployment_ids=[tool.deployment_id] if tool.deployment_id else [],
        awaiting_first_deployment=tool.deployment_id is None,
    )
    return platform, config
