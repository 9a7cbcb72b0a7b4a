"""Score a path through a case against its procedure: a pure function (design.md)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from scenarios.engine import replay
from scenarios.model import Choice, Scenario, Verdict
from scoring.procedure import CatalogueEntry, Procedure
from scoring.rules import (
    STEP_CREDIT,
    VERDICT_POINTS,
    StepStatus,
    cap_for_critical,
    combine,
)


@dataclass(frozen=True, slots=True)
class StepOutcome:
    """How one procedure step went on this path (a row of the debrief timeline)."""

    step_id: str
    title: str
    status: StepStatus
    source: str
    choice_ids: tuple[str, ...]
    required: bool = True
    group: str = ""


@dataclass(frozen=True, slots=True)
class Decision:
    """One choice made, as judged."""

    choice_id: str
    node_id: str
    text: str
    verdict: Verdict
    step: str | None
    feedback: str
    source: str


@dataclass(frozen=True, slots=True)
class CriticalMistake:
    """A critical choice on the path: why it fails the attempt, and the source."""

    choice_id: str
    node_id: str
    text: str
    why: str  # the choice's feedback (Markdown)
    source: str
    catalogue: CatalogueEntry | None = None


@dataclass(frozen=True, slots=True)
class Result:
    """The outcome of an attempt: score, verdict and everything the debrief shows."""

    score: int
    passed: bool
    pass_mark: int
    finished: bool
    outcome: str | None  # the ending's outcome, None if the path did not reach one
    critical_errors: tuple[CriticalMistake, ...]
    steps: tuple[StepOutcome, ...]
    decisions: tuple[Decision, ...]

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-able dict (stored with the attempt, shown in the debrief)."""
        return {
            "score": self.score,
            "passed": self.passed,
            "pass_mark": self.pass_mark,
            "finished": self.finished,
            "outcome": self.outcome,
            "critical_errors": [
                {
                    "choice_id": c.choice_id,
                    "node_id": c.node_id,
                    "text": c.text,
                    "why": c.why,
                    "source": c.source,
                    "catalogue": None
                    if c.catalogue is None
                    else {
                        "id": c.catalogue.id,
                        "text": c.catalogue.text,
                        "source": c.catalogue.source,
                    },
                }
                for c in self.critical_errors
            ],
            "steps": [
                {
                    "step_id": s.step_id,
                    "title": s.title,
                    "status": s.status,
                    "source": s.source,
                    "choice_ids": list(s.choice_ids),
                    "required": s.required,
                    "group": s.group,
                }
                for s in self.steps
            ],
            "decisions": [
                {
                    "choice_id": d.choice_id,
                    "node_id": d.node_id,
                    "text": d.text,
                    "verdict": d.verdict.value,
                    "step": d.step,
                    "feedback": d.feedback,
                    "source": d.source,
                }
                for d in self.decisions
            ],
        }


def score(scenario: Scenario, procedure: Procedure, path: Sequence[str]) -> Result:
    """Score a path of choice ids; see scoring/rules.py for the rules.

    The path is replayed through the engine, so a path the case does not allow raises the
    engine's UnknownChoice (or AlreadyFinished) rather than being scored.
    """
    if scenario.procedure != procedure.id:
        raise ValueError(f"caset «{scenario.id}» skal vurderes mot «{scenario.procedure}»")
    state = replay(scenario, list(path))
    choices = [_choice(scenario, choice_id) for choice_id in path]

    decisions = tuple(
        Decision(c.id, _node_id(c), c.text, c.verdict, c.step, c.feedback, c.source)
        for c in choices
    )
    critical = tuple(
        CriticalMistake(
            c.id,
            _node_id(c),
            c.text,
            c.feedback,
            c.source,
            procedure.entry(c.error) if c.error else None,
        )
        for c in choices
        if c.verdict is Verdict.CRITICAL
    )
    steps = _step_outcomes(scenario, procedure, choices)

    required = [s for s in steps if s.required]
    weights = {s.id: s.weight for s in procedure.steps}
    possible = sum(weights.get(s.step_id, 1) for s in required)
    # Fraction arithmetic is slow, and the checker scores every path of every case: add
    # whole numbers per status and per verdict first, then do one Fraction product each.
    weight_by_status = Counter[StepStatus]()
    for s in required:
        weight_by_status[s.status] += weights.get(s.step_id, 1)
    earned = sum((STEP_CREDIT[st] * w for st, w in weight_by_status.items()), Fraction(0))
    step_fraction = earned / possible if possible else Fraction(1)
    verdicts = Counter(c.verdict for c in choices)
    decision_fraction = (
        sum((VERDICT_POINTS[v] * n for v, n in verdicts.items()), Fraction(0)) / len(choices)
        if choices
        else Fraction(0)
    )
    points = combine(step_fraction, decision_fraction)
    if critical:
        points = cap_for_critical(points, scenario.pass_mark)
    ending = scenario.nodes[state.node_id].ending
    return Result(
        score=points,
        passed=state.finished and not critical and points >= scenario.pass_mark,
        pass_mark=scenario.pass_mark,
        finished=state.finished,
        outcome=ending.outcome if ending else None,
        critical_errors=critical,
        steps=steps,
        decisions=decisions,
    )


def _choice(scenario: Scenario, choice_id: str) -> Choice:
    choice = scenario.choice(choice_id)
    if choice is None:  # replay() has already proved every id exists
        raise ValueError(f"ukjent valg «{choice_id}»")
    return choice


def _node_id(choice: Choice) -> str:
    return choice.id.rpartition(".")[0]


def _step_outcomes(
    scenario: Scenario, procedure: Procedure, choices: list[Choice]
) -> tuple[StepOutcome, ...]:
    """Judge each procedure step that is required by the case or touched by the path."""
    first_done: dict[str, int] = {}
    first_wrong: dict[str, int] = {}
    for index, choice in enumerate(choices):
        if choice.step is None:
            continue
        if choice.verdict.is_correct:
            first_done.setdefault(choice.step, index)
        else:
            first_wrong.setdefault(choice.step, index)
    # must_precede[x] = steps whose `after:` lists x, i.e. steps x has to come before.
    must_precede: dict[str, list[str]] = {}
    for step in procedure.steps:
        for earlier in step.after:
            must_precede.setdefault(earlier, []).append(step.id)

    required = set(scenario.required_steps)
    outcomes: list[StepOutcome] = []
    for step in procedure.steps:
        touched = tuple(c.id for c in choices if c.step == step.id)
        if step.id not in required and not touched:
            continue
        status: StepStatus
        done_at = first_done.get(step.id)
        if done_at is None:
            status = "violated" if step.id in first_wrong else "missed"
        elif first_wrong.get(step.id, done_at) < done_at or any(
            first_done.get(later, done_at) < done_at for later in must_precede.get(step.id, [])
        ):
            status = "late"
        else:
            status = "done"
        outcomes.append(
            StepOutcome(
                step.id,
                step.title,
                status,
                step.source,
                touched,
                required=step.id in required,
                group=step.group,
            )
        )
    return tuple(outcomes)
