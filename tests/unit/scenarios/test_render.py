"""Rendering: the only HTML producer is safe against hostile Markdown (B.6 row 10)."""

from __future__ import annotations

from html.parser import HTMLParser
from types import MappingProxyType

import pytest

from scenarios import Profile, render_markdown, render_text

PAYLOADS = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "[klikk](javascript:alert(1))",
    "[klikk](JaVaScRiPt:alert(1))",
    "[klikk](  javascript:alert(1))",
    "[klikk](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[klikk](vbscript:msgbox(1))",
    "[klikk](file:///etc/passwd)",
    "<javascript:alert(1)>",
    "![bilde](https://example.org/x.png)",
    '[x](https://example.org "a\\" onmouseover=\\"alert(1)")',
    "<a href='javascript:alert(1)'>x</a>",
    "<svg/onload=alert(1)>",
    "`<script>`",
    "[x](http://example.org)",
]


class _Tags(HTMLParser):
    """Collect every element and attribute the browser would see."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def assert_safe(html: str) -> None:
    parser = _Tags()
    parser.feed(html)
    for tag, attrs in parser.tags:
        assert tag in {"p", "a", "em", "strong", "code", "ul", "ol", "li", "h1", "h2"}, html
        assert not [name for name in attrs if name.startswith("on")], html
        assert set(attrs) <= {"href", "rel", "target", "title"}, html
        if tag == "a":
            assert (attrs["href"] or "").startswith(("https://", "#")), html
            assert attrs["rel"] == "noopener noreferrer"
    assert "<script" not in html.lower()


@pytest.mark.parametrize("payload", PAYLOADS)
def test_hostile_markdown_renders_inert(payload: str) -> None:
    assert_safe(render_markdown(payload))


def test_allowed_links_get_rel_and_open_outside_the_iframe() -> None:
    html = render_markdown("Se [Udir](https://www.udir.no/) og [steg 2](#steg-2).")
    assert (
        '<a href="https://www.udir.no/" rel="noopener noreferrer" target="_blank">Udir</a>' in html
    )
    assert '<a href="#steg-2" rel="noopener noreferrer">steg 2</a>' in html


def test_plain_http_link_is_not_a_link() -> None:
    assert "<a " not in render_markdown("[x](http://example.org)")


def test_ordinary_markdown_still_works() -> None:
    assert (
        render_markdown("Et *viktig* **ord**.")
        == "<p>Et <em>viktig</em> <strong>ord</strong>.</p>\n"
    )


def profile(**values: object) -> Profile:
    return Profile("test", "Test", MappingProxyType({"x": MappingProxyType(values)}))


@pytest.mark.parametrize(
    "value",
    [
        "<script>alert(1)</script>",
        '"><img src=x onerror=alert(1)>',
        "[lur](javascript:alert(1))",
        "*fet* `kode` # overskrift\n- liste",
        "&lt;script&gt;",
    ],
)
def test_placeholder_values_are_escaped_and_cannot_become_markup(value: str) -> None:
    html = render_markdown("Ring {x.v} nå.", profile(v=value))
    assert_safe(html)
    assert "<em>" not in html and "<code>" not in html and "<h1>" not in html and "<li>" not in html
    assert html.startswith("<p>Ring ") and html.endswith(" nå.</p>\n")


def test_placeholder_value_keeps_its_text() -> None:
    assert render_markdown("Ring {x.v}.", profile(v="64 98 02 12 (08.00–15.00)")) == (
        "<p>Ring 64 98 02 12 (08.00–15.00).</p>\n"
    )


def test_unknown_placeholder_stays_visible() -> None:
    assert render_markdown("Ring {barnevern.telefon}.", profile()) == (
        "<p>Ring {barnevern.telefon}.</p>\n"
    )


def test_render_text_escapes_choice_text() -> None:
    assert render_text("<b>{x.v}</b>", profile(v="<i>")) == "&lt;b&gt;&lt;i&gt;&lt;/b&gt;"
