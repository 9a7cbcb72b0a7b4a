"""LTI Dynamic Registration 1.0, platform side, as Moodle 4.x does it.

* ``GET /.well-known/openid-configuration``: the platform's configuration.
* ``GET /dynreg`` ("Registrer et verktøy"): the admin pastes the tool's registration URL;
  ``POST /dynreg`` opens it in an iframe with ``openid_configuration`` and a one-time
  ``registration_token`` (a JWT signed by the platform key, ``scope: "reg"``, 1 h, as
  Moodle's). dynreg.js waits for the tool's ``{subject: "org.imsglobal.lti.close"}``.
* ``POST /dynreg/register``: the tool's client registration (bearer: the token). Checked,
  stored as a new registration (new client_id and deployment_id) and echoed back with the
  client_id and, inside the tool configuration, the deployment_id (Moodle; not with
  ``canvas_style_registration``).

Hand-written: lti1p3platform has no Dynamic Registration.
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlencode, urlsplit

import jwt
from flask import Blueprint, Response, jsonify, render_template, request, url_for

from .config import SERVICE_SCOPES, SUPPORTED_MESSAGES
from .launch import PLATFORM_RELEASE, SUBSTITUTION_VARIABLES
from .registrations import ToolRegistration
from .state import SandboxState, sandbox
from .store import StoredRegistration

bp = Blueprint("dynreg", __name__)

REGISTRATION_TOKEN_LIFETIME = 3600
PLATFORM_CONFIG = "https://purl.imsglobal.org/spec/lti-platform-configuration"
TOOL_CONFIG = "https://purl.imsglobal.org/spec/lti-tool-configuration"
SCOPES_SUPPORTED: tuple[str, ...] = ("openid", *SERVICE_SCOPES)
CLAIMS_SUPPORTED = ("sub", "iss", "name", "given_name", "family_name", "email", "locale")


class RegistrationError(Exception):
    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


def openid_configuration_document(state: SandboxState) -> dict[str, Any]:
    base = state.settings.base_url
    messages: list[Any] = list(SUPPORTED_MESSAGES)
    if state.settings.messages_as_objects:
        messages = [{"type": m} for m in SUPPORTED_MESSAGES]
    return {
        "issuer": base,
        "authorization_endpoint": f"{base}/auth",
        "token_endpoint": f"{base}/token",
        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
        "jwks_uri": f"{base}/jwks.json",
        "registration_endpoint": f"{base}/dynreg/register",
        "scopes_supported": list(SCOPES_SUPPORTED),
        "response_types_supported": ["id_token"],
        "subject_types_supported": ["public", "pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "claims_supported": list(CLAIMS_SUPPORTED),
        PLATFORM_CONFIG: {
            "product_family_code": "moodle",
            "version": PLATFORM_RELEASE,
            # Moodle 4.x: a list of strings; the spec: [{"type": ...}]
            "messages_supported": messages,
            "variables": list(SUBSTITUTION_VARIABLES),
        },
    }


@bp.get("/.well-known/openid-configuration")
def openid_configuration() -> Response:
    return jsonify(openid_configuration_document(sandbox()))


# --- the admin page ------------------------------------------------------------------------


def _registration_rows(state: SandboxState) -> list[ToolRegistration]:
    return state.registrations()


@bp.get("/dynreg")
def dynreg_page() -> str:
    state = sandbox()
    return render_template(
        "sandbox/dynreg.html",
        default_url=f"{state.settings.tool_base_url}/lti/register",
        registrations=_registration_rows(state),
        error=None,
        registered=request.args.get("registered"),
    )


def issue_registration_token(state: SandboxState) -> str:
    now = int(state.clock())
    return state.keys.get().sign(
        {
            "iss": state.settings.base_url,
            "sub": secrets.token_urlsafe(12),
            "scope": "reg",
            "iat": now,
            "exp": now + REGISTRATION_TOKEN_LIFETIME,
            "jti": secrets.token_urlsafe(16),
        }
    )


@bp.post("/dynreg")
def dynreg_start() -> tuple[str, int]:
    """Open the tool's registration page in an iframe, with a fresh registration token."""
    state = sandbox()
    url = request.form.get("registration_url", "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.fragment:
        return (
            render_template(
                "sandbox/dynreg.html",
                default_url=url,
                registrations=_registration_rows(state),
                error="Skriv inn en fullstendig http(s)-adresse.",
                registered=None,
            ),
            400,
        )
    query = urlencode(
        {
            "openid_configuration": f"{state.settings.base_url}/.well-known/openid-configuration",
            "registration_token": issue_registration_token(state),
        }
    )
    src = f"{url}{'&' if parts.query else '?'}{query}"
    return (
        render_template(
            "sandbox/dynreg_start.html",
            iframe_src=src,
            tool_origin=f"{parts.scheme}://{parts.netloc}",
            done_url=url_for(".dynreg_page", registered="1"),
        ),
        200,
    )


@bp.get("/dynreg/registrations.json")
def registrations_json() -> Response:
    return jsonify(
        {
            "registrations": [
                {
                    "client_id": r.client_id,
                    "deployment_id": r.deployment_id,
                    "name": r.name,
                    "login_url": r.login_url,
                    "launch_url": r.launch_url,
                    "deep_link_url": r.deep_link_url,
                    "jwks_url": r.jwks_url,
                    "redirect_uris": list(r.redirect_uris),
                    "scopes": list(r.scopes),
                    "dynamic": r.dynamic,
                }
                for r in sandbox().registrations()
            ]
        }
    )


# --- the registration endpoint ---------------------------------------------------------------


def _error(status: int, error: str, description: str, field: str | None = None) -> Response:
    body: dict[str, Any] = {"error": error, "error_description": description}
    if field is not None:
        body["field"] = field
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    if status == 401:
        response.headers["WWW-Authenticate"] = f'Bearer error="{error}"'
    return response


def _verify_registration_token(state: SandboxState) -> tuple[str, float] | Response:
    """(jti, exp) of a valid, unused registration token, or the 401 response."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return _error(401, "invalid_token", "Authorization: Bearer <registration_token> required")
    try:
        kid = jwt.get_unverified_header(token).get("kid")
        key = state.keys.find(kid) if isinstance(kid, str) else None
        if key is None:
            return _error(401, "invalid_token", "the registration token is not one of ours")
        claims: dict[str, Any] = jwt.decode(
            token,
            key.private_key.public_key(),
            algorithms=["RS256"],
            issuer=state.settings.base_url,
            options={"verify_exp": False, "verify_iat": False, "require": ["exp", "jti"]},
        )
    except jwt.InvalidTokenError as exc:
        return _error(401, "invalid_token", f"the registration token was rejected: {exc}")
    if claims.get("scope") != "reg":
        return _error(401, "invalid_token", "the token's scope is not reg")
    exp = claims.get("exp")
    if not isinstance(exp, int | float) or exp <= state.clock():
        return _error(401, "invalid_token", "the registration token has expired")
    jti = str(claims["jti"])
    if state.store.registration_token_used(jti):
        return _error(401, "invalid_token", "the registration token was used already")
    return jti, float(exp)


def _string_field(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip():
        raise RegistrationError(name, "is required (a string)")
    return value


def _tool_url(value: Any, field: str, tool_netloc: str) -> str:
    """https, or (in this sandbox) http on the tool's own host; no fragment."""
    if not isinstance(value, str) or not value:
        raise RegistrationError(field, "is required (a URL)")
    parts = urlsplit(value)
    if not parts.netloc or parts.fragment or parts.scheme not in ("http", "https"):
        raise RegistrationError(field, f"{value!r} is not an absolute http(s) URL")
    if parts.scheme == "http" and parts.netloc != tool_netloc:
        raise RegistrationError(
            field, f"{value!r} must use https (http only on the tool's host {tool_netloc})"
        )
    return value


def validate_registration(body: Any) -> dict[str, Any]:
    """Checks a client registration request; returns the parts we store."""
    if not isinstance(body, dict):
        raise RegistrationError("body", "must be a JSON object")
    if body.get("application_type") != "web":
        raise RegistrationError("application_type", 'must be "web"')
    grant_types = body.get("grant_types")
    if not isinstance(grant_types, list) or not {"implicit", "client_credentials"} <= set(
        g for g in grant_types if isinstance(g, str)
    ):
        raise RegistrationError("grant_types", "must include implicit and client_credentials")
    if body.get("response_types") != ["id_token"]:
        raise RegistrationError("response_types", 'must be ["id_token"]')
    if body.get("token_endpoint_auth_method") != "private_key_jwt":
        raise RegistrationError("token_endpoint_auth_method", 'must be "private_key_jwt"')
    config = body.get(TOOL_CONFIG)
    if not isinstance(config, dict):
        raise RegistrationError(TOOL_CONFIG, "is required (an object)")
    target = config.get("target_link_uri")
    target_parts = urlsplit(target) if isinstance(target, str) else None
    if target_parts is None or not target_parts.netloc:
        raise RegistrationError(f"{TOOL_CONFIG}.target_link_uri", "is required (a URL)")
    tool_netloc = target_parts.netloc
    _tool_url(target, f"{TOOL_CONFIG}.target_link_uri", tool_netloc)
    domain = config.get("domain")
    if domain not in (target_parts.hostname, tool_netloc):
        raise RegistrationError(
            f"{TOOL_CONFIG}.domain", f"must be the host of target_link_uri ({tool_netloc})"
        )
    claims = config.get("claims")
    if not isinstance(claims, list) or not all(isinstance(c, str) for c in claims):
        raise RegistrationError(f"{TOOL_CONFIG}.claims", "must be a list of strings")
    messages = config.get("messages")
    if not isinstance(messages, list) or not all(isinstance(m, dict) for m in messages):
        raise RegistrationError(f"{TOOL_CONFIG}.messages", "must be a list of objects")
    deep_link_url = target
    types: set[str] = set()
    for number, message in enumerate(messages, 1):
        kind = message.get("type")
        if kind not in SUPPORTED_MESSAGES:
            raise RegistrationError(
                f"{TOOL_CONFIG}.messages[{number}].type",
                f"{kind!r} is not supported (supported: {', '.join(SUPPORTED_MESSAGES)})",
            )
        types.add(kind)
        if message.get("target_link_uri") is not None:
            url = _tool_url(
                message["target_link_uri"],
                f"{TOOL_CONFIG}.messages[{number}].target_link_uri",
                tool_netloc,
            )
            if kind == "LtiDeepLinkingRequest":
                deep_link_url = url
    if "LtiDeepLinkingRequest" not in types:
        raise RegistrationError(f"{TOOL_CONFIG}.messages", "must include LtiDeepLinkingRequest")
    login_url = _tool_url(body.get("initiate_login_uri"), "initiate_login_uri", tool_netloc)
    redirect_uris = body.get("redirect_uris")
    if not isinstance(redirect_uris, list) or not redirect_uris:
        raise RegistrationError("redirect_uris", "must be a non-empty list of URLs")
    for number, uri in enumerate(redirect_uris, 1):
        _tool_url(uri, f"redirect_uris[{number}]", tool_netloc)
    jwks_url = _tool_url(body.get("jwks_uri"), "jwks_uri", tool_netloc)
    scope = body.get("scope", "")
    if not isinstance(scope, str):
        raise RegistrationError("scope", "must be a space-separated string")
    unknown = [s for s in scope.split() if s not in SCOPES_SUPPORTED]
    if unknown:
        raise RegistrationError("scope", f"not supported: {' '.join(unknown)}")
    name = body.get("client_name", "")
    if not isinstance(name, str):
        raise RegistrationError("client_name", "must be a string")
    return {
        "name": name.strip() or "Verktøy (dynamisk registrert)",
        "login_url": login_url,
        "launch_url": target,
        "deep_link_url": deep_link_url,
        "jwks_url": jwks_url,
        "redirect_uris": tuple(redirect_uris),
        "scopes": tuple(s for s in dict.fromkeys(scope.split()) if s in SERVICE_SCOPES),
    }


@bp.post("/dynreg/register")
def register() -> Response:
    state = sandbox()
    verified = _verify_registration_token(state)
    if isinstance(verified, Response):
        return verified
    jti, token_exp = verified
    if request.mimetype != "application/json":
        return _error(
            400, "invalid_client_metadata", "Content-Type must be application/json", "Content-Type"
        )
    body = request.get_json(silent=True)
    try:
        values = validate_registration(body)
    except RegistrationError as exc:
        return _error(400, "invalid_client_metadata", str(exc), exc.field)
    assert isinstance(body, dict)
    client_id = f"sandbox-dyn-{secrets.token_hex(8)}"
    deployment_id = f"sandbox-dyn-dep-{secrets.token_hex(4)}"
    stored = StoredRegistration(
        client_id=client_id,
        deployment_id=deployment_id,
        document=body,
        created_at=state.clock(),
        **values,
    )
    if not state.store.create_registration(stored, jti, token_exp):
        return _error(401, "invalid_token", "the registration token was used already")
    answer = dict(body)
    answer["client_id"] = client_id
    tool_config = dict(body[TOOL_CONFIG])
    if not state.settings.canvas_style_registration:
        tool_config["deployment_id"] = deployment_id  # Moodle style
    answer[TOOL_CONFIG] = tool_config
    response = jsonify(answer)
    response.headers["Cache-Control"] = "no-store"
    return response
