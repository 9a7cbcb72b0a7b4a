"""The one place that turns content into HTML (research B.6 row 10; house style 10).

markdown-it-py's "js-default" preset has raw HTML off, so `<script>` and `<img onerror>`
come out as text. Links are allow-listed (https and in-page anchors only: no
`javascript:`, `data:`, `vbscript:`, `file:` or relative paths), every link gets
`rel="noopener noreferrer"`, and images are off (an external image would report the
learner's address to a third party). Placeholders are filled from the profile *before*
rendering, and each filled value is backslash-escaped so it can only ever be text.
"""

from __future__ import annotations

import functools
import html
import string
from collections.abc import Sequence

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

from scenarios.profiles import Profile

_MARKDOWN_PUNCTUATION = frozenset(string.punctuation)
_ALLOWED_PREFIXES = ("https://", "#")


def _is_allowed_link(url: str) -> bool:
    """Allow https links and in-page anchors; refuse every other scheme and relative path."""
    return url.strip().lower().startswith(_ALLOWED_PREFIXES)


def _render_link_open(
    renderer: RendererHTML,
    tokens: Sequence[Token],
    idx: int,
    options: OptionsDict,
    env: EnvType,
) -> str:
    token = tokens[idx]
    token.attrSet("rel", "noopener noreferrer")
    if str(token.attrGet("href") or "").lower().startswith("https://"):
        # Inside the LMS iframe an outside page must open in its own tab.
        token.attrSet("target", "_blank")
    return renderer.renderToken(tokens, idx, options, env)


@functools.cache
def _markdown() -> MarkdownIt:
    md = MarkdownIt("js-default", {"html": False, "linkify": False, "typographer": False})
    md.disable("image")
    md.validateLink = _is_allowed_link  # type: ignore[method-assign]
    md.add_render_rule("link_open", _render_link_open)
    return md


def escape_markdown(value: str) -> str:
    """Make a value literal text in Markdown: one line, every ASCII punctuation escaped."""
    flat = " ".join(value.split())
    return "".join("\\" + ch if ch in _MARKDOWN_PUNCTUATION else ch for ch in flat)


def render_markdown(text: str, profile: Profile | None = None) -> str:
    """Render author Markdown to safe HTML, filling placeholders from the profile first."""
    source = profile.fill(text, escape=escape_markdown) if profile is not None else text
    html_text: str = _markdown().render(source)
    return html_text


def render_text(text: str, profile: Profile | None = None) -> str:
    """Fill placeholders in a plain text (a choice or a title) and escape it for HTML."""
    filled = profile.fill(text) if profile is not None else text
    return html.escape(filled, quote=True)
