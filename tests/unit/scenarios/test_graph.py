"""The case as a diagram: DOT and Mermaid hold every node and edge, mark endings and
verdicts, and no author text can break out of a label."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scenarios import Scenario, Verdict, load_scenario, parse_scenario
from scenarios.graph import (
    OUTCOME_STYLES,
    VERDICT_COLOURS,
    dot_string,
    mermaid_id,
    mermaid_text,
    render_svg,
    sanitise_svg,
    shorten,
    to_dot,
    to_mermaid,
)

CONTENT = Path(__file__).resolve().parents[3] / "content"

# Every character either language treats specially, in titles and in choice texts.
HOSTILE_CASE = r"""---
id: farlig
tittel: 'Tittel med "sitat", [klammer], {krøll} og \ skråstrek'
sammendrag: Test av tegn som kunne ødelegge diagrammet.
prosedyre: akutt-henting
påkrevde steg: [P1]
bestått: 80
minutter: 5
målgruppe: [barnehage]
---

## Han sa "stopp" [nå] | a;b %% c \N <script>alert(1)</script> {#start}

Tekst.

- [Velg "\]) --> x; end %% {slutt} <b>](#end)
  - vurdering: best
  - steg: P1
  - tilbakemelding: Bra.
  - kilde: Lov
- [Kritisk `kode` & #hash \\ "](#slutt-utrygg)
  - vurdering: kritisk
  - steg: P1
  - feil: K1
  - tilbakemelding: Nei.
  - kilde: Lov
- [Nesten «greit» (men) {ikke}](#uavklart)
  - vurdering: mindre
  - steg: P1
  - tilbakemelding: Så som så.
  - kilde: Lov

## Slutt "trygg"] {#end}

Ferdig.

- slutt: trygg
- for barnet: Bra.

## Slutt utrygg {#slutt-utrygg}

Ille.

- slutt: utrygg
- for barnet: Ille.

## Uavklart {{#uavklart}

Vet ikke.

- slutt: uavklart
- for barnet: Uklart.
"""

DOT_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
MERMAID_SPECIAL = set('"[]{}()|;#<>&`%\\')


@pytest.fixture(scope="module")
def real_case() -> Scenario:
    return load_scenario(CONTENT / "scenarios" / "beruset-forelder.md")


@pytest.fixture(scope="module")
def hostile() -> Scenario:
    return parse_scenario(HOSTILE_CASE, "farlig.md")


def edges_of(case: Scenario) -> list[tuple[str, str, Verdict]]:
    return [(n.id, c.target, c.verdict) for n in case.nodes.values() for c in n.choices]


def undot(literal: str) -> str:
    """Read a DOT string literal back (the inverse of dot_string)."""
    body = literal[1:-1]
    return re.sub(r"\\(.)", lambda m: "\n" if m[1] == "n" else m[1], body)


def unmermaid(label: str) -> str:
    return re.sub(r"#(\d+);", lambda m: chr(int(m[1])), label.replace("<br>", "\n"))


# --- DOT ------------------------------------------------------------------------------------


def test_dot_has_every_node_and_every_edge(real_case: Scenario) -> None:
    dot = to_dot(real_case)
    for node in real_case.nodes.values():
        assert re.search(rf'^  "{node.id}" \[label=', dot, re.M), node.id
    for source, target, _ in edges_of(real_case):
        assert f'"{source}" -> "{target}" [' in dot
    assert dot.count(" -> ") == len(edges_of(real_case)) + 1  # + the arrow from Start
    assert f'"_start" -> "{real_case.start}";' in dot


def test_dot_marks_endings_by_outcome(real_case: Scenario) -> None:
    dot = to_dot(real_case)
    for node in real_case.nodes.values():
        line = next(x for x in dot.splitlines() if x.startswith(f'  "{node.id}" ['))
        if node.ending is None:
            assert "peripheries" not in line
        else:
            fill, border, shape = OUTCOME_STYLES[node.ending.outcome]
            assert f"Slutt: {node.ending.outcome}" in line
            assert f"shape={shape}" in line and fill in line and border in line


def test_dot_colours_edges_by_verdict_and_critical_is_bold(real_case: Scenario) -> None:
    dot = to_dot(real_case)
    for source, target, verdict in edges_of(real_case):
        lines = [x for x in dot.splitlines() if x.startswith(f'  "{source}" -> "{target}" [')]
        assert any(f'color="{VERDICT_COLOURS[verdict]}"' in x for x in lines)
        if verdict is Verdict.CRITICAL:
            assert any("style=bold" in x for x in lines)
    assert VERDICT_COLOURS[Verdict.BEST] == VERDICT_COLOURS[Verdict.ACCEPTABLE]
    assert VERDICT_COLOURS[Verdict.MAJOR] == VERDICT_COLOURS[Verdict.CRITICAL]
    assert len({VERDICT_COLOURS[v] for v in Verdict}) == 3


def test_dot_edge_labels_are_shortened_choice_texts_with_verdict(real_case: Scenario) -> None:
    dot = to_dot(real_case)
    first = real_case.nodes[real_case.start].choices[0]
    assert first.text not in dot  # long texts are cut
    assert f"1. {shorten(first.text)}\\nbeste · P1" in dot


def test_hostile_titles_stay_inside_their_dot_strings(hostile: Scenario) -> None:
    dot = to_dot(hostile)
    literals = DOT_STRING.findall(dot)
    texts = {undot(x) for x in literals}
    assert any('Han sa "stopp" [nå] | a;b %%' in t for t in texts)
    assert any('Velg "]) --> x; end %% {slutt} <b>' in t for t in texts)
    assert any("\\ " in t and "Kritisk kode & #hash" in t for t in texts)
    # Outside the string literals only our own syntax is left: no author text leaked.
    outside = DOT_STRING.sub('""', dot)
    for fragment in ("stopp", "script", "slutt}", "hash", "Tittel"):
        assert fragment not in outside
    assert outside.count("[") == outside.count("]")
    assert outside.count("{") == outside.count("}") == 1


@given(st.text())
def test_dot_string_round_trips_any_text(text: str) -> None:
    literal = dot_string(text)
    assert DOT_STRING.fullmatch(literal)
    expected = "".join(
        ch if ch == "\n" or not (ord(ch) < 32 or 127 <= ord(ch) < 160) else " "
        for ch in text.replace("\r\n", "\n").replace("\r", "\n")
    )
    assert undot(literal) == expected


def test_graphviz_accepts_the_hostile_case(hostile: Scenario) -> None:
    svg = render_svg(to_dot(hostile))
    assert "Han sa &quot;stopp&quot; [nå]" in svg or "Han sa &#34;stopp&#34; [nå]" in svg
    clean = sanitise_svg(svg)
    assert "<script" not in clean
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in clean  # shown as text, never run


def test_graphviz_draws_the_real_case_with_node_links(real_case: Scenario) -> None:
    svg = render_svg(to_dot(real_case, node_href=lambda n: f"/preview/x?a=1&node={n}"))
    clean = sanitise_svg(svg, allow_href=lambda href: href.startswith("/preview/x?"))
    for node in real_case.nodes.values():
        assert f'href="/preview/x?a=1&amp;node={node.id}"' in clean
    assert clean.startswith("<svg ") and clean.endswith("</svg>")


# --- Mermaid --------------------------------------------------------------------------------


def test_mermaid_has_every_node_and_every_edge(real_case: Scenario) -> None:
    text = to_mermaid(real_case)
    lines = text.splitlines()
    assert "flowchart TD" in lines
    for node in real_case.nodes.values():
        assert any(x.startswith(f"  {mermaid_id(node.id)}[") or
                   x.startswith(f"  {mermaid_id(node.id)}(") or
                   x.startswith(f"  {mermaid_id(node.id)}{{") for x in lines), node.id
    arrows = [x for x in lines if re.match(r"  n_\S+ (-->|==>)\|", x)]
    assert len(arrows) == len(edges_of(real_case))
    for source, target, verdict in edges_of(real_case):
        arrow = "==>" if verdict is Verdict.CRITICAL else "-->"
        assert any(x.startswith(f"  {mermaid_id(source)} {arrow}|") and
                   x.endswith(f"| {mermaid_id(target)}") for x in arrows)
    assert sum(x.startswith("  linkStyle ") for x in lines) == len(edges_of(real_case))


def test_mermaid_marks_endings(real_case: Scenario) -> None:
    text = to_mermaid(real_case)
    for node in real_case.nodes.values():
        if node.ending is not None:
            assert f"  class {mermaid_id(node.id)} {node.ending.outcome}" in text
            assert f"Slutt: {node.ending.outcome}<br>" in text


def test_hostile_titles_cannot_break_mermaid(hostile: Scenario) -> None:
    text = to_mermaid(hostile)
    labels = re.findall(r'"([^"]*)"', text)
    decoded = [unmermaid(x) for x in labels]
    assert any('Han sa "stopp" [nå] | a;b %%' in x for x in decoded)
    assert any('Velg "]) --> x; end %% {slutt} <b>' in x for x in decoded)
    for label in labels:
        assert not set(re.sub(r"#\d+;|<br>", "", label)) & MERMAID_SPECIAL, label
    # `end` is a Mermaid keyword: the node is still an id, never the keyword.
    assert "n_end([" in text and "\n  end" not in text


@given(st.text())
def test_mermaid_text_escapes_any_text(text: str) -> None:
    escaped = mermaid_text(text)
    assert not set(re.sub(r"#\d+;|<br>", "", escaped)) & MERMAID_SPECIAL
    assert "\n" not in escaped and "\r" not in escaped
    assert unmermaid(escaped) == "\n".join(text.splitlines() or [""])


# --- SVG sanitising -------------------------------------------------------------------------


def test_sanitise_svg_keeps_drawing_and_drops_everything_active() -> None:
    dirty = (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'
        ' width="10pt" onload="alert(1)" style="x"><g id="a"><script>alert(2)</script>'
        '<foreignObject><div>hei</div></foreignObject>'
        '<a xlink:href="javascript:alert(3)"><text x="1">Hei &amp; hå</text></a>'
        '<a xlink:href="?node=start"><path d="M0,0" onclick="x()"/></a></g></svg>'
    )
    clean = sanitise_svg(dirty, allow_href=lambda href: href.startswith("?"))
    assert "alert" not in clean and "onclick" not in clean and "style" not in clean
    assert "foreignObject" not in clean and "<div" not in clean
    assert 'href="?node=start"' in clean and "javascript" not in clean
    assert '<text x="1">Hei &amp; hå</text>' in clean
    assert clean.startswith('<svg width="10pt" xmlns="http://www.w3.org/2000/svg"')


def test_sanitise_svg_drops_links_unless_allowed() -> None:
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
           '<a xlink:href="?node=x"><text>x</text></a></svg>')
    assert "href" not in sanitise_svg(svg)


def test_shorten_cuts_at_a_word_with_an_ellipsis() -> None:
    assert shorten("kort tekst") == "kort tekst"
    cut = shorten("Be Ali om å ta med Sara inn på avdelingen og leke", 30)
    assert cut.endswith("…") and len(cut) <= 30 and not cut[:-1].endswith(" ")
