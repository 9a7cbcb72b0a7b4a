"""Assignment and Grade Services 2.0: line items and scores."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from lti_app.lti.service_client import ServiceClient

SCOPE_LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
SCOPE_SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
LINEITEM_TYPE = "application/vnd.ims.lis.v2.lineitem+json"
LINEITEMS_TYPE = "application/vnd.ims.lis.v2.lineitemcontainer+json"
SCORE_TYPE = "application/vnd.ims.lis.v1.score+json"


@dataclass(frozen=True)
class Score:
    user_id: str
    timestamp: str  # ISO 8601 of the original score time
    activity_progress: str
    grading_progress: str
    score_given: float | None = None
    score_maximum: float | None = None
    comment: str | None = None

    def payload(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "userId": self.user_id,
            "timestamp": self.timestamp,
            "activityProgress": self.activity_progress,
            "gradingProgress": self.grading_progress,
        }
        if self.score_given is not None and self.score_maximum is not None:
            data["scoreGiven"] = self.score_given
            data["scoreMaximum"] = self.score_maximum
        if self.comment:
            data["comment"] = self.comment
        return data


class AgsClient(ServiceClient):
    """Line items and scores of one platform, on behalf of one registration."""

    def find_or_create_lineitem(
        self, lineitems_url: str, *, resource_link_id: str, resource_id: str, label: str
    ) -> str:
        """The line item of this resource link, created with scoreMaximum 100 if missing."""
        scopes = (SCOPE_LINEITEM,)
        listed = self.call(
            "GET", _with_query(lineitems_url, resource_link_id=resource_link_id), scopes,
            "lineitems", headers={"Accept": LINEITEMS_TYPE},
        ).json()
        for item in listed if isinstance(listed, list) else []:
            if item.get("resourceLinkId") == resource_link_id and item.get("id"):
                return str(item["id"])
        created = self.call(
            "POST", lineitems_url, scopes, "create lineitem",
            json={
                "scoreMaximum": 100, "label": label, "resourceId": resource_id,
                "resourceLinkId": resource_link_id,
            },
            headers={"Content-Type": LINEITEM_TYPE, "Accept": LINEITEM_TYPE},
        ).json()
        return str(created["id"])

    def post_score(self, lineitem_url: str, score: Score) -> None:
        """POST a score to ``<lineitem>/scores`` (AGS 2.0 §3.4), keeping any query string."""
        self.call(
            "POST", scores_url(lineitem_url), (SCOPE_SCORE,), "score",
            json=score.payload(), headers={"Content-Type": SCORE_TYPE},
        )


def scores_url(lineitem_url: str) -> str:
    """Moodle's line item URLs carry a query (``.../lineitem?type_id=1``): the scores
    endpoint is the path + ``/scores`` with the query kept."""
    parts = urlsplit(lineitem_url)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "/scores"))


def _with_query(url: str, **params: str) -> str:
    parts = urlsplit(url)
    query = "&".join(q for q in (parts.query, urlencode(params)) if q)
    return urlunsplit(parts._replace(query=query))
