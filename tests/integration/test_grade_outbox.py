"""The grade outbox against a platform that fails: 500, 429, 401, timeouts, or is down,
then recovers. Every score arrives exactly once; a final error is kept with its reason."""

from __future__ import annotations

import socket
from urllib.parse import urljoin

import pytest
import requests
from sqlalchemy import select, update

from lti_app.db import session_scope
from lti_app.lti import service_client
from lti_app.models import GradeOutbox, Platform, utcnow
from lti_app.services import grading
from lti_app.services.grading import send_due
from scenarios import load_scenario
from tests.conftest import CONTENT_DIR, Lms, RunningTool
from tests.integration.test_play_flow import CASE_ID, choose
from tests.support.browser import Browser, parse
from tests.support.cases import walk


def finish_case(tool: RunningTool, lms: Lms, persona: str = "kari") -> None:
    case = load_scenario(CONTENT_DIR / "scenarios" / f"{CASE_ID}.md")
    browser = Browser()
    browser.get(f"{lms.url}/activity/{CASE_ID}?persona={persona}")
    browser.get(urljoin(browser.page.url, parse(browser.html).iframes[0]))
    browser.follow_autopost()
    for choice in walk(case, "best"):
        choose(browser, choice.text)
    assert "Bestått" in browser.html


def rows(tool: RunningTool) -> list[GradeOutbox]:
    with session_scope(tool.engine) as db:
        return list(db.scalars(select(GradeOutbox).order_by(GradeOutbox.id)))


def time_passes(tool: RunningTool) -> None:
    """Make every waiting row due now, as if its backoff had elapsed (a controlled clock)."""
    with session_scope(tool.engine) as db:
        db.execute(update(GradeOutbox).where(GradeOutbox.status == "pending")
                   .values(next_try_at=utcnow()))


@pytest.mark.parametrize("failures", [[500], [429], [500, 503, 500], [401]])
def test_score_arrives_exactly_once_after_platform_errors(
    tool: RunningTool, lms: Lms, failures: list[int]
) -> None:
    finish_case(tool, lms)
    lms.faults(scores=failures)
    for _ in range(len(failures) + 2):
        send_due(tool.engine)
        time_passes(tool)
    assert [r.status for r in rows(tool)] == ["sent", "sent"]
    completed = lms.deliveries("Completed")
    assert len(completed) == 1, completed
    gradebook = requests.get(f"{lms.url}/gradebook.json", timeout=10).json()["rows"]
    assert [r["score_given"] for r in gradebook if r["activity_progress"] == "Completed"] == [100]


def test_retry_waits_longer_each_time_and_honours_retry_after(tool: RunningTool, lms: Lms) -> None:
    finish_case(tool, lms)
    lms.faults(scores=[500, 500, 500, 500])  # both rows fail twice
    send_due(tool.engine)
    first = rows(tool)[0]
    assert first.status == "pending" and first.tries == 1 and "HTTP 500" in (first.last_error or "")
    wait_1 = (first.next_try_at - utcnow()).total_seconds()
    time_passes(tool)
    send_due(tool.engine)
    second = rows(tool)[0]
    assert second.tries == 2
    wait_2 = (second.next_try_at - utcnow()).total_seconds()
    assert 3 <= wait_1 <= 7 and wait_2 > wait_1
    assert grading.backoff(3, retry_after=120) >= 120


def test_platform_down_for_a_while_then_back(tool: RunningTool, lms: Lms) -> None:
    finish_case(tool, lms)
    lms.down()
    for _ in range(5):
        send_due(tool.engine)
        time_passes(tool)
    assert all(r.status == "pending" and r.tries == 5 for r in rows(tool))
    assert "Connection refused" in (rows(tool)[0].last_error or "") or rows(tool)[0].last_error
    lms.up()
    send_due(tool.engine)
    assert [r.status for r in rows(tool)] == ["sent", "sent"]
    assert len(lms.deliveries("Completed")) == 1


def test_platform_that_never_answers_times_out_and_is_retried(
    tool: RunningTool, lms: Lms, monkeypatch: pytest.MonkeyPatch
) -> None:
    finish_case(tool, lms)
    monkeypatch.setattr(service_client, "TIMEOUT", (0.5, 0.5))
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        with session_scope(tool.engine) as db:
            platform = db.scalars(select(Platform).where(Platform.issuer == lms.url)).one()
            real_token_url = platform.auth_token_url
            platform.auth_token_url = f"http://127.0.0.1:{silent.getsockname()[1]}/token"
        send_due(tool.engine)
    assert all(r.status == "pending" and "timed out" in (r.last_error or "").lower()
               for r in rows(tool))
    with session_scope(tool.engine) as db:
        db.scalars(select(Platform).where(Platform.issuer == lms.url)).one().auth_token_url = (
            real_token_url)
    time_passes(tool)
    send_due(tool.engine)
    assert [r.status for r in rows(tool)] == ["sent", "sent"]
    assert len(lms.deliveries("Completed")) == 1


def test_final_errors_are_kept_with_their_reason_and_not_retried(
    tool: RunningTool, lms: Lms
) -> None:
    finish_case(tool, lms)
    with session_scope(tool.engine) as db:  # the LMS no longer knows this person
        db.execute(update(GradeOutbox).values(user_sub="left-the-course"))
    send_due(tool.engine)
    failed = rows(tool)
    assert [r.status for r in failed] == ["failed", "failed"]
    assert all("HTTP 400" in (r.last_error or "") for r in failed)
    time_passes(tool)
    assert send_due(tool.engine) == 0


def test_backoff_keeps_trying_well_past_an_hour_down() -> None:
    waited = sum(grading.backoff(t) / 1.2 * 0.8 for t in range(1, grading.MAX_TRIES))
    assert waited > 6 * 3600


def test_line_item_is_found_when_the_launch_named_only_the_container(
    tool: RunningTool, lms: Lms
) -> None:
    finish_case(tool, lms)
    original = rows(tool)[0].lineitem_url
    assert original and rows(tool)[0].lineitems_url
    with session_scope(tool.engine) as db:  # as if the platform sent only "lineitems"
        db.execute(update(GradeOutbox).values(lineitem_url=None))
    send_due(tool.engine)
    assert [(r.status, r.lineitem_url) for r in rows(tool)] == [("sent", original)] * 2
    assert len(lms.deliveries("Completed")) == 1
