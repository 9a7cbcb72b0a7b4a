"""libyaml is only a fast path: whatever it accepts reads exactly as the Python loader reads it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scenarios import yamlsource
from scenarios.yamlsource import PositionedDict, load_yaml

CONTENT = Path(__file__).resolve().parents[3] / "content"

FRONT = """id: stian
tittel: Stian – mange voksne så ham
sammendrag: >-
  Hva gjør du? Mange før deg så tegnene: 08:15, no, +4764980212.
prosedyre: bti
påkrevde steg: [undring, dele, akutt]
bestått: 80
målgruppe:
  - helsestasjon
  - skole
nytt forsøk: ja
"""

_PIECES = st.sampled_from(
    [
        *" :-?[]{},&*!|>'\"%@`\t\n\r#~\ufeff\u2028aZ9æ.",
        "  ",
        ": ",
        "- ",
        "\n  ",
        "no",
        "08:15",
        "+47",
        "1e3",
        "null",
        "True",
        "<<: *a",
        "&a ",
        "*a",
        "!!str ",
        "---",
        "...",
        "k:\n  - x",
    ]
)


def _shape(data: Any) -> Any:
    if isinstance(data, PositionedDict):
        items = tuple((k, data.positions[k], _shape(v)) for k, v in data.items())
        return ("map", data.line, data.col, items)
    if isinstance(data, list):
        return ("list", tuple(_shape(x) for x in data))
    return (type(data).__name__, data)


def _python(text: str) -> Any:
    return yaml.load(text, Loader=yamlsource._StrictLoader)


def test_the_fast_path_reads_the_real_front_matter() -> None:
    for path in sorted((CONTENT / "scenarios").glob("*.md")):
        front = path.read_text(encoding="utf-8").split("\n---\n")[0].removeprefix("---\n")
        ok, data = yamlsource._load_fast(front)
        assert ok or yamlsource._FastLoader is None
        assert _shape(data if ok else _python(front)) == _shape(_python(front))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, len(FRONT)), _PIECES), max_size=5))
def test_fast_and_python_loaders_agree(edits: list[tuple[int, str]]) -> None:
    text = FRONT
    for at, piece in edits:
        text = text[:at] + piece + text[at:]
    ok, fast = yamlsource._load_fast(text)
    if ok:
        assert _shape(fast) == _shape(_python(text))


def test_deep_nesting_never_reaches_libyaml() -> None:
    # libyaml's composer recurses in C: it would crash the process, not raise.
    text = "- " * 100_000 + "x"
    assert yamlsource._load_fast(text) == (False, None)
    data, problems = load_yaml(text, "f.yaml")
    assert data is None
    assert problems and problems[0].message.startswith("YAML-feil")


def test_errors_keep_the_python_loaders_message() -> None:
    _, problems = load_yaml("a: b: c\n", "f.yaml", first_line=3)
    assert [str(p) for p in problems] == [
        "f.yaml:3:5: error: YAML-feil: mapping values are not allowed here "
        "(sjekk innrykk, kolon og anførselstegn; tekst med kolon bør stå i anførselstegn)"
    ]
