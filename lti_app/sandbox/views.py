"""Routes of the sandbox LMS: course pages, OIDC auth, JWKS, token, gradebook, test hooks."""

from __future__ import annotations

import json
import secrets
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    jsonify,
    render_template,
    request,
    session,
    url_for,
)

from .ags import scaled_score
from .config import (
    COURSE,
    DEFAULT_PERSONA,
    PERSONAS,
    PERSONAS_BY_KEY,
    PERSONAS_BY_SUB,
    Activity,
    Persona,
)
from .launch import (
    render_error_response,
    render_resource_link_launch,
    resource_link_id,
)
from .oauth import TokenError, issue_access_token
from .state import sandbox
from .store import IssuedHint

bp = Blueprint("sandbox", __name__)

# How long an issued login hint may wait for the tool's authentication request.
HINT_LIFETIME_SECONDS = 120
DOCUMENT_TARGETS = ("iframe", "window")
FAULT_ENDPOINTS = ("scores", "token")


# --- helpers -------------------------------------------------------------------------------


def _browser_id() -> str:
    """A random id for this browser, kept in the sandbox's own session cookie.

    Plays the LMS login session: the auth endpoint only answers the browser that started
    the launch (Moodle checks login_hint against the logged-in user the same way).
    """
    browser_id = session.get("browser_id")
    if not isinstance(browser_id, str):
        browser_id = secrets.token_urlsafe(16)
        session["browser_id"] = browser_id
    return browser_id


def _current_persona() -> Persona:
    key = request.args.get("persona") or session.get("persona")
    persona = PERSONAS_BY_KEY.get(key) if isinstance(key, str) else None
    if request.args.get("persona") and persona is None:
        abort(404)
    persona = persona or DEFAULT_PERSONA
    session["persona"] = persona.key
    return persona


def _activity_or_404(case_id: str) -> Activity:
    activity = sandbox().activity(case_id)
    if activity is None:
        abort(404)
    return activity


def _format_number(value: float) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")


def _gradebook_rows() -> list[dict[str, Any]]:
    state = sandbox()
    items = {item.id: item for item in state.store.list_lineitems(COURSE.id)}
    rows: list[dict[str, Any]] = []
    for result in state.store.results():
        item = items.get(result.lineitem_id)
        if item is None:
            continue
        persona = PERSONAS_BY_SUB.get(result.user_id)
        scaled = scaled_score(result.score_given, result.score_maximum, item.score_maximum)
        rows.append(
            {
                "user_id": result.user_id,
                "persona": persona.key if persona else None,
                "name": persona.name if persona else result.user_id,
                "lineitem_id": item.id,
                "lineitem_url": state.lineitem_url(item.context_id, item.id),
                "case_id": item.resource_id,
                "activity_title": item.label,
                "score_given": result.score_given,
                "score_maximum": result.score_maximum,
                "result_score": scaled,
                "result_maximum": item.score_maximum,
                "score_display": (
                    f"{_format_number(scaled)} / {_format_number(item.score_maximum)}"
                    if scaled is not None
                    else "–"
                ),
                "activity_progress": result.activity_progress,
                "grading_progress": result.grading_progress,
                "timestamp": result.timestamp,
                "comment": result.comment,
                "deliveries": result.deliveries,
            }
        )
    order = {p.sub: i for i, p in enumerate(PERSONAS)}
    rows.sort(key=lambda r: (order.get(r["user_id"], 99), r["lineitem_id"]))
    return rows


# --- course pages --------------------------------------------------------------------------


@bp.get("/")
def course() -> str:
    persona = _current_persona()
    return render_template(
        "sandbox/course.html",
        course=COURSE,
        activities=list(sandbox().settings.activities()),
        personas=PERSONAS,
        persona=persona,
    )


@bp.get("/activity/<case_id>")
def activity(case_id: str) -> str:
    activity = _activity_or_404(case_id)
    persona = _current_persona()
    return render_template(
        "sandbox/activity.html",
        course=COURSE,
        activity=activity,
        persona=persona,
        personas=PERSONAS,
        iframe_src=url_for(".start_launch", case_id=case_id, persona=persona.key),
        window_src=url_for(".start_launch", case_id=case_id, persona=persona.key, target="window"),
    )


@bp.get("/launch/<case_id>")
def start_launch(case_id: str) -> str:
    """Third-party initiated login (LTI 1.3 §5.1.1): form POST to the tool, as Moodle does."""
    state = sandbox()
    activity = _activity_or_404(case_id)
    persona = _current_persona()
    target = request.args.get("target", "iframe")
    if target not in DOCUMENT_TARGETS:
        abort(400)
    launch_id = f"ltilaunch_{secrets.token_urlsafe(16)}"
    # Moodle sends a JSON string here; the tool must echo it unchanged.
    message_hint = json.dumps({"cmid": resource_link_id(activity), "launchid": launch_id})
    state.store.issue_hint(
        IssuedHint(
            launch_id=launch_id,
            login_hint=persona.login_hint,
            message_hint=message_hint,
            persona_key=persona.key,
            case_id=activity.case_id,
            browser_id=_browser_id(),
            document_target=target,
        ),
        expires_at=state.clock() + HINT_LIFETIME_SECONDS,
    )
    fields = {
        "iss": state.settings.base_url,
        "login_hint": persona.login_hint,
        "target_link_uri": state.tool_launch_url,
        "lti_message_hint": message_hint,
        "client_id": state.settings.client_id,
        "lti_deployment_id": state.settings.deployment_id,
    }
    return render_template(
        "sandbox/form_post.html",
        action=state.tool_login_url,
        fields=fields,
        heading=f"Starter «{activity.title}» som {persona.name} …",
    )


@bp.get("/return")
def lti_return() -> str:
    """launch_presentation.return_url: where the tool sends the user back."""
    return render_template(
        "sandbox/return.html",
        lti_msg=request.args.get("lti_msg", ""),
        lti_errormsg=request.args.get("lti_errormsg", ""),
    )


@bp.get("/gradebook")
def gradebook() -> str:
    return render_template("sandbox/gradebook.html", course=COURSE, rows=_gradebook_rows())


@bp.get("/gradebook.json")
def gradebook_json() -> Response:
    return jsonify({"course": COURSE.id, "rows": _gradebook_rows()})


@bp.get("/gradebook/log.json")
def score_log_json() -> Response:
    """Every score received, applied or not, in order (tests count deliveries here)."""
    return jsonify({"scores": sandbox().store.score_log()})


# --- OIDC authentication endpoint ------------------------------------------------------------


def _auth_rejected(message: str) -> tuple[str, int]:
    # Never redirect to a redirect_uri we have not verified (OIDC Core §3.1.2.6).
    return render_template("sandbox/error.html", message=message), 400


@bp.route("/auth", methods=["GET", "POST"])
def auth() -> Any:
    """OIDC authentication request from the tool (LTI 1.3 §5.1.1.2).

    Hand-written checks: lti1p3platform validates only nonce/state/redirect_uri presence
    and client_id, so a tool with a wrong redirect_uri, scope or response_mode would pass.
    """
    state = sandbox()
    params = request.form if request.method == "POST" else request.args
    client_id = params.get("client_id", "")
    redirect_uri = params.get("redirect_uri", "")
    oidc_state = params.get("state", "")
    if client_id != state.settings.client_id:
        return _auth_rejected(f"Unknown client_id {client_id!r}.")
    if redirect_uri != state.tool_launch_url:
        return _auth_rejected(
            f"redirect_uri {redirect_uri!r} is not the registered {state.tool_launch_url!r}."
        )

    def fail(error: str, description: str) -> Any:
        return render_error_response(redirect_uri, error, description, oidc_state)

    if params.get("response_type") != "id_token":
        return fail("unsupported_response_type", "response_type must be id_token")
    if params.get("scope") != "openid":
        return fail("invalid_scope", "scope must be openid")
    if params.get("response_mode") != "form_post":
        return fail("invalid_request", "response_mode must be form_post")
    if params.get("prompt") != "none":
        return fail("invalid_request", "prompt must be none")
    if not params.get("nonce"):
        return fail("invalid_request", "nonce is required")
    if not oidc_state:
        return fail("invalid_request", "state is required")
    login_hint = params.get("login_hint", "")
    message_hint = params.get("lti_message_hint", "")
    try:
        launch_id = json.loads(message_hint).get("launchid")
    except (ValueError, AttributeError):
        launch_id = None
    if not isinstance(launch_id, str):
        return fail("invalid_request", "lti_message_hint is not one this platform issued")
    hint, reason = state.store.consume_hint(launch_id, state.clock())
    if hint is None:
        return fail("invalid_request", reason)
    if hint.message_hint != message_hint:
        return fail("invalid_request", "lti_message_hint was altered")
    if hint.login_hint != login_hint:
        return fail("invalid_request", "login_hint does not match the launch")
    if session.get("browser_id") != hint.browser_id:
        return fail("login_required", "the launch was started in another browser session")
    activity = state.activity(hint.case_id)
    persona = PERSONAS_BY_KEY.get(hint.persona_key)
    if activity is None or persona is None:
        return fail("invalid_request", "the activity no longer exists")

    lineitem = state.store.ensure_link_lineitem(
        COURSE.id, resource_link_id(activity), activity.case_id, activity.title
    )
    return render_resource_link_launch(
        settings=state.settings,
        key=state.keys.get(),
        clock=state.clock,
        persona=persona,
        activity=activity,
        document_target=hint.document_target,
        lineitems_url=state.lineitems_url(COURSE.id),
        lineitem_url=state.lineitem_url(COURSE.id, lineitem.id),
        return_url=f"{state.settings.base_url}/return",
    )


# --- keys and tokens -----------------------------------------------------------------------


@bp.get("/jwks.json")
def jwks() -> Response:
    response = jsonify(sandbox().keys.get().jwks())
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.post("/token")
def token() -> Response:
    state = sandbox()
    try:
        fault = state.store.pop_fault("token")
        if fault is not None:
            raise TokenError("temporarily_unavailable", "injected fault", fault)
        issued = issue_access_token(
            request.form.to_dict(),
            settings=state.settings,
            tool_keys=state.tool_keys,
            store=state.store,
            clock=state.clock,
        )
    except TokenError as exc:
        response = jsonify({"error": exc.error, "error_description": exc.description})
        response.status_code = exc.status
    else:
        response = jsonify(issued.as_response())
    # RFC 6749 §5.1
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


# --- fault injection (tests only) ------------------------------------------------------------


@bp.route("/test/faults", methods=["GET", "POST", "DELETE"])
def faults() -> Response:
    """POST {"scores": [500, 429]} -> the next two score POSTs answer 500, then 429.

    Also "token". Each key given replaces that endpoint's queue; DELETE clears all.
    Only when the app is TESTING or SandboxSettings.allow_fault_injection is set.
    """
    state = sandbox()
    if not state.fault_injection_allowed():
        abort(404)
    if request.method == "POST":
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or not set(body) <= set(FAULT_ENDPOINTS):
            abort(400)
        for endpoint, statuses in body.items():
            if not isinstance(statuses, list) or not all(
                isinstance(s, int) and not isinstance(s, bool) and 400 <= s <= 599 for s in statuses
            ):
                abort(400)
            state.store.set_faults(endpoint, statuses)
    elif request.method == "DELETE":
        for endpoint in FAULT_ENDPOINTS:
            state.store.set_faults(endpoint, [])
    return jsonify(state.store.pending_faults())
