"""Deep Linking 2.0, platform side: the tool's LtiDeepLinkingResponse.

The request is sent from views.auth (message type LtiDeepLinkingRequest). Here the tool's
response, form-posted to ``{base}/deeplink/return`` as ``JWT``, is checked strictly: RS256
by a key of the tool's own JWKS (the registration named by ``iss``), ``aud`` = our issuer,
exp/iat, a nonce used once, message type, version, deployment id and the ``data`` we sent.
Only then is each ``ltiResourceLink`` content item stored as an activity of the course,
with the line item the tool asked for. Nothing is stored if any part is wrong.

Hand-written: lti1p3platform has no deep linking response handling.
"""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlsplit

import jwt
from flask import Blueprint, render_template, request, url_for

from .config import COURSE, MSG_DEEP_LINKING_RESPONSE
from .oauth import IAT_SKEW_SECONDS, TokenError
from .registrations import ToolRegistration
from .state import SandboxState, deep_linked_activity, sandbox
from .store import NewDeepLinkedActivity

bp = Blueprint("deeplink", __name__)

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
DL_CLAIM = "https://purl.imsglobal.org/spec/lti-dl/claim/"
MAX_ITEMS = 50
# How long we accept a response JWT at all, whatever its exp says (Moodle: none; a tool's
# response is posted at once by the browser).
MAX_AGE_SECONDS = 3600


class DeepLinkError(Exception):
    """The tool's response is rejected; the message names the problem (English, for devs)."""


def _string(value: Any, name: str, *, required: bool = False, limit: int = 1000) -> str | None:
    if value is None:
        if required:
            raise DeepLinkError(f"{name} is required")
        return None
    if not isinstance(value, str):
        raise DeepLinkError(f"{name} must be a string")
    if required and not value.strip():
        raise DeepLinkError(f"{name} must not be empty")
    if len(value) > limit:
        raise DeepLinkError(f"{name} is longer than {limit} characters")
    return value


def _decode(state: SandboxState, token: str) -> tuple[ToolRegistration, dict[str, Any]]:
    try:
        header = jwt.get_unverified_header(token)
        unverified = jwt.decode(token, options={"verify_signature": False})
    except jwt.InvalidTokenError as exc:
        raise DeepLinkError(f"JWT is not a JWT: {exc}") from exc
    if header.get("alg") != "RS256":
        raise DeepLinkError("the JWT must be signed with RS256")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise DeepLinkError("the JWT has no kid header")
    issuer = unverified.get("iss")
    registration = state.registration(issuer) if isinstance(issuer, str) else None
    if registration is None:
        raise DeepLinkError(f"iss must be the tool's client_id, not {issuer!r}")
    try:
        key = state.key_set(registration).get(kid)
    except TokenError as exc:
        raise DeepLinkError(exc.description) from exc
    try:
        # Signature, aud and iss here; the times against our clock below.
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=["RS256"],
            audience=state.settings.base_url,
            issuer=registration.client_id,
            options={"verify_exp": False, "verify_iat": False, "verify_nbf": False},
        )
    except jwt.InvalidAudienceError as exc:
        raise DeepLinkError(f"aud must be the platform issuer {state.settings.base_url}") from exc
    except jwt.InvalidTokenError as exc:
        raise DeepLinkError(f"the JWT was rejected: {exc}") from exc
    audience = claims.get("aud")
    if isinstance(audience, list) and len(audience) > 1 and claims.get("azp") is None:
        raise DeepLinkError("azp is required when aud has several values")
    if "azp" in claims and claims["azp"] != state.settings.base_url:
        raise DeepLinkError("azp must be the platform issuer")
    return registration, claims


def _check_claims(
    state: SandboxState, registration: ToolRegistration, claims: dict[str, Any]
) -> str | None:
    """The message claims; returns the echoed `data` (None when we sent none)."""
    now = state.clock()
    exp, iat = claims.get("exp"), claims.get("iat")
    if not isinstance(exp, int | float) or isinstance(exp, bool):
        raise DeepLinkError("exp is required")
    if exp <= now:
        raise DeepLinkError("the JWT has expired (exp)")
    if not isinstance(iat, int | float) or isinstance(iat, bool):
        raise DeepLinkError("iat is required")
    if iat > now + IAT_SKEW_SECONDS:
        raise DeepLinkError("iat is in the future")
    if iat < now - MAX_AGE_SECONDS:
        raise DeepLinkError("iat is more than an hour old")
    nonce = claims.get("nonce")
    if not isinstance(nonce, str) or not nonce:
        raise DeepLinkError("nonce is required")
    if claims.get(CLAIM + "message_type") != MSG_DEEP_LINKING_RESPONSE:
        raise DeepLinkError(f"message_type must be {MSG_DEEP_LINKING_RESPONSE}")
    if claims.get(CLAIM + "version") != "1.3.0":
        raise DeepLinkError("version must be 1.3.0")
    if claims.get(CLAIM + "deployment_id") != registration.deployment_id:
        raise DeepLinkError(f"deployment_id must be {registration.deployment_id!r}")
    data = claims.get(DL_CLAIM + "data")
    if not state.settings.deep_linking_data:
        return None
    if not isinstance(data, str):
        raise DeepLinkError("data must be echoed unchanged (it is missing)")
    reason = state.store.check_deep_link_data(data, registration.client_id, now)
    if reason:
        raise DeepLinkError(f"data must be echoed unchanged: {reason}")
    return data


def _line_item(value: Any, title: str) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise DeepLinkError("lineItem must be an object")
    maximum = value.get("scoreMaximum")
    if (
        not isinstance(maximum, int | float)
        or isinstance(maximum, bool)
        or not math.isfinite(maximum)
        or maximum <= 0
    ):
        raise DeepLinkError("lineItem.scoreMaximum must be a number above 0")
    label = _string(value.get("label"), "lineItem.label") or title
    out: dict[str, Any] = {"label": label, "scoreMaximum": maximum}
    for name in ("resourceId", "tag"):
        found = _string(value.get(name), f"lineItem.{name}", limit=255)
        if found is not None:
            out[name] = found
    return out


def _content_item(registration: ToolRegistration, item: Any, number: int) -> NewDeepLinkedActivity:
    where = f"content item {number}"
    if not isinstance(item, dict):
        raise DeepLinkError(f"{where} must be an object")
    if item.get("type") != "ltiResourceLink":
        raise DeepLinkError(
            f"{where}: type {item.get('type')!r} was not offered (accept_types: ltiResourceLink)"
        )
    title = _string(item.get("title"), f"{where}: title", limit=255) or "Aktivitet fra Stegvis"
    text = _string(item.get("text"), f"{where}: text", limit=4000)
    url = _string(item.get("url"), f"{where}: url", limit=2000)
    if url is not None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or parts.netloc != registration.tool_netloc:
            raise DeepLinkError(
                f"{where}: url {url!r} is not on the tool's host {registration.tool_netloc}"
            )
    custom = item.get("custom", {})
    if custom is None:
        custom = {}
    if not isinstance(custom, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in custom.items()
    ):
        raise DeepLinkError(f"{where}: custom must map strings to strings")
    return NewDeepLinkedActivity(
        title=title,
        text=text,
        url=url,
        custom=dict(custom),
        lineitem=_line_item(item.get("lineItem"), title),
    )


def _rejected(message: str, status: int = 400) -> tuple[str, int]:
    return (
        render_template("sandbox/deeplink_return.html", course=COURSE, error=message, added=[]),
        status,
    )


@bp.post("/deeplink/return")
def deep_link_return() -> tuple[str, int]:
    state = sandbox()
    token = request.form.get("JWT", "")
    if not token:
        return _rejected("The form field JWT is missing.")
    try:
        registration, claims = _decode(state, token)
        data = _check_claims(state, registration, claims)
        items = claims.get(DL_CLAIM + "content_items", [])
        if items is None:
            items = []
        if not isinstance(items, list):
            raise DeepLinkError("content_items must be an array")
        if len(items) > MAX_ITEMS:
            raise DeepLinkError(f"at most {MAX_ITEMS} content items")
        new = [_content_item(registration, item, n) for n, item in enumerate(items, 1)]
        msg = _string(claims.get(DL_CLAIM + "msg"), "msg", limit=2000)
        errormsg = _string(claims.get(DL_CLAIM + "errormsg"), "errormsg", limit=2000)
    except DeepLinkError as exc:
        return _rejected(str(exc))
    now = state.clock()
    # The nonce once per tool: a replayed response adds nothing.
    replay_key = f"dl:{registration.client_id}:{claims['nonce']}"
    if not state.store.record_jti(replay_key, now + MAX_AGE_SECONDS, now):
        return _rejected("This response was received already (nonce used).")
    stored = state.store.add_deep_linked_activities(
        COURSE.id, registration.client_id, new, data=data, now=now
    )
    if stored is None:
        return _rejected("This deep linking request was answered already.")
    added = [
        {
            "activity": deep_linked_activity(a),
            "url": url_for("sandbox.deep_linked_activity", dl_id=a.id),
        }
        for a in stored
    ]
    return (
        render_template(
            "sandbox/deeplink_return.html",
            course=COURSE,
            error=None,
            added=added,
            msg=msg,
            errormsg=errormsg,
        ),
        200,
    )
