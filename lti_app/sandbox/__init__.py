"""Sandkasse-LMS: a development-only LTI 1.3 platform that launches Stegvis.

A separate WSGI app playing the LMS (Moodle 4.x, with Canvas differences as settings): OIDC
third-party initiated login, a signed id_token posted to the tool, the OAuth 2.0 token
endpoint, Assignment and Grade Services, Names and Role Provisioning, Deep Linking, Dynamic
Registration, platform storage (LTI client-side postMessages) and a small gradebook. It
imports nothing else from lti_app, scenarios or scoring.

Mount it beside the tool (werkzeug DispatcherMiddleware at ``/sandbox``) or serve it on its
own port; ``SandboxSettings.base_url`` must be the public URL either way.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlsplit

from flask import Flask

from .config import Activity, SandboxSettings, platform_registration
from .keys import KeyHolder
from .oauth import ToolKeySet
from .state import EXTENSION_KEY, SandboxState
from .store import Store

__all__ = ["Activity", "SandboxSettings", "create_sandbox_app", "platform_registration"]

SESSION_COOKIE_NAME = "stegvis_sandbox_session"


def create_sandbox_app(
    settings: SandboxSettings, *, clock: Callable[[], float] = time.time
) -> Flask:
    """Build the sandbox app. Nothing touches the disk until the first request needs it."""
    # Normalise: every URL the sandbox builds is base + path.
    settings_base = settings.base_url.rstrip("/")
    tool_base = settings.tool_base_url.rstrip("/")
    if settings_base != settings.base_url or tool_base != settings.tool_base_url:
        raise ValueError("base_url and tool_base_url must not end with '/'")
    parts = urlsplit(settings.base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"base_url must be an absolute http(s) URL, not {settings.base_url!r}")

    from . import ags, deeplink, dynreg, nrps, views  # keep import-time light

    app = Flask(
        __name__, template_folder="templates", static_folder="static", static_url_path="/static"
    )
    app.config.update(
        SECRET_KEY=settings.secret_key,
        # On loopback all ports are one site and cookies ignore ports: a name of our own,
        # and a path of our own when mounted under a prefix.
        SESSION_COOKIE_NAME=SESSION_COOKIE_NAME,
        SESSION_COOKIE_PATH=parts.path or "/",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=parts.scheme == "https",
    )
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions[EXTENSION_KEY] = SandboxState(
        settings=settings,
        store=Store(settings.data_dir),
        keys=KeyHolder(settings.data_dir),
        tool_keys=ToolKeySet(f"{settings.tool_base_url}/.well-known/jwks.json"),
        clock=clock,
    )
    app.register_blueprint(views.bp)
    app.register_blueprint(ags.bp)
    app.register_blueprint(nrps.bp)
    app.register_blueprint(deeplink.bp)
    app.register_blueprint(dynreg.bp)
    return app
