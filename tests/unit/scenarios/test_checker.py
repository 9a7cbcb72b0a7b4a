"""Checker and library: graph problems, and one broken file never stops the others."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scenarios import (
    ScenarioInvalid,
    check_scenario,
    enumerate_paths,
    load_library,
    parse_scenario,
)

FRONT = """\
---
id: graf
tittel: Graf
sammendrag: Test.
prosedyre: akutt-henting
påkrevde steg: []
bestått: 50
minutter: 5
målgruppe: [skole]
---
"""


def choice(target: str, verdict: str = "best", feedback: str = "Fordi.", source: str = "K") -> str:
    lines = [f"- [Til {target}](#{target})", f"  - vurdering: {verdict}"]
    if feedback:
        lines.append(f"  - tilbakemelding: {feedback}")
    if source:
        lines.append(f"  - kilde: {source}")
    return "\n".join(lines) + "\n"


def node(node_id: str, *choices: str) -> str:
    return f"\n## Node {node_id} {{#{node_id}}}\n\nTekst.\n\n" + "".join(choices)


def ending(node_id: str, outcome: str = "trygg") -> str:
    heading = f"\n## Slutt {node_id} {{#{node_id}}}\n\nTekst.\n\n"
    return heading + f"- slutt: {outcome}\n- for barnet: Slik.\n"


def messages(text: str) -> list[tuple[str, str]]:
    return [(d.severity, d.message) for d in check_scenario(parse_scenario(text, "graf.md"))]


def test_clean_case_has_no_problems() -> None:
    assert messages(FRONT + node("start", choice("slutt")) + ending("slutt")) == []


def test_unreachable_node_is_a_warning() -> None:
    text = FRONT + node("start", choice("slutt")) + ending("slutt") + ending("glemt")
    assert messages(text) == [("warning", "noden «glemt» kan ikke nås fra start")]


def test_loop_without_way_out_is_an_error() -> None:
    text = (
        FRONT
        + node("start", choice("a"), choice("slutt"))
        + node("a", choice("b"))
        + node("b", choice("a"))
        + ending("slutt")
    )
    assert messages(text) == [
        ("error", "fra noden «a» finnes ingen vei til en slutt"),
        ("error", "fra noden «b» finnes ingen vei til en slutt"),
    ]


def test_missing_feedback_is_an_error_and_missing_source_a_warning() -> None:
    text = FRONT + node("start", choice("slutt", feedback="", source="")) + ending("slutt")
    assert messages(text) == [
        ("error", "valget «start.1» mangler tilbakemelding"),
        ("warning", "valget «start.1» mangler kilde"),
    ]


def test_catalogue_reference_on_a_non_critical_choice_is_an_error() -> None:
    text = FRONT + node("start", choice("slutt") + "  - feil: K1\n") + ending("slutt")
    assert messages(text) == [
        ("error", "valget «start.1» viser til feil «K1», men er ikke kritisk")
    ]


def test_start_that_is_an_ending_is_an_error() -> None:
    assert messages(FRONT + ending("slutt")) == [
        ("error", "startnoden er en slutt, så caset har ingen valg")
    ]


def test_path_enumeration_has_a_loop_guard() -> None:
    text = (
        FRONT
        + node("start", choice("a"), choice("slutt"))
        + node("a", choice("start"), choice("slutt"))
        + ending("slutt")
    )
    paths = enumerate_paths(parse_scenario(text, "graf.md"))
    assert sorted([c.id for c in p] for p in paths.paths) == [["start.1", "a.2"], ["start.2"]]
    assert not paths.truncated


def test_library_keeps_good_files_when_one_is_broken(tmp_path: Path) -> None:
    folder = tmp_path / "scenarios"
    folder.mkdir()
    (folder / "graf.md").write_text(FRONT + node("start", choice("slutt")) + ending("slutt"))
    (folder / "odelagt.md").write_text(FRONT.replace("id: graf", "id: odelagt") + "## x\n")
    (folder / "kopi.md").write_text(FRONT + node("start", choice("slutt")) + ending("slutt"))
    library = load_library(tmp_path)
    assert list(library.scenarios) == ["graf"]
    errors = [str(d) for d in library.errors if d.is_error]
    assert any("odelagt.md:11:1: error: overskriften mangler node-id" in e for e in errors)
    assert any("kopi.md" in e and "brukes også av" in e for e in errors)
    assert not library.ok


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.sampled_from(
            [
                "---\n",
                "id: x\n",
                "## A {#a}\n",
                "## B {#b}\n",
                "- [Gå](#a)\n",
                "- [Gå](#b)\n",
                "  - vurdering: best\n",
                "  - tilbakemelding: ja\n",
                "- slutt: trygg\n",
                "- for barnet: ok\n",
                "tittel: T\n",
                "\n",
                "    kode\n",
                "> sitat\n",
                "1. [x](#a)\n",
                "  - steg: P1\n",
                "{#}\n",
                "- [x](http://y)\n",
                "* * *\n",
            ]
        ),
        max_size=30,
    ).map("".join)
    | st.text(max_size=300)
)
def test_parser_never_raises_anything_but_scenario_invalid(text: str) -> None:
    try:
        scenario = parse_scenario(text, "fuzz.md")
    except ScenarioInvalid as exc:
        assert exc.diagnostics
        assert all(d.path == "fuzz.md" and d.line >= 1 and d.col >= 1 for d in exc.diagnostics)
        assert not any("intern feil" in d.message for d in exc.diagnostics), exc
    else:
        check_scenario(scenario)
