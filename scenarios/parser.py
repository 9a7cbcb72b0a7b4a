"""Parse a case file (Markdown with YAML front matter) into a `Scenario`.

The format, in brief (content/README.md is the authors' guide):

    ---
    id: beruset-forelder
    tittel: …
    prosedyre: akutt-henting
    påkrevde steg: [P1, P2]
    bestått: 80
    …
    ---

    ## Heading of a node {#node-id}

    Prose in Markdown.

    - [What the learner sees](#target-node)
      - vurdering: best
      - steg: P1
      - tilbakemelding: Why, in Markdown.
      - kilde: barnevernsloven § 13-2

    ## An ending {#slutt-trygg}

    Prose.

    - slutt: trygg
    - for barnet: What the ending means for the child.

Every `##` heading starts a node; the last list of a node is either its choices (items
that start with a link to `#node`) or its ending (items `slutt:` / `for barnet:`). Keys
are Norwegian with English aliases. Line numbers come from markdown-it's `Token.map`, the
way tweego's lexer carries a line with every item, so each error names file, line and
column with a hint. All problems are collected before `ScenarioInvalid` is raised.
"""

from __future__ import annotations

import hashlib
import re
import textwrap
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple, cast
from urllib.parse import unquote

from markdown_it import MarkdownIt
from markdown_it.rules_core.state_core import StateCore
from markdown_it.token import Token
from mdit_py_plugins.front_matter import front_matter_plugin

from scenarios.blockscan import scan_blocks
from scenarios.diagnostics import Diagnostic, ScenarioInvalid, suggest
from scenarios.model import (
    AUDIENCES,
    ID_RE,
    LANGUAGES,
    OUTCOMES,
    VERDICT_WORDS,
    Choice,
    Ending,
    FeedbackMode,
    Node,
    Scenario,
    Verdict,
)
from scenarios.yamlsource import PositionedDict, load_yaml, position

_HEADING_ID_RE = re.compile(r"^(?P<title>.*?)\s*\{#(?P<id>[^}]*)\}\s*$")
_ITEM_MARKER_RE = re.compile(r"^\s*(?:[-*+]|\d{1,9}[.)])[ \t]?")
_KEY_VALUE_RE = re.compile(r"^(?P<key>[^:\n]{1,40}?)\s*:\s*(?P<value>.*)$", re.DOTALL)
_NEWLINES_RE = re.compile(r"\r\n?|\n")  # the same split markdown-it uses for Token.map
# A choice paragraph that is only `[plain text](#id)`: no character any CommonMark inline rule
# acts on (escape, code, emphasis, links, images, autolinks, entities, line breaks), so
# markdown-it would give link_open(href="#id"), one text token, link_close; `_simple_link`
# reads it without the inline parser (tests/unit/scenarios/test_parser_fast.py compares).
_SIMPLE_LINK_RE = re.compile(r"\[(?P<text>[^\[\]\\`*_!<&\n\r]*)\]\((?P<href>#[A-Za-z0-9-]*)\)")

# Front matter: author's key (normalised) -> field name.
_META_KEYS: Mapping[str, str] = MappingProxyType(
    {
        "id": "id",
        "tittel": "title",
        "title": "title",
        "sammendrag": "summary",
        "summary": "summary",
        "prosedyre": "procedure",
        "procedure": "procedure",
        "påkrevde steg": "required_steps",
        "påkrevd steg": "required_steps",
        "required steps": "required_steps",
        "bestått": "pass_mark",
        "beståttgrense": "pass_mark",
        "pass mark": "pass_mark",
        "minutter": "minutes",
        "minutes": "minutes",
        "målgruppe": "audience",
        "audience": "audience",
        "språk": "language",
        "language": "language",
        "tilbakemelding": "feedback",
        "feedback": "feedback",
        "nytt forsøk": "retry",
        "retry": "retry",
        "start": "start",
    }
)
_META_REQUIRED: Mapping[str, str] = MappingProxyType(
    {
        "id": "id: kort-navn-med-bindestrek",
        "title": "tittel: Navnet på caset",
        "summary": "sammendrag: Én setning om hva caset handler om",
        "procedure": "prosedyre: akutt-henting",
        "required_steps": "påkrevde steg: [P1, P2]",
        "pass_mark": "bestått: 80",
        "minutes": "minutter: 15",
        "audience": "målgruppe: [barnehage]",
    }
)
_FEEDBACK_WORDS: Mapping[str, FeedbackMode] = MappingProxyType(
    {
        "umiddelbart": "immediate",
        "underveis": "immediate",
        "immediate": "immediate",
        "slutt": "end",
        "til slutt": "end",
        "end": "end",
    }
)
_BOOL_WORDS: Mapping[str, bool] = MappingProxyType(
    {"ja": True, "nei": False, "yes": True, "no": False}
)

# Choice details: author's key -> field name.
_CHOICE_KEYS: Mapping[str, str] = MappingProxyType(
    {
        "vurdering": "verdict",
        "verdict": "verdict",
        "steg": "step",
        "step": "step",
        "tilbakemelding": "feedback",
        "feedback": "feedback",
        "kilde": "source",
        "source": "source",
        "feil": "error",
        "kritisk feil": "error",
        "error": "error",
    }
)
# Ending details.
_ENDING_KEYS: Mapping[str, str] = MappingProxyType(
    {
        "slutt": "outcome",
        "utfall": "outcome",
        "ending": "outcome",
        "outcome": "outcome",
        "for barnet": "summary",
        "betydning": "summary",
        "summary": "summary",
    }
)
_NORMAL_KEYS = frozenset([*_META_KEYS, *_CHOICE_KEYS, *_ENDING_KEYS])  # normalised already
_OUTCOME_WORDS: Mapping[str, str] = MappingProxyType(
    {
        "trygg": "trygg",
        "safe": "trygg",
        "uavklart": "uavklart",
        "unresolved": "uavklart",
        "utrygg": "utrygg",
        "unsafe": "utrygg",
    }
)


def _normalise_key(key: str) -> str:
    if key in _NORMAL_KEYS:
        return key  # a known key as it is usually written: nothing to do
    return " ".join(key.strip().lower().replace("_", " ").replace("-", " ").split())


def _dedent(lines: list[str]) -> str:
    """textwrap.dedent("\n".join(lines)), faster for lines indented with spaces only."""
    if len(lines) == 1 and "\t" not in lines[0]:  # the usual continuation: one line
        return lines[0].lstrip(" ")  # (a line of only spaces becomes "", as dedent has it)
    if any("\t" in line for line in lines):
        return textwrap.dedent("\n".join(lines))
    # dedent empties whitespace-only lines and removes the longest common indent (with
    # spaces only: the smallest) from the others; tests/unit/scenarios compares the two.
    indents = [len(line) - len(line.lstrip(" ")) for line in lines if line.strip(" ")]
    margin = min(indents, default=0)
    return "\n".join([line[margin:] if line.strip(" ") else "" for line in lines])


def slugify(text: str) -> str:
    """Suggest a node id for a heading: lowercase ASCII with hyphens (æ→ae, ø→o, å→a)."""
    text = text.lower().replace("æ", "ae").replace("ø", "o").replace("å", "a")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:40] or "node"


def _markdown() -> MarkdownIt:
    # CommonMark, HTML off: raw HTML in a case is never meaningful (render.py renders it inert).
    return MarkdownIt("commonmark", {"html": False}).use(front_matter_plugin)


# Built once: a MarkdownIt instance is reusable (every parse has its own state and env).
# `_BLOCKS` runs the core chain only up to the block parser: bodies and feedback are kept as
# Markdown source, so inline parsing is done on demand (`_inline_children`) for the one
# paragraph per choice whose link the parser reads; that is most of markdown-it's time saved.
_FULL = _markdown()
_CORE_RULES = _FULL.core.ruler.get_active_rules()
_AFTER_BLOCK = _CORE_RULES[_CORE_RULES.index("block") + 1 :]
_BLOCKS = _markdown()
_BLOCKS.core.ruler.disable(_AFTER_BLOCK)
_INLINE_RULES = _FULL.core.ruler.getRules("")[_CORE_RULES.index("block") + 1 :]


def _inline_children(token: Token, env: dict[str, Any]) -> list[Token]:
    """Run the core rules after "block" (inline, text_join) on one inline token, as a full
    parse would have; `env` is the document's (it holds the link reference definitions)."""
    if not token.children:  # the block parser leaves [] (empty text parses to [] again)
        state = StateCore("", _FULL, env, [token])
        for rule in _INLINE_RULES:
            rule(state)
    return token.children or []


@dataclass
class _Context:
    """Mutable state of one parse: the source lines and the diagnostics found so far."""

    path: str
    lines: list[str]
    env: dict[str, Any] = field(default_factory=dict)  # markdown-it's (link references)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    # A list's items by id(list block), with the block (kept alive, so its id is not reused):
    # each list is split once, however often it is asked.
    items: dict[int, tuple[list[Token], list[list[Token]]]] = field(default_factory=dict)

    def error(self, line: int, col: int, message: str, hint: str = "") -> None:
        self.diagnostics.append(Diagnostic(self.path, line, col, "error", message, hint))

    def warning(self, line: int, col: int, message: str, hint: str = "") -> None:
        self.diagnostics.append(Diagnostic(self.path, line, col, "warning", message, hint))

    def line_text(self, line: int) -> str:
        return self.lines[line - 1] if 1 <= line <= len(self.lines) else ""

    def col_of(self, line: int, needle: str) -> int:
        """Return the 1-based column of `needle` on `line`, or of the first non-blank."""
        text = self.line_text(line)
        index = text.find(needle) if needle else -1
        if index < 0:
            index = len(text) - len(text.lstrip())
        return index + 1


def _split_blocks(tokens: list[Token], level: int) -> list[list[Token]]:
    """Split a flat token stream into the blocks that sit at `level` (open..close)."""
    # Only a block's own tokens sit at `level` (an opening, its closing, or one token),
    # so the boundaries are found by one comprehension instead of a walk that keeps a
    # depth. A stray token (should not happen) never breaks the walk: see _split_slowly.
    marks = [index for index, token in enumerate(tokens) if token.level == level]
    blocks: list[list[Token]] = []
    opened = -1
    for index in marks:
        nesting = tokens[index].nesting
        if opened >= 0:
            if nesting != -1:
                return _split_slowly(tokens, level)
            blocks.append(tokens[opened : index + 1])
            opened = -1
        elif nesting == 1:
            opened = index
        elif nesting == 0:
            blocks.append([tokens[index]])
        else:
            return _split_slowly(tokens, level)
    if opened >= 0 or (marks and marks[0] != 0) or (not marks and tokens):
        return _split_slowly(tokens, level)
    return blocks


def _split_slowly(tokens: list[Token], level: int) -> list[list[Token]]:
    """`_split_blocks` for a stream that is not a plain sequence of blocks at `level`."""
    blocks: list[list[Token]] = []
    depth = 0
    current: list[Token] = []
    for token in tokens:
        if depth == 0 and token.level != level:
            continue  # stray token (should not happen); never let it break the walk
        current.append(token)
        depth += token.nesting
        if depth <= 0:
            blocks.append(current)
            current = []
            depth = 0
    if current:
        blocks.append(current)
    return blocks


def _start_line(block: list[Token]) -> int:
    """Return the 1-based first line of a block."""
    token_map = block[0].map
    return token_map[0] + 1 if token_map else 1


def _end_line(block: list[Token]) -> int:
    """Return the 1-based last line of a block (inclusive)."""
    token_map = block[0].map
    return token_map[1] if token_map else _start_line(block)


def _inline(block: list[Token]) -> Token | None:
    if len(block) > 1 and block[1].type == "inline" and block[0].type != "inline":
        return block[1]  # a paragraph or heading: open, inline, close
    return next((t for t in block if t.type == "inline"), None)


def _is_list(block: list[Token]) -> bool:
    return block[0].type in ("bullet_list_open", "ordered_list_open")


def _list_items(ctx: _Context, block: list[Token]) -> list[list[Token]]:
    cached = ctx.items.get(id(block))
    if cached is None or cached[0] is not block:
        cached = ctx.items[id(block)] = (block, _split_blocks(block[1:-1], block[0].level + 1))
    return cached[1]


def _item_blocks(item: list[Token]) -> list[list[Token]]:
    return _split_blocks(item[1:-1], item[0].level + 1)


def _item_starts_with_link(item: list[Token]) -> bool:
    # The item's first block starts right after list_item_open, and a paragraph block is
    # always paragraph_open, inline, paragraph_close: no need to split the item.
    if len(item) < 4 or item[1].type != "paragraph_open":
        return False
    inline = item[2]
    return inline.type == "inline" and inline.content.lstrip().startswith("[")


def _is_choice_list(ctx: _Context, block: list[Token]) -> bool:
    return _is_list(block) and any(_item_starts_with_link(i) for i in _list_items(ctx, block))


def _first_key(ctx: _Context, item: list[Token]) -> str | None:
    pair = _key_value(_without_marker(ctx.line_text(_start_line(item))))
    return _normalise_key(pair[0]) if pair else None


def _key_value(head: str) -> tuple[str, str] | None:
    """(key, value) as `_KEY_VALUE_RE.match(head)` reads them, without the regex.

    The key cannot hold a colon, so the regex's colon is the first one; its lazy key is what
    comes before, less trailing space (or one character if that is all space); its value is
    what follows, less leading space. tests/unit/scenarios/test_parser_fast.py compares.
    """
    colon = head.find(":")
    if colon < 1:
        return None
    key = head[:colon].rstrip() or head[0]
    if len(key) > 40 or "\n" in key:
        return None
    return key, head[colon + 1 :].lstrip()


def _without_marker(raw: str) -> str:
    """The line with its list marker removed (`_ITEM_MARKER_RE.sub("", raw, count=1)`)."""
    text = raw.lstrip()
    if text[:1] in ("-", "*", "+"):  # the usual bullet, without the regex
        end = len(raw) - len(text) + 1
        return raw[end + 1 :] if raw[end : end + 1] in (" ", "\t") else raw[end:]
    marker = _ITEM_MARKER_RE.match(raw)
    return raw[marker.end() :] if marker else raw


def _is_ending_list(ctx: _Context, block: list[Token]) -> bool:
    # block[1] opens the first item (a list always has one): only its line is read.
    return _is_list(block) and len(block) > 2 and _first_key(ctx, block[1:2]) in _ENDING_KEYS


def _item_openings(block: list[Token]) -> list[Token]:
    """The list_item_open token of each item of a list (`_list_items` without the split)."""
    level = block[0].level + 1
    return [token for token in block[1:-1] if token.level == level and token.nesting == 1]


class _KeyValue(NamedTuple):
    key: str  # normalised
    written: str  # as the author wrote it
    value: str  # Markdown source, continuation lines dedented
    line: int
    col: int


def _key_values(ctx: _Context, block: list[Token], what: str) -> list[_KeyValue]:
    """Read a list of `- nøkkel: verdi` items from the raw source (keeps Markdown intact)."""
    # This runs for every detail of every choice: `_start_line`, `_end_line`,
    # `_without_marker` (for "- ") and `_key_value` are written out here.
    result: list[_KeyValue] = []
    lines = ctx.lines
    for opening in _item_openings(block):
        token_map = opening.map
        first = token_map[0] + 1 if token_map else 1
        last = token_map[1] if token_map and token_map[1] > first else first
        raw_first = lines[first - 1] if 1 <= first <= len(lines) else ""
        text = raw_first.lstrip()
        if text[:1] in ("-", "*", "+"):
            end = len(raw_first) - len(text) + 1
            if raw_first[end : end + 1] in (" ", "\t"):
                end += 1
            head = raw_first[end:]
        else:
            head = _without_marker(raw_first)
        col = len(raw_first) - len(head) + 1  # where the key starts
        colon = head.find(":")
        key = (head[:colon].rstrip() or head[0]) if colon > 0 else ""
        if not key or len(key) > 40 or "\n" in key:
            ctx.error(
                first,
                col,
                f"forventet «nøkkel: verdi» i {what}, fant «{head.strip()[:40]}»",
                "skriv for eksempel «- vurdering: best»",
            )
            continue
        value = head[colon + 1 :]
        if last > first:  # continuation lines
            value += "\n" + _dedent(lines[first:last])
        value = value.strip()
        result.append(_KeyValue(_normalise_key(key), key, value, first, col))
    return result


@dataclass(slots=True)
class _NodeDraft:
    id: str
    title: str
    line: int
    col: int
    body: str
    choice_drafts: list[_ChoiceDraft]
    ending: Ending | None


@dataclass(slots=True)
class _ChoiceDraft:
    text: str
    target: str
    target_col: int
    verdict: Verdict
    step: str | None
    feedback: str
    source: str
    error: str | None
    line: int


def parse_scenario(text: str, source: str) -> Scenario:
    """Parse a case file's text; raise ScenarioInvalid listing every problem found.

    `source` is the file path used in diagnostics. No other exception escapes, whatever
    the input: a crash in here would hide an author's real error behind a stack trace.
    """
    try:
        return _parse(text, source)
    except ScenarioInvalid:
        raise
    except Exception as exc:
        raise ScenarioInvalid(
            [
                Diagnostic(
                    source,
                    1,
                    1,
                    "error",
                    f"intern feil i parseren ({type(exc).__name__})",
                    "meld fra til utviklerne og legg ved filen",
                )
            ]
        ) from exc


def load_scenario(path: Path) -> Scenario:
    """Read and parse one case file; raise ScenarioInvalid if it cannot be used."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ScenarioInvalid(
            [Diagnostic(str(path), 1, 1, "error", f"kan ikke lese filen: {exc.strerror}")]
        ) from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ScenarioInvalid(
            [
                Diagnostic(
                    str(path),
                    line,
                    1,
                    "error",
                    "filen er ikke UTF-8",
                    "lagre filen som UTF-8 i editoren",
                )
            ]
        ) from exc
    return parse_scenario(text, str(path))


def _parse(text: str, source: str) -> Scenario:
    content_hash = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    # A byte order mark would hide the front matter from markdown-it; it adds no line.
    body_text = text.removeprefix("\ufeff")
    # str.split is several times faster than the regex, and the same without a CR (with a
    # CR, the scanner stands down too).
    plain = "\r" not in body_text
    ctx = _Context(source, body_text.split("\n") if plain else _NEWLINES_RE.split(body_text))
    # None: the text has something only markdown-it parses exactly (scenarios/blockscan.py).
    tokens = scan_blocks(body_text, ctx.lines) if plain else None
    if tokens is None:
        tokens = _BLOCKS.parse(body_text, ctx.env)
    blocks = _split_blocks(tokens, 0)

    meta: dict[str, Any] = {}
    meta_lines: dict[str, int] = {}
    if blocks and blocks[0][0].type == "front_matter":
        front = blocks.pop(0)[0]
        meta, meta_lines = _parse_front_matter(ctx, front)
    else:
        ctx.error(
            1,
            1,
            "filen mangler front matter",
            "begynn filen med en linje «---», så id, tittel osv., og en ny linje «---»",
        )

    drafts = _parse_nodes(ctx, blocks)
    nodes = _link_nodes(ctx, drafts)

    start = meta.get("start")
    if start is None and drafts:
        start = drafts[0].id
    elif start is not None and start not in nodes:
        ctx.error(
            meta_lines.get("start", 1),
            1,
            f"startnoden «{start}» finnes ikke",
            suggest(str(start), nodes, "noder"),
        )
    if not drafts:
        ctx.error(
            len(ctx.lines),
            1,
            "fant ingen noder",
            "hver node begynner med en overskrift «## Tittel {#node-id}» etter front matter",
        )

    if any(d.is_error for d in ctx.diagnostics):
        raise ScenarioInvalid(sorted(ctx.diagnostics, key=lambda d: (d.line, d.col)))
    return Scenario(
        id=meta["id"],
        title=meta["title"],
        summary=meta["summary"],
        content_hash=content_hash,
        source_path=source,
        procedure=meta["procedure"],
        required_steps=meta["required_steps"],
        pass_mark=meta["pass_mark"],
        minutes=meta["minutes"],
        audience=meta["audience"],
        language=meta["language"],
        feedback_mode=meta["feedback"],
        retry=meta["retry"],
        start=cast(str, start),
        nodes=MappingProxyType(nodes),
        meta_lines=MappingProxyType(meta_lines),
        warnings=tuple(ctx.diagnostics),
    )


# --- front matter -------------------------------------------------------------------------


def _parse_front_matter(ctx: _Context, token: Token) -> tuple[dict[str, Any], dict[str, int]]:
    """Validate the YAML front matter; return (fields by English name, line of each field)."""
    first = (token.map[0] if token.map else 0) + 2  # content starts after the opening ---
    last = token.map[1] if token.map else first
    if ctx.line_text(last).strip() != "---":
        ctx.error(
            first - 1,
            1,
            "front matter er ikke avsluttet",
            "legg til en linje med bare «---» etter siste felt i front matter",
        )
        return {}, {}
    data, problems = load_yaml(token.content, ctx.path, first_line=first)
    ctx.diagnostics.extend(problems)
    if problems:
        return {}, {}
    if not isinstance(data, PositionedDict):
        ctx.error(first, 1, "front matter må være «nøkkel: verdi»-linjer", "se content/README.md")
        return {}, {}

    raw: dict[str, tuple[Any, int, int]] = {}
    for key, value in data.items():
        line, col = position(data, key)
        name = _META_KEYS.get(_normalise_key(key))
        if name is None:
            ctx.error(line, col, f"ukjent felt «{key}» i front matter", suggest(key, _META_KEYS))
        elif name in raw:
            ctx.error(line, col, f"feltet «{key}» står to ganger (også som alias)")
        else:
            raw[name] = (value, line, col)

    for name, example in _META_REQUIRED.items():
        if name not in raw:
            ctx.error(first - 1, 1, f"front matter mangler «{example.split(':')[0]}»", example)

    meta: dict[str, Any] = {}
    lines = {name: line for name, (_, line, _) in raw.items()}

    def get(name: str) -> tuple[Any, int, int] | None:
        return raw.get(name)

    if (entry := get("id")) is not None:
        meta["id"] = _check_id(ctx, entry, "id")
    for name in ("title", "summary"):
        if (entry := get(name)) is not None:
            meta[name] = _check_text(ctx, entry, name)
    if (entry := get("procedure")) is not None:
        meta["procedure"] = _check_id(ctx, entry, "prosedyre")
    if (entry := get("required_steps")) is not None:
        meta["required_steps"] = _check_string_list(ctx, entry, "påkrevde steg", allowed=None)
    if (entry := get("pass_mark")) is not None:
        meta["pass_mark"] = _check_int(ctx, entry, "bestått", 0, 100)
    if (entry := get("minutes")) is not None:
        meta["minutes"] = _check_int(ctx, entry, "minutter", 1, 600)
    if (entry := get("audience")) is not None:
        meta["audience"] = _check_string_list(ctx, entry, "målgruppe", allowed=AUDIENCES)
    meta["language"] = "nb"
    if (entry := get("language")) is not None:
        value, line, col = entry
        if value not in LANGUAGES:
            ctx.error(line, col, f"språket «{value}» støttes ikke ennå", "bruk «språk: nb»")
        else:
            meta["language"] = value
    meta["feedback"] = "immediate"
    if (entry := get("feedback")) is not None:
        value, line, col = entry
        mode = _FEEDBACK_WORDS.get(str(value).strip().lower())
        if mode is None:
            ctx.error(
                line,
                col,
                f"ukjent tilbakemeldingsmåte «{value}»",
                "bruk «umiddelbart» (etter hvert valg) eller «slutt» (alt til slutt)",
            )
        else:
            meta["feedback"] = mode
    meta["retry"] = True
    if (entry := get("retry")) is not None:
        value, line, col = entry
        if isinstance(value, bool):
            meta["retry"] = value
        elif isinstance(value, str) and value.strip().lower() in _BOOL_WORDS:
            meta["retry"] = _BOOL_WORDS[value.strip().lower()]
        else:
            ctx.error(line, col, f"«nytt forsøk» må være ja eller nei, ikke «{value}»")
    if (entry := get("start")) is not None:
        meta["start"] = _check_id(ctx, entry, "start")
    return meta, lines


def _check_text(ctx: _Context, entry: tuple[Any, int, int], label: str) -> str:
    value, line, col = entry
    if isinstance(value, bool) or not isinstance(value, str | int) or not str(value).strip():
        ctx.error(line, col, f"«{label}» må være en tekst", "skriv teksten etter kolonet")
        return ""
    return str(value).strip()


def _check_id(ctx: _Context, entry: tuple[Any, int, int], label: str) -> str:
    value, line, col = entry
    text = str(value).strip() if isinstance(value, str | int) else ""
    if not ID_RE.match(text):
        ctx.error(
            line,
            col,
            f"«{label}» må være små bokstaver a–z, tall og bindestrek, ikke «{value}»",
            f"for eksempel «{slugify(str(value))}»",
        )
    return text


def _check_int(ctx: _Context, entry: tuple[Any, int, int], label: str, low: int, high: int) -> int:
    value, line, col = entry
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        ctx.error(line, col, f"«{label}» må være et helt tall fra {low} til {high}, ikke «{value}»")
        return low
    return value


def _check_string_list(
    ctx: _Context, entry: tuple[Any, int, int], label: str, allowed: tuple[str, ...] | None
) -> tuple[str, ...]:
    value, line, col = entry
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(
        isinstance(v, str | int) and not isinstance(v, bool) for v in value
    ):
        ctx.error(line, col, f"«{label}» må være en liste", f"skriv for eksempel «{label}: [a, b]»")
        return ()
    items = tuple(str(v).strip() for v in value)
    seen: set[str] = set()
    for item in items:
        if allowed is not None and item not in allowed:
            ctx.error(line, col, f"ukjent verdi «{item}» i «{label}»", suggest(item, allowed))
        if item in seen:
            ctx.error(line, col, f"«{item}» står to ganger i «{label}»")
        seen.add(item)
    return items


# --- nodes ----------------------------------------------------------------------------------


def _parse_nodes(ctx: _Context, blocks: list[list[Token]]) -> list[_NodeDraft]:
    """Group top-level blocks under `##` headings and parse each group into a node draft."""
    groups: list[tuple[list[Token], list[list[Token]]]] = []
    for block in blocks:
        first = block[0]
        if first.type == "heading_open" and first.tag == "h2":
            groups.append((block, []))
        elif first.type == "heading_open" and first.tag == "h1":
            if groups:
                ctx.error(
                    _start_line(block),
                    1,
                    "«#»-overskrift inne i caset",
                    "bruk «##» for noder og «###» for underoverskrifter i en node",
                )
        elif groups:
            groups[-1][1].append(block)
        else:
            ctx.warning(
                _start_line(block),
                1,
                "tekst før første node vises ikke for deltakeren",
                "flytt teksten inn i første node, eller slett den",
            )
    return [_parse_node(ctx, heading, body) for heading, body in groups]


def _parse_node(ctx: _Context, heading: list[Token], blocks: list[list[Token]]) -> _NodeDraft:
    line = _start_line(heading)
    inline = _inline(heading)
    content = inline.content if inline is not None else ""
    match = _HEADING_ID_RE.match(content)
    setext = heading[0].markup in ("-", "=") or heading[0].markup.startswith(("-", "="))
    node_id, title, col = "", content.strip(), 1
    if match is None:
        hint = f"skriv «## {content.strip() or 'Tittel'} {{#{slugify(content)}}}»"
        if setext:
            hint = (
                "en tekstlinje rett over «---» blir en overskrift; sett inn en tom linje før «---»"
            )
        ctx.error(line, 1, "overskriften mangler node-id", hint)
    else:
        node_id, title = match["id"].strip(), match["title"].strip()
        col = ctx.col_of(line, "{#")
        if not ID_RE.match(node_id):
            ctx.error(
                line,
                col,
                f"ugyldig node-id «{node_id}»",
                f"bruk små bokstaver a–z, tall og bindestrek, for eksempel «{slugify(node_id)}»",
            )
        if not title:
            ctx.error(line, 1, "noden mangler tittel", "skriv en tittel foran {#…}")

    choice_at = next((i for i, b in enumerate(blocks) if _is_choice_list(ctx, b)), None)
    ending_at = next((i for i, b in enumerate(blocks) if _is_ending_list(ctx, b)), None)
    special = [i for i in (choice_at, ending_at) if i is not None]
    cut = min(special) if special else len(blocks)
    for extra in blocks[cut + 1 :]:
        ctx.error(
            _start_line(extra),
            1,
            "tekst etter valgene eller slutten i noden",
            "valglisten (eller slutten) må stå sist i noden; flytt teksten over den",
        )
    if choice_at is not None and ending_at is not None:
        ctx.error(
            _start_line(blocks[max(choice_at, ending_at)]),
            1,
            "noden har både valg og slutt",
            "en slutt-node har ingen valg; lag en egen node for slutten",
        )
    if not special:
        ctx.error(
            line,
            1,
            f"noden «{node_id or title}» har verken valg eller slutt",
            "legg til valg «- [Tekst](#neste-node)» eller en slutt «- slutt: trygg»",
        )

    body_start = line + 1
    body_end = _start_line(blocks[cut]) - 1 if cut < len(blocks) else _last_line(ctx, blocks, line)
    body = "\n".join(ctx.lines[body_start - 1 : body_end]).strip()

    choices: list[_ChoiceDraft] = []
    ending: Ending | None = None
    if choice_at is not None and choice_at == cut:
        for item in _list_items(ctx, blocks[choice_at]):
            draft = _parse_choice(ctx, item)
            if draft is not None:
                choices.append(draft)
    elif ending_at is not None and ending_at == cut:
        ending = _parse_ending(ctx, blocks[ending_at], line)
    return _NodeDraft(node_id, title, line, col, body, choices, ending)


def _last_line(ctx: _Context, blocks: list[list[Token]], default: int) -> int:
    return max((_end_line(b) for b in blocks), default=default)


def _simple_link(content: str) -> tuple[str, str, bool] | None:
    """`_read_link`'s answer for a paragraph that is only a plain link to a node, else None."""
    match = _SIMPLE_LINK_RE.fullmatch(content)
    if match is None:
        return None
    return " ".join(match["text"].split()), match["href"], False


def _parse_choice(ctx: _Context, item: list[Token]) -> _ChoiceDraft | None:
    line = _start_line(item)
    col = ctx.col_of(line, "[")
    blocks = _item_blocks(item)
    inline = _inline(blocks[0]) if blocks and blocks[0][0].type == "paragraph_open" else None
    link = _simple_link(inline.content) if inline is not None else None
    if link is None:
        link = _read_link(_inline_children(inline, ctx.env) if inline is not None else [])
    if link is None:
        ctx.error(
            line,
            col,
            "valget må begynne med en lenke til en node",
            "skriv «- [Det deltakeren ser](#node-id)»",
        )
        return None
    text, href, trailing = link
    if trailing:
        ctx.error(
            line,
            col,
            "valget har tekst etter lenken",
            "legg vurdering, steg, tilbakemelding og kilde i en underliste: «  - vurdering: best»",
        )
    if not text:
        ctx.error(line, col, "valget har tom lenketekst", "skriv det deltakeren ser mellom [ og ]")
    target_col = ctx.col_of(line, "](") + 2
    if not href.startswith("#"):
        ctx.error(
            line,
            target_col,
            f"valget lenker til «{href}», ikke til en node",
            "lenk til en node i samme fil med «(#node-id)»",
        )
    target = unquote(href[1:])

    fields: dict[str, _KeyValue] = {}
    if len(blocks) > 1:
        if not _is_list(blocks[1]):
            ctx.error(
                _start_line(blocks[1]),
                1,
                "uventet tekst i valget",
                "detaljene skal være en underliste: «  - vurdering: best»",
            )
        else:
            for kv in _key_values(ctx, blocks[1], "valget"):
                name = _CHOICE_KEYS.get(kv.key)
                if name is None:
                    ctx.error(
                        kv.line,
                        kv.col,
                        f"ukjent nøkkel «{kv.written}» i valget",
                        suggest(kv.key, _CHOICE_KEYS, "gyldige nøkler"),
                    )
                elif name in fields:
                    ctx.error(kv.line, kv.col, f"«{kv.written}» står to ganger i valget")
                else:
                    fields[name] = kv
        for extra in blocks[2:]:
            ctx.error(_start_line(extra), 1, "uventet innhold i valget", "se content/README.md")

    verdict: Verdict | None = None
    if "verdict" not in fields:
        ctx.error(
            line,
            col,
            "valget mangler vurdering",
            "legg til «  - vurdering: best» (best, akseptabel, mindre, alvorlig eller kritisk)",
        )
    else:
        kv = fields["verdict"]
        verdict = Verdict.from_text(kv.value)
        if verdict is None:
            ctx.error(
                kv.line,
                kv.col,
                f"ukjent vurdering «{kv.value}»",
                suggest(kv.value.lower(), VERDICT_WORDS, "gyldige vurderinger"),
            )
    step = fields["step"].value if "step" in fields else None
    error = fields["error"].value if "error" in fields else None
    for name, value in (("steg", step), ("feil", error)):
        if value is not None and (not value or "".join(value.split()) != value):  # any space
            kv = fields["step" if name == "steg" else "error"]
            ctx.error(kv.line, kv.col, f"«{name}» må være én id, ikke «{value}»", "f.eks. «P3»")
    if verdict is None:
        return None
    return _ChoiceDraft(
        text=text,
        target=target,
        target_col=target_col,
        verdict=verdict,
        step=step or None,
        feedback=fields["feedback"].value if "feedback" in fields else "",
        source=fields["source"].value if "source" in fields else "",
        error=error or None,
        line=line,
    )


def _read_link(children: list[Token]) -> tuple[str, str, bool] | None:
    """Return (plain link text, href, text follows the link) if the paragraph opens with a link."""
    index = 0
    while index < len(children) and children[index].type == "text" and not children[index].content:
        index += 1
    if index >= len(children) or children[index].type != "link_open":
        return None
    href = str(children[index].attrs.get("href", ""))
    parts: list[str] = []
    index += 1
    while index < len(children) and children[index].type != "link_close":
        child = children[index]
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        index += 1
    trailing = any(
        c.type != "text" or c.content.strip() for c in children[index + 1 :] if c is not None
    )
    return " ".join("".join(parts).split()), href, trailing


def _parse_ending(ctx: _Context, block: list[Token], node_line: int) -> Ending | None:
    fields: dict[str, _KeyValue] = {}
    for kv in _key_values(ctx, block, "slutten"):
        name = _ENDING_KEYS.get(kv.key)
        if name is None:
            ctx.error(
                kv.line,
                kv.col,
                f"ukjent nøkkel «{kv.written}» i slutten",
                "en slutt har «- slutt: trygg|uavklart|utrygg» og «- for barnet: …»",
            )
        elif name in fields:
            ctx.error(kv.line, kv.col, f"«{kv.written}» står to ganger i slutten")
        else:
            fields[name] = kv
    outcome_kv = fields.get("outcome")
    outcome = _OUTCOME_WORDS.get(outcome_kv.value.strip().lower()) if outcome_kv else None
    if outcome_kv is not None and outcome is None:
        ctx.error(
            outcome_kv.line,
            outcome_kv.col,
            f"ukjent utfall «{outcome_kv.value}»",
            "bruk " + ", ".join(f"«{o}»" for o in OUTCOMES),
        )
    if "summary" not in fields:
        ctx.error(
            _start_line(block),
            1,
            "slutten mangler «for barnet:»",
            "forklar hva slutten betyr for barnet: «- for barnet: …»",
        )
    if outcome is None or "summary" not in fields:
        return None
    return Ending(outcome=outcome, summary=fields["summary"].value)


def _link_nodes(ctx: _Context, drafts: list[_NodeDraft]) -> dict[str, Node]:
    """Check ids and link targets; build the final nodes with their choice ids."""
    ids: dict[str, int] = {}
    for draft in drafts:
        if not draft.id:
            continue
        if draft.id in ids:
            ctx.error(
                draft.line,
                draft.col,
                f"node-id «{draft.id}» er brukt før (linje {ids[draft.id]})",
                "gi hver node en egen id",
            )
        else:
            ids[draft.id] = draft.line
    nodes: dict[str, Node] = {}
    for draft in drafts:
        for c in draft.choice_drafts:
            if c.target and c.target not in ids:
                ctx.error(
                    c.line,
                    c.target_col,
                    f"ukjent node «{c.target}»",
                    suggest(c.target, ids, "noder i filen"),
                )
        if not draft.id or draft.id in nodes:
            continue
        choices: list[Choice] = []
        for index, c in enumerate(draft.choice_drafts, start=1):
            choices.append(
                Choice(
                    id=f"{draft.id}.{index}",
                    text=c.text,
                    target=c.target,
                    verdict=c.verdict,
                    step=c.step,
                    feedback=c.feedback,
                    source=c.source,
                    line=c.line,
                    error=c.error,
                )
            )
        nodes[draft.id] = Node(
            id=draft.id,
            title=draft.title,
            body=draft.body,
            choices=tuple(choices),
            ending=draft.ending,
            line=draft.line,
        )
    return nodes
