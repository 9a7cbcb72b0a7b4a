"""The engine: a pure state machine over an immutable Scenario.

`choose` takes the step the page was showing (`expected_step`), because a web form may be
stale (back button, double click, two tabs): unlike ink's `ChooseChoiceIndex`, a choice is
named by a stable id and checked against the step it answers (research A.8; B.6 rows 14–15).
"""

from __future__ import annotations

from dataclasses import replace

from scenarios.errors import AlreadyFinished, StaleStep, StateError, UnknownChoice
from scenarios.model import Node, Scenario
from scenarios.state import STATE_VERSION, PlayState


def start(scenario: Scenario) -> PlayState:
    """Return the state at the start of the case."""
    node = scenario.nodes[scenario.start]
    return PlayState(STATE_VERSION, node.id, 0, (), node.is_ending)


def current_node(scenario: Scenario, state: PlayState) -> Node:
    """Return the node the learner is at; raise StateError if it is not in this scenario."""
    node = scenario.nodes.get(state.node_id)
    if node is None:
        raise StateError(f"noden «{state.node_id}» finnes ikke i caset «{scenario.id}»")
    return node


def choose(scenario: Scenario, state: PlayState, choice_id: str, expected_step: int) -> PlayState:
    """Apply one choice and return the next state; the given state is never changed.

    Checks run in this order so a double submit of the last choice reads as stale (the
    page can redirect to the debrief) rather than as a choice after the end.
    """
    if expected_step != state.step:
        raise StaleStep(expected_step, state.step)
    node = current_node(scenario, state)
    if state.finished:
        raise AlreadyFinished(node.id)
    choice = next((c for c in node.choices if c.id == choice_id), None)
    if choice is None:
        raise UnknownChoice(choice_id, node.id)
    target = scenario.nodes[choice.target]
    return replace(
        state,
        node_id=target.id,
        step=state.step + 1,
        path=(*state.path, choice.id),
        finished=target.is_ending,
    )


def replay(scenario: Scenario, path: tuple[str, ...] | list[str]) -> PlayState:
    """Play a recorded path from the start; raise the engine's errors if it does not fit."""
    state = start(scenario)
    for choice_id in path:
        state = choose(scenario, state, choice_id, state.step)
    return state
