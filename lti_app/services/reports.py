"""What a leader sees: everyone in the course and how far each has come with an activity.

The roster (NRPS snapshot) gives everyone, so people who never opened the case are listed
too; attempts give the status. Someone who launched but is missing from the snapshot (a
roster not read yet, or a newcomer) is listed as well.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_app.models import Attempt, Context, ResourceLink, RosterMember, User

STAFF_ROLES = {"Instructor", "Administrator", "ContentDeveloper", "TeachingAssistant"}


@dataclass(frozen=True)
class PersonStatus:
    name: str
    email: str | None
    status: str  # "not_started" | "in_progress" | "passed" | "failed"
    score: int | None
    attempts: int
    last_activity: datetime | None


def _status(attempts: list[Attempt]) -> tuple[str, int | None]:
    finished = [a for a in attempts if a.finished]
    if any(a.passed for a in finished):
        best = max(a.score or 0 for a in finished if a.passed)
        return "passed", best
    if any(not a.finished for a in attempts):
        return "in_progress", None
    if finished:
        return "failed", max(a.score or 0 for a in finished)
    return "not_started", None


def activity_status(db: Session, link: ResourceLink) -> list[PersonStatus]:
    """One row per learner in the course (roster first), with this activity's status."""
    platform_id = link.deployment.platform_id
    by_sub: dict[str, list[Attempt]] = {}
    users: dict[str, User] = {}
    for attempt, user in db.execute(
        select(Attempt, User).join(User, Attempt.user_id == User.id)
        .where(Attempt.resource_link_pk == link.id).order_by(Attempt.started_at)
    ).all():
        by_sub.setdefault(user.sub, []).append(attempt)
        users[user.sub] = user
    people: dict[str, tuple[str, str | None]] = {}
    context = db.get(Context, link.context_pk) if link.context_pk else None
    if context is not None:
        for member in db.scalars(select(RosterMember).where(RosterMember.context_pk == context.id)):
            if member.status == "Active" and not (set(member.roles) & STAFF_ROLES):
                people[member.sub] = (member.name or member.sub, member.email)
    for sub, user in users.items():
        if user.platform_id == platform_id:
            people.setdefault(sub, (user.name or sub, user.email))
    rows = []
    for sub, (name, email) in people.items():
        attempts = by_sub.get(sub, [])
        status, score = _status(attempts)
        last = max((a.finished_at or a.started_at for a in attempts), default=None)
        rows.append(PersonStatus(name, email, status, score, len(attempts), last))
    order = {"not_started": 0, "in_progress": 1, "failed": 2, "passed": 3}
    return sorted(rows, key=lambda r: (order[r.status], r.name.lower()))
