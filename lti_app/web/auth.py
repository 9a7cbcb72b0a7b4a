"""Who is at the keyboard, from the server-side view of the signed session cookie.

A launch replaces the session (a new session on every authentication, ASVS 7.2.4); the
session then carries only the user's id and the activities where the launch gave course
staff rights. No role or launch handle ever travels in a URL.
"""

from __future__ import annotations

from flask import session

from lti_app.errors import ForbiddenError, SessionExpiredError
from lti_app.lti.context import LaunchContext

MAX_STAFF_LINKS = 50


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


def current_user_id() -> int:
    user_id = session.get("user_id")
    if not isinstance(user_id, int):
        raise SessionExpiredError("no user in session")
    return user_id


def require_staff(link_pk: int) -> int:
    user_id = current_user_id()
    if link_pk not in session.get("staff_links", []):
        raise ForbiddenError(f"user {user_id} is not staff of activity {link_pk}")
    return user_id
