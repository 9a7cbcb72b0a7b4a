"""Assignment and Grade Services 2.0, platform side (line items, scores, results).

Hand-written: lti1p3platform has AGS shapes (TLineItem, TScore, the progress enums, used
here) but no platform endpoints, and its service helpers accept any scope for any
operation.

URLs mimic Moodle 4.x (mod/lti/services.php/<course>/lineitems/<id>/lineitem?type_id=<T>):
every service URL carries a query string. A tool must post scores to the line item URL's
*path* + ``/scores`` and keep the query string
(``.../lineitems/3/lineitem/scores?type_id=1``); these endpoints refuse a request without
the right ``type_id``, as Moodle cannot find the tool type without it.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, jsonify, request
from lti1p3platform.score import ActivityProgress, GradeProgress

from .config import (
    COURSE,
    SCOPE_LINEITEM,
    SCOPE_LINEITEM_READONLY,
    SCOPE_RESULT_READONLY,
    SCOPE_SCORE,
    TOOL_TYPE_ID,
)
from .state import SandboxState, sandbox
from .store import LineItem

bp = Blueprint("ags", __name__, url_prefix="/ags")

MT_LINEITEM = "application/vnd.ims.lis.v2.lineitem+json"
MT_LINEITEM_CONTAINER = "application/vnd.ims.lis.v2.lineitemcontainer+json"
MT_SCORE = "application/vnd.ims.lis.v1.score+json"
MT_RESULT_CONTAINER = "application/vnd.ims.lis.v2.resultcontainer+json"

ACTIVITY_PROGRESS = frozenset(p.value for p in ActivityProgress)
GRADING_PROGRESS = frozenset(p.value for p in GradeProgress)


class AgsError(Exception):
    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


@bp.errorhandler(AgsError)
def _ags_error(exc: AgsError) -> Response:
    response = jsonify({"error": exc.message})
    response.status_code = exc.status
    response.headers.update(exc.headers)
    return response


def _json_response(body: Any, media_type: str, status: int = 200) -> Response:
    response = jsonify(body)
    response.status_code = status
    response.mimetype = media_type
    return response


def _require(state: SandboxState, context_id: str, *any_of: str) -> None:
    """Moodle's checks, in Moodle's order: tool type, bearer token, scope, course."""
    if request.args.get("type_id") != TOOL_TYPE_ID:
        raise AgsError(400, f"type_id={TOOL_TYPE_ID} missing from the query string")
    auth = request.headers.get("Authorization", "")
    scheme, _, token = auth.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AgsError(401, "bearer token required", {"WWW-Authenticate": 'Bearer realm="ags"'})
    scopes = state.store.token_scopes(token.strip(), state.clock())
    if scopes is None:
        raise AgsError(
            401,
            "invalid or expired access token",
            {"WWW-Authenticate": 'Bearer realm="ags", error="invalid_token"'},
        )
    if not scopes.intersection(any_of):
        raise AgsError(
            403,
            f"access token lacks scope {' or '.join(any_of)}",
            {"WWW-Authenticate": 'Bearer realm="ags", error="insufficient_scope"'},
        )
    if context_id != COURSE.id:
        raise AgsError(404, "unknown context")


def _lineitem_json(state: SandboxState, item: LineItem) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": state.lineitem_url(item.context_id, item.id),
        "label": item.label,
        "scoreMaximum": _number(item.score_maximum),
    }
    for key, value in (
        ("resourceId", item.resource_id),
        ("resourceLinkId", item.resource_link_id),
        ("tag", item.tag),
        ("startDateTime", item.start_date_time),
        ("endDateTime", item.end_date_time),
    ):
        if value is not None:
            body[key] = value
    return body


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _body(media_type: str) -> dict[str, Any]:
    if request.mimetype != media_type:
        raise AgsError(415, f"Content-Type must be {media_type}")
    body = request.get_json(force=True, silent=True)
    if not isinstance(body, dict):
        raise AgsError(400, "body must be a JSON object")
    return body


def _validated_lineitem(body: dict[str, Any]) -> dict[str, Any]:
    label = body.get("label")
    if not isinstance(label, str) or not label.strip():
        raise AgsError(400, "label is required")
    if not _is_number(body.get("scoreMaximum")) or body["scoreMaximum"] <= 0:
        raise AgsError(400, "scoreMaximum must be a number above 0")
    for key in ("resourceId", "resourceLinkId", "tag", "startDateTime", "endDateTime"):
        if key in body and body[key] is not None and not isinstance(body[key], str):
            raise AgsError(400, f"{key} must be a string")
    return body


def _lineitem_or_404(state: SandboxState, context_id: str, lineitem_id: int) -> LineItem:
    item = state.store.get_lineitem(context_id, lineitem_id)
    if item is None:
        raise AgsError(404, "no such line item")
    return item


@bp.get("/<context_id>/lineitems")
def list_lineitems(context_id: str) -> Response:
    state = sandbox()
    _require(state, context_id, SCOPE_LINEITEM, SCOPE_LINEITEM_READONLY)
    items = state.store.list_lineitems(
        context_id,
        resource_link_id=request.args.get("resource_link_id"),
        resource_id=request.args.get("resource_id"),
        tag=request.args.get("tag"),
    )
    limit = request.args.get("limit", type=int)
    if limit is not None and limit > 0:
        items = items[:limit]  # one page is enough for one course; no rel="next"
    return _json_response([_lineitem_json(state, i) for i in items], MT_LINEITEM_CONTAINER)


@bp.post("/<context_id>/lineitems")
def create_lineitem(context_id: str) -> Response:
    state = sandbox()
    _require(state, context_id, SCOPE_LINEITEM)
    data = _validated_lineitem(_body(MT_LINEITEM))
    item = state.store.create_lineitem(context_id, data)
    return _json_response(_lineitem_json(state, item), MT_LINEITEM, 201)


@bp.get("/<context_id>/lineitems/<int:lineitem_id>/lineitem")
def get_lineitem(context_id: str, lineitem_id: int) -> Response:
    state = sandbox()
    _require(state, context_id, SCOPE_LINEITEM, SCOPE_LINEITEM_READONLY)
    item = _lineitem_or_404(state, context_id, lineitem_id)
    return _json_response(_lineitem_json(state, item), MT_LINEITEM)


@bp.put("/<context_id>/lineitems/<int:lineitem_id>/lineitem")
def update_lineitem(context_id: str, lineitem_id: int) -> Response:
    state = sandbox()
    _require(state, context_id, SCOPE_LINEITEM)
    _lineitem_or_404(state, context_id, lineitem_id)
    data = _validated_lineitem(_body(MT_LINEITEM))
    item = state.store.update_lineitem(lineitem_id, data)
    if item is None:
        raise AgsError(404, "no such line item")
    return _json_response(_lineitem_json(state, item), MT_LINEITEM)


@bp.delete("/<context_id>/lineitems/<int:lineitem_id>/lineitem")
def delete_lineitem(context_id: str, lineitem_id: int) -> Response:
    state = sandbox()
    _require(state, context_id, SCOPE_LINEITEM)
    _lineitem_or_404(state, context_id, lineitem_id)
    state.store.delete_lineitem(lineitem_id)
    return Response(status=204)


@bp.post("/<context_id>/lineitems/<int:lineitem_id>/lineitem")
def misplaced_score(context_id: str, lineitem_id: int) -> Response:
    # Typically a tool that appended "/scores" after the query string
    # (".../lineitem?type_id=1/scores"). Say so instead of a bare 405.
    raise AgsError(
        400,
        "POST scores to the line item URL's path + /scores, keeping its query string"
        f" (.../lineitems/{lineitem_id}/lineitem/scores?type_id={TOOL_TYPE_ID})",
    )


def parse_timestamp_us(value: Any) -> int:
    """ISO 8601 with a time zone (AGS 2.0 §3.4.5) -> microseconds since the epoch."""
    if not isinstance(value, str):
        raise AgsError(400, "timestamp is required (ISO 8601 with time zone)")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise AgsError(400, f"timestamp is not ISO 8601: {value!r}") from exc
    if parsed.tzinfo is None:
        raise AgsError(400, "timestamp needs a time zone")
    return int(parsed.timestamp()) * 1_000_000 + parsed.microsecond


def _validated_score(state: SandboxState, body: dict[str, Any]) -> tuple[str, int]:
    user_id = body.get("userId")
    if not isinstance(user_id, str) or user_id not in state.member_subs():
        raise AgsError(400, "userId is not a member of this course")
    timestamp_us = parse_timestamp_us(body.get("timestamp"))
    if body.get("activityProgress") not in ACTIVITY_PROGRESS:
        raise AgsError(400, f"activityProgress must be one of {sorted(ACTIVITY_PROGRESS)}")
    if body.get("gradingProgress") not in GRADING_PROGRESS:
        raise AgsError(400, f"gradingProgress must be one of {sorted(GRADING_PROGRESS)}")
    given = body.get("scoreGiven")
    maximum = body.get("scoreMaximum")
    if given is not None:
        if not _is_number(given) or given < 0:
            raise AgsError(400, "scoreGiven must be a number >= 0")
        if maximum is None:
            raise AgsError(400, "scoreMaximum is required with scoreGiven")
    if maximum is not None and (not _is_number(maximum) or maximum <= 0):
        raise AgsError(400, "scoreMaximum must be a number above 0")
    # AGS allows extra credit (scoreGiven > scoreMaximum); Stegvis never sends it, so the
    # sandbox refuses it to catch a scaling bug in the tool.
    if given is not None and maximum is not None and given > maximum:
        raise AgsError(400, "scoreGiven is greater than scoreMaximum")
    if "comment" in body and body["comment"] is not None and not isinstance(body["comment"], str):
        raise AgsError(400, "comment must be a string")
    return user_id, timestamp_us


@bp.post("/<context_id>/lineitems/<int:lineitem_id>/lineitem/scores")
def post_score(context_id: str, lineitem_id: int) -> Response:
    state = sandbox()
    fault = state.store.pop_fault("scores")
    if fault is not None:
        headers = {"Retry-After": "1"} if fault in (429, 503) else {}
        raise AgsError(fault, "injected fault (POST /test/faults)", headers)
    _require(state, context_id, SCOPE_SCORE)
    _lineitem_or_404(state, context_id, lineitem_id)
    body = _body(MT_SCORE)
    user_id, timestamp_us = _validated_score(state, body)
    # A score older than the one on record is logged but not applied, and still answered
    # 200 (AGS 2.0 §3.4.8: the platform must not update a result with an older timestamp).
    state.store.record_score(lineitem_id, user_id, body, timestamp_us, state.clock())
    return Response(status=200)


@bp.get("/<context_id>/lineitems/<int:lineitem_id>/lineitem/results")
def get_results(context_id: str, lineitem_id: int) -> Response:
    state = sandbox()
    _require(state, context_id, SCOPE_RESULT_READONLY)
    item = _lineitem_or_404(state, context_id, lineitem_id)
    results = state.store.results(lineitem_id=lineitem_id, user_id=request.args.get("user_id"))
    out: list[dict[str, Any]] = []
    for r in results:
        entry: dict[str, Any] = {
            "id": state.lineitem_url(context_id, lineitem_id, f"/results/{r.user_id}"),
            "scoreOf": state.lineitem_url(context_id, lineitem_id),
            "userId": r.user_id,
            "resultMaximum": _number(item.score_maximum),
        }
        scaled = scaled_score(r.score_given, r.score_maximum, item.score_maximum)
        if scaled is not None:
            entry["resultScore"] = _number(scaled)
        if r.comment:
            entry["comment"] = r.comment
        out.append(entry)
    limit = request.args.get("limit", type=int)
    if limit is not None and limit > 0:
        out = out[:limit]
    return _json_response(out, MT_RESULT_CONTAINER)


def scaled_score(
    given: float | None, maximum: float | None, lineitem_maximum: float
) -> float | None:
    """The result on the line item's scale, as Moodle stores it."""
    if given is None or not maximum:
        return None
    return round(given / maximum * lineitem_maximum, 5)
