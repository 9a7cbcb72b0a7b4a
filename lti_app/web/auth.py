"""Who is at the keyboard: the signed session cookie, or a play token where cookies fail.

A launch replaces the session (a new session on every authentication, ASVS 7.2.4); it
carries only the user's id and the activities where the launch gave course staff rights.
No role or launch handle ever travels in a URL.

When the browser blocks third-party cookies inside the LMS iframe, the same identity
travels as a *play token*: signed, short-lived, kept in the frame's sessionStorage by
``static/player.js`` and sent only in POST bodies (research note B.6 case 16). A valid
play token also proves the form came from our own page, so it stands in for the CSRF
token, which lives in the session the browser could not keep.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, request, session
from flask_wtf.csrf import CSRFProtect
from itsdangerous import BadSignature, URLSafeTimedSerializer

from lti_app.errors import ForbiddenError, SessionExpiredError
from lti_app.lti.context import LaunchContext

MAX_STAFF_LINKS = 50
PLAY_TOKEN_SECONDS = 8 * 3600
PLAY_TOKEN_FIELD = "play_token"  # noqa: S105  (a form field name)


def begin(ctx: LaunchContext, user_id: int, link_pk: int | None) -> None:
    staff_links: list[int] = list(session.get("staff_links", [])) if (
        session.get("user_id") == user_id
    ) else []
    session.clear()
    session["user_id"] = user_id
    session["platform_id"] = ctx.platform_id
    if link_pk is not None:
        staff_links = [pk for pk in staff_links if pk != link_pk]
        if ctx.is_instructor:
            staff_links.append(link_pk)  # a later learner launch downgrades again
    session["staff_links"] = staff_links[-MAX_STAFF_LINKS:]


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key or "", salt="stegvis-play-token")


def play_token() -> str:
    """A token carrying this session's identity, for a browser that drops our cookies."""
    identity = {"u": session["user_id"], "s": session.get("staff_links", [])}
    return _serializer().dumps(identity)


def _token_identity() -> dict[str, Any] | None:
    token = request.form.get(PLAY_TOKEN_FIELD) if request.method == "POST" else None
    if not token:
        return None
    try:
        identity: dict[str, Any] = _serializer().loads(token, max_age=PLAY_TOKEN_SECONDS)
    except BadSignature:
        return None
    return identity


def has_session() -> bool:
    return isinstance(session.get("user_id"), int)


def by_token() -> bool:
    """Whether this request is authenticated by a play token rather than the cookie."""
    return not isinstance(session.get("user_id"), int) and _token_identity() is not None


def current_user_id() -> int:
    user_id = session.get("user_id")
    if isinstance(user_id, int):
        return user_id
    identity = _token_identity()
    if identity is not None and isinstance(identity.get("u"), int):
        return int(identity["u"])
    raise SessionExpiredError("no user in session or play token")


def require_staff(link_pk: int) -> int:
    user_id = current_user_id()
    staff = session.get("staff_links") if "user_id" in session else (
        (_token_identity() or {}).get("s", []))
    if link_pk not in (staff or []):
        raise ForbiddenError(f"user {user_id} is not staff of activity {link_pk}")
    return user_id


def token_for_page() -> str | None:
    """The play token to embed in this page's forms, when the page was reached by one."""
    if not by_token():
        return None
    identity = _token_identity() or {}
    return _serializer().dumps(identity)


def protect_post(csrf: CSRFProtect) -> None:
    """CSRF check for the player's POSTs: a valid play token, or the session's CSRF token."""
    if request.method == "POST" and not by_token():
        csrf.protect()
