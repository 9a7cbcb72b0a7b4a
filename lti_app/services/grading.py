"""The grade outbox: scores are written in the learner's transaction and sent by a worker.

Outbound HTTP never runs inside a learner's request (house rule 9). The worker sends due
rows one by one, each in its own transaction; a retryable failure backs off exponentially
(5 s doubling to an hour, honouring Retry-After), so a platform that is down for hours
still gets every score; a final failure is marked ``failed`` with the reason. Every resend
carries the original timestamp, so the platform keeps one result (AGS 2.0 score service).
"""

from __future__ import annotations

import logging
import random
from datetime import timedelta

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from lti_app.db import session_scope
from lti_app.lti.ags import AgsClient, Score
from lti_app.lti.service_client import ServiceError
from lti_app.models import Attempt, GradeOutbox, Platform, ResourceLink, User, utcnow
from lti_app.services.rosters import service_auth
from scenarios import Scenario
from scoring import Result

log = logging.getLogger(__name__)

MAX_TRIES = 25
BASE_DELAY = 5.0
MAX_DELAY = 3600.0


def enqueue(
    db: Session, attempt: Attempt, link: ResourceLink, user: User, case: Scenario,
    result: Result | None,
) -> GradeOutbox | None:
    """Queue 'Started' (no result yet) or 'Completed/FullyGraded' with the score."""
    if not (link.lineitem_url or link.lineitems_url):
        log.info("activity %s has no AGS endpoint; no grade is sent", link.resource_link_id)
        return None
    row = GradeOutbox(
        attempt_id=attempt.id,
        platform_id=user.platform_id,
        lineitem_url=link.lineitem_url,
        lineitems_url=link.lineitems_url,
        resource_link_id=link.resource_link_id,
        label=case.title,
        user_sub=user.sub,
        activity_progress="Completed" if result else "Started",
        grading_progress="FullyGraded" if result else "NotReady",
        score_given=float(result.score) if result else None,
        score_maximum=100.0 if result else None,
        score_timestamp=(attempt.finished_at if result else attempt.started_at) or utcnow(),
    )
    db.add(row)
    db.flush()
    return row


def _send(db: Session, row: GradeOutbox) -> None:
    platform = db.get(Platform, row.platform_id)
    assert platform is not None
    client = AgsClient(service_auth(db, platform))
    if not row.lineitem_url:
        assert row.lineitems_url
        row.lineitem_url = client.find_or_create_lineitem(
            row.lineitems_url, resource_link_id=row.resource_link_id,
            resource_id=row.label, label=row.label,
        )
    client.post_score(row.lineitem_url, Score(
        user_id=row.user_sub,
        timestamp=row.score_timestamp.isoformat(),
        activity_progress=row.activity_progress,
        grading_progress=row.grading_progress,
        score_given=row.score_given,
        score_maximum=row.score_maximum,
    ))


def backoff(tries: int, retry_after: float | None = None) -> float:
    """Seconds to wait before try number ``tries + 1``."""
    delay = min(BASE_DELAY * 2 ** (tries - 1), MAX_DELAY)
    delay *= random.uniform(0.8, 1.2)  # noqa: S311  (jitter, not security)
    return float(max(delay, retry_after or 0.0))


def send_one(db: Session, row: GradeOutbox) -> str:
    """Try to deliver ``row``; update its status; return the new status."""
    now = utcnow()
    row.tries += 1
    try:
        _send(db, row)
    except ServiceError as exc:
        row.last_error = str(exc)[:2000]
        if exc.retryable and row.tries < MAX_TRIES:
            row.next_try_at = now + timedelta(seconds=backoff(row.tries, exc.retry_after))
            log.warning("grade %s try %s failed, retrying: %s", row.id, row.tries, exc)
        else:
            row.status = "failed"
            log.error("grade %s failed for good: %s", row.id, exc)
        return row.status
    row.status, row.sent_at, row.last_error = "sent", now, None
    log.info("grade %s sent (%s %s)", row.id, row.activity_progress, row.score_given)
    return row.status


def send_due(engine: Engine, limit: int = 50) -> int:
    """Send every due row (each in its own transaction); return how many were tried."""
    with session_scope(engine) as db:
        due = list(db.scalars(
            select(GradeOutbox.id)
            .where(GradeOutbox.status == "pending", GradeOutbox.next_try_at <= utcnow())
            .order_by(GradeOutbox.id)
            .limit(limit)
        ))
    for row_id in due:
        with session_scope(engine) as db:
            # Several workers may run: a row locked by another is skipped (PostgreSQL).
            row = db.scalar(
                select(GradeOutbox)
                .where(GradeOutbox.id == row_id, GradeOutbox.status == "pending")
                .with_for_update(skip_locked=True)
            )
            if row is not None:
                send_one(db, row)
    return len(due)
