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


def test_a_tag_in_a_flow_list_is_not_read_by_libyaml() -> None:
    # Found by the test above: libyaml read "dele,!, akutt" as an empty item, the Python
    # reader as the unknown tag "!," (an error the author must see).
    text = "id: stian\npåkrevde steg: [undring, dele,!, akutt]\n"
    assert yamlsource._load_fast(text) == (False, None)
    data, problems = load_yaml(text, "f.yaml")
    assert data is None and problems and problems[0].message.startswith("YAML-feil")


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


# --- the flat reader (front matter without the loaders) ----------------------------------

FLAT_FRONT = """id: stian
tittel: Stian – mange voksne så ham
sammendrag: >-
  Hva gjør du? Mange før deg så tegnene.
  Tidlig, felles innsats (og «mot») endrer utfallet.
prosedyre: bti
påkrevde steg: [undring, dele, akutt, P1, 2]
bestått: 80
målgruppe: [skole]
nytt forsøk: ja
tom: []"""

_READABLE = [
    "ja", "no", "on", "true", "True", "FALSE", "null", "Null", "0", "7", "012", "1.5", "1e3",
    "+47", "«T»", "(x)", "x!", "a – b", "æøå", "P1", "...", "a  b", "it's", "a\\b", "x*y",
    "[a, b]", "[]", "[1, true, null]", "[P1, ikke-foresatte]", "[Null, 012, -3]",
]  # fmt: skip
_UNREADABLE = [
    "~", "-3", "08:15", "a: b", "a #b", "a#b", "'q'", '"q"', "&a", "*a", "!x", "%x", "@x",
    "`x`", "|", ">", ">-", "-", "- x", "?", "? x", "[a,b]", "[ a ]", "[a, [b]]", "{a: b}",
    "x ", " x", "x\t", "x\u00a0", "\ufeffx", "x" * 1100, "---", "[a, b] c", "[a, b",
]  # fmt: skip
_SCALARS = st.sampled_from(_READABLE * 6 + _UNREADABLE)
_KEYS = ["id", "tittel", "påkrevde steg", "nytt forsøk", "a-b", "x y", "Æ", "true", "null", "1"]


@st.composite
def _flat_documents(draw: st.DrawFn) -> str:
    lines: list[str] = []
    keys = draw(st.lists(st.sampled_from(_KEYS[:7]), min_size=1, max_size=5, unique=True))
    if draw(st.integers(0, 5)) == 0:
        keys.insert(draw(st.integers(0, len(keys))), draw(st.sampled_from(_KEYS)))
    for key in keys:
        if draw(st.integers(0, 4)) == 0:
            indent = " " * draw(st.integers(1, 3))
            lines.append(f"{key}: >-")
            for _ in range(draw(st.integers(0, 3))):
                extra = " " * draw(st.sampled_from([0] * 8 + [1]))
                lines.append(indent + extra + draw(_SCALARS))
        else:
            lines.append(f"{key}: {draw(_SCALARS)}")
    return "\n".join(lines) + draw(st.sampled_from(["", "", "", "\n"]))


def _expected(text: str, first_line: int) -> Any:
    data = _python(text)
    if first_line != 1:
        yamlsource._shift(data, first_line - 1, set())
    return data


def test_the_flat_reader_reads_the_real_front_matter() -> None:
    for path in sorted((CONTENT / "scenarios").glob("*.md")):
        front = path.read_text(encoding="utf-8").split("\n---\n")[0].removeprefix("---\n")
        ok, data = yamlsource._load_flat(front, 2)
        assert ok, path.name  # the fast path is taken for every real case
        assert _shape(data) == _shape(_expected(front, 2))
    ok, data = yamlsource._load_flat(FLAT_FRONT, 1)
    assert ok
    assert _shape(data) == _shape(_python(FLAT_FRONT))


def _flat_agrees(text: str, first_line: int) -> None:
    ok, flat = yamlsource._load_flat(text, first_line)
    if ok:
        assert _shape(flat) == _shape(_expected(text, first_line))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_flat_documents(), st.sampled_from([1, 2, 7]))
def test_the_flat_reader_reads_as_the_python_loader(text: str, first_line: int) -> None:
    _flat_agrees(text, first_line)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, len(FLAT_FRONT)), _PIECES), max_size=4))
def test_the_flat_reader_declines_or_agrees_on_edited_front_matter(
    edits: list[tuple[int, str]],
) -> None:
    text = FLAT_FRONT
    for at, piece in edits:
        text = text[:at] + piece + text[at:]
    _flat_agrees(text, 2)
