"""Parser: the format, and errors that name file, line, column and a hint."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from scenarios import Diagnostic, ScenarioInvalid, Verdict, load_scenario, parse_scenario

FRONT = """\
---
id: liten
tittel: Liten
sammendrag: Et lite case.
prosedyre: akutt-henting
påkrevde steg: [P1]
bestått: 80
minutter: 5
målgruppe: [barnehage]
---
"""

NODES = """
## Start {#start}

Ring {barnevern.telefon}.

- [Gjør *det* riktige](#slutt)
  - vurdering: beste
  - steg: P1
  - tilbakemelding: Riktig, fordi
    det står i **loven**.
  - kilde: barnevernsloven § 13-2

## Slutt {#slutt}

Ferdig.

- slutt: trygg
- for barnet: Trygt.
"""


def errors_of(text: str) -> list[Diagnostic]:
    with pytest.raises(ScenarioInvalid) as info:
        parse_scenario(text, "case.md")
    return info.value.diagnostics


def at(diagnostics: list[Diagnostic]) -> list[tuple[int, int, str]]:
    return [(d.line, d.col, d.message) for d in diagnostics]


def test_parse_reads_front_matter_nodes_and_choices() -> None:
    case = parse_scenario(FRONT + NODES, "case.md")
    assert (case.id, case.procedure, case.required_steps, case.pass_mark) == (
        "liten",
        "akutt-henting",
        ("P1",),
        80,
    )
    assert (case.language, case.feedback_mode, case.retry, case.start) == (
        "nb",
        "immediate",
        True,
        "start",
    )
    assert list(case.nodes) == ["start", "slutt"]  # file order
    choice = case.nodes["start"].choices[0]
    assert (choice.id, choice.text, choice.target, choice.verdict, choice.step) == (
        "start.1",
        "Gjør det riktige",
        "slutt",
        Verdict.BEST,
        "P1",
    )
    assert choice.feedback == "Riktig, fordi\ndet står i **loven**."  # Markdown kept
    assert choice.line == 16
    assert case.nodes["start"].body == "Ring {barnevern.telefon}."
    assert case.nodes["start"].line == 12
    ending = case.nodes["slutt"].ending
    assert ending is not None and (ending.outcome, ending.summary) == ("trygg", "Trygt.")


def test_content_hash_is_sha256_of_the_exact_bytes(tmp_path: Path) -> None:
    raw = (FRONT + NODES).replace("\n", "\r\n").encode("utf-8")
    path = tmp_path / "liten.md"
    path.write_bytes(raw)
    case = load_scenario(path)
    assert case.content_hash == hashlib.sha256(raw).hexdigest()
    assert case.source_path == str(path)


def test_english_keys_and_norwegian_values_are_accepted() -> None:
    text = FRONT.replace("tittel:", "title:").replace("bestått:", "pass_mark:") + NODES.replace(
        "vurdering: beste", "verdict: critical"
    ).replace("tilbakemelding:", "feedback:")
    case = parse_scenario(text, "case.md")
    assert case.title == "Liten" and case.pass_mark == 80
    assert case.nodes["start"].choices[0].verdict is Verdict.CRITICAL


def test_link_to_missing_node_names_line_column_and_suggests() -> None:
    text = FRONT + NODES.replace("](#slutt)", "](#slut)")
    [problem] = errors_of(text)
    assert (problem.path, problem.line, problem.col) == ("case.md", 16, 24)
    assert problem.message == "ukjent node «slut»"
    assert "slutt" in problem.hint
    assert str(problem) == "case.md:16:24: error: ukjent node «slut» (mente du «slutt»?)"


def test_all_problems_are_reported_at_once() -> None:
    text = FRONT.replace("bestått: 80", "bestått: 180") + NODES.replace("{#start}", "").replace(
        "vurdering: beste", "vurdering: topp"
    ).replace("- slutt: trygg", "- slutt: kanskje")
    assert at(errors_of(text)) == [
        (7, 1, "«bestått» må være et helt tall fra 0 til 100, ikke «180»"),
        (12, 1, "overskriften mangler node-id"),
        (17, 5, "ukjent vurdering «topp»"),
        (27, 3, "ukjent utfall «kanskje»"),
    ]


def test_unknown_front_matter_key_gets_a_suggestion() -> None:
    [problem] = errors_of(FRONT.replace("minutter: 5", "minutter: 5\nmålgrupe: [skole]") + NODES)
    assert (problem.line, problem.message, problem.hint) == (
        9,
        "ukjent felt «målgrupe» i front matter",
        "mente du «målgruppe»?",
    )


def test_missing_front_matter_is_an_error() -> None:
    assert at(errors_of(NODES))[0] == (1, 1, "filen mangler front matter")


def test_yaml_error_points_into_the_file() -> None:
    [problem] = errors_of(FRONT.replace("målgruppe: [barnehage]", "målgruppe: [barnehage") + NODES)
    assert problem.message.startswith("YAML-feil")
    assert problem.line >= 9


def test_norwegian_no_is_not_read_as_false() -> None:
    [problem] = errors_of(FRONT.replace("bestått: 80", "bestått: 80\nspråk: no") + NODES)
    assert problem.message == "språket «no» støttes ikke ennå"


def test_details_written_without_a_list_marker_are_explained() -> None:
    text = FRONT + NODES.replace("  - vurdering: beste", "  vurdering: beste")
    messages = [d.message for d in errors_of(text)]
    assert "valget har tekst etter lenken" in messages
    assert "valget mangler vurdering" in messages


def test_setext_heading_from_a_stray_rule_gets_a_hint() -> None:
    text = FRONT + NODES.replace("Ferdig.", "Ferdig.\n---")
    [problem] = [d for d in errors_of(text) if d.message == "overskriften mangler node-id"]
    assert problem.line == 25 and "tom linje" in problem.hint


def test_node_without_choices_or_ending_is_an_error() -> None:
    text = FRONT + NODES.replace("- slutt: trygg\n- for barnet: Trygt.\n", "")
    [problem] = errors_of(text)
    assert problem.message == "noden «slutt» har verken valg eller slutt"


def test_duplicate_node_id_is_an_error() -> None:
    text = FRONT + NODES + NODES.split("## Slutt")[1].join(["## Slutt", ""])
    assert any("er brukt før" in d.message for d in errors_of(text))


def test_text_after_the_choices_is_an_error() -> None:
    text = FRONT + NODES.replace("## Slutt {#slutt}", "Etterord.\n\n## Slutt {#slutt}")
    [problem] = errors_of(text)
    assert (problem.line, problem.message) == (23, "tekst etter valgene eller slutten i noden")


@pytest.mark.parametrize(
    "text",
    ["", "---", "---\n---\n", "\x00", "## {#}\n- [](#)\n", "---\na: &a [*a]\n---\n", "- " * 500],
)
def test_odd_inputs_only_raise_scenario_invalid(text: str) -> None:
    with pytest.raises(ScenarioInvalid) as info:
        parse_scenario(text, "odd.md")
    assert info.value.diagnostics and all(d.path == "odd.md" for d in info.value.diagnostics)


def test_non_utf8_file_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "latin1.md"
    path.write_bytes((FRONT + NODES).encode("latin-1", "replace"))
    with pytest.raises(ScenarioInvalid) as info:
        load_scenario(path)
    assert info.value.diagnostics[0].message == "filen er ikke UTF-8"


@pytest.mark.parametrize(
    ("extra", "mode", "retry"),
    [
        ("tilbakemelding: slutt\nnytt forsøk: nei", "end", False),
        ("feedback: immediate\nretry: false", "immediate", False),
        ("tilbakemelding: underveis\nnytt forsøk: ja", "immediate", True),
    ],
)
def test_feedback_mode_and_retry(extra: str, mode: str, retry: bool) -> None:
    front = FRONT.replace("målgruppe: [barnehage]\n", f"målgruppe: [barnehage]\n{extra}\n")
    case = parse_scenario(front + NODES, "case.md")
    assert (case.feedback_mode, case.retry) == (mode, retry)
