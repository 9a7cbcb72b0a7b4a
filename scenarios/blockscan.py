"""Block tokens for the Markdown a case file uses, without markdown-it's block parser.

Why this is hand-written: markdown-it-py's block parser is pure Python. It tries every
block rule (fence, blockquote, thematic break, list, reference, heading, setext heading,
paragraph, each with a logging call) on every line and every nested list item, and was
80 % of `scoring.check_library`'s time on the benchmark's 1,000 case files. A case file
uses a handful of constructs: YAML front matter (`---` … `---` at the top, as
mdit_py_plugins.front_matter reads it), ATX headings, paragraphs, blank lines, and `-`,
`*` or `+` bullet lists nested by spaces, tight or loose, whose items hold paragraphs and
lists. For a file made only of those, `scan_blocks` returns the token list that
`parser._BLOCKS.parse(text, env)` returns (same type, tag, nesting, level, map, content,
markup, info, block, hidden and children on every token), and `env` stays empty as it
would (no link reference definitions). It follows markdown-it's own rules
(rules_block/state_block.py, list.py, paragraph.py, heading.py, parser_block.py, and the
front matter plugin) line for line, cut down to those constructs.

Everything else gives up (returns None) and the parser runs markdown-it as before: no
front matter, or an opening or closing line that is not exactly `---`, or a front matter
line starting `---` or `...`; CR or NUL anywhere, a tab in the body; whitespace other than
space (markdown-it trims it off contents) where a paragraph's or heading's content could
begin or end; a line starting (after spaces) with `>`, a backtick, `~`, `<` or `=`; a line
of only `-`, `*`, `_`, `=`, `+` and spaces (thematic breaks, setext underlines, empty
items); an ordered-list marker; a `#` line that is not `#`–`######`, space, text not ending
in `#`; a line starting `[` unless its first bracket pair cannot be a reference
definition; a list marker followed by more than four spaces or by anything but plain text;
indented code; a lazy continuation line; nesting as deep as markdown-it's limit.
tests/unit/scenarios/test_blockscan.py compares the two on real, generated, random and
mutated files.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Literal

from markdown_it.token import Token

__all__ = ["scan_blocks"]

# Line kinds, as far as the block rules are concerned.
_EMPTY = 0  # only spaces (markdown-it's isEmpty)
_TEXT = 1  # can only start or continue a paragraph
_HEADING = 2  # an ATX heading
_BULLET = 3  # a bullet list item whose content is _TEXT

_MAX_NESTING = 20  # the "commonmark" preset's maxNesting: deeper, markdown-it drops the rest

# Whitespace other than space, tab and newline: markdown-it trims these (MD_TRIM_CHARS,
# and Python's isspace set for good measure) off a paragraph's or heading's content, and
# nowhere else treats them as space. So they are only refused where a content can begin
# or end: at a line's first or last non-space character, after a marker or "#"s.
_ODD_SPACE = frozenset(
    "\x00\x0b\x0c\r\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000"
    + "".join(map(chr, range(0x2000, 0x200B)))
)
# First characters that a block rule other than "paragraph" might act on (or odd space).
_SPECIAL_STARTS = frozenset("#-*+_[0123456789>`~<=") | _ODD_SPACE
_NOT_PLAIN = _SPECIAL_STARTS | {" ", ""}  # what may not follow "- " in a plain item
_RULE_CHARS = frozenset("-*_=+ ")
_ORDERED_RE = re.compile(r"[0-9]+[.)](?: |$)")
_LABEL_RE = re.compile(r"\[[^\[\]\\]*")


class _FallBackError(Exception):
    """The input has something this scanner does not handle exactly like markdown-it."""


def _classify(text: str) -> tuple[int, int, str]:
    """Return (kind, number, string) for a line's text from its first non-space character.

    _HEADING: (level, content); _BULLET: (spaces after the marker, marker); _TEXT: (0, "").
    Raise _FallBackError for anything else.
    """
    first = text[0]
    if first not in _SPECIAL_STARTS:
        return _TEXT, 0, ""
    if first == "#":
        hashes = len(text) - len(text.lstrip("#"))
        content = text[hashes:].strip(" ")
        if hashes > 6 or text[hashes : hashes + 1] != " " or not content:
            raise _FallBackError  # not a heading (no space after the #s), or an empty one
        if content[-1] == "#" or content[0] in _ODD_SPACE:
            raise _FallBackError  # a closing sequence, or a content markdown-it would trim
        return _HEADING, hashes, content
    if first == "[":
        # markdown-it's reference rule reads a label up to the first unescaped "]" (a "["
        # before it ends the attempt) and wants ":" right after it.
        end = _LABEL_RE.match(text)
        assert end is not None
        after = text[end.end() : end.end() + 2]
        if after[:1] == "[" or (after[:1] == "]" and after[1:] != ":"):
            return _TEXT, 0, ""
        raise _FallBackError  # could be a reference definition (or a label over several lines)
    if first in "0123456789":
        if _ORDERED_RE.match(text):
            raise _FallBackError
        return _TEXT, 0, ""
    if first in "-*+_":
        if _RULE_CHARS.issuperset(text):
            raise _FallBackError  # thematic break, setext underline or empty list items
        if first != "_" and text[1] == " ":
            content = text[2:].lstrip(" ")
            spaces = len(text) - 1 - len(content)
            if spaces > 4 or _classify(content)[0] != _TEXT:
                raise _FallBackError  # indented code in the item, or a block on the marker's line
            return _BULLET, spaces, first
        return _TEXT, 0, ""  # "*emphasis*", "-text": not a marker (no space after it)
    raise _FallBackError  # ">", "`", "~", "<", "="


def scan_blocks(src: str, lines: list[str] | None = None) -> list[Token] | None:
    """Return `_BLOCKS.parse(src, env)`'s tokens for a case file, or None to fall back.

    `src` is the text as markdown-it would get it (byte order mark removed); `lines`, if
    given, is `src.split("\n")` (the parser has it already; it is not changed). On success
    markdown-it would have left `env` unchanged.
    """
    if not _KNOWN_FIELDS or "\r" in src or "\x00" in src:
        return None
    if lines is None:
        lines = src.split("\n")
    # StateBlock's lines: none after a final newline, none for a last line of blanks.
    count = len(lines) - (not lines[-1].strip(" \t"))
    if not count or lines[0] != "---":
        return None
    close = 0
    for number in range(1, count):
        line = lines[number]
        if line == "---":
            close = number
            break
        if line.lstrip(" \t").startswith(("---", "...")):
            return None  # another kind of closing line (or none): leave it to the plugin
    if not close:
        return None
    if src.find("\t", sum(map(len, lines[: close + 1])) + close + 1) >= 0:
        return None  # a tab in the body: tabs expand to tab stops in markdown-it
    try:
        return _Scanner(lines, count, close).run()
    except _FallBackError:
        return None


_new_token = Token.__new__
# Every token gets these two empty mappings rather than two new dicts: they compare equal
# to {} (as_dict and == see no difference), the parser never writes to a block token's
# attrs or meta, and a writer would fail loudly instead of changing every token. Two dicts
# per token were half the allocations, and so half the garbage collector's runs.
_NO_ATTRS: Mapping[str, str | int | float] = MappingProxyType({})
_NO_META: Mapping[Any, Any] = MappingProxyType({})


def _token(
    kind: str,
    tag: str,
    nesting: Literal[-1, 0, 1],
    level: int,
    lines: list[int] | None,
    children: list[Token] | None,
    content: str,
    markup: str,
    hidden: bool,
) -> Token:
    """Token(kind, tag, nesting, ...) as StateBlock.push makes it (but see _NO_ATTRS), in
    half the time: no __init__, __post_init__ or defaults to look up."""
    token = _new_token(Token)
    token.type = kind
    token.tag = tag
    token.nesting = nesting
    token.attrs = _NO_ATTRS  # type: ignore[assignment]
    token.map = lines
    token.level = level
    token.children = children
    token.content = content
    token.markup = markup
    token.info = ""
    token.meta = _NO_META  # type: ignore[assignment]
    token.block = True
    token.hidden = hidden
    return token


def _leaf_block(
    opening: str,
    closing: str,
    tag: str,
    level: int,
    first: int,
    end: int,
    text: str,
    markup: str = "",
) -> tuple[Token, Token, Token]:
    """A paragraph's or heading's three tokens: open, inline, close."""
    return (
        _token(opening, tag, 1, level, [first, end], None, "", markup, False),
        _token("inline", "", 0, level + 1, [first, end], [], text, "", False),
        _token(closing, tag, -1, level, None, None, "", markup, False),
    )


# `_token` sets every field Token has; should a markdown-it release add one, the scanner
# stands down rather than make tokens without it.
_KNOWN_FIELDS = tuple(f.name for f in dataclasses.fields(Token)) == (
    "type", "tag", "nesting", "attrs", "map", "level", "children", "content", "markup", "info",
    "meta", "block", "hidden",
)  # fmt: skip


class _Scanner:
    """markdown-it's StateBlock and block rules for the constructs above.

    `indent` is StateBlock.sCount (and tShift: only spaces). A list item's first line is
    not rewritten to start past its marker (list.py does that to run the rules on the
    content): the first block of an item is always a paragraph, read by `_paragraph`
    directly, and nothing after it looks at that line's indent or kind again.
    """

    __slots__ = (
        "blk_indent",
        "close",
        "indent",
        "kind",
        "level",
        "line",
        "line_max",
        "lines",
        "list_indent",
        "number",
        "paragraphs",
        "string",
        "tight",
        "tokens",
    )

    def __init__(self, lines: list[str], count: int, close: int) -> None:
        self.lines = lines
        self.close = close
        self.line_max = count
        # Front matter lines (never looked at past the rule) count as text; one fake empty
        # line at the end, as StateBlock has.
        kind = self.kind = [_TEXT] * (count + 1)
        indent = self.indent = [0] * (count + 1)
        # (number, string) per line: _classify's; the defaults are those of the usual item
        # "- text", so that the loop below only has to set its kind.
        number = self.number = [1] * (count + 1)
        string = self.string = ["-"] * (count + 1)
        kind[count] = _EMPTY
        special = _SPECIAL_STARTS
        odd = _ODD_SPACE
        for index in range(close + 1, count):
            line = lines[index]
            text = line.lstrip(" ")
            if not text:
                kind[index] = _EMPTY
                continue
            end = text[-1]
            if end == " ":
                end = text.rstrip(" ")[-1]
            if end in odd:
                raise _FallBackError  # odd space where markdown-it would trim it off a content
            indent[index] = len(line) - len(text)
            first = text[0]
            if first not in special:
                continue  # _TEXT
            if first == "-" and text[1:2] == " " and text[2:3] not in _NOT_PLAIN:
                kind[index] = _BULLET  # the usual item (number and string: the defaults)
            else:
                kind[index], number[index], string[index] = _classify(text)
        self.blk_indent = 0
        self.list_indent = -1
        self.level = 0
        self.line = 0
        self.tight = False
        self.tokens: list[Token] = []
        # The paragraphs directly in the items of the list being read (what markList's
        # markTightParagraphs looks for), so a tight list need not search its tokens.
        self.paragraphs: list[tuple[Token, Token, Token]] | None = None

    def run(self) -> list[Token]:
        self._tokenize(0, self.line_max, False)
        return self.tokens

    def _tokenize(self, line: int, end: int, has_empty_lines: bool) -> None:
        """ParserBlock.tokenize (`has_empty_lines`: see `_bullet_list`)."""
        kind = self.kind
        indent = self.indent
        line_max = self.line_max
        while line < end:
            while line < line_max and kind[line] == _EMPTY:
                line += 1
            self.line = line
            if line >= end or indent[line] < self.blk_indent:
                break
            if self.level >= _MAX_NESTING:
                raise _FallBackError
            if line == 0:
                self._front_matter()
            elif indent[line] - self.blk_indent >= 4:
                raise _FallBackError  # indented code
            elif kind[line] == _BULLET:
                self._bullet_list(line, end)
            elif kind[line] == _HEADING:
                self._heading(line)
            else:
                self._paragraph(line)
            self.tight = not has_empty_lines
            line = self.line
            if line - 1 < end and kind[line - 1] == _EMPTY:
                has_empty_lines = True
            if line < end and kind[line] == _EMPTY:
                has_empty_lines = True
                line += 1
                self.line = line

    def _front_matter(self) -> None:
        self.line = self.close + 1
        content = "\n".join(self.lines[1 : self.close])
        self.tokens.append(
            _token("front_matter", "", 0, 0, [0, self.line], None, content, "---", True)
        )

    def _heading(self, line: int) -> None:
        size = self.number[line]
        markup = "#" * size
        tag = f"h{size}"
        level = self.level
        self.line = line + 1
        self.tokens += _leaf_block(
            "heading_open", "heading_close", tag, level, line, line + 1, self.string[line], markup
        )

    def _paragraph(self, first: int) -> int:
        """paragraph.py (lheading.py never matches: no underline gets this far)."""
        kind = self.kind
        indent = self.indent
        blk_indent = self.blk_indent
        line = first + 1
        line_max = self.line_max
        while line < line_max:
            line_kind = kind[line]
            if line_kind == _EMPTY:
                break
            spaces = indent[line]
            if spaces - blk_indent > 3:
                line += 1  # a lazy continuation, whatever it holds
                continue
            if line_kind == _BULLET:
                if self.list_indent >= 0 and spaces - self.list_indent >= 4 and spaces < blk_indent:
                    raise _FallBackError  # list.py's special case: a lazy continuation
                break
            if line_kind == _HEADING:
                break
            if spaces < blk_indent:
                raise _FallBackError  # a lazy continuation line in a list item
            line += 1
        # getLines(first, line, blk_indent): every line is indented at least blk_indent
        # (an item's first line up to its content), so the cut is the same on each.
        if line == first + 1:
            content = self.lines[first][blk_indent:].strip(" ")
        else:
            content = "\n".join([text[blk_indent:] for text in self.lines[first:line]]).strip(" ")
        self.line = line
        level = self.level
        tokens = _leaf_block("paragraph_open", "paragraph_close", "p", level, first, line, content)
        self.tokens += tokens
        if self.paragraphs is not None:
            self.paragraphs.append(tokens)
        return line

    def _bullet_list(self, first: int, end: int) -> None:
        """list.py for bullet lists."""
        kind = self.kind
        indent = self.indent
        number = self.number
        string = self.string
        tokens = self.tokens
        marker = string[first]
        level = self.level
        list_lines = [first, 0]
        tokens.append(
            _token("bullet_list_open", "ul", 1, level, list_lines, None, "", marker, False)
        )
        if level + 2 >= _MAX_NESTING:
            raise _FallBackError
        line = first
        prev_empty_end = False
        tight = True
        blk_indent = self.blk_indent
        old_list_indent = self.list_indent
        old_tight = self.tight
        old_paragraphs = self.paragraphs
        paragraphs: list[tuple[Token, Token, Token]] = []
        # The state every item is read in (list.py sets it per item; a nested list puts
        # back what it changes, so once is enough); blk_indent is the item's own.
        self.level = level + 2
        self.list_indent = blk_indent
        self.paragraphs = paragraphs
        while line < end:
            item_indent = indent[line] + 1 + number[line]
            item_lines = [line, 0]
            tokens.append(
                _token("list_item_open", "li", 1, level + 1, item_lines, None, "", marker, False)
            )
            self.blk_indent = item_indent
            # The item's tokenize: its first block is the paragraph on the marker's line
            # (the content is _TEXT), then whatever follows at the item's indent.
            after = self._paragraph(line)
            self.tight = True
            if after < end:
                if kind[after] == _EMPTY:
                    self.line = after + 1
                    self._tokenize(after + 1, end, True)
                elif indent[after] >= item_indent:
                    self._tokenize(after, end, False)
            if not self.tight or prev_empty_end:
                tight = False
            line = self.line
            prev_empty_end = line - item_lines[0] > 1 and kind[line - 1] == _EMPTY
            tokens.append(
                _token("list_item_close", "li", -1, level + 1, None, None, "", marker, False)
            )
            item_lines[1] = line
            if line >= end or indent[line] < blk_indent:
                break
            if indent[line] - blk_indent >= 4:
                break
            if kind[line] != _BULLET or string[line] != marker:
                break
        self.blk_indent = blk_indent
        self.list_indent = old_list_indent
        self.tight = old_tight
        self.paragraphs = old_paragraphs
        tokens.append(_token("bullet_list_close", "ul", -1, level, None, None, "", marker, False))
        self.level = level
        list_lines[1] = line
        self.line = line
        if tight:  # markTightParagraphs
            for opening, _, closing in paragraphs:
                opening.hidden = closing.hidden = True
