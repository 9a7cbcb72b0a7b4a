"""Platform registrations from the database, as pylti1p3 needs them (a ToolConf).

Every issuer is treated as having many client ids: Canvas uses one issuer for all its
customers, so (issuer, client_id) names a registration and the deployment names the tenant.
"""

from __future__ import annotations

from typing import Any

from pylti1p3.deployment import Deployment as LtiDeployment
from pylti1p3.registration import Registration
from pylti1p3.tool_config.abstract import ToolConfAbstract
from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_app.models import Deployment, Platform


def find_platform(session: Session, issuer: str, client_id: str | None) -> Platform | None:
    """The registration for (issuer, client_id); with no client id only if it is unambiguous."""
    query = select(Platform).where(Platform.issuer == issuer)
    if client_id:
        return session.scalar(query.where(Platform.client_id == client_id))
    platforms = list(session.scalars(query.limit(2)))
    return platforms[0] if len(platforms) == 1 else None


def find_deployment(session: Session, platform: Platform, deployment_id: str) -> Deployment | None:
    return session.scalar(
        select(Deployment).where(
            Deployment.platform_id == platform.id, Deployment.deployment_id == deployment_id
        )
    )


class DatabaseToolConf(ToolConfAbstract[Any]):
    """pylti1p3 ToolConf backed by the ``platforms`` and ``deployments`` tables."""

    def __init__(self, session: Session) -> None:
        super().__init__()
        self._db = session
        self.looked_up = False
        self.found: Platform | None = None
        # One launch asks for the same registration and deployment several times.
        self._platforms: dict[tuple[str, str | None], Platform | None] = {}
        self.deployment: Deployment | None = None

    def _platform(self, iss: str, client_id: str | None) -> Platform | None:
        key = (iss, client_id)
        if key not in self._platforms:
            self._platforms[key] = find_platform(self._db, iss, client_id)
        return self._platforms[key]

    @property
    def unknown_platform(self) -> bool:
        """Whether pylti1p3 asked for a registration that does not exist."""
        return self.looked_up and self.found is None

    def check_iss_has_one_client(self, iss: str) -> bool:
        return False

    def check_iss_has_many_clients(self, iss: str) -> bool:
        return True

    # pylti1p3's issuer-only lookups: answered only when the issuer has exactly one
    # registration (find_platform with no client id), never by guessing among several.
    def find_registration_by_issuer(self, iss: str, *args: Any, **kwargs: Any) -> Registration:
        return self.find_registration_by_params(iss, None, *args, **kwargs)  # type: ignore[arg-type]

    def find_deployment(self, iss: str, deployment_id: str) -> LtiDeployment | None:
        return self.find_deployment_by_params(iss, deployment_id, None)  # type: ignore[arg-type]

    def find_registration_by_params(
        self, iss: str, client_id: str, *args: Any, **kwargs: Any
    ) -> Registration:
        self.looked_up = True
        platform = self._platform(iss, client_id)
        if platform is None:
            return None  # type: ignore[return-value]  # pylti1p3 treats None as "not found"
        self.found = platform
        return (
            Registration()
            .set_issuer(platform.issuer)
            .set_client_id(platform.client_id)
            .set_auth_login_url(platform.auth_login_url)
            .set_auth_token_url(platform.auth_token_url)
            .set_key_set_url(platform.key_set_url)
        )

    def find_deployment_by_params(
        self, iss: str, deployment_id: str, client_id: str, *args: Any, **kwargs: Any
    ) -> LtiDeployment | None:
        platform = self._platform(iss, client_id)
        if platform is None:
            return None
        self.deployment = find_deployment(self._db, platform, deployment_id)
        if self.deployment is None:
            if not platform.awaiting_first_deployment:
                return None
            # Registered dynamically in Canvas, which names no deployment: the first
            # signed launch brings it (pylti1p3 checks the signature before this).
            self.deployment = Deployment(deployment_id=deployment_id)
            platform.deployments.append(self.deployment)
            platform.awaiting_first_deployment = False
            self._db.flush()
        return LtiDeployment().set_deployment_id(deployment_id)
