"""The shipped content: the akutt-henting procedure, the README example, the check.

Every case is proved path by path in test_case_library.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from scenarios import check_scenario, parse_scenario
from scoring import Procedure, check_against_procedure, check_library, load_procedure

CONTENT = Path(__file__).resolve().parents[3] / "content"


@pytest.fixture(scope="module")
def procedure() -> Procedure:
    return load_procedure(CONTENT / "procedures" / "akutt-henting.yaml")


def test_procedure_has_p1_to_p9_with_sources_and_the_catalogue(procedure: Procedure) -> None:
    assert [s.id for s in procedure.steps] == [f"P{n}" for n in range(1, 10)]
    assert all(s.source for s in procedure.steps)
    assert [e.id for e in procedure.critical] == ["K1", "K3", "K6"]


def readme_example() -> str:
    text = (CONTENT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"<!-- eksempel -->\n```markdown\n(.*?)\n```", text, re.DOTALL)
    assert match, "README.md mangler eksempelet etter <!-- eksempel -->"
    return match.group(1) + "\n"


def test_readme_example_passes_the_checker(procedure: Procedure) -> None:
    example = parse_scenario(readme_example(), "README.md")
    assert check_scenario(example) == []
    assert check_against_procedure(example, procedure) == []


def test_check_library_reports_cross_check_errors(tmp_path: Path) -> None:
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "procedures").mkdir()
    (tmp_path / "procedures" / "akutt-henting.yaml").write_bytes(
        (CONTENT / "procedures" / "akutt-henting.yaml").read_bytes()
    )
    broken = (
        readme_example()
        .replace("id: eksempel-henting", "id: feil")
        .replace("steg: P2", "steg: P22")
        .replace("feil: K6", "feil: K9")
    )
    (tmp_path / "scenarios" / "feil.md").write_text(broken, encoding="utf-8")
    ukjent = readme_example().replace("id: eksempel-henting", "id: ukjent")
    (tmp_path / "scenarios" / "ukjent.md").write_text(
        ukjent.replace("prosedyre: akutt-henting", "prosedyre: akutt-hentin"), encoding="utf-8"
    )
    strict = readme_example().replace("id: eksempel-henting", "id: streng")
    (tmp_path / "scenarios" / "streng.md").write_text(
        strict.replace("påkrevde steg: [P1, P2]", "påkrevde steg: [P1, P2, P3]"), encoding="utf-8"
    )
    checked = check_library(tmp_path)
    library, procedures, diagnostics = checked.library, checked.procedures, checked.diagnostics
    assert library.scenarios == {} and list(procedures) == ["akutt-henting"]
    messages = {(Path(d.path).name, d.message) for d in diagnostics if d.is_error}
    assert ("feil.md", "ukjent steg «P22» i valget «samtale.1»") in messages
    assert ("feil.md", "ukjent kritisk feil «K9» i valget «start.2»") in messages
    assert ("ukjent.md", "ukjent prosedyre «akutt-hentin»") in messages
    assert ("streng.md", "ingen vei gjennom caset utfører det påkrevde steget «P3»") in messages
    assert ("streng.md", "beste vei gir 80 poeng, ikke 100") in messages


def test_no_critical_free_path_reaching_the_pass_mark_is_an_error(procedure: Procedure) -> None:
    example = parse_scenario(readme_example().replace("bestått: 80", "bestått: 100"), "x.md")
    assert check_against_procedure(example, procedure) == []  # the best path scores 100
    harsh = (
        readme_example()
        .replace("vurdering: best\n  - steg: P2", "vurdering: mindre\n  - steg: P2")
        .replace("bestått: 80", "bestått: 95")
    )
    problems = check_against_procedure(parse_scenario(harsh, "x.md"), procedure)
    assert [d.message for d in problems] == [
        "ingen vei uten kritiske feil når bestått-grensen 95",
        "beste vei gir 90 poeng, ikke 100",
    ]
