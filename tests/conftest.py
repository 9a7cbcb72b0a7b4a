"""Shared fixtures: databases (SQLite and a throwaway PostgreSQL), configs, live servers.

Every test that touches the database takes ``database_url`` (or a fixture built on it) and
so runs twice: against SQLite and against PostgreSQL.
"""

from __future__ import annotations

import shutil
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from sqlalchemy import Engine

from lti_app.config import PROJECT_ROOT, Config
from lti_app.db import session_scope
from lti_app.sandbox import Activity, SandboxSettings, create_sandbox_app, platform_registration
from lti_app.services.platforms import add_platform
from lti_app.services.worker import run_worker
from tests.support.postgres import PostgresCluster, free_port
from tests.support.server import LiveServer

CONTENT_DIR = PROJECT_ROOT / "content"


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresCluster]:
    cluster = PostgresCluster().start()
    yield cluster
    cluster.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'stegvis.sqlite3'}"
        return
    cluster: PostgresCluster = request.getfixturevalue("postgres")
    name = f"t_{uuid.uuid4().hex[:16]}"
    url = cluster.create_database(name)
    yield url
    cluster.drop_database(name)


@pytest.fixture
def migrated_url(database_url: str) -> str:
    """A database with every migration applied (as `make run` does; never create_all)."""
    from lti_app import migrate

    migrate.upgrade(database_url)
    return database_url


def make_config(database_url: str, tmp_path: Path, base_url: str, **overrides: object) -> Config:
    values: dict[str, object] = {
        "environment": "testing",
        "secret_key": "test-secret-key-that-is-long-enough-0123456789",
        "database_url": database_url,
        "base_url": base_url,
        "content_dir": CONTENT_DIR,
        "instance_dir": tmp_path / "instance",
        "sandbox_enabled": True,
    }
    values.update(overrides)
    return Config(**values)  # type: ignore[arg-type]


@dataclass
class RunningTool:
    """The tool (with the sandbox LMS mounted at /sandbox) served over real HTTP."""

    url: str
    app: Flask
    engine: Engine
    config: Config

    @property
    def sandbox_url(self) -> str:
        return self.url + "/sandbox"


@contextmanager
def serve_tool(database_url: str, tmp_path: Path, **overrides: object) -> Iterator[RunningTool]:
    """Start the tool with the sandbox mounted, its key made and the sandbox registered."""
    from lti_app import create_app
    from lti_app.devsandbox import mount_sandbox, register_sandbox
    from lti_app.lti.keys import ensure_key

    port = free_port()
    config = make_config(database_url, tmp_path, f"http://127.0.0.1:{port}", **overrides)
    app = create_app(config)
    app.config["PROPAGATE_UNEXPECTED"] = False
    mount_sandbox(app)
    engine: Engine = app.extensions["stegvis.engine"]
    with session_scope(engine) as session:
        ensure_key(session)
        register_sandbox(session, config)
    server = LiveServer(app, port).start()
    try:
        yield RunningTool(url=server.url, app=app, engine=engine, config=config)
    finally:
        server.stop()
        engine.dispose()


@pytest.fixture
def tool(migrated_url: str, tmp_path: Path) -> Iterator[RunningTool]:
    with serve_tool(migrated_url, tmp_path) as running:
        yield running


@pytest.fixture
def worker(tool: RunningTool) -> Iterator[None]:
    """The grade worker running beside the server, as `make run` starts it."""
    stop = threading.Event()
    thread = threading.Thread(target=run_worker, args=(tool.engine, 0.3, stop), daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(timeout=10)


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


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Debian's chromium: Playwright cannot download its own browsers here (notes.md)."""
    executable = shutil.which("chromium") or "/usr/bin/chromium"
    return {
        **browser_type_launch_args,
        "executable_path": executable,
        # Without the background-networking flags chromium keeps calling outside hosts,
        # which this network refuses (shared/notes.md).
        "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 # Pages answered through page.route() (the cookie-blocking tests) count as
                 # outside the loopback address space, and Chromium's Local Network Access
                 # checks would then refuse their navigations to 127.0.0.1.
                 "--disable-features=LocalNetworkAccessChecks"],
    }
