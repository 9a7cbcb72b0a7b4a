"""Tool key rotation: a new key signs at once; the old one stays published, then leaves."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests
from click.testing import CliRunner
from sqlalchemy import update

from lti_app.cli import main
from lti_app.db import session_scope
from lti_app.lti import keys
from lti_app.models import ToolKey, utcnow
from lti_app.services.worker import one_round
from tests.conftest import Lms, RunningTool
from tests.integration.test_grade_outbox import finish_case


def published(tool: RunningTool) -> list[str]:
    body = requests.get(f"{tool.url}/.well-known/jwks.json", timeout=10).json()
    return [k["kid"] for k in body["keys"]]


def test_rotation_publishes_both_then_only_the_new_key(tool: RunningTool, lms: Lms) -> None:
    (old,) = published(tool)
    with session_scope(tool.engine) as db:
        new = keys.rotate(db, timedelta(hours=72)).kid
    assert set(published(tool)) == {old, new}
    with session_scope(tool.engine) as db:
        assert keys.active_key(db).kid == new  # type: ignore[union-attr]

    # The LMS has cached the old key set; a grade signed with the new key still arrives
    # because the platform refetches the tool's JWKS on an unknown kid.
    finish_case(tool, lms)
    one_round(tool.engine)
    assert len(lms.deliveries("Completed")) == 1

    with session_scope(tool.engine) as db:  # the keep-old window has passed
        db.execute(update(ToolKey).where(ToolKey.kid == old)
                   .values(retire_at=utcnow() - timedelta(seconds=1)))
    assert published(tool) == [new]


def test_keys_commands_rotate_and_list(
    tool: RunningTool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", tool.config.database_url)
    monkeypatch.setenv("STEGVIS_INSTANCE_DIR", str(tool.config.instance_dir))
    (old,) = published(tool)
    runner = CliRunner()
    rotated = runner.invoke(main, ["keys", "rotate", "--keep-old-hours", "1"])
    assert rotated.exit_code == 0, rotated.output
    listed = runner.invoke(main, ["keys", "list"]).output
    assert listed.count("signerer") == 1 and f"{old}\t" in listed and "publisert til" in listed
    assert len(published(tool)) == 2
