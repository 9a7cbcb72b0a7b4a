"""WSGI entry point for gunicorn: ``gunicorn 'lti_app.wsgi:create_application()'``."""

from __future__ import annotations

from flask import Flask

from lti_app import create_app
from lti_app.config import from_env


def create_application() -> Flask:
    config = from_env()
    app = create_app(config)
    if config.sandbox_enabled:
        from lti_app.devsandbox import mount_sandbox

        mount_sandbox(app)
    return app
