"""A small HTTP 'browser' for integration tests: follows redirects, keeps cookies, submits
the forms a page contains (the LTI auto-post forms included). Real HTTP, no mocks."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin

import requests


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)
    buttons: list[tuple[str, str, str]] = field(default_factory=list)  # (name, value, text)


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self.iframes: list[str] = []
        self._button: tuple[str, str] | None = None
        self._button_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(Form(a.get("action", ""), a.get("method", "get").lower()))
        elif tag == "input" and self.forms and a.get("name"):
            self.forms[-1].fields[a["name"]] = a.get("value", "")
        elif tag == "button" and self.forms:
            self._button = (a.get("name", ""), a.get("value", ""))
            self._button_text = []
        elif tag == "iframe":
            self.iframes.append(a.get("src", ""))

    def handle_data(self, data: str) -> None:
        if self._button is not None:
            self._button_text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "button" and self._button is not None and self.forms:
            name, value = self._button
            text = " ".join("".join(self._button_text).split())
            self.forms[-1].buttons.append((name, value, text))
            self._button = None


def parse(html: str) -> _FormParser:
    parser = _FormParser()
    parser.feed(html)
    return parser


class Browser:
    def __init__(self) -> None:
        self.http = requests.Session()
        self.page: requests.Response | None = None

    def get(self, url: str) -> requests.Response:
        self.page = self.http.get(url, timeout=30)
        return self.page

    @property
    def html(self) -> str:
        assert self.page is not None
        return self.page.text

    def forms(self) -> list[Form]:
        return parse(self.html).forms

    def submit(self, form: Form | None = None, button: tuple[str, str] | None = None,
               **overrides: str) -> requests.Response:
        """Submit ``form`` (default: the page's first form), optionally via a named button."""
        assert self.page is not None
        form = form or self.forms()[0]
        data = dict(form.fields)
        if button:
            data[button[0]] = button[1]
        data.update(overrides)
        url = urljoin(self.page.url, form.action or self.page.url)
        if form.method == "post":
            self.page = self.http.post(url, data=data, timeout=30)
        else:
            self.page = self.http.get(url, params=data, timeout=30)
        return self.page

    def follow_autopost(self, limit: int = 5) -> requests.Response:
        """Submit auto-posting LTI forms (login initiation, id_token form_post) as a browser's
        script would, until a page without one is reached."""
        for _ in range(limit):
            forms = self.forms()
            if not forms or 'id="lti-form-post"' not in self.html:
                break
            self.submit(forms[0])
        assert self.page is not None
        return self.page
