"""The block scanner gives markdown-it's block tokens, or gives up (it exists for speed)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it.common.utils import MD_TRIM_CHARS
from markdown_it.token import Token

import scenarios.parser as parser_module
from bench.cases import generate
from scenarios import Scenario, ScenarioInvalid, parse_scenario
from scenarios.blockscan import _ODD_SPACE, scan_blocks
from scenarios.parser import _BLOCKS

CONTENT = Path(__file__).resolve().parents[3] / "content"
REAL = sorted((CONTENT / "scenarios").glob("*.md"))
FIELDS = [f.name for f in dataclasses.fields(Token)]


def examples(count: int) -> settings:
    return settings(max_examples=count, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _fields(token: Token) -> dict[str, Any]:
    values = {name: getattr(token, name) for name in FIELDS}
    if token.children is not None:
        values["children"] = [_fields(child) for child in token.children]
    return values


def assert_same_as_markdown_it(text: str, *, accepted: bool = False) -> bool:
    """Assert the scanner's tokens equal markdown-it's (or that it gave up); return which."""
    scanned = scan_blocks(text)
    if accepted:
        assert scanned is not None, "the scanner gave up on a file it should read"
    if scanned is None:
        return False
    env: dict[str, Any] = {}
    parsed = _BLOCKS.parse(text, env)
    assert env == {}  # no reference definitions: the parser's env stays empty either way
    assert all(type(token) is Token for token in scanned)
    assert [_fields(t) for t in scanned] == [_fields(t) for t in parsed]
    assert [t.as_dict() for t in scanned] == [t.as_dict() for t in parsed]
    return True


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    folder = tmp_path_factory.mktemp("bench") / "content"
    written = generate(CONTENT, REAL, folder, 200)  # as bench_check calls it
    return [path.read_text(encoding="utf-8") for path in written]


def test_real_cases_are_scanned_as_markdown_it_parses_them() -> None:
    assert REAL
    for path in REAL:
        assert_same_as_markdown_it(path.read_text(encoding="utf-8"), accepted=True)


def test_generated_cases_are_scanned_as_markdown_it_parses_them(generated: list[str]) -> None:
    for text in generated:
        assert_same_as_markdown_it(text, accepted=True)


def test_tokens_are_read_only_where_they_share_an_empty_mapping() -> None:
    tokens = scan_blocks(REAL[0].read_text(encoding="utf-8"))
    assert tokens is not None
    with pytest.raises(TypeError):
        tokens[1].attrSet("id", "x")  # would otherwise change every token's attrs
    with pytest.raises(TypeError):
        tokens[1].meta["x"] = 1  # type: ignore[index]


def test_odd_space_covers_what_markdown_it_trims_and_python_calls_space() -> None:
    spaces = {chr(c) for c in range(0x110000) if chr(c).isspace()} | set(MD_TRIM_CHARS)
    assert spaces - _ODD_SPACE == {" ", "\t", "\n"}


@pytest.mark.parametrize(
    "text",
    [
        "",
        "---",
        "---\nid: x\n",  # front matter never closed
        "--- \nid: x\n---\n",
        "---\nid: x\n--- \n",
        "---\nid: x\n...\n",
        "\n---\nid: x\n---\n",
        "---\r\nid: x\r\n---\r\n",
        "---\nid: x\n---\n\x00\n",
        "---\nid: x\n---\n\ta\n",
        "---\nid: x\n---\n> a\n",
        "---\nid: x\n---\n```\na\n```\n",
        "---\nid: x\n---\n    code\n",
        "---\nid: x\n---\n1. a\n",
        "---\nid: x\n---\n***\n",
        "---\nid: x\n---\na\n---\n",
        "---\nid: x\n---\na\n===\n",
        "---\nid: x\n---\n[a]: /u\n",
        "---\nid: x\n---\n<div>\n",
        "---\nid: x\n---\n- a\nlazy\n",
        "---\nid: x\n---\n-\n",
        "---\nid: x\n---\n-      far\n",
        "---\nid: x\n---\n-     fem\n",
        "---\nid: x\n---\n## a ##\n",
        "---\nid: x\n---\na\u00a0\n",
        "---\nid: x\n---\n## \u2003a\n",
    ],
)
def test_gives_up_on_what_it_does_not_read(text: str) -> None:
    assert scan_blocks(text) is None


FRONT = "---\nid: x\n---\n"


@pytest.mark.parametrize(
    "body",
    [
        "Tekst\n    - ser ut som et punkt, men fortsetter avsnittet\n",
        "- a\n      - b er en fortsettelse\n- c\n",
        "- a\n   - b\n    - c\n",
        "   - a\n\n  - b\n",
        "- a\n\n  b\n\n- c\n",
        "- a\n  ## Overskrift i punktet\n  b\n",
        "* a\n- b\n+ c\n",
        "-    a\n     b\n",
        "## H {#h}\nTekst\n## I\n- x\n  - y\n\n    z\n- w",
        "- a\n\n\n- b\n   \n",
    ],
)
def test_edges_of_what_it_reads(body: str) -> None:
    assert_same_as_markdown_it(FRONT + body, accepted=True)


@pytest.mark.parametrize(
    "body",
    [
        "   - a\n\n    - b\n",  # the second line is indented code after the list
        "- a\n    - b\n",
        "  - a\n      - b\n",
        "- a\n  - b\n      - c\n     d\n",
        "Tekst\n   - a\n",
    ],
)
def test_edges_it_may_give_up_on(body: str) -> None:
    assert_same_as_markdown_it(FRONT + body)


# --- documents from a grammar of the supported constructs --------------------------------

_FIRST_WORDS = st.sampled_from(
    ["Tekst", "ord", "**fet**", "*kursiv*", "{kommune.navn}", "«sitat»", "[lenke](#a)",
     "æøå", "_under_", "-strek", "+pluss", "16.20", "x:y", "(parentes)", "[[a]](#b)", "é"]
)  # fmt: skip
_WORDS = st.one_of(
    _FIRST_WORDS,
    st.sampled_from(["a", "§ 13-2", "C#", "#tag", "1.", "`kode`", "<b>", "a\\b", "[x]: y", "-"]),
)


@st.composite
def _line_text(draw: st.DrawFn) -> str:
    return " ".join([draw(_FIRST_WORDS), *draw(st.lists(_WORDS, max_size=4))])


@st.composite
def _paragraph(draw: st.DrawFn, first: int, indent: int) -> list[str]:
    """A paragraph's lines: the first at `first` spaces, the others at `indent` or more."""
    lines = [" " * first + draw(_line_text())]
    for _ in range(draw(st.integers(0, 2))):
        extra = draw(st.sampled_from([0, 0, 1, 2, 3, 4, 6]))  # 4+: looks like code, is not
        lines.append(" " * (indent + extra) + draw(_line_text()))
    return lines


@st.composite
def _heading(draw: st.DrawFn, indent: int) -> list[str]:
    hashes = "#" * draw(st.integers(1, 6))
    spaces = " " * draw(st.integers(1, 2))
    title = " ".join(draw(st.lists(_FIRST_WORDS, min_size=1, max_size=4)))
    title += draw(st.sampled_from(["", " {#node-1}", "  "]))
    return [" " * indent + hashes + spaces + title]


@st.composite
def _bullet_list(draw: st.DrawFn, indent: int, depth: int) -> list[str]:
    """A list at `indent` (+0..3) whose items hold a paragraph, then maybe more blocks."""
    marker = draw(st.sampled_from("-*+"))
    at = indent + draw(st.integers(0, 3))
    loose = draw(st.booleans())
    lines: list[str] = []
    for number in range(draw(st.integers(1, 3))):
        if number and (loose or draw(st.integers(0, 4)) == 0):
            lines.append(" " * draw(st.integers(0, 3)))
        spaces = draw(st.integers(1, 4))
        content = at + 1 + spaces
        first, *rest = draw(_paragraph(0, content))
        lines += [" " * at + marker + " " * spaces + first, *rest]
        for _ in range(draw(st.integers(0, 2 if depth < 2 else 0))):
            block = draw(st.sampled_from(["list", "list", "paragraph", "heading"]))
            if block == "list":
                if draw(st.booleans()):
                    lines.append("")
                lines += draw(_bullet_list(content, depth + 1))
            else:  # after a blank line (else a line less indented than a list is lazy)
                lines.append("")
                start = content + draw(st.integers(0, 3))
                lines += draw(_paragraph(start, start) if block == "paragraph" else _heading(start))
    return lines


@st.composite
def documents(draw: st.DrawFn) -> str:
    lines = ["---", "id: x", "tittel: «T»", "---"]
    previous = ""
    for _ in range(draw(st.integers(0, 5))):
        block = draw(st.sampled_from(["heading", "paragraph", "list", "list"]))
        if draw(st.booleans()) or (previous == "list" and block == "paragraph"):
            lines.append(" " * draw(st.integers(0, 2)))
        # After a list, an indented block would continue its last item (and a paragraph
        # after that one could be a lazy line): start at the margin.
        start = 0 if previous == "list" else draw(st.integers(0, 3))
        if block == "heading":
            lines += draw(_heading(start))
        elif block == "paragraph":
            lines += draw(_paragraph(start, start))
        else:
            lines += draw(_bullet_list(0, 0))
        previous = block
    ending = draw(st.sampled_from(["\n", "", "\n\n", "\n   "]))
    return "\n".join(lines) + ending


HOSTILE = [
    "\t- tab", "- a\tb", "> quote", "```", "~~~ x", "1. one", "2) two", "***", "---", "- - -",
    "* * *", "___", "===", "=", "--", "[x]: /u", "[ref]: #a 'tittel'", "[x]:", "[a\\]]: b",
    "[a", "    indented code", "        deeper", "<div>", "<!-- c -->", "-", "- ", "+", "*",
    "-text", "*   spaced", "-     far", "- # heading in item", "- > quote", "- 1. x",
    "- [ ] task", "## ", "#", "#hashtag", "####### seven", "## closed ##", "## C#",
    "\u00a0nbsp", "text\u2003", "- \u3000x", "## \u00a0t", "text \u00a0 ", "a\r\nb", "a\rb",
    "\x00", "\x0b", "lazy continuation", "  - vurdering: best", "- [Gå](#start)", "",
    "   ", "\u2028", "x\x85", "| a | b |",
]  # fmt: skip


# Lines the scanner reads (mostly), on the edge of what it reads.
TRICKY = [
    "-text", "+x", "*kursiv* ord", "**fet**", "_u_", "16.20", "1.5 m", "[a](#b)", "[[a]](#b)",
    "[a] b", "[a]", "  - vurdering: best", "- [Gå](#start)", "* stjerne", "+ pluss", "-  to",
    "-    fire", "## Overskrift {#o}", "   ### Innrykket", "###### seks", "Tekst", "  Tekst",
    "      dypt innrykk", "a\u00a0b", "x: y", "- x:", "-\u00a0x", "#\u00a0x", "",
]  # fmt: skip


@st.composite
def hostile_documents(draw: st.DrawFn) -> str:
    lines = draw(documents()).split("\n")
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(lines)))
        line = draw(st.sampled_from(HOSTILE if draw(st.integers(0, 3)) == 0 else TRICKY))
        indent = " " * draw(st.sampled_from([0, 0, 1, 2, 4, 5]))
        lines.insert(at, indent + line)
    return "\n".join(lines)


def _mutate(draw: st.DrawFn, lines: list[str]) -> list[str]:
    lines = list(lines)
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["delete", "duplicate", "indent", "dedent", "insert",
                                       "trail", "swap", "char"]))  # fmt: skip
        if action == "delete" and len(lines) > 1:
            del lines[at]
        elif action == "duplicate":
            lines.insert(at, lines[at])
        elif action == "indent":
            lines[at] = " " * draw(st.integers(1, 5)) + lines[at]
        elif action == "dedent":
            lines[at] = lines[at][draw(st.integers(1, 4)) :]
        elif action == "insert":
            lines.insert(at, draw(st.sampled_from(HOSTILE)))
        elif action == "trail":
            lines[at] += draw(st.sampled_from([" ", "  ", " #", ":", "\u00a0", "\t"]))
        elif action == "swap":
            other = draw(st.integers(0, len(lines) - 1))
            lines[at], lines[other] = lines[other], lines[at]
        elif lines[at]:
            index = draw(st.integers(0, len(lines[at]) - 1))
            char = draw(st.sampled_from(list("-*+#[]>:` \t=_1.\u00a0")))
            lines[at] = lines[at][:index] + char + lines[at][index + 1 :]
    return lines


@st.composite
def mutated_real_files(draw: st.DrawFn) -> str:
    path = draw(st.sampled_from(REAL))
    return "\n".join(_mutate(draw, path.read_text(encoding="utf-8").split("\n")))


@examples(400)
@given(documents())
def test_supported_constructs_are_read_as_markdown_it_reads_them(text: str) -> None:
    assert_same_as_markdown_it(text, accepted=True)


@examples(500)
@given(hostile_documents())
def test_hostile_lines_give_markdown_it_tokens_or_none(text: str) -> None:
    assert_same_as_markdown_it(text)


@examples(300)
@given(mutated_real_files())
def test_mutated_real_files_give_markdown_it_tokens_or_none(text: str) -> None:
    assert_same_as_markdown_it(text)


# --- the parser gives the same answer with and without the scanner ------------------------


def _outcome(text: str) -> Scenario | list[Any]:
    try:
        return parse_scenario(text, "case.md")
    except ScenarioInvalid as exc:
        return exc.diagnostics


def _same_outcome(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    fast = _outcome(text)
    with monkeypatch.context() as patch:
        patch.setattr(parser_module, "scan_blocks", lambda *_: None)
        slow = _outcome(text)
    assert fast == slow


BROKEN = [
    ("## Hentetid på Solsikken {#start}", "## Hentetid på Solsikken"),
    ("  - vurdering: best", "  - vurdring: best"),
    ("  - vurdering: best", "  vurdering: best"),
    ("  - steg: P1", "  - steg: P 1"),
    ("- [", "- ["),  # unchanged: the file as it is
    ("](#", "](#mangler-"),
    ("- slutt:", "- utfall:"),
    ("\n\n## ", "\n## "),
    ("  - kilde:", "\n  - kilde:"),
    ("  - tilbakemelding:", "    - tilbakemelding:"),
    ("- [", "* ["),
    ("- [", "-  ["),
    ("\n- [", "\nTekst rett før valgene.\n- ["),
    ("---\n\n", "---\n\n# Tittel\n\nTekst før første node.\n\n"),
    ("\n## ", "\n## Uten id\n\nTekst.\n\n## "),
]


def test_parser_gives_the_same_cases_and_errors_with_the_scanner(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for path in REAL:
        text = path.read_text(encoding="utf-8")
        _same_outcome(text, monkeypatch)
        for old, new in BROKEN:
            _same_outcome(text.replace(old, new), monkeypatch)
            _same_outcome(text.replace(old, new, 1), monkeypatch)


@examples(200)
@given(st.one_of(mutated_real_files(), hostile_documents(), documents()))
def test_parser_gives_the_same_answer_on_random_files(text: str) -> None:
    with pytest.MonkeyPatch.context() as monkeypatch:
        _same_outcome(text, monkeypatch)
