"""Response headers: CSP with frame-ancestors limited to registered platforms, and friends."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from flask import Flask, Response, current_app
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from lti_app.db import get_session
from lti_app.models import Platform

_ORIGINS_TTL = 60.0


def _origin(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def _platform_origins() -> list[str]:
    """Origins allowed to frame the tool: the registered platforms' login hosts (cached)."""
    cached = current_app.extensions.get("stegvis.frame_origins")
    if cached and time.monotonic() - cached[0] < _ORIGINS_TTL:
        return list(cached[1])
    try:
        urls = get_session().scalars(select(Platform.auth_login_url)).all()
    except SQLAlchemyError:
        return []
    origins = sorted({o for o in (_origin(u) for u in urls) if o})
    current_app.extensions["stegvis.frame_origins"] = (time.monotonic(), origins)
    return origins


def allow_form_post_to(response: Response, url: str) -> Response:
    """Let this one page post a form to ``url`` (the Deep Linking return to the LMS)."""
    origin = _origin(url)
    if origin:
        response.headers["X-Stegvis-Form-Action"] = origin
    return response


def init_app(app: Flask) -> None:
    @app.after_request
    def security_headers(response: Response) -> Response:
        ancestors = " ".join(["'self'", *_platform_origins()])
        form_action = " ".join(["'self'", response.headers.pop("X-Stegvis-Form-Action", "")])
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            f"object-src 'none'; base-uri 'self'; form-action {form_action.strip()}; "
            f"frame-ancestors {ancestors}",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response
