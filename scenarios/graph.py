"""A case as a diagram: Graphviz DOT and Mermaid text, built from the parsed Scenario.

Authors see the whole case at once (like Twine's story map or H5P's branching overview):
nodes labelled with their titles, endings shaped and coloured by what they mean for the
child, and every choice as an edge labelled with its (shortened) text and coloured by its
verdict. Colour is never the only signal (WCAG 1.4.1): endings also carry their outcome in
the label, and edges their verdict word; critical edges are bold.

Building the text is pure. `render_svg` is the one function here that runs an outside
program (Graphviz's `dot`), and `sanitise_svg` makes its output safe to inline in a page.
Author text reaches both languages only through the escapers below, so a title with
quotes, brackets or backslashes can never end a string or start a statement.
"""

from __future__ import annotations

import html
import shutil
import subprocess
import textwrap
import unicodedata
import xml.etree.ElementTree as ET  # only for dot's own output; see sanitise_svg
from collections.abc import Callable
from dataclasses import dataclass

from scenarios.model import Choice, Node, Scenario, Verdict
from scenarios.profiles import Profile

#: Verdict -> edge colour. The palette is the player's (lti_app/static/stegvis.css).
VERDICT_COLOURS: dict[Verdict, str] = {
    Verdict.BEST: "#1d6b3a",
    Verdict.ACCEPTABLE: "#1d6b3a",
    Verdict.MINOR: "#b7791f",
    Verdict.MAJOR: "#a4161a",
    Verdict.CRITICAL: "#a4161a",
}

#: Ending outcome -> (fill, border, Graphviz shape). Shapes differ too, for print and for
#: readers who do not see the colours.
OUTCOME_STYLES: dict[str, tuple[str, str, str]] = {
    "trygg": ("#e3f3e6", "#1d6b3a", "box"),
    "uavklart": ("#fdf1d8", "#b7791f", "hexagon"),
    "utrygg": ("#fbe3e3", "#a4161a", "octagon"),
}

#: Where the diagram starts; "_" never occurs in a node id (model.ID_RE), so no clash.
_START_ID = "_start"

EDGE_TEXT_WIDTH = 40
TITLE_WRAP = 28


class GraphvizMissing(RuntimeError):  # noqa: N818 - reads as what happened
    """Raise when Graphviz's `dot` program is not installed."""


class GraphvizFailed(RuntimeError):  # noqa: N818 - reads as what happened
    """Raise when `dot` ran but could not draw the graph."""


@dataclass(frozen=True, slots=True)
class _Edge:
    source: str
    target: str
    label: str
    verdict: Verdict


def shorten(text: str, width: int = EDGE_TEXT_WIDTH) -> str:
    """Collapse whitespace and cut at a word boundary with an ellipsis, for edge labels."""
    flat = " ".join(text.split())
    if len(flat) <= width:
        return flat
    cut = flat[: width - 1]
    if " " in cut[width // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,.;:–-") + "…"


def _fill(text: str, profile: Profile | None) -> str:
    return profile.fill(text) if profile is not None else text


def edge_label(choice: Choice, profile: Profile | None = None) -> str:
    """Number, shortened text, verdict word and step: `2. Si høyt …` / `mindre feil · P1`."""
    number = choice.id.rpartition(".")[2]
    judged = choice.verdict.label + (f" · {choice.step}" if choice.step else "")
    return f"{number}. {shorten(_fill(choice.text, profile))}\n{judged}"


def node_label(node: Node, profile: Profile | None = None) -> str:
    """The node's title, wrapped; an ending says its outcome first."""
    title = "\n".join(textwrap.wrap(_fill(node.title, profile), TITLE_WRAP)) or node.id
    if node.ending is not None:
        return f"Slutt: {node.ending.outcome}\n{title}"
    return title


def _edges(scenario: Scenario, profile: Profile | None) -> list[_Edge]:
    return [
        _Edge(node.id, choice.target, edge_label(choice, profile), choice.verdict)
        for node in scenario.nodes.values()
        for choice in node.choices
    ]


# --- DOT ------------------------------------------------------------------------------------


def dot_string(text: str) -> str:
    """Quote a value for DOT: only `"` and `\\` are special inside quotes; newlines become
    Graphviz's centred line break `\\n`. Other backslash sequences (`\\N`, `\\G`, `\\l`)
    would be expanded by Graphviz, so every author backslash is doubled first."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # Other control characters mean nothing in a label and some upset dot's lexer.
    text = "".join(ch if ch == "\n" or unicodedata.category(ch) != "Cc" else " " for ch in text)
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def to_dot(
    scenario: Scenario,
    profile: Profile | None = None,
    node_href: Callable[[str], str] | None = None,
    highlight: str | None = None,
) -> str:
    """Return the case as a Graphviz digraph (top to bottom, start at the top).

    `node_href(node_id)` adds a link to each node (the preview links to its node view);
    `highlight` marks one node (the one the preview is showing).
    """
    lines = [
        f"digraph {dot_string(scenario.id)} {{",
        f"  label={dot_string(_fill(scenario.title, profile))};",
        "  labelloc=t; rankdir=TB; fontname=Helvetica; fontsize=16;",
        '  node [fontname=Helvetica, fontsize=11, shape=box, style="rounded,filled",'
        ' fillcolor="#ffffff", color="#56606e"];',
        '  edge [fontname=Helvetica, fontsize=9, color="#56606e"];',
        f'  {dot_string(_START_ID)} [label="Start", shape=circle, style=filled,'
        ' fillcolor="#12324f", fontcolor="#ffffff", width=0.6, fixedsize=true];',
        f"  {dot_string(_START_ID)} -> {dot_string(scenario.start)};",
    ]
    for node in scenario.nodes.values():
        attrs = [f"label={dot_string(node_label(node, profile))}"]
        if node.ending is not None:
            fill, border, shape = OUTCOME_STYLES.get(
                node.ending.outcome, ("#eeeeee", "#56606e", "box")
            )
            attrs += [
                f"shape={shape}",
                'style="filled,bold"',
                f"fillcolor={dot_string(fill)}",
                f"color={dot_string(border)}",
                "peripheries=2",
            ]
        if node.id == highlight:
            attrs += ["penwidth=3", 'color="#0b5cad"']
        if node_href is not None:
            # Graphviz 2.43 copies URLs into the SVG without XML escaping, so a bare `&`
            # would break the document; an entity survives both old and new versions.
            href = html.escape(node_href(node.id), quote=True)
            attrs += [f"URL={dot_string(href)}", f"tooltip={dot_string(node.id)}"]
        lines.append(f"  {dot_string(node.id)} [{', '.join(attrs)}];")
    for edge in _edges(scenario, profile):
        colour = VERDICT_COLOURS[edge.verdict]
        attrs = [
            f"label={dot_string(edge.label)}",
            f"color={dot_string(colour)}",
            f"fontcolor={dot_string(colour)}",
        ]
        if edge.verdict is Verdict.CRITICAL:
            attrs += ["style=bold", "penwidth=3"]
        arrow = f"{dot_string(edge.source)} -> {dot_string(edge.target)}"
        lines.append(f"  {arrow} [{', '.join(attrs)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


# --- Mermaid --------------------------------------------------------------------------------

#: ASCII characters that need no escaping anywhere in a quoted Mermaid label.
_MERMAID_SAFE = frozenset(" .,:?!'/+_*=-")


def _mermaid_char(ch: str) -> str:
    if (ch.isalnum() and ch.isascii()) or ch in _MERMAID_SAFE:
        return ch
    if not ch.isascii() and unicodedata.category(ch)[0] not in "CZ":
        return ch  # letters and marks like æ, …, «, · mean nothing to Mermaid
    return f"#{ord(ch)};"


def mermaid_text(text: str) -> str:
    """Escape a label for Mermaid: every ASCII character but letters, digits and plain
    punctuation, and every control or odd space, becomes an entity code (`#34;`), which
    Mermaid decodes for display. So `"`, `[`, `|`, `;`, `%%`, `#`, `<`, `&` and backticks
    can end nothing and start nothing. Line breaks become `<br>` (Mermaid's line break)."""
    return "<br>".join("".join(map(_mermaid_char, line)) for line in text.splitlines() or [""])


def mermaid_id(node_id: str) -> str:
    """A Mermaid node id: prefixed, so `end` and other keywords stay ids; `-` becomes `_`
    (never in a node id) so `a--b` cannot read as an arrow."""
    return "n_" + node_id.replace("-", "_")


def to_mermaid(scenario: Scenario, profile: Profile | None = None) -> str:
    """Return the case as a Mermaid `flowchart TD`."""
    # The title goes in YAML front matter, where entity codes are not decoded: keep only
    # characters that are plain in both YAML and Mermaid.
    title = "".join(
        ch if ch.isalnum() or ch in " .,–-" else " " for ch in _fill(scenario.title, profile)
    )
    lines = [
        "---",
        f"title: {' '.join(title.split()) or scenario.id}",
        "---",
        "flowchart TD",
        '  startpunkt(("Start"))',
    ]
    for node in scenario.nodes.values():
        label = f'"{mermaid_text(node_label(node, profile))}"'
        if node.ending is None:
            lines.append(f"  {mermaid_id(node.id)}[{label}]")
        elif node.ending.outcome == "trygg":
            lines.append(f"  {mermaid_id(node.id)}([{label}])")
        elif node.ending.outcome == "uavklart":
            lines.append(f"  {mermaid_id(node.id)}{{{{{label}}}}}")
        else:
            lines.append(f"  {mermaid_id(node.id)}[[{label}]]")
    lines.append(f"  startpunkt --> {mermaid_id(scenario.start)}")
    link_styles: list[str] = []
    for index, edge in enumerate(_edges(scenario, profile), start=1):
        arrow = "==>" if edge.verdict is Verdict.CRITICAL else "-->"
        lines.append(
            f'  {mermaid_id(edge.source)} {arrow}|"{mermaid_text(edge.label)}"| '
            f"{mermaid_id(edge.target)}"
        )
        width = "3px" if edge.verdict is Verdict.CRITICAL else "1.5px"
        # linkStyle counts every link in order; link 0 is the one from startpunkt.
        link_styles.append(
            f"  linkStyle {index} stroke:{VERDICT_COLOURS[edge.verdict]},stroke-width:{width}"
        )
    lines += link_styles
    for outcome, (fill, border, _shape) in OUTCOME_STYLES.items():
        lines.append(f"  classDef {outcome} fill:{fill},stroke:{border},stroke-width:2px")
    for node in scenario.nodes.values():
        if node.ending is not None and node.ending.outcome in OUTCOME_STYLES:
            lines.append(f"  class {mermaid_id(node.id)} {node.ending.outcome}")
    return "\n".join(lines) + "\n"


# --- SVG ------------------------------------------------------------------------------------


def dot_program() -> str | None:
    """Return the path of Graphviz's `dot`, or None when it is not installed."""
    return shutil.which("dot")


def render_svg(dot_source: str, timeout: float = 20.0) -> str:
    """Draw DOT text as SVG with Graphviz; raise GraphvizMissing or GraphvizFailed."""
    program = dot_program()
    if program is None:
        raise GraphvizMissing("Graphviz (dot) er ikke installert")
    try:
        # A fixed argument list and no shell; the DOT text goes in on stdin.
        done = subprocess.run(  # noqa: S603
            [program, "-Tsvg"],
            input=dot_source.encode("utf-8"),
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise GraphvizFailed(f"dot brukte mer enn {timeout:g} sekunder") from exc
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip()
        raise GraphvizFailed(f"dot feilet: {message}")
    return done.stdout.decode("utf-8")


#: SVG elements Graphviz draws with; anything else (script, foreignObject, style, image,
#: animate, use) is dropped with its content.
_SVG_ELEMENTS = frozenset(
    {"svg", "g", "title", "path", "polygon", "polyline", "ellipse", "circle", "rect",
     "line", "text", "tspan", "a"}
)
#: Presentation attributes Graphviz writes. `style` is left out on purpose: the CSP has no
#: 'unsafe-inline' for styles, and event handlers (`on*`) are never in the list.
_SVG_ATTRIBUTES = frozenset(
    {"id", "class", "width", "height", "viewBox", "transform", "points", "d", "fill",
     "fill-opacity", "stroke", "stroke-width", "stroke-dasharray", "stroke-opacity", "cx",
     "cy", "rx", "ry", "r", "x", "y", "x1", "y1", "x2", "y2", "text-anchor", "font-family",
     "font-size", "font-weight", "font-style", "preserveAspectRatio"}
)
_XLINK_HREF = "{http://www.w3.org/1999/xlink}href"


def _local(name: str) -> str:
    return name.rpartition("}")[2]


def sanitise_svg(svg: str, allow_href: Callable[[str], bool] | None = None) -> str:
    """Re-serialise Graphviz SVG keeping only an allow-list of elements and attributes;
    raise GraphvizFailed if it is not well-formed XML.

    The output is built from scratch (not the input text with bits removed), so nothing
    that is not on the list can survive: no scripts, no event handlers, no styles, no
    external references. Links are kept only when `allow_href` accepts them (the preview
    allows its own `?node=` links) and are written as plain SVG 2 `href`.
    """
    try:
        # dot's own output, made from DOT text we escaped; expat does not fetch the DTD.
        root = ET.fromstring(svg)  # noqa: S314
    except ET.ParseError as exc:
        raise GraphvizFailed(f"dot laget ugyldig SVG: {exc}") from exc
    out: list[str] = []

    def attr_text(element: ET.Element) -> str:
        kept: list[str] = []
        for name, value in element.attrib.items():
            local = _local(name)
            if local in _SVG_ATTRIBUTES and name == local:
                kept.append(f' {local}="{html.escape(value, quote=True)}"')
        return "".join(kept)

    def walk(element: ET.Element) -> None:
        tag = _local(element.tag)
        if tag not in _SVG_ELEMENTS:
            if element.tail:
                out.append(html.escape(element.tail, quote=False))
            return
        attrs = attr_text(element)
        if tag == "svg":
            attrs += ' xmlns="http://www.w3.org/2000/svg" role="img"'
        if tag == "a":
            href = element.get(_XLINK_HREF) or element.get("href") or ""
            if allow_href is not None and allow_href(href):
                attrs += f' href="{html.escape(href, quote=True)}"'
        out.append(f"<{tag}{attrs}>")
        if element.text:
            out.append(html.escape(element.text, quote=False))
        for child in element:
            walk(child)
        out.append(f"</{tag}>")
        if element.tail:
            out.append(html.escape(element.tail, quote=False))

    walk(root)
    return "".join(out)
