"""Per-app objects shared by the routes (kept in ``app.extensions``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app

from .config import TOOL_TYPE_ID, Activity, SandboxSettings
from .keys import KeyHolder
from .oauth import ToolKeySet
from .store import Store

EXTENSION_KEY = "stegvis_sandbox"


@dataclass(frozen=True)
class SandboxState:
    settings: SandboxSettings
    store: Store
    keys: KeyHolder
    tool_keys: ToolKeySet
    clock: Callable[[], float]

    @property
    def tool_launch_url(self) -> str:
        return f"{self.settings.tool_base_url}/lti/launch"

    @property
    def tool_login_url(self) -> str:
        return f"{self.settings.tool_base_url}/lti/login"

    def activity(self, case_id: str) -> Activity | None:
        for activity in self.settings.activities():
            if activity.case_id == case_id:
                return activity
        return None

    # Public service URLs, built from base_url (not the request) because they travel in
    # signed messages and must not depend on which Host header reached us.
    def lineitems_url(self, context_id: str) -> str:
        return f"{self.settings.base_url}/ags/{context_id}/lineitems?type_id={TOOL_TYPE_ID}"

    def lineitem_url(self, context_id: str, lineitem_id: int, suffix: str = "") -> str:
        return (
            f"{self.settings.base_url}/ags/{context_id}/lineitems/{lineitem_id}/lineitem"
            f"{suffix}?type_id={TOOL_TYPE_ID}"
        )

    def fault_injection_allowed(self) -> bool:
        return bool(current_app.testing or self.settings.allow_fault_injection)


def sandbox() -> SandboxState:
    state = current_app.extensions[EXTENSION_KEY]
    assert isinstance(state, SandboxState)
    return state
