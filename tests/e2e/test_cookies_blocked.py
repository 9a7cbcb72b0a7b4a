"""A launch and a whole case when the browser sends the tool no cookies at all (Safari's
default inside an LMS iframe): the state is proved through the platform's storage frame,
and the player keeps going on a play token. Cookies to and from the tool are stripped."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from playwright.sync_api import Page, Route, expect

from scenarios import load_scenario
from tests.conftest import CONTENT_DIR, Lms, RunningTool
from tests.support.cases import walk

CASE_ID = "beruset-forelder"
pytestmark = pytest.mark.e2e


@pytest.fixture
def lms_settings() -> dict[str, object]:
    return {"platform_storage": True}


def block_tool_cookies(page: Page, tool_url: str) -> list[str]:
    """Strip Cookie from every request to the tool and Set-Cookie from its answers."""
    seen: list[str] = []

    def handle(route: Route) -> None:
        # Sent with requests, not route.fetch(): Playwright's fetch shares the browser
        # context's cookie jar and would quietly send the cookies back.
        request = route.request
        headers = {k: v for k, v in request.headers.items() if k.lower() != "cookie"}
        response = requests.request(request.method, request.url, headers=headers,
                                    data=request.post_data_buffer, allow_redirects=False,
                                    timeout=30)
        answer: dict[str, Any] = {k: v for k, v in response.headers.items()
                                  if k.lower() not in {"set-cookie", "content-encoding",
                                                       "content-length", "transfer-encoding"}}
        seen.append(request.url)
        route.fulfill(status=response.status_code, headers=answer, body=response.content)

    page.route(f"{tool_url}/**", handle)
    return seen


def test_case_is_played_to_the_gradebook_without_tool_cookies(
    page: Page, tool: RunningTool, lms: Lms, worker: None
) -> None:
    case = load_scenario(CONTENT_DIR / "scenarios" / f"{CASE_ID}.md")
    seen = block_tool_cookies(page, tool.url)
    page.goto(f"{lms.url}/activity/{CASE_ID}?persona=kari")
    player = page.frame_locator("iframe.tool")
    expect(player.get_by_role("heading", level=1)).to_have_text(
        case.nodes[case.start].title, timeout=15000)
    assert any("/lti/launch/confirm" in url for url in seen), "state came via platform storage"

    for choice in walk(case, "best"):
        player.get_by_role("button", name=choice.text, exact=True).click()
        expect(player.get_by_role("heading", name="Tilbakemelding på valget ditt")).to_be_visible()
    expect(player.get_by_test_id("score")).to_contain_text("100 av 100")

    page.goto(f"{lms.url}/gradebook")
    row = page.get_by_role("row").filter(has_text="Kari Nordmann").filter(has_text="Completed")
    for _ in range(40):
        if row.count():
            break
        page.wait_for_timeout(250)
        page.reload()
    expect(row).to_contain_text("100")


def test_without_platform_storage_or_cookies_the_learner_is_told_what_to_do(
    page: Page, tool: RunningTool
) -> None:
    block_tool_cookies(page, tool.url)
    page.goto(f"{tool.sandbox_url}/activity/{CASE_ID}?persona=kari")
    player = page.frame_locator("iframe.tool")
    expect(player.get_by_text("Last inn kurssiden på nytt")).to_be_visible(timeout=15000)
