"""A case from sandbox LMS launch to the gradebook, over real HTTP on 127.0.0.1."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from urllib.parse import urljoin

import pytest
import requests
from sqlalchemy import func, select

from lti_app.db import session_scope
from lti_app.models import Attempt, Decision, GradeOutbox
from lti_app.services.grading import send_due
from scenarios import load_scenario
from tests.conftest import CONTENT_DIR, RunningTool, serve_tool
from tests.support.browser import Browser, parse
from tests.support.cases import walk

CASE_ID = "beruset-forelder"


def launch(tool: RunningTool, persona: str, case_id: str = CASE_ID) -> Browser:
    """Open the activity in the sandbox course as ``persona`` and follow the LTI launch."""
    browser = Browser()
    browser.get(f"{tool.sandbox_url}/activity/{case_id}?persona={persona}")
    iframe_src = parse(browser.html).iframes[0]
    browser.get(urljoin(browser.page.url, iframe_src))
    browser.follow_autopost()
    return browser


def choose(browser: Browser, text: str) -> None:
    form = next(f for f in browser.forms() if f.buttons)
    button = next(b for b in form.buttons if b[2] == text)
    browser.submit(form, button=(button[0], button[1]))


def count(tool: RunningTool, model: type, **where: object) -> int:
    with session_scope(tool.engine) as db:
        return int(db.scalar(select(func.count()).select_from(model).filter_by(**where)) or 0)


def gradebook(tool: RunningTool) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = requests.get(
        f"{tool.sandbox_url}/gradebook.json", timeout=10
    ).json()["rows"]
    return rows


def test_learner_plays_best_path_and_score_reaches_gradebook(tool: RunningTool) -> None:
    case = load_scenario(CONTENT_DIR / "scenarios" / f"{CASE_ID}.md")
    browser = launch(tool, "kari")
    assert re.search(r"/play/[0-9a-f-]{36}$", browser.page.url), browser.page.url
    assert case.nodes[case.start].title in browser.html

    for choice in walk(case, "best"):
        choose(browser, choice.text)
        assert browser.page.status_code == 200
    assert "100" in browser.html and "Bestått" in browser.html
    assert "sendes til kurset" in browser.html

    # The worker delivers Started and Completed; the LMS shows the final score.
    assert send_due(tool.engine) == 2
    rows = [r for r in gradebook(tool) if r["activity_progress"] == "Completed"]
    assert len(rows) == 1
    assert rows[0]["score_given"] == 100 and rows[0]["grading_progress"] == "FullyGraded"
    browser.get(browser.page.url)
    assert "Resultatet er registrert i kurset" in browser.html


def test_critical_choice_fails_whatever_the_points(tool: RunningTool) -> None:
    case = load_scenario(CONTENT_DIR / "scenarios" / f"{CASE_ID}.md")
    browser = launch(tool, "ola")
    path = walk(case, "critical")
    for choice in path:
        choose(browser, choice.text)
    assert "Ikke bestått" in browser.html and "kritisk feil" in browser.html
    send_due(tool.engine)
    completed = [r for r in gradebook(tool) if r["activity_progress"] == "Completed"]
    assert completed and completed[0]["score_given"] < case.pass_mark


def test_double_submit_and_back_button_count_once(tool: RunningTool) -> None:
    case = load_scenario(CONTENT_DIR / "scenarios" / f"{CASE_ID}.md")
    browser = launch(tool, "kari")
    form = next(f for f in browser.forms() if f.buttons)
    first = walk(case, "best")[0]
    button = next(b for b in form.buttons if b[2] == first.text)
    browser.submit(form, button=(button[0], button[1]))
    browser.submit(form, button=(button[0], button[1]))  # the same stale page again
    assert "var ikke lenger den nyeste" in browser.html
    assert count(tool, Decision) == 1


def test_replayed_launch_is_rejected_and_writes_nothing(tool: RunningTool) -> None:
    browser = Browser()
    browser.get(f"{tool.sandbox_url}/activity/{CASE_ID}?persona=kari")
    browser.get(urljoin(browser.page.url, parse(browser.html).iframes[0]))
    browser.submit()  # login initiation -> tool -> sandbox auth: the id_token form
    id_token_form = browser.forms()[0]
    assert "id_token" in id_token_form.fields
    browser.submit(id_token_form)
    assert "/play/" in browser.page.url
    attempts = count(tool, Attempt)

    replay = browser.http.post(f"{tool.url}/lti/launch", data=id_token_form.fields, timeout=10)
    assert replay.status_code == 401
    assert "Last inn kurssiden på nytt" in replay.text
    assert count(tool, Attempt) == attempts


def test_instructor_sees_overview_and_learner_cannot(tool: RunningTool) -> None:
    learner = launch(tool, "kari")
    leader = launch(tool, "lise")
    assert "/activity/" in leader.page.url and "Deltakere" in leader.html
    assert "Kari Nordmann" in leader.html
    overview = leader.page.url
    denied = learner.http.get(overview, timeout=10)
    assert denied.status_code == 403
    other_attempt = learner.page.url
    assert leader.http.get(other_attempt, timeout=10).status_code == 404


def test_choice_without_csrf_token_is_refused(tool: RunningTool) -> None:
    browser = launch(tool, "kari")
    form = next(f for f in browser.forms() if f.buttons)
    browser.submit(form, button=(form.buttons[0][0], form.buttons[0][1]), csrf_token="forged")
    assert browser.page.status_code == 400
    assert count(tool, Decision) == 0
    assert count(tool, GradeOutbox, activity_progress="Completed") == 0


def test_activity_pointing_at_a_broken_case_gives_a_clear_message(
    migrated_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    content = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, content)
    broken = content / "scenarios" / "ødelagt.md"
    good = (content / "scenarios" / f"{CASE_ID}.md").read_text(encoding="utf-8")
    broken.write_text(good.replace(f"id: {CASE_ID}", "id: odelagt").replace(
        "(#", "(#mangler-", 1), encoding="utf-8")
    with serve_tool(migrated_url, tmp_path, content_dir=content) as tool:
        assert any("ødelagt.md:" in r.getMessage() and "error" in r.getMessage()
                   for r in caplog.records), "the checker's errors are logged with file:line"
        assert CASE_ID in tool.app.extensions["stegvis.catalogue"].cases  # others still served
        learner = launch(tool, "kari", case_id="ødelagt")
        assert learner.page.status_code == 409
        assert "Caset er ikke tilgjengelig" in learner.html and "Traceback" not in learner.html
        leader = launch(tool, "lise", case_id="ødelagt")
        assert leader.page.status_code == 200
        assert "kan ikke vises" in leader.html and "ødelagt.md:" in leader.html
