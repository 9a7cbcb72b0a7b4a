"""LTI Advantage end to end against the sandbox LMS over real HTTP: an instructor adds a
case by Deep Linking and a learner's score reaches its line item; the roster is read with
paging; an admin registers Stegvis by Dynamic Registration and launches with it."""

from __future__ import annotations

import re
from urllib.parse import urljoin

import pytest
import requests
from sqlalchemy import select

from lti_app.db import session_scope
from lti_app.models import Platform
from lti_app.services.worker import one_round
from scenarios import load_profile, load_scenario
from tests.conftest import CONTENT_DIR, Lms, RunningTool
from tests.integration.test_play_flow import CASE_ID, choose
from tests.support.browser import Browser, parse
from tests.support.cases import walk


@pytest.fixture
def lms_settings() -> dict[str, object]:
    return {"extra_members": 120}


def open_iframe(browser: Browser, page_url: str) -> None:
    browser.get(page_url)
    browser.get(urljoin(browser.page.url, parse(browser.html).iframes[0]))
    browser.follow_autopost()


def test_instructor_adds_a_case_by_deep_linking_and_the_score_reaches_its_column(
    tool: RunningTool, lms: Lms
) -> None:
    leader = Browser()
    open_iframe(leader, f"{lms.url}/deeplink?persona=lise")
    assert "Legg til caser" in leader.html
    picker = parse(leader.html).forms[0]
    leader.submit(picker, case=CASE_ID, profile="vestby")
    leader.submit(leader.forms()[0])  # the tool's auto-posting form back to the LMS
    assert leader.page.status_code == 200, leader.html[:500]

    course = requests.get(f"{lms.url}/?persona=kari", timeout=10).text
    added = re.findall(r'href="([^"]*/activity/dl/\d+[^"]*)"', course)
    assert added, "the deep-linked activity is listed in the course"
    learner = Browser()
    open_iframe(learner, urljoin(lms.url + "/", added[0].replace("&amp;", "&")))
    assert "/play/" in learner.page.url
    case = load_scenario(CONTENT_DIR / "scenarios" / f"{CASE_ID}.md")
    vestby = load_profile(CONTENT_DIR / "profiles" / "vestby.yaml")
    for choice in walk(case, "best"):
        choose(learner, vestby.fill(choice.text))  # the activity carries profile=vestby
    assert "Bestått" in learner.html
    one_round(tool.engine)
    completed = lms.deliveries("Completed")
    assert len(completed) == 1 and completed[0]["score"]["scoreGiven"] == 100
    # It went to the line item the Deep Linking response created, not a new one.
    items = requests.get(f"{lms.url}/gradebook.json", timeout=10).json()["rows"]
    assert any(r["activity_progress"] == "Completed" and r["score_given"] == 100 for r in items)


def test_leader_sees_the_whole_roster_read_page_by_page(tool: RunningTool, lms: Lms) -> None:
    leader = Browser()
    open_iframe(leader, f"{lms.url}/activity/{CASE_ID}?persona=lise")
    overview = leader.page.url
    assert "/overview" in overview
    assert one_round(tool.engine) >= 1  # the worker reads the roster the launch asked for
    page = leader.get(overview).text
    assert "Ansatt 001" in page and "Ansatt 120" in page and "Kari Nordmann" in page
    assert "Lise Leder" not in page.split("<table")[1]  # staff are not listed as learners
    assert page.count("Ikke startet") >= 122


def test_admin_registers_stegvis_dynamically_and_launches_with_it(
    tool: RunningTool, lms: Lms
) -> None:
    admin = Browser()
    admin.get(f"{lms.url}/dynreg")
    admin.submit(admin.forms()[0], registration_url=f"{tool.url}/lti/register")
    admin.get(urljoin(admin.page.url, parse(admin.html).iframes[0]))
    assert "Registrer Stegvis" in admin.html
    admin.submit(admin.forms()[0])
    assert "Stegvis er registrert" in admin.html
    client_id = re.search(r"<code>([^<]+)</code>", admin.html)
    assert client_id
    with session_scope(tool.engine) as db:
        platforms = db.scalars(select(Platform).where(Platform.issuer == lms.url)).all()
        assert {p.client_id for p in platforms} >= {client_id.group(1)}
        assert len(platforms) == 2  # the static registration and the new one
    learner = Browser()
    open_iframe(learner, f"{lms.url}/activity/{CASE_ID}?persona=kari"
                         f"&registration={client_id.group(1)}")
    assert "/play/" in learner.page.url, learner.html[:400]
