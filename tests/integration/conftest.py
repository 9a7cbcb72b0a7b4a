"""Fixtures for LTI tests: a minimal platform registered with the running tool."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from lti_app.db import session_scope
from lti_app.lti import launch as launch_module
from lti_app.models import Attempt, LaunchData, ResourceLink, User
from lti_app.services.platforms import add_platform
from tests.conftest import RunningTool
from tests.support.platform import LaunchingBrowser, MiniPlatform


@pytest.fixture
def platform(tool: RunningTool) -> Iterator[MiniPlatform]:
    test_platform = MiniPlatform().start()
    with session_scope(tool.engine) as db:
        add_platform(db, name="Testplattform", deployment_ids=[test_platform.deployment_id],
                     **test_platform.registration())
    launch_module.KEY_SETS.drop(test_platform.registration()["key_set_url"])
    yield test_platform
    test_platform.stop()


@pytest.fixture
def lti_browser(tool: RunningTool, platform: MiniPlatform) -> LaunchingBrowser:
    return LaunchingBrowser(tool.url, platform)


def written(tool: RunningTool) -> tuple[int, int, int, int]:
    """Rows of people, activities, attempts and launch data (used nonces, held launches)."""
    with session_scope(tool.engine) as db:
        return tuple(  # type: ignore[return-value]
            int(db.scalar(select(func.count()).select_from(m)) or 0)
            for m in (User, ResourceLink, Attempt, LaunchData)
        )
