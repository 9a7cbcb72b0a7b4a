"""The app's own pages: health check, Norwegian error pages, security headers."""

from __future__ import annotations

from pathlib import Path

import requests

from lti_app import create_app
from tests.conftest import RunningTool, make_config
from tests.support.postgres import free_port


def test_healthz_answers_200_with_database(tool: RunningTool) -> None:
    response = requests.get(f"{tool.url}/healthz", timeout=10)
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_healthz_answers_503_when_database_is_unreachable(tmp_path: Path) -> None:
    dead = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/stegvis"
    app = create_app(make_config(dead, tmp_path, "http://127.0.0.1:5000"))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json == {"status": "error", "database": "unreachable"}


def test_pages_that_need_the_database_say_so_in_norwegian_when_it_is_down(
    tmp_path: Path,
) -> None:
    dead = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/stegvis"
    app = create_app(make_config(dead, tmp_path, "http://127.0.0.1:5000"))
    response = app.test_client().get("/.well-known/jwks.json")
    assert response.status_code == 503
    assert "Midlertidig utilgjengelig" in response.text
    assert "Traceback" not in response.text


def test_error_pages_are_norwegian_and_carry_security_headers(tool: RunningTool) -> None:
    missing = requests.get(f"{tool.url}/finnes-ikke", timeout=10)
    assert missing.status_code == 404
    assert 'lang="nb"' in missing.text and "Finnes ikke" in missing.text
    no_session = requests.get(f"{tool.url}/play/00000000-0000-0000-0000-000000000000",
                              timeout=10)
    assert no_session.status_code == 401
    assert "Last inn kurssiden på nytt" in no_session.text
    csp = missing.headers["Content-Security-Policy"]
    assert "frame-ancestors 'self' http://127.0.0.1:" in csp
    assert "object-src 'none'" in csp


def test_start_page_links_the_sandbox_and_lists_cases(tool: RunningTool) -> None:
    page = requests.get(f"{tool.url}/", timeout=10)
    assert page.status_code == 200
    assert "/sandbox/" in page.text
    catalogue = tool.app.extensions["stegvis.catalogue"]
    assert catalogue.cases, "no case loaded"
    for case in catalogue.cases.values():
        assert case.title in page.text


def test_jwks_publishes_the_active_key(tool: RunningTool) -> None:
    keys = requests.get(f"{tool.url}/.well-known/jwks.json", timeout=10).json()["keys"]
    assert len(keys) == 1 and keys[0]["alg"] == "RS256" and keys[0]["kid"]
    assert "d" not in keys[0]  # never the private part
