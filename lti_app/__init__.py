"""Stegvis: the Flask application factory.

``create_app(config)`` builds the app; nothing happens at import time (house rule 1).
"""

from __future__ import annotations

import logging

from flask import Flask, request
from flask_wtf.csrf import CSRFProtect
from markupsafe import Markup
from sqlalchemy import Engine

from lti_app import db
from lti_app.config import Config, from_env
from lti_app.errors import register_error_handlers

__all__ = ["create_app"]

VERDICT_LABELS = {
    "best": "Beste valg",
    "acceptable": "Godt valg",
    "minor": "Mindre avvik",
    "major": "Alvorlig avvik",
    "critical": "Kritisk feil",
}
STEP_LABELS = {
    "done": "Gjort",
    "late": "Gjort for sent",
    "missed": "Ikke gjort",
    "violated": "Brutt",
}


def create_app(config: Config | None = None, *, engine: Engine | None = None) -> Flask:
    """Build the tool. ``config`` defaults to the validated environment."""
    from lti_app import security
    from lti_app.services.catalogue import load_catalogue
    from lti_app.web import auth, lti, main, play, preview
    from scenarios import Profile, render_markdown

    config = (config or from_env()).validated()
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )

    app = Flask(__name__, instance_path=str(config.instance_dir.resolve()))
    app.config.update(
        STEGVIS=config,
        SECRET_KEY=config.secret_key,
        TESTING=config.environment == "testing",
        SESSION_COOKIE_NAME="stegvis_session",
        SESSION_COOKIE_HTTPONLY=True,
        # Inside an LMS iframe the tool is a third party: its cookie must be
        # SameSite=None; Secure; Partitioned (CHIPS) or the browser drops it.
        SESSION_COOKIE_SECURE=config.cookies_cross_site,
        SESSION_COOKIE_SAMESITE="None" if config.cookies_cross_site else "Lax",
        SESSION_COOKIE_PARTITIONED=config.cookies_cross_site,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
        WTF_CSRF_SSL_STRICT=False,  # the Referer is the LMS inside an iframe
        MAX_CONTENT_LENGTH=1024 * 1024,
    )

    db.init_app(app, engine or db.make_engine(config.database_url))
    app.extensions["stegvis.catalogue"] = load_catalogue(
        config.content_dir, config.default_profile
    )

    csrf = CSRFProtect(app)
    # The two LTI endpoints are protected by OIDC state and nonce instead (LTI Core §5.1).
    csrf.exempt(lti.login)
    csrf.exempt(lti.launch)
    # Bound by a one-time ticket and the state read back from platform storage.
    csrf.exempt(lti.confirm_launch)
    # Authorised by the signed deep linking request issued at the launch.
    csrf.exempt(lti.deep_link_answer)
    # The player checks CSRF itself: a play token stands in where cookies are blocked.
    csrf.exempt(play.bp)
    # Authorised by the platform's one-time registration token instead (Dynamic Reg. §3.3).
    csrf.exempt(lti.register_confirm)

    for blueprint in (main.bp, lti.bp, play.bp):
        app.register_blueprint(blueprint)
    if not config.is_production:  # the authors' preview reads any file from disk: dev only
        app.register_blueprint(preview.bp)
    register_error_handlers(app)
    security.init_app(app)

    @app.context_processor
    def labels() -> dict[str, object]:
        return {"verdict_label": VERDICT_LABELS.get, "step_label": STEP_LABELS.get}

    @app.context_processor
    def token() -> dict[str, object]:
        return {"play_token": auth.token_for_page()}

    @app.before_request
    def check_player_csrf() -> None:
        if request.blueprint == play.bp.name:
            auth.protect_post(csrf)

    @app.template_filter("fill")
    def fill_filter(text: str, profile: Profile | None = None) -> str:
        # Plain text (titles, choice texts) with the municipality's words; autoescaped.
        return profile.fill(text) if profile is not None else text

    @app.template_filter("markdown")
    def markdown_filter(text: str, profile: Profile | None = None) -> Markup:
        # scenarios.render is the only producer of HTML from content (raw HTML off,
        # links allow-listed, placeholder values escaped).
        return Markup(render_markdown(text, profile))  # noqa: S704

    return app
