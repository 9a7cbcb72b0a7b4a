"""LTI endpoints an LMS administrator relies on (URLs are a contract; design.md)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, redirect, url_for
from werkzeug.wrappers import Response as BaseResponse

from lti_app.db import get_session
from lti_app.errors import LaunchError
from lti_app.lti import keys
from lti_app.lti.launch import start_login, validate_launch
from lti_app.services import attempts, launches
from lti_app.web import auth

bp = Blueprint("lti", __name__)


@bp.route("/lti/login", methods=["GET", "POST"])
def login() -> Response:
    return start_login(get_session(), current_app.config["STEGVIS"].base_url)


@bp.post("/lti/launch")
def launch() -> BaseResponse:
    config = current_app.config["STEGVIS"]
    db = get_session()
    ctx = validate_launch(
        db, config.base_url, max_age=config.launch_max_age, leeway=config.clock_leeway
    )
    if ctx.message_type != "LtiResourceLinkRequest":
        raise LaunchError(f"launch: message type {ctx.message_type} is not supported yet")
    user, link = launches.record_launch(db, ctx)
    if link is None:
        raise LaunchError("launch: no resource link")
    auth.begin(ctx, user.id, link.id)
    if ctx.is_instructor:
        return redirect(url_for("play.overview", link_pk=link.id), 303)
    attempt = attempts.open_attempt(current_app.extensions["stegvis.catalogue"], db, user, link)
    return redirect(url_for("play.show", attempt_id=attempt.id), 303)


@bp.get("/.well-known/jwks.json")
def jwks() -> Response:
    response = jsonify(keys.jwks(get_session()))
    response.cache_control.max_age = 300
    response.cache_control.public = True
    return response
