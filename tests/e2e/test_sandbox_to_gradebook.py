"""A person clicks through a sandbox LMS launch, the whole case, and sees the gradebook."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from scenarios import load_scenario
from tests.conftest import CONTENT_DIR, RunningTool
from tests.support.cases import walk

CASE_ID = "beruset-forelder"
pytestmark = pytest.mark.e2e


def test_launch_play_whole_case_and_see_score_in_gradebook(
    page: Page, tool: RunningTool, worker: None
) -> None:
    case = load_scenario(CONTENT_DIR / "scenarios" / f"{CASE_ID}.md")
    page.goto(f"{tool.sandbox_url}/")
    activity = page.get_by_role("article").filter(
        has=page.get_by_role("heading", name=case.title, exact=True))
    activity.get_by_role("link", name="Åpne som Kari Nordmann").click()
    player = page.frame_locator("iframe.tool")
    expect(player.get_by_role("heading", level=1)).to_have_text(case.nodes[case.start].title)

    for choice in walk(case, "best"):
        player.get_by_role("button", name=choice.text, exact=True).click()
        expect(player.get_by_role("heading", name="Tilbakemelding på valget ditt")).to_be_visible()

    expect(player.get_by_test_id("score")).to_contain_text("100 av 100")
    expect(player.get_by_text("Bestått. Du fulgte prosedyren.")).to_be_visible()

    page.goto(f"{tool.sandbox_url}/gradebook")
    row = page.get_by_role("row").filter(has_text="Kari Nordmann").filter(has_text="Completed")
    for _ in range(40):
        if row.count():
            break
        page.wait_for_timeout(250)
        page.reload()
    expect(row).to_contain_text("100")
    expect(row).to_contain_text("FullyGraded")


def test_player_pages_have_no_accessibility_violations(page: Page, tool: RunningTool) -> None:
    case = load_scenario(CONTENT_DIR / "scenarios" / f"{CASE_ID}.md")
    # "Open in a new window": the player as a top-level page, as axe needs it.
    page.goto(f"{tool.sandbox_url}/launch/{CASE_ID}?persona=kari&target=window")
    expect(page.get_by_role("heading", level=1)).to_have_text(case.nodes[case.start].title)
    axe = Axe()
    assert axe.run(page).violations_count == 0, axe.run(page).generate_report()
    for choice in walk(case, "best"):
        page.get_by_role("button", name=choice.text, exact=True).click()
    expect(page.get_by_test_id("score")).to_be_visible()
    result = axe.run(page)
    assert result.violations_count == 0, result.generate_report()


def test_leader_overview_has_no_accessibility_violations(page: Page, tool: RunningTool) -> None:
    page.goto(f"{tool.sandbox_url}/launch/{CASE_ID}?persona=lise&target=window")
    expect(page.get_by_role("heading", name="Deltakere")).to_be_visible()
    result = Axe().run(page)
    assert result.violations_count == 0, result.generate_report()
