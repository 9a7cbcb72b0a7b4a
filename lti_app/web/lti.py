"""LTI endpoints an LMS administrator relies on (URLs are a contract; design.md)."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.wrappers import Response as BaseResponse

from lti_app import security
from lti_app.db import get_session
from lti_app.errors import ForbiddenError, LaunchError
from lti_app.lti import keys, registration
from lti_app.lti.context import LaunchContext
from lti_app.lti.launch import (
    hold_for_storage_check,
    release_after_storage_check,
    start_login,
    validate_launch,
)
from lti_app.lti.registration import RegistrationError
from lti_app.services import attempts, deep_links, launches, platforms
from lti_app.services.deep_links import PendingDeepLink
from lti_app.web import auth

bp = Blueprint("lti", __name__)


def _nonce_secret() -> bytes:
    return str(current_app.config["SECRET_KEY"]).encode()


@bp.route("/lti/login", methods=["GET", "POST"])
def login() -> BaseResponse:
    step = start_login(get_session(), current_app.config["STEGVIS"].base_url, _nonce_secret())
    response: BaseResponse
    if step.storage_target:
        # Put the state into the platform's storage frame first, then go on (and set the
        # cookie too: whichever survives the browser's cookie policy is used).
        response = current_app.make_response(render_template("lti/storage_put.html", step=step))
    else:
        response = redirect(step.auth_url, 302)
    return step.set_cookies(response)


@bp.post("/lti/launch")
def launch() -> BaseResponse:
    config = current_app.config["STEGVIS"]
    db = get_session()
    validated = validate_launch(
        db, config.base_url, _nonce_secret(),
        max_age=config.launch_max_age, leeway=config.clock_leeway,
    )
    if validated.state_unverified:
        ticket = hold_for_storage_check(db, validated)
        return current_app.make_response(render_template(
            "lti/storage_check.html", ticket=ticket, launch=validated))
    return _continue_launch(validated.context, cookies_work=True)


@bp.post("/lti/launch/confirm")
def confirm_launch() -> BaseResponse:
    """The browser read the state back from platform storage: finish the held launch."""
    ctx = release_after_storage_check(
        get_session(), request.form.get("ticket", ""), request.form.get("state", ""))
    return _continue_launch(ctx, cookies_work=False)


def _continue_launch(ctx: LaunchContext, *, cookies_work: bool) -> BaseResponse:
    """Record the launch and send the person on: to the player, or a leader's overview."""
    db = get_session()
    if ctx.message_type == "LtiDeepLinkingRequest":
        return _start_deep_linking(ctx)
    if ctx.message_type != "LtiResourceLinkRequest":
        raise LaunchError(f"launch: message type {ctx.message_type} is not supported")
    user, link = launches.record_launch(db, ctx)
    if link is None:
        raise LaunchError("launch: no resource link")
    auth.begin(ctx, user.id, link.id)
    if ctx.is_instructor:
        next_url = url_for("play.overview", link_pk=link.id)
    else:
        catalogue = current_app.extensions["stegvis.catalogue"]
        next_url = url_for("play.show", attempt_id=attempts.open_attempt(
            catalogue, db, user, link).id)
    if cookies_work:
        return redirect(next_url, 303)
    # The session cookie may not survive: hand the page a play token to keep instead.
    return current_app.make_response(render_template(
        "lti/launched.html", next_url=next_url, play_token=auth.play_token()))


def _start_deep_linking(ctx: LaunchContext) -> BaseResponse:
    """An instructor adds cases to a course: show the catalogue at once, in the launch
    response, so picking works even when the browser keeps none of our cookies."""
    if not ctx.is_instructor:
        raise ForbiddenError("deep linking launch without a course staff role")
    if ctx.deep_linking is None:
        raise LaunchError("launch: deep linking request without deep_linking_settings")
    user, _link = launches.record_launch(get_session(), ctx)
    auth.begin(ctx, user.id, None)
    pending = PendingDeepLink.from_launch(ctx)
    catalogue = current_app.extensions["stegvis.catalogue"]
    return current_app.make_response(render_template(
        "lti/deep_link.html", pending=pending, request_token=deep_links.sign(pending),
        cases=sorted(catalogue.cases.values(), key=lambda c: c.title),
        procedures=catalogue.procedures,
        profiles=sorted(catalogue.profiles.values(), key=lambda p: p.name),
        default_profile=catalogue.default_profile,
    ))


@bp.post("/lti/deep-link")
def deep_link_answer() -> BaseResponse:
    """Exempt from the session CSRF token: the signed request token from the launch is
    what authorises the answer (issued only to course staff after a validated launch)."""
    pending = deep_links.unsign(request.form.get("request", ""))
    catalogue = current_app.extensions["stegvis.catalogue"]
    items = deep_links.items_for(
        catalogue, request.form.getlist("case"), request.form.get("profile") or None,
        current_app.config["STEGVIS"].base_url,
    )
    token = deep_links.respond(get_session(), pending, items)
    response = current_app.make_response(render_template(
        "lti/autopost.html", action=pending.return_url, fields={"JWT": token},
        heading=f"Legger til {len(items)} case(r) i kurset …",
    ))
    return security.allow_form_post_to(response, pending.return_url)


@bp.get("/lti/register")
def register() -> str:
    """Dynamic Registration starts here: show the admin what will be registered."""
    openid_configuration = request.args.get("openid_configuration", "")
    token = request.args.get("registration_token", "")
    if not openid_configuration or not token:
        raise RegistrationError("register: openid_configuration or registration_token missing")
    platform_config = registration.discover(openid_configuration, token)
    return render_template("lti/register.html", config=platform_config,
                           openid_configuration=openid_configuration, token=token,
                           base_url=current_app.config["STEGVIS"].base_url)


@bp.post("/lti/register")
def register_confirm() -> str:
    """Register for real. Exempt from the session CSRF token: the platform's one-time
    registration token authorises this request and needs no third-party cookie."""
    platform, platform_config = platforms.register_dynamically(
        get_session(), current_app.config["STEGVIS"].base_url,
        request.form.get("openid_configuration", ""), request.form.get("registration_token", ""),
    )
    return render_template("lti/registered.html", platform=platform, config=platform_config)


@bp.get("/lti/canvas.json")
def canvas_json() -> Response:
    """Configuration for a Canvas developer key (LTI Key → Enter URL)."""
    return jsonify(registration.canvas_configuration(current_app.config["STEGVIS"].base_url))


@bp.get("/.well-known/jwks.json")
def jwks() -> Response:
    response = jsonify(keys.jwks(get_session()))
    response.cache_control.max_age = 300
    response.cache_control.public = True
    return response
