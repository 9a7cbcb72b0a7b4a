"""Procedure files: steps, order constraints and the catalogue, with located errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from scenarios import parse_scenario
from scenarios.checker import check_placeholders
from scenarios.profiles import load_profiles
from scoring import ProcedureInvalid, load_procedure, load_procedures

CONTENT = Path(__file__).resolve().parents[3] / "content"


def write(tmp_path: Path, text: str, name: str = "test") -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def problems(path: Path) -> list[tuple[int, str]]:
    with pytest.raises(ProcedureInvalid) as info:
        load_procedure(path)
    return [(d.line, d.message) for d in info.value.diagnostics]


def test_steps_order_and_catalogue_are_read(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "id: test\ntittel: T\nsteg:\n  - id: A\n    tittel: a\n    kilde: s\n"
        "  - id: B\n    title: b\n    source: s\n    after: [A]\n    vekt: 3\n    gruppe: g\n"
        "kritiske feil:\n  - id: K1\n    tekst: t\n    kilde: s\n",
    )
    procedure = load_procedure(path)
    assert [(s.id, s.after, s.weight, s.group, s.line) for s in procedure.steps] == [
        ("A", (), 1, "", 4),
        ("B", ("A",), 3, "g", 7),
    ]
    assert procedure.entry("K1") is not None and procedure.step("C") is None


def test_unknown_after_and_unknown_key_are_located(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "id: test\ntittel: T\nsteg:\n  - id: A\n    tittel: a\n    kilde: s\n    etter: [X]\n"
        "    frist: 2\n",
    )
    assert problems(path) == [
        (8, "ukjent felt «frist» i steget"),
        (4, "steget «A» skal komme etter ukjent steg «X»"),
    ]


def test_order_cycle_is_an_error(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "id: test\ntittel: T\nsteg:\n"
        "  - {id: A, tittel: a, kilde: s, etter: [C]}\n"
        "  - {id: B, tittel: b, kilde: s, etter: [A]}\n"
        "  - {id: C, tittel: c, kilde: s, etter: [B]}\n",
    )
    [(line, message)] = problems(path)
    assert line == 4 and message.startswith("rekkefølgen i «etter» går i ring: A")


def test_duplicate_step_and_yaml_key_are_errors(tmp_path: Path) -> None:
    path = write(tmp_path, "id: test\nid: test\n")
    assert problems(path)[0][1].startswith("YAML-feil: nøkkelen «id» står to ganger")
    path = write(
        tmp_path,
        "id: test\ntittel: T\nsteg:\n"
        "  - {id: A, tittel: a, kilde: s}\n  - {id: A, tittel: b, kilde: s}\n",
    )
    assert problems(path) == [(5, "steg-id «A» står to ganger")]


def test_shipped_procedures_load() -> None:
    assert "akutt-henting" in load_procedures(CONTENT / "procedures")


def test_placeholder_no_profile_knows_is_a_warning() -> None:
    text = (CONTENT / "scenarios" / "beruset-forelder.md").read_text(encoding="utf-8")
    case = parse_scenario(text.replace("{barnevernvakt.telefon}", "{barnevernvakt.tlf}"), "b.md")
    [warning] = check_placeholders(case, load_profiles(CONTENT / "profiles"))
    assert warning.severity == "warning"
    assert warning.message == "ingen kommuneprofil kjenner plassholderen «{barnevernvakt.tlf}»"
    assert warning.hint == "mente du «barnevernvakt.telefon»?"
