"""Names and Role Provisioning Services 2.0, platform side (the course roster).

``GET {base}/nrps/<context id>/memberships`` with a bearer token holding the
contextmembership.readonly scope. Members are the three personas and
``settings.extra_members`` generated employees. Paging as the spec says: ``?limit=N``, and
a ``Link: <next>; rel="next"`` header whose URL carries an opaque, case-sensitive page
cursor (a tool that lower-cases the Link header, as pylti1p3 does, gets a 400 here).
``?role=`` filters (full URI or the short name, e.g. ``Learner``), ``?rlid=`` limits the
answer to a resource link of the course (everyone may open every link here).

Hand-written: lti1p3platform's roster endpoint crashes on limit/page.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any
from urllib.parse import parse_qsl, urlencode

from flask import Blueprint, Response, jsonify, request

from .config import COURSE, SCOPE_NRPS, Member
from .state import sandbox

bp = Blueprint("nrps", __name__, url_prefix="/nrps")

MT_MEMBERSHIP_CONTAINER = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
MAX_LIMIT = 1000


class NrpsError(Exception):
    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


@bp.errorhandler(NrpsError)
def _nrps_error(exc: NrpsError) -> Response:
    response = jsonify({"error": exc.message})
    response.status_code = exc.status
    response.headers.update(exc.headers)
    return response


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"Offset:{offset}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise NrpsError(400, "page is not a cursor this platform issued") from exc
    prefix, _, number = text.partition(":")
    if prefix != "Offset" or not number.isdigit():
        raise NrpsError(400, "page is not a cursor this platform issued")
    return int(number)


def _role_matches(member: Member, wanted: str) -> bool:
    return member.role == wanted or member.role.rsplit("#", 1)[-1] == wanted


def _member_json(member: Member) -> dict[str, Any]:
    return {
        "status": "Active",
        "name": member.name,
        "given_name": member.given_name,
        "family_name": member.family_name,
        "email": member.email,
        "user_id": member.sub,
        "roles": [member.role],
    }


@bp.get("/<context_id>/memberships")
def memberships(context_id: str) -> Response:
    state = sandbox()
    auth = request.headers.get("Authorization", "")
    scheme, _, token = auth.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NrpsError(401, "bearer token required", {"WWW-Authenticate": 'Bearer realm="nrps"'})
    scopes = state.store.token_scopes(token.strip(), state.clock())
    if scopes is None:
        raise NrpsError(
            401,
            "invalid or expired access token",
            {"WWW-Authenticate": 'Bearer realm="nrps", error="invalid_token"'},
        )
    if SCOPE_NRPS not in scopes:
        raise NrpsError(
            403,
            f"access token lacks scope {SCOPE_NRPS}",
            {"WWW-Authenticate": 'Bearer realm="nrps", error="insufficient_scope"'},
        )
    if context_id != COURSE.id:
        raise NrpsError(404, "unknown context")

    members = state.members()
    rlid = request.args.get("rlid")
    if rlid is not None and rlid not in state.resource_link_ids():
        raise NrpsError(400, "rlid is not a resource link of this context")
    role = request.args.get("role")
    if role:
        members = [m for m in members if _role_matches(m, role)]

    limit_text = request.args.get("limit")
    offset = decode_cursor(request.args["page"]) if "page" in request.args else 0
    next_offset: int | None = None
    if limit_text is not None:
        if not limit_text.isdigit() or not 0 < int(limit_text) <= MAX_LIMIT:
            raise NrpsError(400, f"limit must be a whole number from 1 to {MAX_LIMIT}")
        limit = int(limit_text)
        if offset + limit < len(members):
            next_offset = offset + limit
        members = members[offset : offset + limit]
    else:
        members = members[offset:]

    url = state.memberships_url(context_id)
    body: dict[str, Any] = {
        "id": url,
        "context": {"id": COURSE.id, "label": COURSE.label, "title": COURSE.title},
        "members": [_member_json(m) for m in members],
    }
    response = jsonify(body)
    response.mimetype = MT_MEMBERSHIP_CONTAINER
    if next_offset is not None:
        # Keep every other query parameter (role, rlid, limit) as sent, in order.
        sent = parse_qsl(request.query_string.decode(), keep_blank_values=True)
        query = [(k, v) for k, v in sent if k != "page"]
        query.append(("page", encode_cursor(next_offset)))
        response.headers["Link"] = f'<{url}?{urlencode(query)}>; rel="next"'
    return response
