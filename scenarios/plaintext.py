"""Author Markdown as readable plain text, for the terminal (`stegvis play`).

The web player renders HTML through scenarios/render.py; a terminal needs the same text
without markup: paragraphs wrapped, lists with bullets or numbers, links with their
address after the text. Placeholders are filled from the profile first, each value
escaped so it stays text. Control characters are dropped, so a case file cannot move the
cursor or recolour an author's terminal.
"""

from __future__ import annotations

import functools
import textwrap
import unicodedata

from markdown_it import MarkdownIt
from markdown_it.token import Token

from scenarios.profiles import Profile
from scenarios.render import escape_markdown


@functools.cache
def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False})


def _clean(text: str) -> str:
    return "".join(ch for ch in text if ch == "\n" or unicodedata.category(ch) != "Cc")


def _inline(token: Token) -> str:
    parts: list[str] = []
    href = ""
    for child in token.children or []:
        if child.type in ("text", "code_inline", "html_inline"):
            parts.append(child.content)
        elif child.type == "softbreak":
            parts.append(" ")
        elif child.type == "hardbreak":
            parts.append("\n")
        elif child.type == "link_open":
            href = str(child.attrGet("href") or "")
        elif child.type == "link_close" and href and not href.startswith("#"):
            parts.append(f" ({href})")
            href = ""
        elif child.type == "image":
            parts.append(child.content)
    return "".join(parts)


def markdown_to_text(text: str, profile: Profile | None = None, width: int = 78) -> str:
    """Return Markdown as wrapped plain text, placeholders filled from the profile."""
    source = profile.fill(text, escape=escape_markdown) if profile is not None else text
    tokens = _markdown().parse(source)
    # (separator before, text): items of a tight list follow each other line by line.
    blocks: list[tuple[str, str]] = []
    # One entry per open list: (ordered, next number); and the prefix waiting for the
    # first paragraph of the current list item.
    lists: list[tuple[bool, int]] = []
    pending_prefix = ""
    quote_depth = 0
    list_just_opened = False

    def emit(body: str, tight: bool) -> None:
        nonlocal pending_prefix
        indent = "  " * max(len(lists) - 1, 0) + "> " * quote_depth
        first = indent + pending_prefix
        rest = indent + " " * len(pending_prefix)
        lines: list[str] = []
        for number, hard_line in enumerate(body.split("\n")):
            lines += textwrap.wrap(
                hard_line,
                width=max(width, 20),
                initial_indent=first if number == 0 else rest,
                subsequent_indent=rest,
                break_on_hyphens=False,
            ) or [first.rstrip()]
        pending_prefix = ""
        blocks.append(("\n" if tight else "\n\n", "\n".join(lines)))

    for index, token in enumerate(tokens):
        if token.type in ("bullet_list_open", "ordered_list_open"):
            start = int(token.attrGet("start") or 1)
            lists.append((token.type == "ordered_list_open", start))
            list_just_opened = len(lists) == 1  # a top-level list stands apart from the text
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif token.type == "list_item_open" and lists:
            ordered, number = lists[-1]
            pending_prefix = f"{number}. " if ordered else "• "
            lists[-1] = (ordered, number + 1)
        elif token.type == "blockquote_open":
            quote_depth += 1
        elif token.type == "blockquote_close":
            quote_depth -= 1
        elif token.type == "inline" and index > 0:
            opener = tokens[index - 1]
            body = _inline(token)
            if opener.type == "heading_open":
                body = body.upper() if len(body) < 60 else body
            emit(body, tight=opener.hidden and not list_just_opened)
            list_just_opened = False
        elif token.type in ("fence", "code_block"):
            blocks.append(("\n\n", textwrap.indent(token.content.rstrip("\n"), "    ")))
        elif token.type == "hr":
            blocks.append(("\n\n", "—" * 20))
    return _clean("".join(sep + text for sep, text in blocks).lstrip("\n"))


def fill_text(text: str, profile: Profile | None = None) -> str:
    """Fill placeholders in a plain text (a title or a choice) for the terminal."""
    return _clean(profile.fill(text) if profile is not None else text)
