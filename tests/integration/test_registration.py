"""Dynamic Registration and the Canvas configuration, tool side, against a small platform
side written here (openid-configuration and a registration endpoint), over real HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
from sqlalchemy import select
from werkzeug.wrappers import Request, Response

from lti_app.db import session_scope
from lti_app.models import Platform
from tests.conftest import RunningTool
from tests.support.browser import parse
from tests.support.postgres import free_port
from tests.support.server import LiveServer

TOKEN = "one-time-registration-token"
TOOL_CONFIG = "https://purl.imsglobal.org/spec/lti-tool-configuration"


@dataclass
class RegisteringPlatform:
    canvas_style: bool = False
    received: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        if request.path == "/.well-known/openid-configuration":
            body = {
                "issuer": self.url, "authorization_endpoint": f"{self.url}/auth",
                "token_endpoint": f"{self.url}/token", "jwks_uri": f"{self.url}/jwks",
                "registration_endpoint": f"{self.url}/register",
                "scopes_supported": ["openid",
                                     "https://purl.imsglobal.org/spec/lti-ags/scope/score",
                                     "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"],
                "https://purl.imsglobal.org/spec/lti-platform-configuration": {
                    "product_family_code": "moodle",
                    "messages_supported": ["LtiResourceLinkRequest", "LtiDeepLinkingRequest"],
                },
            }
            return Response(json.dumps(body), mimetype="application/json")(
                environ, start_response)
        if request.path == "/register" and request.method == "POST":
            if request.headers.get("Authorization") != f"Bearer {TOKEN}":
                return Response("{}", status=401)(environ, start_response)
            payload = request.get_json()
            self.received.append(payload)
            answer = {**payload, "client_id": "dyn-client-1"}
            if not self.canvas_style:
                answer[TOOL_CONFIG] = {**payload[TOOL_CONFIG], "deployment_id": "dep-7"}
            return Response(json.dumps(answer), mimetype="application/json")(
                environ, start_response)
        return Response("not found", status=404)(environ, start_response)


@pytest.fixture(params=[False, True], ids=["moodle", "canvas"])
def lms(request: pytest.FixtureRequest) -> Iterator[RegisteringPlatform]:
    platform = RegisteringPlatform(canvas_style=request.param)
    port = free_port()
    platform.url = f"http://127.0.0.1:{port}"
    server = LiveServer(platform, port).start()
    yield platform
    server.stop()


def test_admin_registers_stegvis_with_one_url(tool: RunningTool, lms: RegisteringPlatform) -> None:
    http = requests.Session()
    page = http.get(f"{tool.url}/lti/register", params={
        "openid_configuration": f"{lms.url}/.well-known/openid-configuration",
        "registration_token": TOKEN}, timeout=10)
    assert page.status_code == 200 and lms.url in page.text and "Registrer" in page.text
    form = parse(page.text).forms[0]
    done = http.post(f"{tool.url}/lti/register", data=form.fields, timeout=10)
    assert done.status_code == 200 and "Stegvis er registrert" in done.text
    assert "registered.js" in done.text  # posts org.imsglobal.lti.close to the platform

    sent = lms.received[0]
    assert sent["initiate_login_uri"] == f"{tool.url}/lti/login"
    assert sent["redirect_uris"] == [f"{tool.url}/lti/launch"]
    assert sent["jwks_uri"] == f"{tool.url}/.well-known/jwks.json"
    assert sent["token_endpoint_auth_method"] == "private_key_jwt"
    assert "openid" not in sent["scope"].split()
    assert "contextmembership" not in sent["scope"]  # the platform does not offer NRPS
    config = sent[TOOL_CONFIG]
    assert config["domain"] == tool.url.removeprefix("http://")
    assert {m["type"] for m in config["messages"]} == {
        "LtiResourceLinkRequest", "LtiDeepLinkingRequest"}

    with session_scope(tool.engine) as db:
        platform = db.scalars(select(Platform).where(Platform.issuer == lms.url)).one()
        assert platform.client_id == "dyn-client-1"
        assert platform.auth_login_url == f"{lms.url}/auth"
        deployments = [d.deployment_id for d in platform.deployments]
        assert platform.awaiting_first_deployment is lms.canvas_style
        assert deployments == ([] if lms.canvas_style else ["dep-7"])


def test_registration_refuses_a_configuration_from_another_issuer(
    tool: RunningTool, lms: RegisteringPlatform
) -> None:
    lms.url, real = "https://impostor.example", lms.url
    page = requests.get(f"{tool.url}/lti/register", params={
        "openid_configuration": f"{real}/.well-known/openid-configuration",
        "registration_token": TOKEN}, timeout=10)
    assert page.status_code == 400 and "Registreringen mislyktes" in page.text
    missing = requests.get(f"{tool.url}/lti/register", timeout=10)
    assert missing.status_code == 400


def test_canvas_json_has_the_urls_an_admin_needs(tool: RunningTool) -> None:
    config = requests.get(f"{tool.url}/lti/canvas.json", timeout=10).json()
    assert config["oidc_initiation_url"] == f"{tool.url}/lti/login"
    assert config["target_link_uri"] == f"{tool.url}/lti/launch"
    assert config["public_jwk_url"] == f"{tool.url}/.well-known/jwks.json"
    placements = config["extensions"][0]["settings"]["placements"]
    assert {p["message_type"] for p in placements} == {"LtiDeepLinkingRequest"}
