"""Every shipped case, proved path by path: the checker is clean, the best path scores 100
and passes, every path with a critical choice fails, and each case meets the authoring brief.

Parametrized over the files in content/scenarios, so a new case is covered the day it lands.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path

import pytest

from scenarios import Profile, Scenario, Verdict, enumerate_paths, load_profiles
from scenarios.profiles import ProfileValue, placeholders
from scoring import CheckedContent, check_library, score

CONTENT = Path(__file__).resolve().parents[3] / "content"
CASE_FILES = sorted((CONTENT / "scenarios").glob("*.md"))
CASE_IDS = [path.stem for path in CASE_FILES]

#: Who each case is written for (front matter «målgruppe»).
AUDIENCE = {
    "beruset-forelder": ("barnehage",),
    "mobbing": ("skole",),
    "mobbing-voksen": ("skole",),
    "skolefravaer": ("skole",),
    "stian": ("helsestasjon", "barnehage", "skole"),
    "vold-hjemme": ("skole", "sfo"),
}


@cache
def checked() -> CheckedContent:
    return check_library(CONTENT)


def case(case_id: str) -> Scenario:
    scenario = checked().library.scenarios.get(case_id)
    assert scenario is not None, f"{case_id} has errors: {diagnostics_for(case_id)}"
    return scenario


def diagnostics_for(case_id: str) -> list[str]:
    return [str(d) for d in checked().diagnostics if Path(d.path).stem == case_id]


def test_the_library_is_clean_and_has_every_case() -> None:
    assert [str(d) for d in checked().diagnostics] == []  # no errors and no warnings
    assert set(checked().library.scenarios) == set(CASE_IDS)
    assert len(CASE_IDS) >= 6
    assert set(AUDIENCE) == set(CASE_IDS), "add the new case's audience to AUDIENCE"


@pytest.mark.parametrize("case_id", CASE_IDS)
def test_checker_finds_nothing(case_id: str) -> None:
    assert diagnostics_for(case_id) == []


@pytest.mark.parametrize("case_id", CASE_IDS)
def test_every_path(case_id: str) -> None:
    scenario = case(case_id)
    procedure = checked().procedures[scenario.procedure]
    paths = enumerate_paths(scenario)
    assert not paths.truncated and len(paths.paths) > 1
    best_paths = []
    critical_paths = 0
    for path in paths.paths:
        ids = [c.id for c in path]
        result = score(scenario, procedure, ids)
        assert result.finished and 0 <= result.score <= 100, ids
        if any(c.verdict is Verdict.CRITICAL for c in path):
            critical_paths += 1
            assert not result.passed, ids
            assert result.score < scenario.pass_mark, ids
            assert result.outcome == "utrygg", ids
        if all(c.verdict is Verdict.BEST for c in path):
            best_paths.append((path, result))
        else:
            assert result.score < 100, ids
    assert critical_paths > 0, "every case needs at least one critical choice"
    [(best_path, best)] = best_paths  # one best choice per node: exactly one best path
    assert (best.score, best.passed, best.outcome) == (100, True, "trygg")
    assert {s.status for s in best.steps} == {"done"}
    assert {s.step_id for s in best.steps} == set(scenario.required_steps)
    assert len(best_path) >= 6, "at least six decision points on the best path"


@pytest.mark.parametrize("case_id", CASE_IDS)
def test_case_meets_the_brief(case_id: str) -> None:
    scenario = case(case_id)
    procedure = checked().procedures[scenario.procedure]
    assert scenario.audience == AUDIENCE[case_id]
    endings = [n for n in scenario.nodes.values() if n.ending]
    assert len(endings) >= 2
    assert {"trygg", "utrygg"} <= {n.ending.outcome for n in endings if n.ending}
    assert all(n.ending and n.ending.summary.strip() for n in endings), "say what it means"
    catalogue = {e.id for e in procedure.critical}
    for node in scenario.nodes.values():
        best = [c for c in node.choices if c.verdict is Verdict.BEST]
        # A recovery node off the best path (beruset-forelder «parkering») may have none.
        assert len(best) <= 1, f"{node.id}: at most one best choice"
        for choice in node.choices:
            assert choice.step and choice.feedback.strip() and choice.source.strip(), choice.id
            assert (choice.error is not None) == (choice.verdict is Verdict.CRITICAL), choice.id
            assert choice.error is None or choice.error in catalogue, choice.id


def _leaf_keys(values: Mapping[str, ProfileValue], prefix: str = "") -> set[str]:
    keys: set[str] = set()
    for key, value in values.items():
        if isinstance(value, Mapping):
            keys |= _leaf_keys(value, f"{prefix}{key}.")
        else:
            keys.add(f"{prefix}{key}")
    return keys


@pytest.fixture(scope="module")
def profiles() -> dict[str, Profile]:
    return dict(load_profiles(CONTENT / "profiles"))


def test_every_profile_defines_the_same_keys(profiles: dict[str, Profile]) -> None:
    assert {"nasjonal", "vestby", "nittedal", "nesbyen", "gran", "lillestrom"} <= set(profiles)
    expected = _leaf_keys(profiles["nasjonal"].values)
    for profile in profiles.values():
        assert _leaf_keys(profile.values) == expected, profile.id


@pytest.mark.parametrize("case_id", CASE_IDS)
def test_every_placeholder_is_a_profile_key(case_id: str, profiles: dict[str, Profile]) -> None:
    keys = _leaf_keys(profiles["nasjonal"].values)
    text = (CONTENT / "scenarios" / f"{case_id}.md").read_text(encoding="utf-8")
    used = set(placeholders(text))
    assert used <= keys, used - keys


def test_municipal_numbers_follow_the_seeds(profiles: dict[str, Profile]) -> None:
    text = "{barnevern.telefon} / {politi.nødtelefon}"
    assert profiles["nesbyen"].fill(text) == "45738963 / 112"
    assert profiles["gran"].fill(text) == "47 63 56 60 / 112"
    assert profiles["lillestrom"].fill(text) == "{barnevern.telefon} / 112"
    assert profiles["gran"].fill("{modell.navn}: {nivå.foresatte}") == (
        "trappetrinnsmodellen (STI): trinn 2 – Kontakt med foresatte"
    )
    assert profiles["nesbyen"].fill("{modell.navn}") == "Trygg oppvekst"


def test_procedures_cover_the_brief() -> None:
    procedures = checked().procedures
    assert {"akutt-henting", "bti", "trappetrinn", "aktivitetsplikt"} <= set(procedures)
    for procedure in procedures.values():
        assert all(s.source for s in procedure.steps), procedure.id
        assert {e.id for e in procedure.critical} <= {f"K{n}" for n in range(1, 10)}
    bti = procedures["bti"]
    assert {
        "undring",
        "dele",
        "akutt",
        "melde",
        "ikke-foresatte",
        "politi",
        "undringssamtale",
        "tiltak",
        "eskalere",
        "samtidig",
        "overgang",
    } <= {s.id for s in bti.steps}
    gran = procedures["trappetrinn"]
    assert [s.title.split(" –")[0] for s in gran.steps[:4]] == [
        "Trinn 1",
        "Trinn 2",
        "Trinn 3",
        "Trinn 4",
    ]
    blocked = gran.step("ikke-foresatte")
    assert blocked is not None and blocked.after == ("melding",)
    school = procedures["aktivitetsplikt"]
    assert {"skjerpa", "informere-rettigheter", "tiltak-plan"} <= {s.id for s in school.steps}
    assert {"K7", "K8"} <= {e.id for e in school.critical}
