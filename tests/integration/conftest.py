"""Fixtures for LTI tests: a minimal platform registered with the running tool."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from lti_app.db import session_scope
from lti_app.lti import launch as launch_module
from lti_app.models import Attempt, ResourceLink, User
from lti_app.sandbox import Activity, SandboxSettings, create_sandbox_app, platform_registration
from lti_app.services.platforms import add_platform
from tests.conftest import RunningTool
from tests.support.platform import LaunchingBrowser, MiniPlatform
from tests.support.postgres import free_port
from tests.support.server import LiveServer


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
def browser(tool: RunningTool, platform: MiniPlatform) -> LaunchingBrowser:
    return LaunchingBrowser(tool.url, platform)


def written(tool: RunningTool) -> tuple[int, int, int]:
    with session_scope(tool.engine) as db:
        return tuple(  # type: ignore[return-value]
            int(db.scalar(select(func.count()).select_from(m)) or 0)
            for m in (User, ResourceLink, Attempt)
        )


@dataclass
class Lms:
    """A sandbox LMS on its own port, so it can go down and come back."""

    settings: SandboxSettings
    port: int
    server: LiveServer | None = None

    @property
    def url(self) -> str:
        return self.settings.base_url

    def up(self) -> None:
        self.server = LiveServer(create_sandbox_app(self.settings), self.port).start()

    def down(self) -> None:
        if self.server:
            self.server.stop()
            self.server = None

    def faults(self, **queues: list[int]) -> None:
        requests.post(f"{self.url}/test/faults", json=queues, timeout=10).raise_for_status()

    def deliveries(self, progress: str = "Completed") -> list[dict[str, object]]:
        log = requests.get(f"{self.url}/gradebook/log.json", timeout=10).json()["scores"]
        return [s for s in log if s["score"]["activityProgress"] == progress]


@pytest.fixture
def lms_settings() -> dict[str, object]:
    """Override in a test module to start the LMS with other sandbox settings."""
    return {}


@pytest.fixture
def lms(tool: RunningTool, tmp_path: Path, lms_settings: dict[str, object]) -> Iterator[Lms]:
    """A sandbox LMS on its own port, registered with the tool, offering every case."""
    port = free_port()
    catalogue = tool.app.extensions["stegvis.catalogue"]
    settings = SandboxSettings(
        base_url=f"http://127.0.0.1:{port}", tool_base_url=tool.url,
        data_dir=tmp_path / "lms", secret_key="lms-secret", allow_fault_injection=True,
        activities=lambda: [Activity(c.id, c.title) for c in catalogue.cases.values()],
        **lms_settings,  # type: ignore[arg-type]
    )
    values = platform_registration(settings)
    with session_scope(tool.engine) as db:
        add_platform(db, name="LMS", deployment_ids=[values.pop("deployment_id")], **values)
    running = Lms(settings, port)
    running.up()
    yield running
    running.down()
