"""Building and signing the LTI 1.3 id_token, using lti1p3platform.

lti1p3platform ships Django and FastAPI adapters only; this is the Flask glue. We use its
message builder (claim names, LtiResourceLinkRequest defaults, the AGS claim) and replace
what is slow or too trusting:

* signing: ``Registration.platform_encode_and_sign`` re-parses the PEM private key twice
  per id_token (about 60 ms); we sign with the parsed key kept in ``SigningKey``;
* the OIDC authentication request: the library checks only nonce/state/redirect_uri
  presence and client_id; ``views.auth`` checks every parameter before we get here;
* the auto-submitting form: the library's template does not escape its values; ours does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import flask
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.message_launch import LTIAdvantageMessageLaunchAbstract
from lti1p3platform.registration import Registration
from lti1p3platform.request import Request, TRequest

from .config import (
    CONTEXT_TYPE_COURSE_SECTION,
    COURSE,
    MSG_DEEP_LINKING,
    SCOPE_NRPS,
    Persona,
    SandboxSettings,
)
from .keys import SigningKey
from .registrations import ToolRegistration
from .state import CourseActivity

# Moodle's id_token lives 60 s (mod/lti/locallib.php, lti_sign_jwt).
ID_TOKEN_LIFETIME = 60
CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
DL_SETTINGS_CLAIM = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
PLATFORM_VERSION = "2024100700"  # Moodle 4.5's $CFG->version
PLATFORM_RELEASE = "4.5 (Build: 20241007)"  # ... and its $CFG->release


class FlaskRequest(Request):  # type: ignore[misc]  # untyped library
    def build_metadata(self, request: Any) -> TRequest:
        assert isinstance(request, flask.Request)
        return {
            "method": request.method,
            "form_data": request.form.to_dict(),
            "get_data": request.args.to_dict(),
            "headers": request.headers,
            "content_type": request.content_type,
            "path": request.path,
            "json": request.get_json(silent=True),
        }


class SandboxRegistration(Registration):  # type: ignore[misc]  # untyped library
    def __init__(self, key: SigningKey, clock: Callable[[], float]) -> None:
        self._signing_key = key
        self._clock = clock

    def get_kid(self) -> str | None:
        return self._signing_key.kid

    def get_jwks(self) -> list[dict[str, Any]]:
        return self._signing_key.jwks()["keys"]

    def platform_encode_and_sign(
        self, payload: dict[str, Any], expiration: int | None = None
    ) -> str:
        # Hand-written: the library parses the PEM key on every call (see module docstring)
        # and takes iat/exp from time.time(); we use the parsed key and the app's clock.
        now = int(self._clock())
        if expiration:
            payload.update({"iat": now, "exp": now + expiration})
        return self._signing_key.sign(payload)


class SandboxPlatformConf(LTI1P3PlatformConfAbstract):  # type: ignore[misc]  # untyped library
    """Built per request: the library keeps per-request JWT state on this object."""

    def init_platform_config(self, **kwargs: Any) -> None:
        self._sandbox_registration: Registration = kwargs["registration"]

    def get_registration_by_params(self, **kwargs: Any) -> Registration:
        return self._sandbox_registration


class FlaskMessageLaunch(LTIAdvantageMessageLaunchAbstract):  # type: ignore[misc]  # untyped library
    extra_fields: dict[str, str] = {}  # noqa: RUF012  # replaced per instance

    def render_launch_form(self, launch_data: dict[str, Any], **kwargs: Any) -> Any:
        # The library's jinja2 template is not autoescaped; render our own.
        return flask.render_template(
            "sandbox/form_post.html",
            action=launch_data["launch_url"],
            fields={
                "id_token": launch_data["id_token"],
                "state": launch_data["state"],
                **self.extra_fields,
            },
            heading="Starter aktiviteten …",
        )


def make_registration(
    settings: SandboxSettings,
    tool: ToolRegistration,
    key: SigningKey,
    clock: Callable[[], float],
) -> SandboxRegistration:
    registration = SandboxRegistration(key, clock)
    registration.set_iss(settings.base_url)
    registration.set_client_id(tool.client_id)
    registration.set_deployment_id(tool.deployment_id)
    registration.set_launch_url(tool.launch_url)
    registration.set_oidc_login_url(tool.login_url)
    registration.set_tool_key_set_url(tool.jwks_url)
    return registration


def substitution_variables(persona: Persona, activity: CourseActivity | None) -> dict[str, str]:
    """LTI 1.3 custom parameter substitution (LTI Core Appendix C), the ones we offer."""
    values = {
        "Context.id": COURSE.id,
        "Context.label": COURSE.label,
        "Context.title": COURSE.title,
        "CourseSection.sourcedId": COURSE.id,
        "Person.name.full": persona.name,
        "Person.name.given": persona.given_name,
        "Person.name.family": persona.family_name,
        "Person.email.primary": persona.email,
        "User.id": persona.sub,
        "User.username": persona.login_hint,
        "Membership.role": persona.role,
        "Message.locale": "nb-NO",
    }
    if activity is not None:
        values["ResourceLink.id"] = activity.resource_link_id
        values["ResourceLink.title"] = activity.title
    return values


# What the openid-configuration advertises (the keys of substitution_variables()).
SUBSTITUTION_VARIABLES: tuple[str, ...] = (
    "Context.id",
    "Context.label",
    "Context.title",
    "CourseSection.sourcedId",
    "Person.name.full",
    "Person.name.given",
    "Person.name.family",
    "Person.email.primary",
    "User.id",
    "User.username",
    "Membership.role",
    "Message.locale",
    "ResourceLink.id",
    "ResourceLink.title",
)


def substitute(custom: dict[str, str], values: dict[str, str]) -> dict[str, str]:
    """Replace "$Person.name.given" by "Kari"; unknown variables stay (as in Moodle)."""
    return {k: values.get(v[1:], v) if v.startswith("$") else v for k, v in custom.items()}


def render_launch(
    *,
    settings: SandboxSettings,
    tool: ToolRegistration,
    key: SigningKey,
    clock: Callable[[], float],
    persona: Persona,
    message_type: str,
    target_link_uri: str,
    activity: CourseActivity | None,
    document_target: str,
    lineitems_url: str,
    lineitem_url: str | None,
    memberships_url: str,
    return_url: str,
    deep_linking_settings: dict[str, Any] | None = None,
    extra_form_fields: dict[str, str] | None = None,
) -> Any:
    """Sign the id_token for a verified authentication request and render the form_post.

    A resource link launch (activity given) or a deep linking request (deep_linking_settings
    given, no resource link claim).
    """
    registration = make_registration(settings, tool, key, clock)
    conf = SandboxPlatformConf(registration=registration)
    launch = FlaskMessageLaunch(FlaskRequest(flask.request), conf)
    launch.extra_fields = dict(extra_form_fields or {})
    launch.set_id_token_expiration(ID_TOKEN_LIFETIME)
    launch.set_launch_url(target_link_uri)
    launch.set_user_data(
        user_id=persona.sub,
        lis_roles=[persona.role],
        full_name=persona.name,
        email_address=persona.email,
    )
    if activity is not None:
        launch.set_resource_link_claim(activity.resource_link_id, title=activity.title)
    launch.set_launch_context_claim(
        COURSE.id,
        context_types=[CONTEXT_TYPE_COURSE_SECTION],
        context_title=COURSE.title,
        context_label=COURSE.label,
    )
    if activity is not None:
        values = substitution_variables(persona, activity)
        launch.set_custom_parameters_claim(substitute(activity.custom, values))
    host = settings.base_url.split("://", 1)[-1].split("/", 1)[0]
    claims: dict[str, Any] = {
        "given_name": persona.given_name,
        "family_name": persona.family_name,
        "locale": "nb-NO",
        # The library's set_launch_presentation_claim has no locale; set it whole.
        CLAIM + "launch_presentation": {
            "document_target": document_target,
            "return_url": return_url,
            "locale": "nb-NO",
        },
        CLAIM + "tool_platform": {
            # The sandbox mimics Moodle 4.x (query strings on service URLs, 60 s
            # id_token), so it says so; the tool should not branch on it anyway.
            "guid": host,
            "name": "Sandkasse-LMS",
            "description": "Sandkasse-LMS for utvikling av Stegvis",
            "product_family_code": "moodle",
            "version": PLATFORM_VERSION,
        },
        CLAIM + "lis": {
            "person_sourcedid": f"sandbox-person-{persona.login_hint}",
            "course_section_sourcedid": COURSE.id,
        },
    }
    # Services, as far as the registration asked for them (the static one: all).
    ags_scopes = tool.ags_claim_scopes()
    if ags_scopes:
        ags: dict[str, Any] = {"scope": ags_scopes, "lineitems": lineitems_url}
        if lineitem_url is not None:
            ags["lineitem"] = lineitem_url
        claims[AGS_CLAIM] = ags
    if SCOPE_NRPS in tool.scopes:
        launch.set_nrps(memberships_url)  # {context_memberships_url, service_versions}
    if message_type == MSG_DEEP_LINKING:
        claims[CLAIM + "message_type"] = MSG_DEEP_LINKING
        claims[DL_SETTINGS_CLAIM] = dict(deep_linking_settings or {})
    launch.set_extra_claims(claims)
    return launch.lti_launch()


def render_error_response(redirect_uri: str, error: str, description: str, state: str) -> Any:
    """OIDC authentication error, posted back to the (already verified) redirect_uri.

    This is what Moodle's mod/lti/auth.php does: the tool receives `error` instead of an
    id_token (OpenID Connect Core §3.1.2.6).
    """
    fields = {"error": error, "error_description": description}
    if state:
        fields["state"] = state
    return flask.render_template(
        "sandbox/form_post.html",
        action=redirect_uri,
        fields=fields,
        heading="Innloggingen ble avvist",
    )
