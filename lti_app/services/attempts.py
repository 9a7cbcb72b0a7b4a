"""Attempts: start or resume, apply a choice, finish with a score and a gradebook entry."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lti_app.errors import NotFoundError
from lti_app.models import Attempt, Decision, ResourceLink, User, utcnow
from lti_app.services import grading
from lti_app.services.catalogue import Catalogue, case_version, pin_version
from scenarios import PlayState, Scenario, StaleStep, choose, start
from scoring import Result, score

# Raised to the route when the page the learner submitted from was not the current one.
__all__ = ["StaleStep", "apply_choice", "get_attempt", "open_attempt", "start_attempt"]


@dataclass(frozen=True)
class AttemptView:
    """An attempt with its case at the pinned version and its play state."""

    attempt: Attempt
    case: Scenario
    state: PlayState


def view(catalogue: Catalogue, db: Session, attempt: Attempt) -> AttemptView:
    case = case_version(catalogue, db, attempt.content_hash)
    return AttemptView(attempt, case, PlayState.from_dict(attempt.state))


def get_attempt(db: Session, attempt_id: str, user_id: int) -> Attempt:
    """The attempt if it belongs to ``user_id``; someone else's is 'not found', not 403."""
    attempt = db.get(Attempt, attempt_id)
    if attempt is None or attempt.user_id != user_id:
        raise NotFoundError(f"attempt {attempt_id} not found for user {user_id}")
    return attempt


def latest_attempt(db: Session, user: User, link: ResourceLink) -> Attempt | None:
    return db.scalar(
        select(Attempt)
        .where(Attempt.user_id == user.id, Attempt.resource_link_pk == link.id)
        .order_by(Attempt.started_at.desc(), Attempt.id)
        .limit(1)
    )


def open_attempt(catalogue: Catalogue, db: Session, user: User, link: ResourceLink) -> Attempt:
    """Resume the learner's attempt in this activity, or start the first one."""
    attempt = latest_attempt(db, user, link)
    if attempt is not None:
        return attempt
    return start_attempt(catalogue, db, user, link)


def start_attempt(catalogue: Catalogue, db: Session, user: User, link: ResourceLink) -> Attempt:
    """Start a new attempt on the current version of the activity's case."""
    case = catalogue.case(link.case_id)
    catalogue.procedure_for(case)  # refuse before starting if it could never be scored
    pin_version(catalogue, db, case)
    state = start(case)
    attempt = Attempt(
        user_id=user.id,
        resource_link_pk=link.id,
        scenario_id=case.id,
        content_hash=case.content_hash,
        profile=link.profile or catalogue.default_profile,
        state=state.to_dict(),
        step=state.step,
        started_at=utcnow(),
    )
    db.add(attempt)
    db.flush()
    grading.enqueue(db, attempt, link, user, case, result=None)
    return attempt


def apply_choice(
    catalogue: Catalogue, db: Session, attempt: Attempt, choice_id: str, expected_step: int
) -> AttemptView:
    """Record one decision; finish and score the attempt when it reaches an ending.

    Raises ``StaleStep`` when the page was not the current one (back button, second tab,
    double click): exactly one of two identical submits moves the attempt on.
    """
    current = view(catalogue, db, attempt)
    node = current.case.nodes[current.state.node_id]
    new_state = choose(current.case, current.state, choice_id, expected_step)
    chosen = next(c for c in node.choices if c.id == choice_id)
    # Optimistic lock on the step: a concurrent submit of the same page loses here.
    moved = db.execute(
        update(Attempt)
        .where(Attempt.id == attempt.id, Attempt.step == expected_step)
        .values(state=new_state.to_dict(), step=new_state.step)
        .execution_options(synchronize_session=False)
    )
    if getattr(moved, "rowcount", 0) != 1:
        raise StaleStep(expected_step, expected_step + 1)
    try:
        with db.begin_nested():
            db.add(Decision(
                attempt_id=attempt.id, step_no=expected_step, node_id=node.id,
                choice_id=chosen.id, verdict=chosen.verdict.value, procedure_step=chosen.step,
            ))
    except IntegrityError as exc:
        raise StaleStep(expected_step, expected_step + 1) from exc
    db.refresh(attempt)
    if new_state.finished:
        _finish(catalogue, db, attempt, current.case, new_state)
    return AttemptView(attempt, current.case, new_state)


def _finish(
    catalogue: Catalogue, db: Session, attempt: Attempt, case: Scenario, state: PlayState
) -> Result:
    result = score(case, catalogue.procedure_for(case), state.path)
    attempt.finished_at = utcnow()
    attempt.score = result.score
    attempt.passed = result.passed
    attempt.result = result.to_dict()
    db.flush()
    grading.enqueue(db, attempt, attempt.resource_link, attempt.user, case, result=result)
    return result
