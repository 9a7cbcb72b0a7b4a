"""Settings and the fixed course data of the sandbox LMS.

The sandbox plays one Moodle-like course with three people in it. Everything here is
plain data: no Flask, no I/O.
"""

from __future__ import annotations

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

# Moodle puts the tool type id on every service URL; the tool must keep it (see ags.py).
TOOL_TYPE_ID = "1"
