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
    MSG_DEEP_LINKING,
    MSG_RESOURCE_LINK,
    PERSONAS,
    PERSONAS_BY_KEY,
    PERSONAS_BY_SUB,
    Persona,
)
from .launch import render_error_response, render_launch
from .oauth import TokenError, issue_access_token
from .registrations import ToolRegistration
from .state import CourseActivity, SandboxState, sandbox
from .store import LaunchHint

bp = Blueprint("sandbox", __name__)

# How long an issued login hint may wait for the tool's authentication request.
HINT_LIFETIME_SECONDS = 120
# How long a deep linking request's `data` waits for the tool's response.
DEEP_LINK_DATA_LIFETIME_SECONDS = 3600
DOCUMENT_TARGETS = ("iframe", "window")
FAULT_ENDPOINTS = ("scores", "token")
# The name Canvas gives its platform storage frame (lti_storage_target).
STORAGE_FRAME_NAME = "post_message_forwarding"


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


def _current_registration() -> ToolRegistration:
    """The registration chosen on the course page ("Verktøyregistrering"); default static."""
    state = sandbox()
    wanted = request.args.get("registration")
    if wanted:
        found = state.registration(wanted)
        if found is None:
            abort(404)
        session["registration"] = found.client_id
        return found
    chosen = session.get("registration")
    found = state.registration(chosen) if isinstance(chosen, str) else None
    return found or state.registration(state.settings.client_id)  # type: ignore[return-value]


def _course_activity_or_404(key: str) -> CourseActivity:
    activity = sandbox().course_activity(key)
    if activity is None:
        abort(404)
    return activity


def _activity_registration(activity: CourseActivity) -> ToolRegistration:
    """A deep-linked activity launches with the registration that added it (as in Moodle
    and Canvas, where it belongs to that tool); a configured one with the chosen one."""
    if activity.client_id is None:
        return _current_registration()
    found = sandbox().registration(activity.client_id)
    if found is None:
        abort(404)
    return found


def _storage_fields(state: SandboxState) -> dict[str, str]:
    return {"lti_storage_target": STORAGE_FRAME_NAME} if state.settings.platform_storage else {}


def _format_number(value: float) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")


def _gradebook_rows() -> list[dict[str, Any]]:
    state = sandbox()
    items = {item.id: item for item in state.store.list_lineitems(COURSE.id)}
    members = {m.sub: m for m in state.members()}
    rows: list[dict[str, Any]] = []
    for result in state.store.results():
        item = items.get(result.lineitem_id)
        if item is None:
            continue
        persona = PERSONAS_BY_SUB.get(result.user_id)
        member = members.get(result.user_id)
        scaled = scaled_score(result.score_given, result.score_maximum, item.score_maximum)
        rows.append(
            {
                "user_id": result.user_id,
                "persona": persona.key if persona else None,
                "name": member.name if member else result.user_id,
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
    state = sandbox()
    persona = _current_persona()
    registration = _current_registration()
    return render_template(
        "sandbox/course.html",
        course=COURSE,
        activities=state.course_activities(),
        personas=PERSONAS,
        persona=persona,
        registrations=state.registrations(),
        registration=registration,
    )


def _activity_page(activity: CourseActivity, launch_endpoint: str) -> str:
    state = sandbox()
    persona = _current_persona()
    args = activity.endpoint_args
    return render_template(
        "sandbox/activity.html",
        course=COURSE,
        activity=activity,
        persona=persona,
        personas=PERSONAS,
        iframe_src=url_for(launch_endpoint, persona=persona.key, **args),
        window_src=url_for(launch_endpoint, persona=persona.key, target="window", **args),
        storage_frame=STORAGE_FRAME_NAME if state.settings.platform_storage else None,
    )


@bp.get("/activity/<case_id>")
def activity(case_id: str) -> str:
    if sandbox().activity(case_id) is None:
        abort(404)
    return _activity_page(_course_activity_or_404(case_id), ".start_launch")


@bp.get("/activity/dl/<int:dl_id>")
def deep_linked_activity(dl_id: int) -> str:
    return _activity_page(_course_activity_or_404(f"dl:{dl_id}"), ".start_deep_linked_launch")


def _login_initiation(
    *,
    registration: ToolRegistration,
    persona: Persona,
    message_type: str,
    target_link_uri: str,
    activity: CourseActivity | None,
    target: str,
    heading: str,
) -> str:
    """Third-party initiated login (LTI 1.3 §5.1.1): form POST to the tool, as Moodle does."""
    state = sandbox()
    launch_id = f"ltilaunch_{secrets.token_urlsafe(16)}"
    # Moodle sends a JSON string here; the tool must echo it unchanged.
    cmid = activity.resource_link_id if activity is not None else "deep-linking"
    message_hint = json.dumps({"cmid": cmid, "launchid": launch_id})
    state.store.issue_launch_hint(
        LaunchHint(
            launch_id=launch_id,
            login_hint=persona.login_hint,
            message_hint=message_hint,
            persona_key=persona.key,
            case_id=activity.key if activity is not None else "",
            browser_id=_browser_id(),
            document_target=target,
            message_type=message_type,
            client_id=registration.client_id,
            target_link_uri=target_link_uri,
        ),
        expires_at=state.clock() + HINT_LIFETIME_SECONDS,
    )
    fields = {
        "iss": state.settings.base_url,
        "login_hint": persona.login_hint,
        "target_link_uri": target_link_uri,
        "lti_message_hint": message_hint,
        "client_id": registration.client_id,
        "lti_deployment_id": registration.deployment_id,
        **_storage_fields(state),
    }
    return render_template(
        "sandbox/form_post.html",
        action=registration.login_url,
        fields=fields,
        heading=heading,
    )


def _start_activity_launch(activity: CourseActivity) -> str:
    persona = _current_persona()
    registration = _activity_registration(activity)
    target = request.args.get("target", "iframe")
    if target not in DOCUMENT_TARGETS:
        abort(400)
    return _login_initiation(
        registration=registration,
        persona=persona,
        message_type=MSG_RESOURCE_LINK,
        target_link_uri=activity.url or registration.launch_url,
        activity=activity,
        target=target,
        heading=f"Starter «{activity.title}» som {persona.name} …",
    )


@bp.get("/launch/<case_id>")
def start_launch(case_id: str) -> str:
    if sandbox().activity(case_id) is None:
        abort(404)
    return _start_activity_launch(_course_activity_or_404(case_id))


@bp.get("/launch/dl/<int:dl_id>")
def start_deep_linked_launch(dl_id: int) -> str:
    return _start_activity_launch(_course_activity_or_404(f"dl:{dl_id}"))


# --- deep linking (the request; the response is in deeplink.py) -----------------------------


def _instructor_or_403() -> Persona:
    persona = _current_persona()
    if not persona.is_instructor:
        abort(403)
    return persona


@bp.get("/deeplink")
def deep_linking_page() -> str:
    """Moodle's "Select content" dialog: the tool's deep linking UI in an iframe."""
    state = sandbox()
    _instructor_or_403()
    registration = _current_registration()
    return render_template(
        "sandbox/deeplink.html",
        course=COURSE,
        registration=registration,
        iframe_src=url_for(".start_deep_linking"),
        storage_frame=STORAGE_FRAME_NAME if state.settings.platform_storage else None,
    )


@bp.get("/deeplink/launch")
def start_deep_linking() -> str:
    persona = _instructor_or_403()
    registration = _current_registration()
    return _login_initiation(
        registration=registration,
        persona=persona,
        message_type=MSG_DEEP_LINKING,
        target_link_uri=registration.deep_link_url,
        activity=None,
        target="iframe",
        heading="Åpner Stegvis for å velge aktivitet …",
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
    registration = state.registration(client_id)
    if registration is None:
        return _auth_rejected(f"Unknown client_id {client_id!r}.")
    if redirect_uri not in registration.redirect_uris:
        registered = ", ".join(repr(u) for u in registration.redirect_uris)
        return _auth_rejected(
            f"redirect_uri {redirect_uri!r} is not a registered one ({registered})."
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
    hint, reason = state.store.consume_launch_hint(launch_id, state.clock())
    if hint is None:
        return fail("invalid_request", reason)
    if hint.message_hint != message_hint:
        return fail("invalid_request", "lti_message_hint was altered")
    if hint.login_hint != login_hint:
        return fail("invalid_request", "login_hint does not match the launch")
    if hint.client_id != registration.client_id:
        return fail("invalid_request", "client_id does not match the launch")
    if session.get("browser_id") != hint.browser_id:
        return fail("login_required", "the launch was started in another browser session")
    persona = PERSONAS_BY_KEY.get(hint.persona_key)
    if persona is None:
        return fail("invalid_request", "unknown user")

    common: dict[str, Any] = {
        "settings": state.settings,
        "tool": registration,
        "key": state.keys.get(),
        "clock": state.clock,
        "persona": persona,
        "target_link_uri": hint.target_link_uri,
        "document_target": hint.document_target,
        "lineitems_url": state.lineitems_url(COURSE.id),
        "memberships_url": state.memberships_url(COURSE.id),
        "return_url": f"{state.settings.base_url}/return",
        "extra_form_fields": _storage_fields(state),
    }
    if hint.message_type == MSG_DEEP_LINKING:
        if not persona.is_instructor:
            return fail("access_denied", "only an instructor may add activities")
        dl_settings: dict[str, Any] = {
            "deep_link_return_url": state.deep_link_return_url,
            "accept_types": ["ltiResourceLink"],
            "accept_presentation_document_targets": ["iframe", "window"],
            "accept_multiple": True,
            "accept_lineitem": True,
            "auto_create": True,
            "title": "",
            "text": "",
        }
        if state.settings.deep_linking_data:
            data = f"sandbox-dl-{secrets.token_urlsafe(24)}"
            state.store.issue_deep_link_data(
                data, registration.client_id, state.clock() + DEEP_LINK_DATA_LIFETIME_SECONDS
            )
            dl_settings["data"] = data
        return render_launch(
            **common,
            message_type=MSG_DEEP_LINKING,
            activity=None,
            lineitem_url=None,
            deep_linking_settings=dl_settings,
        )

    activity = state.course_activity(hint.case_id)
    if activity is None:
        return fail("invalid_request", "the activity no longer exists")
    lineitem_url: str | None = None
    if activity.case_id is not None:
        item = state.store.ensure_link_lineitem(
            COURSE.id, activity.resource_link_id, activity.case_id, activity.title
        )
        lineitem_url = state.lineitem_url(COURSE.id, item.id)
    elif activity.lineitem_id is not None:
        found = state.store.get_lineitem(COURSE.id, activity.lineitem_id)
        if found is not None:  # the tool may have deleted it
            lineitem_url = state.lineitem_url(COURSE.id, found.id)
    return render_launch(
        **common,
        message_type=MSG_RESOURCE_LINK,
        activity=activity,
        lineitem_url=lineitem_url,
    )


# --- keys and tokens -----------------------------------------------------------------------


@bp.get("/jwks.json")
def jwks() -> Response:
    response = jsonify(sandbox().keys.jwks())
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
            token_url=f"{state.settings.base_url}/token",
            lookup=state.lookup_client,
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


@bp.post("/test/rotate-key")
def rotate_key() -> Response:
    """A new platform signing key (new kid). The JWKS publishes it and the older keys;
    ``?drop_old=1`` publishes only the new one. Same guard as /test/faults."""
    state = sandbox()
    if not state.fault_injection_allowed():
        abort(404)
    key = state.keys.rotate(drop_old=request.args.get("drop_old") in ("1", "true"))
    return jsonify({"kid": key.kid, "published": [k.kid for k in state.keys.published()]})


# --- platform storage (LTI client-side postMessage storage) ----------------------------------


@bp.get("/platform-storage")
def platform_storage_frame() -> str:
    """The hidden `post_message_forwarding` frame beside the tool's iframe."""
    if not sandbox().settings.platform_storage:
        abort(404)
    return render_template("sandbox/platform_storage.html", frame_name=STORAGE_FRAME_NAME)
