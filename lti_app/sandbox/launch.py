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
    Activity,
    Persona,
    SandboxSettings,
)
from .keys import SigningKey

# Moodle's id_token lives 60 s (mod/lti/locallib.php, lti_sign_jwt).
ID_TOKEN_LIFETIME = 60
CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"


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
    def render_launch_form(self, launch_data: dict[str, Any], **kwargs: Any) -> Any:
        # The library's jinja2 template is not autoescaped; render our own.
        return flask.render_template(
            "sandbox/form_post.html",
            action=launch_data["launch_url"],
            fields={"id_token": launch_data["id_token"], "state": launch_data["state"]},
            heading="Starter aktiviteten …",
        )


def make_registration(
    settings: SandboxSettings, key: SigningKey, clock: Callable[[], float]
) -> SandboxRegistration:
    registration = SandboxRegistration(key, clock)
    registration.set_iss(settings.base_url)
    registration.set_client_id(settings.client_id)
    registration.set_deployment_id(settings.deployment_id)
    registration.set_launch_url(f"{settings.tool_base_url}/lti/launch")
    registration.set_oidc_login_url(f"{settings.tool_base_url}/lti/login")
    registration.set_tool_key_set_url(f"{settings.tool_base_url}/.well-known/jwks.json")
    return registration


def resource_link_id(activity: Activity) -> str:
    return f"sandbox-rl-{activity.case_id}"


def render_resource_link_launch(
    *,
    settings: SandboxSettings,
    key: SigningKey,
    clock: Callable[[], float],
    persona: Persona,
    activity: Activity,
    document_target: str,
    lineitems_url: str,
    lineitem_url: str,
    return_url: str,
) -> Any:
    """Sign the id_token for a verified authentication request and render the form_post."""
    registration = make_registration(settings, key, clock)
    conf = SandboxPlatformConf(registration=registration)
    launch = FlaskMessageLaunch(FlaskRequest(flask.request), conf)
    launch.set_id_token_expiration(ID_TOKEN_LIFETIME)
    launch.set_user_data(
        user_id=persona.sub,
        lis_roles=[persona.role],
        full_name=persona.name,
        email_address=persona.email,
    )
    launch.set_resource_link_claim(resource_link_id(activity), title=activity.title)
    launch.set_launch_context_claim(
        COURSE.id,
        context_types=[CONTEXT_TYPE_COURSE_SECTION],
        context_title=COURSE.title,
        context_label=COURSE.label,
    )
    launch.set_custom_parameters_claim({"case": activity.case_id})
    # Library AGS claim: scopes lineitem, result.readonly, score (= AGS_LAUNCH_SCOPES).
    launch.set_ags(lineitems_url=lineitems_url, lineitem_url=lineitem_url)
    host = settings.base_url.split("://", 1)[-1].split("/", 1)[0]
    launch.set_extra_claims(
        {
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
                "version": "2024100700",
            },
            CLAIM + "lis": {
                "person_sourcedid": f"sandbox-person-{persona.login_hint}",
                "course_section_sourcedid": COURSE.id,
            },
        }
    )
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
