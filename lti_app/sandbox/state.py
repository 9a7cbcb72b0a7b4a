"""Per-app objects shared by the routes (kept in ``app.extensions``)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import current_app

from .config import COURSE, TOOL_TYPE_ID, Activity, Member, SandboxSettings, course_members
from .keys import KeyHolder
from .oauth import ToolKeySet
from .registrations import ToolRegistration, all_registrations, find_registration
from .store import DeepLinkedActivity, Store, deep_linked_resource_link_id

EXTENSION_KEY = "stegvis_sandbox"
DEEP_LINKED_PREFIX = "dl:"


@dataclass(frozen=True)
class CourseActivity:
    """A configured activity (settings.activities()) or one added by Deep Linking."""

    key: str  # the case id, or "dl:<id>" for a deep-linked activity
    title: str
    resource_link_id: str
    custom: dict[str, str]
    text: str | None = None
    url: str | None = None  # the content item's url (target_link_uri); None: the tool's
    client_id: str | None = None  # deep-linked: the registration that added it
    case_id: str | None = None  # configured: its case id (the line item's resourceId)
    lineitem_id: int | None = None  # deep-linked: the line item the tool asked for
    deep_linked_id: int | None = None

    @property
    def endpoint_args(self) -> dict[str, Any]:
        """url_for() keyword arguments of its pages (view name suffix -> args)."""
        if self.deep_linked_id is not None:
            return {"dl_id": self.deep_linked_id}
        return {"case_id": self.case_id}

    @property
    def is_deep_linked(self) -> bool:
        return self.deep_linked_id is not None


def configured_activity(activity: Activity) -> CourseActivity:
    return CourseActivity(
        key=activity.case_id,
        title=activity.title,
        resource_link_id=f"sandbox-rl-{activity.case_id}",
        custom={"case": activity.case_id},
        case_id=activity.case_id,
    )


def deep_linked_activity(activity: DeepLinkedActivity) -> CourseActivity:
    return CourseActivity(
        key=f"{DEEP_LINKED_PREFIX}{activity.id}",
        title=activity.title,
        resource_link_id=deep_linked_resource_link_id(activity.id),
        custom=dict(activity.custom),
        text=activity.text,
        url=activity.url,
        client_id=activity.client_id,
        lineitem_id=activity.lineitem_id,
        deep_linked_id=activity.id,
    )


@dataclass(frozen=True)
class SandboxState:
    settings: SandboxSettings
    store: Store
    keys: KeyHolder
    tool_keys: ToolKeySet  # the static registration's
    clock: Callable[[], float]
    _key_sets: dict[str, ToolKeySet] = field(default_factory=dict)
    _key_sets_lock: threading.Lock = field(default_factory=threading.Lock)

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

    # --- activities of the course ----------------------------------------------------------

    def course_activities(self) -> list[CourseActivity]:
        """Configured activities first, then the deep-linked ones in the order added."""
        out = [configured_activity(a) for a in self.settings.activities()]
        out.extend(deep_linked_activity(a) for a in self.store.deep_linked_activities(COURSE.id))
        return out

    def course_activity(self, key: str) -> CourseActivity | None:
        if key.startswith(DEEP_LINKED_PREFIX):
            number = key[len(DEEP_LINKED_PREFIX) :]
            if not number.isdigit():
                return None
            found = self.store.deep_linked_activity(int(number))
            return None if found is None else deep_linked_activity(found)
        activity = self.activity(key)
        return None if activity is None else configured_activity(activity)

    def resource_link_ids(self) -> set[str]:
        return {a.resource_link_id for a in self.course_activities()}

    # --- registrations and their keys ------------------------------------------------------

    def registration(self, client_id: str) -> ToolRegistration | None:
        return find_registration(self.settings, self.store, client_id)

    def registrations(self) -> list[ToolRegistration]:
        return all_registrations(self.settings, self.store)

    def key_set(self, registration: ToolRegistration) -> ToolKeySet:
        """The tool's JWKS for this registration (cached per URL, refetched on a new kid)."""
        if registration.jwks_url == self.tool_keys.url:
            return self.tool_keys
        with self._key_sets_lock:
            found = self._key_sets.get(registration.jwks_url)
            if found is None:
                found = self._key_sets[registration.jwks_url] = ToolKeySet(registration.jwks_url)
        return found

    def lookup_client(self, client_id: str) -> tuple[ToolRegistration, ToolKeySet] | None:
        registration = self.registration(client_id)
        return None if registration is None else (registration, self.key_set(registration))

    # --- the roster ------------------------------------------------------------------------

    def members(self) -> list[Member]:
        return course_members(self.settings.extra_members)

    def member_subs(self) -> set[str]:
        return {m.sub for m in self.members()}

    # Public service URLs, built from base_url (not the request) because they travel in
    # signed messages and must not depend on which Host header reached us.
    def lineitems_url(self, context_id: str) -> str:
        return f"{self.settings.base_url}/ags/{context_id}/lineitems?type_id={TOOL_TYPE_ID}"

    def lineitem_url(self, context_id: str, lineitem_id: int, suffix: str = "") -> str:
        return (
            f"{self.settings.base_url}/ags/{context_id}/lineitems/{lineitem_id}/lineitem"
            f"{suffix}?type_id={TOOL_TYPE_ID}"
        )

    def memberships_url(self, context_id: str) -> str:
        return f"{self.settings.base_url}/nrps/{context_id}/memberships"

    @property
    def deep_link_return_url(self) -> str:
        return f"{self.settings.base_url}/deeplink/return"

    def fault_injection_allowed(self) -> bool:
        return bool(current_app.testing or self.settings.allow_fault_injection)


def sandbox() -> SandboxState:
    state = current_app.extensions[EXTENSION_KEY]
    assert isinstance(state, SandboxState)
    return state
