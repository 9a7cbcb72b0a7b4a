"""Settings and the fixed course data of the sandbox LMS.

The sandbox plays one Moodle-like course with three people in it (plus, for roster paging,
any number of generated employees). Everything here is plain data: no Flask, no I/O.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Activity:
    """One activity in the sandbox course, i.e. one LTI resource link."""

    case_id: str  # sent as the custom parameter case=<case_id>
    title: str


@dataclass(frozen=True)
class SandboxSettings:
    base_url: str  # public URL of the sandbox root, no trailing slash; also its issuer
    tool_base_url: str  # public URL of the tool
    data_dir: Path  # SQLite file and RSA private key (created on first use, 0600)
    activities: Callable[[], Sequence[Activity]]
    secret_key: str
    client_id: str = "stegvis-sandbox"
    deployment_id: str = "sandbox-1"
    # Lets POST /test/faults work outside app.testing (the tool's integration tests mount
    # the sandbox inside an app that is not itself in TESTING mode). Never on in `make run`.
    allow_fault_injection: bool = False
    # Deep Linking: send an opaque `data` value in deep_linking_settings and require it
    # back (Canvas does; Moodle sends none).
    deep_linking_data: bool = True
    # Names and Role Provisioning: generated employees ("Ansatt 001" …) beside the three
    # personas, so that a tool's roster paging can be tested.
    extra_members: int = 0
    # Dynamic Registration: `messages_supported` in the openid-configuration as the spec's
    # objects ({"type": ...}) instead of Moodle 4.x's list of strings.
    messages_as_objects: bool = False
    # Dynamic Registration: answer without deployment_id, as Canvas does (the tool learns
    # it at the first launch).
    canvas_style_registration: bool = False
    # LTI client-side postMessage platform storage, as Canvas: lti_storage_target on the
    # login initiation and a `post_message_forwarding` frame beside the tool's iframe.
    platform_storage: bool = False


def platform_registration(settings: SandboxSettings) -> dict[str, str]:
    """Values the tool needs to register this platform (what an admin would type)."""
    base = settings.base_url.rstrip("/")
    return {
        "issuer": base,
        "client_id": settings.client_id,
        "deployment_id": settings.deployment_id,
        "auth_login_url": f"{base}/auth",
        "auth_token_url": f"{base}/token",
        "key_set_url": f"{base}/jwks.json",
    }


# --- LTI vocabulary (LTI 1.3 §5.3.7 roles, §5.4.1 context, AGS 2.0 §3.1 scopes) ---------

ROLE_LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
ROLE_INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
CONTEXT_TYPE_COURSE_SECTION = "http://purl.imsglobal.org/vocab/lis/v2/course#CourseSection"

SCOPE_LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
SCOPE_LINEITEM_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"
SCOPE_RESULT_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly"
SCOPE_SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
AGS_SCOPES: tuple[str, ...] = (
    SCOPE_LINEITEM,
    SCOPE_LINEITEM_READONLY,
    SCOPE_RESULT_READONLY,
    SCOPE_SCORE,
)
# What the launch's AGS claim advertises (Moodle with "use this service for grade sync
# and column management").
AGS_LAUNCH_SCOPES: tuple[str, ...] = (SCOPE_LINEITEM, SCOPE_RESULT_READONLY, SCOPE_SCORE)
# NRPS 2.0 §3.6
SCOPE_NRPS = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
# What the token endpoint can grant (a dynamic registration may ask for fewer).
SERVICE_SCOPES: tuple[str, ...] = (*AGS_SCOPES, SCOPE_NRPS)

MSG_RESOURCE_LINK = "LtiResourceLinkRequest"
MSG_DEEP_LINKING = "LtiDeepLinkingRequest"
MSG_DEEP_LINKING_RESPONSE = "LtiDeepLinkingResponse"
SUPPORTED_MESSAGES: tuple[str, ...] = (MSG_RESOURCE_LINK, MSG_DEEP_LINKING)


@dataclass(frozen=True)
class Course:
    id: str
    label: str
    title: str


COURSE = Course(
    id="sandbox-course-1",
    label="BFB-101",
    title="Bekymring for barn – obligatorisk opplæring",
)


@dataclass(frozen=True)
class Persona:
    key: str  # used in sandbox URLs only
    login_hint: str  # what the LMS calls the user in the login (Moodle: the user id)
    sub: str  # stable LTI user id; differs from login_hint, as in Canvas
    given_name: str
    family_name: str
    email: str
    role: str  # LTI context role URI
    role_label: str  # Norwegian, for the sandbox UI

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def is_instructor(self) -> bool:
        return self.role == ROLE_INSTRUCTOR


PERSONAS: tuple[Persona, ...] = (
    Persona(
        key="kari",
        login_hint="101",
        sub="5f0c2a1e-7d4b-4c1a-9a3e-1b2c3d4e5f01",
        given_name="Kari",
        family_name="Nordmann",
        email="kari.nordmann@sandkasse.kommune.no",
        role=ROLE_LEARNER,
        role_label="ansatt (Learner)",
    ),
    Persona(
        key="ola",
        login_hint="102",
        sub="9b8e7d6c-5a4f-4e3d-8c2b-a1b2c3d4e5f02",
        given_name="Ola",
        family_name="Hansen",
        email="ola.hansen@sandkasse.kommune.no",
        role=ROLE_LEARNER,
        role_label="ansatt (Learner)",
    ),
    Persona(
        key="lise",
        login_hint="103",
        sub="3c4d5e6f-7a8b-4c9d-ae0f-1a2b3c4d5f03",
        given_name="Lise",
        family_name="Leder",
        email="lise.leder@sandkasse.kommune.no",
        role=ROLE_INSTRUCTOR,
        role_label="leder (Instructor)",
    ),
)

PERSONAS_BY_KEY: dict[str, Persona] = {p.key: p for p in PERSONAS}
PERSONAS_BY_SUB: dict[str, Persona] = {p.sub: p for p in PERSONAS}
PERSONAS_BY_LOGIN_HINT: dict[str, Persona] = {p.login_hint: p for p in PERSONAS}
DEFAULT_PERSONA = PERSONAS[0]


@dataclass(frozen=True)
class Member:
    """One person on the course roster (NRPS)."""

    sub: str
    given_name: str
    family_name: str
    email: str
    role: str

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}"


# Fixed namespace: generated members keep their sub across restarts and base URLs.
_MEMBER_NAMESPACE = uuid.UUID("6f1d8a52-3c1e-4b6a-9d7e-0c5a2e4b8f10")


def extra_member(number: int) -> Member:
    return Member(
        sub=str(uuid.uuid5(_MEMBER_NAMESPACE, f"sandbox-extra-member-{number}")),
        given_name="Ansatt",
        family_name=f"{number:03d}",
        email=f"ansatt{number:03d}@sandkasse.kommune.no",
        role=ROLE_LEARNER,
    )


def course_members(extra: int) -> list[Member]:
    """The personas, then `extra` generated employees, in a stable order."""
    members = [Member(p.sub, p.given_name, p.family_name, p.email, p.role) for p in PERSONAS]
    members.extend(extra_member(n) for n in range(1, max(extra, 0) + 1))
    return members


# Moodle puts the tool type id on every service URL; the tool must keep it (see ags.py).
TOOL_TYPE_ID = "1"
