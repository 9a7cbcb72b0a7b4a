"""Engine: inline case -> play -> assert the transcript (ink's test style), and stale pages."""

from __future__ import annotations

import json

import pytest

from scenarios import (
    STATE_VERSION,
    AlreadyFinished,
    PlayState,
    Scenario,
    StaleStep,
    StateError,
    UnknownChoice,
    UnsupportedStateVersion,
    choose,
    current_node,
    parse_scenario,
    start,
)

CASE = """\
---
id: liten
tittel: Liten
sammendrag: Et lite case.
prosedyre: akutt-henting
påkrevde steg: [P1]
bestått: 80
minutter: 5
målgruppe: [sfo]
---

## Henting {#start}

Ola blir hentet.

- [Snakk med faren](#prat)
  - vurdering: best
  - steg: P1
  - tilbakemelding: Bra.
  - kilde: K
- [Gjør ingenting](#ille)
  - vurdering: kritisk
  - tilbakemelding: Ille.
  - kilde: K

## Praten {#prat}

Faren lytter.

- [Ring mor](#bra)
  - vurdering: best
  - tilbakemelding: Bra.
  - kilde: K
- [Gå tilbake til start](#start)
  - vurdering: mindre
  - tilbakemelding: Hm.
  - kilde: K

## Bra {#bra}

Mor kommer.

- slutt: trygg
- for barnet: Ola er trygg.

## Ille {#ille}

Ola går.

- slutt: utrygg
- for barnet: Ola er i fare.
"""


@pytest.fixture
def case() -> Scenario:
    return parse_scenario(CASE, "liten.md")


def play(scenario: Scenario, picks: list[str]) -> list[str]:
    """Play the picks and return a readable transcript of what the learner saw."""
    lines: list[str] = []
    state = start(scenario)
    for pick in picks:
        node = current_node(scenario, state)
        lines.append(f"## {node.title}")
        lines += [f"{c.id}: {c.text}" for c in node.choices]
        state = choose(scenario, state, pick, state.step)
        lines.append(f"> {pick}")
    node = current_node(scenario, state)
    assert state.finished == node.is_ending
    lines.append(f"## {node.title}" + (f" [{node.ending.outcome}]" if node.ending else ""))
    return lines


def test_play_best_path_transcript(case: Scenario) -> None:
    assert play(case, ["start.1", "prat.1"]) == [
        "## Henting",
        "start.1: Snakk med faren",
        "start.2: Gjør ingenting",
        "> start.1",
        "## Praten",
        "prat.1: Ring mor",
        "prat.2: Gå tilbake til start",
        "> prat.1",
        "## Bra [trygg]",
    ]


def test_play_loop_back_to_start_is_allowed(case: Scenario) -> None:
    assert play(case, ["start.1", "prat.2", "start.2"])[-1] == "## Ille [utrygg]"


def test_choose_is_pure_and_counts_steps(case: Scenario) -> None:
    first = start(case)
    second = choose(case, first, "start.1", 0)
    assert first == PlayState(STATE_VERSION, "start", 0, (), False)
    assert second == PlayState(STATE_VERSION, "prat", 1, ("start.1",), False)


def test_stale_step_is_refused(case: Scenario) -> None:
    state = choose(case, start(case), "start.1", 0)
    with pytest.raises(StaleStep) as info:
        choose(case, state, "prat.1", 0)  # the back button showed step 0 again
    assert (info.value.expected, info.value.actual) == (0, 1)


def test_double_submit_of_last_choice_is_stale_not_finished(case: Scenario) -> None:
    state = choose(case, choose(case, start(case), "start.1", 0), "prat.1", 1)
    with pytest.raises(StaleStep):
        choose(case, state, "prat.1", 1)


def test_choice_from_another_node_is_unknown(case: Scenario) -> None:
    with pytest.raises(UnknownChoice):
        choose(case, start(case), "prat.1", 0)
    with pytest.raises(UnknownChoice):
        choose(case, start(case), "start.9", 0)


def test_choice_after_the_end_is_refused(case: Scenario) -> None:
    state = choose(case, start(case), "start.2", 0)
    assert state.finished
    with pytest.raises(AlreadyFinished):
        choose(case, state, "start.1", state.step)


def test_state_round_trips_through_json(case: Scenario) -> None:
    state = choose(case, start(case), "start.1", 0)
    assert PlayState.from_dict(json.loads(json.dumps(state.to_dict()))) == state


def test_state_with_unknown_version_is_refused() -> None:
    data = {"version": 99, "node_id": "start", "step": 0, "path": [], "finished": False}
    with pytest.raises(UnsupportedStateVersion, match="99"):
        PlayState.from_dict(data)


@pytest.mark.parametrize(
    "data",
    [
        {"version": 1, "node_id": "", "step": 0, "path": [], "finished": False},
        {"version": 1, "node_id": "a", "step": 1, "path": [], "finished": False},
        {"version": 1, "node_id": "a", "step": 0, "path": [], "finished": "no"},
        {"version": 1, "node_id": "a", "step": 0, "path": [], "finished": False, "x": 1},
    ],
)
def test_malformed_state_is_refused(data: dict[str, object]) -> None:
    with pytest.raises(StateError):
        PlayState.from_dict(data)


def test_state_for_a_node_not_in_the_case_is_refused(case: Scenario) -> None:
    with pytest.raises(StateError):
        current_node(case, PlayState(STATE_VERSION, "borte", 0, (), False))
