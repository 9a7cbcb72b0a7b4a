"""Wiring of the development sandbox LMS (``lti_app/sandbox``) beside the tool.

The sandbox is a separate WSGI app mounted at ``/sandbox`` in development only; the tool
knows it only as a registered platform, as it would know Moodle or Canvas.
"""

from __future__ import annotations

from flask import Flask
from sqlalchemy.orm import Session
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from lti_app.config import Config
from lti_app.models import Platform
from lti_app.sandbox import Activity, SandboxSettings, create_sandbox_app, platform_registration
from lti_app.services.catalogue import Catalogue
from lti_app.services.platforms import add_platform

MOUNT = "/sandbox"


def sandbox_settings(config: Config, catalogue: Catalogue | None = None) -> SandboxSettings:
    def activities() -> list[Activity]:
        if catalogue is None:
            return []
        served = [Activity(case_id=c.id, title=c.title)
                  for c in sorted(catalogue.cases.values(), key=lambda c: c.title)]
        # Broken cases are offered too, named by file, so an author sees in the sandbox
        # what a course would show when an activity points at a case that fails the checker.
        broken = [Activity(case_id=p.stem, title=f"{p.name} (feiler i sjekken)")
                  for p in catalogue.broken_case_files()]
        return served + broken

    return SandboxSettings(
        base_url=config.base_url + MOUNT,
        tool_base_url=config.base_url,
        data_dir=config.instance_dir / "sandbox",
        activities=activities,
        secret_key=config.secret_key + ":sandbox",
    )


def register_sandbox(db: Session, config: Config) -> tuple[Platform, bool]:
    """Register the sandbox as a platform of this tool (idempotent)."""
    values = platform_registration(sandbox_settings(config))
    return add_platform(
        db,
        name="Sandkasse-LMS (utvikling)",
        issuer=values["issuer"],
        client_id=values["client_id"],
        auth_login_url=values["auth_login_url"],
        auth_token_url=values["auth_token_url"],
        key_set_url=values["key_set_url"],
        deployment_ids=[values["deployment_id"]],
    )


def mount_sandbox(app: Flask) -> None:
    """Serve the sandbox LMS under /sandbox of the same server (development only)."""
    config: Config = app.config["STEGVIS"]
    if config.is_production:
        raise RuntimeError("the sandbox LMS is for development only")
    sandbox = create_sandbox_app(sandbox_settings(config, app.extensions["stegvis.catalogue"]))
    app.wsgi_app = DispatcherMiddleware(app.wsgi_app, {MOUNT: sandbox})  # type: ignore[method-assign]
