"""The parser's shortcuts give what a full markdown-it parse gives (they exist for speed)."""

from __future__ import annotations

import textwrap
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it.token import Token

import scenarios.parser as parser
from scenarios.parser import _BLOCKS, _FULL, _inline_children, _read_link, _simple_link

CONTENT = Path(__file__).resolve().parents[3] / "content"

# Characters the inline rules act on, and some they do not.
_ALPHABET = st.sampled_from([*"ab Z9-#:{}.()[]\\`*_!<>&;\n\t«»æ–~\"'", "](#", "&amp;"])


def _shape(tokens: list[Token]) -> list[tuple[object, ...]]:
    return [
        (t.type, t.tag, t.nesting, t.level, t.map, t.content, t.markup, t.info, t.attrs)
        for t in tokens
    ]


def _children_shape(token: Token) -> list[tuple[object, ...]]:
    return _shape(token.children or [])


def _same_as_full_parse(text: str) -> None:
    full_tokens = _FULL.parse(text)
    env: dict[str, object] = {}
    block_tokens = _BLOCKS.parse(text, env)
    assert _shape(block_tokens) == _shape(full_tokens)
    for lazy, full in zip(block_tokens, full_tokens, strict=True):
        if lazy.type == "inline":
            assert _children_shape(
                Token("inline", "", 0, children=_inline_children(lazy, env))
            ) == _children_shape(full)


def test_lazy_inline_parse_matches_a_full_parse_on_the_real_cases() -> None:
    for path in sorted((CONTENT / "scenarios").glob("*.md")):
        _same_as_full_parse(path.read_text(encoding="utf-8"))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_ALPHABET, max_size=40).map("".join))
def test_lazy_inline_parse_matches_a_full_parse(body: str) -> None:
    # Reference definitions elsewhere in the file must still resolve in a choice's link.
    _same_as_full_parse(
        f"[ref]: #mål\n\n- [{body}](#a)\n- {body}\n  - x: {body}\n\n[{body}][ref]\n"
    )


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(_ALPHABET, max_size=30).map("".join),
    st.lists(st.sampled_from(list("az09-_#.%ÆA ")), max_size=8).map("".join),
)
def test_simple_link_reads_like_the_inline_parser(text: str, href: str) -> None:
    for content in (f"[{text}](#{href})", f"[{text}]({href})", text):
        tokens = _FULL.parse(content)
        inline = next((t for t in tokens if t.type == "inline"), None)
        if inline is None or inline.content != content:
            continue  # not a single paragraph with this content: not the case in question
        fast = _simple_link(content)
        if fast is not None:
            assert fast == _read_link(inline.children or [])


def test_simple_link_takes_the_usual_choice_and_leaves_the_rest() -> None:
    assert _simple_link("[Ring 112 – {kommune.navn} «nå»](#leder-2)") == (
        "Ring 112 – {kommune.navn} «nå»",
        "#leder-2",
        False,
    )
    for content in ("[*Ring*](#a)", "[Ring](#a) nå", '[Ring](#a "t")', "[a\\]](#b)", "[a](b)"):
        assert _simple_link(content) is None


# --- the parser's own shortcuts ------------------------------------------------------------

_LINE_PIECES = st.sampled_from(
    [*"ab Z9-:#*+.)\t[]", " : ", ":", "  ", "\u00a0", "\u2003", "æ", "x" * 41, "1.", "2)",
     "- ", "* ", "  - ", "\t- "]
)  # fmt: skip


def _slow_normalise(key: str) -> str:
    return " ".join(key.strip().lower().replace("_", " ").replace("-", " ").split())


def _reference_key_values(
    ctx: parser._Context, block: list[Token], what: str
) -> list[parser._KeyValue]:
    """`_key_values` as it was written before it was made fast (regexes and textwrap)."""
    result: list[parser._KeyValue] = []
    for item in parser._list_items(ctx, block):
        first = parser._start_line(item)
        last = max(first, parser._end_line(item))
        raw_first = ctx.line_text(first)
        head = parser._ITEM_MARKER_RE.sub("", raw_first, count=1)
        col = len(raw_first) - len(head) + 1
        rest = textwrap.dedent("\n".join(ctx.lines[first:last])) if last > first else ""
        match = parser._KEY_VALUE_RE.match(head)
        if match is None:
            ctx.error(first, col, f"forventet «nøkkel: verdi» i {what}, fant «{head.strip()[:40]}»")
            continue
        value = (match["value"] + "\n" + rest).strip()
        key = _slow_normalise(match["key"])
        result.append(parser._KeyValue(key, match["key"], value, first, col))
    return result


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(_LINE_PIECES, max_size=8).map("".join), min_size=1, max_size=8))
def test_key_values_read_as_the_regex_version(lines: list[str]) -> None:
    text = "\n".join(f"- {line}" if i % 3 == 0 else line for i, line in enumerate(lines))
    for block in parser._split_blocks(_BLOCKS.parse(text, {}), 0):
        if not parser._is_list(block):
            continue
        fast_ctx = parser._Context("f.md", parser._NEWLINES_RE.split(text))
        slow_ctx = parser._Context("f.md", parser._NEWLINES_RE.split(text))
        fast = parser._key_values(fast_ctx, block, "x")
        slow = _reference_key_values(slow_ctx, block, "x")
        assert fast == slow
        assert [(d.line, d.col) for d in fast_ctx.diagnostics] == [
            (d.line, d.col) for d in slow_ctx.diagnostics
        ]
        first_item = parser._split_slowly(block[1:-1], block[0].level + 1)[0]
        match = parser._KEY_VALUE_RE.match(
            parser._ITEM_MARKER_RE.sub("", slow_ctx.line_text(parser._start_line(first_item)))
        )
        slow_first = _slow_normalise(match["key"]) if match else None
        assert parser._first_key(fast_ctx, block[1:2]) == slow_first


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_LINE_PIECES, max_size=12).map("".join))
def test_line_shortcuts_match_their_regexes(text: str) -> None:
    match = parser._KEY_VALUE_RE.match(text)
    assert parser._key_value(text) == ((match["key"], match["value"]) if match else None)
    assert parser._without_marker(text) == parser._ITEM_MARKER_RE.sub("", text, count=1)
    assert parser._normalise_key(text) == _slow_normalise(text)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(st.sampled_from([" ", "  ", "\t", "a", "b c", "\u00a0", ""]),
                         max_size=4).map("".join), min_size=1, max_size=5))  # fmt: skip
def test_dedent_matches_textwrap(lines: list[str]) -> None:
    assert parser._dedent(lines) == textwrap.dedent("\n".join(lines))


def test_known_keys_are_normal_already() -> None:
    for key in parser._NORMAL_KEYS:
        assert _slow_normalise(key) == key


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(["- a", "  - b", "    - c", "", "## H", "p", "  q", "* d",
                                 "1. e", "> f"]), max_size=12))  # fmt: skip
def test_split_blocks_matches_the_depth_walk(lines: list[str]) -> None:
    tokens = _BLOCKS.parse("\n".join(lines), {})
    assert parser._split_blocks(tokens, 0) == parser._split_slowly(tokens, 0)
    for block in parser._split_blocks(tokens, 0):
        inner = block[1:-1]
        level = block[0].level + 1
        assert parser._split_blocks(inner, level) == parser._split_slowly(inner, level)
        if parser._is_list(block):
            assert parser._item_openings(block) == [
                i[0] for i in parser._split_slowly(inner, level)
            ]
            for item in parser._split_slowly(inner, level):
                blocks = parser._split_slowly(item[1:-1], level + 1)
                starts = bool(blocks) and blocks[0][0].type == "paragraph_open" and (
                    parser._inline(blocks[0]) is not None
                    and parser._inline(blocks[0]).content.lstrip().startswith("[")  # type: ignore[union-attr]
                )  # fmt: skip
                assert parser._item_starts_with_link(item) == starts
    # A stream that is not a plain run of blocks takes the walk.
    assert parser._split_blocks(tokens[1:], 0) == parser._split_slowly(tokens[1:], 0)
