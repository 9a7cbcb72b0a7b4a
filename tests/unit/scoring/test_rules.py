"""Scoring rules, one small inline case per rule (see scoring/rules.py)."""

from __future__ import annotations

import json

import pytest

from scenarios import Scenario, UnknownChoice, parse_scenario
from scoring import Procedure, Step, score
from scoring.procedure import CatalogueEntry

# A: first, B after A, C after B. Each node offers several ways to do (or not do) a step.
PROCEDURE = Procedure(
    id="test",
    title="Test",
    source="",
    steps=(
        Step("A", "Steg A", "lov § 1"),
        Step("B", "Steg B", "lov § 2", after=("A",)),
        Step("C", "Steg C", "lov § 3", after=("B",), weight=2),
    ),
    critical=(CatalogueEntry("K1", "Farlig", "lov § 9"),),
)

CASE = """\
---
id: regler
tittel: Regler
sammendrag: Test.
prosedyre: test
påkrevde steg: [A, B, C]
bestått: 70
minutter: 5
målgruppe: [sfo]
---

## En {#en}

Tekst.

- [A riktig](#to)
  - vurdering: best
  - steg: A
  - tilbakemelding: A.
  - kilde: lov § 1
- [B først](#b-forst)
  - vurdering: best
  - steg: B
  - tilbakemelding: B.
  - kilde: lov § 2
- [A alvorlig feil](#to)
  - vurdering: alvorlig
  - steg: A
  - tilbakemelding: Nei.
  - kilde: lov § 1
- [Kritisk](#to)
  - vurdering: kritisk
  - steg: A
  - feil: K1
  - tilbakemelding: Farlig.
  - kilde: lov § 9

## B først {#b-forst}

Tekst.

- [A etterpå](#tre)
  - vurdering: best
  - steg: A
  - tilbakemelding: A.
  - kilde: lov § 1

## To {#to}

Tekst.

- [B riktig](#tre)
  - vurdering: best
  - steg: B
  - tilbakemelding: B.
  - kilde: lov § 2
- [B akseptabelt](#tre)
  - vurdering: akseptabel
  - steg: B
  - tilbakemelding: B.
  - kilde: lov § 2
- [Hopp over B](#tre)
  - vurdering: mindre
  - tilbakemelding: Hm.
  - kilde: lov § 2
- [A på nytt, riktig](#tre)
  - vurdering: best
  - steg: A
  - tilbakemelding: A.
  - kilde: lov § 1

## Tre {#tre}

Tekst.

- [C riktig](#slutt)
  - vurdering: best
  - steg: C
  - tilbakemelding: C.
  - kilde: lov § 3

## Slutt {#slutt}

Ferdig.

- slutt: trygg
- for barnet: Bra.
"""


@pytest.fixture(scope="module")
def case() -> Scenario:
    return parse_scenario(CASE, "regler.md")


def statuses(case: Scenario, path: list[str]) -> dict[str, str]:
    return {s.step_id: s.status for s in score(case, PROCEDURE, path).steps}


def test_best_path_scores_exactly_100_and_passes(case: Scenario) -> None:
    result = score(case, PROCEDURE, ["en.1", "to.1", "tre.1"])
    assert (result.score, result.passed, result.outcome) == (100, True, "trygg")
    assert statuses(case, ["en.1", "to.1", "tre.1"]) == {"A": "done", "B": "done", "C": "done"}


def test_maximum_is_fixed_not_path_length(case: Scenario) -> None:
    # The short path (3 decisions) and a long one cannot exceed 100; the maximum is per case.
    assert score(case, PROCEDURE, ["en.1", "to.1", "tre.1"]).score == 100
    assert score(case, PROCEDURE, ["en.2", "b-forst.1", "tre.1"]).score < 100


def test_acceptable_choice_costs_decision_points_only(case: Scenario) -> None:
    # steps 60/60; decisions (1 + 3/4 + 1) / 3 = 11/12 of 40 = 36.67 -> floor 96
    assert score(case, PROCEDURE, ["en.1", "to.2", "tre.1"]).score == 96


def test_missed_required_step_lowers_the_score(case: Scenario) -> None:
    result = score(case, PROCEDURE, ["en.1", "to.3", "tre.1"])
    assert statuses(case, ["en.1", "to.3", "tre.1"])["B"] == "missed"
    # steps (1 + 0 + 2) / 4 of 60 = 45; decisions (1 + 1/2 + 1) / 3 of 40 = 33.3 -> 78
    assert (result.score, result.passed) == (78, True)


def test_order_constraint_makes_the_earlier_step_late(case: Scenario) -> None:
    # B requires A first; doing B before A makes A "late" (half credit).
    path = ["en.2", "b-forst.1", "tre.1"]
    assert statuses(case, path) == {"A": "late", "B": "done", "C": "done"}
    # steps (1/2 + 1 + 2) / 4 of 60 = 52.5; decisions 40 -> 92
    assert score(case, PROCEDURE, path).score == 92


def test_step_done_wrong_then_right_is_late(case: Scenario) -> None:
    path = ["en.3", "to.4", "tre.1"]
    assert statuses(case, path)["A"] == "late"


def test_step_only_done_wrong_is_violated(case: Scenario) -> None:
    assert statuses(case, ["en.3", "to.1", "tre.1"])["A"] == "violated"


def test_critical_choice_fails_whatever_the_points(case: Scenario) -> None:
    result = score(case, PROCEDURE, ["en.4", "to.1", "tre.1"])
    # Uncapped: steps (0 + 1 + 2) / 4 of 60 = 45; decisions 2/3 of 40 = 26.7 -> 71 >= 70.
    assert result.passed is False
    assert result.score == 69  # capped at pass mark - 1
    [mistake] = result.critical_errors
    assert (mistake.choice_id, mistake.why, mistake.source) == ("en.4", "Farlig.", "lov § 9")
    assert mistake.catalogue == PROCEDURE.critical[0]


def test_unfinished_path_does_not_pass(case: Scenario) -> None:
    result = score(case, PROCEDURE, ["en.1", "to.1"])
    assert (result.finished, result.passed, result.outcome) == (False, False, None)


def test_path_the_case_does_not_allow_is_refused(case: Scenario) -> None:
    with pytest.raises(UnknownChoice):
        score(case, PROCEDURE, ["to.1"])


def test_result_is_json_able(case: Scenario) -> None:
    data = score(case, PROCEDURE, ["en.4", "to.1", "tre.1"]).to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["critical_errors"][0]["catalogue"]["id"] == "K1"
    assert [d["verdict"] for d in data["decisions"]] == ["critical", "best", "best"]
    assert [s["status"] for s in data["steps"]] == ["violated", "done", "done"]


def test_wrong_procedure_is_refused(case: Scenario) -> None:
    other = Procedure("annen", "Annen", "", PROCEDURE.steps, ())
    with pytest.raises(ValueError, match="skal vurderes mot"):
        score(case, other, ["en.1"])
