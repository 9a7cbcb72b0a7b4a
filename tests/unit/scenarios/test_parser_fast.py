"""The parser's shortcuts give what a full markdown-it parse gives (they exist for speed)."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it.token import Token

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
