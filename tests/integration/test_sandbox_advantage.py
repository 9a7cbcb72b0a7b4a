"""The sandbox LMS's LTI Advantage features, as a tool sees them: real HTTP on 127.0.0.1.

Deep Linking, Names and Role Provisioning, Dynamic Registration, platform key rotation and
platform storage. The tool is a small fake (test_sandbox_platform.FakeTool plus the routes
these features need); the sandbox itself is never mocked.
"""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import jwt
import pytest
import requests
from axe_playwright_python.sync_playwright import Axe
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask, request
from jwt.algorithms import RSAAlgorithm
from playwright.sync_api import Page, expect

from lti_app.sandbox import create_sandbox_app
from tests.integration.test_sandbox_platform import (
    ACTIVITIES,
    AGS_CLAIM,
    CLAIM,
    INSTRUCTOR,
    LEARNER,
    NRPS_SCOPE,
    SCOPE_LINEITEM,
    SCOPE_SCORE,
    Clock,
    Env,
    FakeTool,
    _Server,
    parse_html,
    post_score,
    score_body,
    scores_url,
    single_form,
)
from tests.integration.test_sandbox_platform import _start as start_env

DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
DL_SETTINGS = DL + "deep_linking_settings"
NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
MEMBERSHIPS_TYPE = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
TOOL_CONFIG = "https://purl.imsglobal.org/spec/lti-tool-configuration"
PLATFORM_CONFIG = "https://purl.imsglobal.org/spec/lti-platform-configuration"
LINEITEM_TYPE = "application/vnd.ims.lis.v2.lineitem+json"


# --- the fake tool's extra parts --------------------------------------------------------------


@dataclass
class AdvantageTool(FakeTool):
    """FakeTool plus a second JWKS (for a dynamically registered client); its launch page
    exercises platform storage when a browser runs it."""

    dyn_keys: list[tuple[str, rsa.RSAPrivateKey]] = field(default_factory=list)
    platform_origin: str = ""
    registration_answers: list[dict[str, Any]] = field(default_factory=list)

    def add_dyn_key(self) -> tuple[str, rsa.RSAPrivateKey]:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        entry = (f"dyn-{uuid.uuid4().hex[:8]}", key)
        self.dyn_keys.append(entry)
        return entry

    def wsgi(self) -> Flask:
        app = super().wsgi()

        @app.get("/dyn/jwks.json")
        def dyn_jwks() -> Any:
            out = []
            for kid, key in self.dyn_keys:
                jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
                jwk.update({"kid": kid, "alg": "RS256", "use": "sig"})
                out.append(jwk)
            return {"keys": out}

        @app.get("/lti/register")
        def register_page() -> str:
            """Dynamic Registration, tool side: register server-side, then close."""
            config = requests.get(request.args["openid_configuration"], timeout=10).json()
            answer = requests.post(
                config["registration_endpoint"],
                json=payload_for(self.base_url),
                headers={"Authorization": f"Bearer {request.args['registration_token']}"},
                timeout=10,
            )
            self.registration_answers.append(answer.json())
            return (
                '<!doctype html><html lang="en"><head><title>done</title></head><body>'
                "<script>(window.opener || window.parent).postMessage("
                '{subject: "org.imsglobal.lti.close"}, "*");</script></body></html>'
            )

        return app


# What a tool's launch page does with platform storage (shapes as in 1EdTech's
# lti-postmessage-library): capabilities from the parent, then put/get in the named frame.
STORAGE_PROBE_PAGE = """<!doctype html><html lang="en"><head><title>probe</title></head>
<body><pre id="out">waiting</pre><script>
const PLATFORM_ORIGIN = "__PLATFORM_ORIGIN__";
function send(target, message, targetOrigin) {
  return new Promise((resolve, reject) => {
    const id = "m-" + Math.random().toString(36).slice(2);
    message.message_id = id;
    function onMessage(event) {
      if (!event.data || event.data.message_id !== id) return;
      window.removeEventListener("message", onMessage);
      resolve({data: event.data, origin: event.origin});
    }
    window.addEventListener("message", onMessage);
    target.postMessage(message, targetOrigin);
    setTimeout(() => reject(new Error("timeout: " + message.subject)), 3000);
  });
}
(async () => {
  const caps = await send(window.parent, {subject: "lti.capabilities"}, "*");
  const put = caps.data.supported_messages.find((m) => m.subject === "lti.put_data");
  const frame = window.parent.frames[put.frame];
  const out = {caps: caps};
  out.put = await send(frame, {subject: "lti.put_data", key: "lti_state_abc", value: "abc"},
                       PLATFORM_ORIGIN);
  out.get = await send(frame, {subject: "lti.get_data", key: "lti_state_abc"}, PLATFORM_ORIGIN);
  out.missing = await send(frame, {subject: "lti.get_data", key: "nope"}, PLATFORM_ORIGIN);
  out.bad = await send(frame, {subject: "lti.put_data", value: "x"}, PLATFORM_ORIGIN);
  out.unknown = await send(frame, {subject: "lti.nothing"}, PLATFORM_ORIGIN);
  out.parentPut = await send(window.parent, {subject: "lti.put_data", key: "k", value: "v"},
                             PLATFORM_ORIGIN);
  document.getElementById("out").textContent = JSON.stringify(out);
})().catch((e) => { document.getElementById("out").textContent = "ERROR " + e; });
</script></body></html>"""


def _env(tmp_path: Path, layout: str = "standalone", **overrides: Any) -> tuple[Env, list[_Server]]:
    tool = AdvantageTool()
    env, servers = start_env(layout, tmp_path, Clock(), tool, **overrides)
    parts = urlsplit(env.sandbox_url)
    tool.platform_origin = f"{parts.scheme}://{parts.netloc}"
    tool.launch_body = STORAGE_PROBE_PAGE.replace("__PLATFORM_ORIGIN__", tool.platform_origin)
    return env, servers


@pytest.fixture
def make_env(tmp_path: Path) -> Iterator[Any]:
    started: list[tuple[Env, list[_Server]]] = []

    def make(layout: str = "standalone", **overrides: Any) -> Env:
        pair = _env(tmp_path / f"env{len(started)}", layout, **overrides)
        started.append(pair)
        return pair[0]

    yield make
    for env, servers in started:
        env.browser.close()
        for server in servers:
            server.stop()


@pytest.fixture(params=["standalone", "mounted"])
def env(request: pytest.FixtureRequest, make_env: Any) -> Env:
    made: Env = make_env(request.param)
    return made


@pytest.fixture
def standalone(make_env: Any) -> Env:
    made: Env = make_env()
    return made


# --- helpers -----------------------------------------------------------------------------------


def verify(env: Env, id_token: str, audience: str | None = None) -> dict[str, Any]:
    jwks = requests.get(env.url("/jwks.json"), timeout=10).json()
    header = jwt.get_unverified_header(id_token)
    (jwk,) = [k for k in jwks["keys"] if k["kid"] == header["kid"]]
    claims: dict[str, Any] = jwt.decode(
        id_token,
        RSAAlgorithm.from_jwk(json.dumps(jwk)),  # type: ignore[arg-type]
        algorithms=["RS256"],
        audience=audience or env.settings.client_id,
        issuer=env.settings.base_url,
        options={"require": ["exp", "iat", "nonce", "sub", "aud", "iss"]},
    )
    return claims


def follow_launch(env: Env, page_path: str, audience: str | None = None) -> dict[str, Any]:
    """Open a sandbox page holding a launch iframe; run the OIDC flow; return the claims."""
    b = env.browser
    page = b.get(env.url(page_path))
    assert page.status_code == 200, page.text
    iframe = parse_html(page.text).iframes[0]
    start = b.get(urljoin(page.url, iframe["src"]))
    assert start.status_code == 200, start.text
    login = single_form(start.text)
    to_auth = b.post(login["action"], data=login["fields"], allow_redirects=False)
    assert to_auth.status_code == 302
    posted = single_form(b.get(to_auth.headers["Location"]).text)
    assert "id_token" in posted["fields"], posted
    b.post(posted["action"], data=posted["fields"])
    return verify(env, posted["fields"]["id_token"], audience)


def deep_link_request(env: Env, audience: str | None = None) -> dict[str, Any]:
    return follow_launch(env, "/deeplink?persona=lise", audience)


def deep_link_response(
    env: Env,
    request_claims: dict[str, Any],
    items: list[dict[str, Any]],
    key: tuple[str, rsa.RSAPrivateKey] | None = None,
    **overrides: Any,
) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": request_claims["aud"],
        "aud": env.sandbox_url,
        "iat": now,
        "exp": now + 300,
        "nonce": uuid.uuid4().hex,
        CLAIM + "message_type": "LtiDeepLinkingResponse",
        CLAIM + "version": "1.3.0",
        CLAIM + "deployment_id": request_claims[CLAIM + "deployment_id"],
        DL + "content_items": items,
    }
    if "data" in request_claims[DL_SETTINGS]:
        claims[DL + "data"] = request_claims[DL_SETTINGS]["data"]
    claims.update(overrides)
    claims = {k: v for k, v in claims.items() if v is not None}
    kid, private = key or env.tool.keys[0]
    return jwt.encode(claims, private, algorithm="RS256", headers={"kid": kid})


def post_deep_link(env: Env, request_claims: dict[str, Any], token: str) -> requests.Response:
    return env.browser.post(
        request_claims[DL_SETTINGS]["deep_link_return_url"], data={"JWT": token}, timeout=10
    )


def case_item(env: Env, **extra: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "type": "ltiResourceLink",
        "title": "Bekymring i barnehagen",
        "text": "Et case om henting",
        "url": f"{env.tool.base_url}/lti/launch",
        "custom": {"case": "bhg-henting", "profile": "oslo"},
        "lineItem": {
            "scoreMaximum": 10,
            "label": "Bekymring i barnehagen",
            "resourceId": "bhg-henting",
            "tag": "stegvis",
        },
    }
    item.update(extra)
    return {k: v for k, v in item.items() if v is not None}


def lineitems(env: Env) -> list[dict[str, Any]]:
    resp = requests.get(
        env.url("/ags/sandbox-course-1/lineitems?type_id=1"),
        headers={"Authorization": f"Bearer {env.token(SCOPE_LINEITEM)}"},
        timeout=10,
    )
    assert resp.status_code == 200
    items: list[dict[str, Any]] = resp.json()
    return items


# --- deep linking ------------------------------------------------------------------------------


def test_only_the_instructor_gets_the_deep_linking_button(standalone: Env) -> None:
    learner = standalone.browser.get(standalone.url("/?persona=kari")).text
    assert "Legg til aktivitet fra Stegvis" not in learner
    assert standalone.browser.get(standalone.url("/deeplink")).status_code == 403
    assert standalone.browser.get(standalone.url("/deeplink/launch")).status_code == 403
    instructor = standalone.browser.get(standalone.url("/?persona=lise")).text
    assert "Legg til aktivitet fra Stegvis" in instructor


def test_deep_linking_request_is_moodle_like_with_canvas_data(env: Env) -> None:
    claims = deep_link_request(env)
    login = env.tool.logins[-1]
    assert login["target_link_uri"] == f"{env.tool.base_url}/lti/launch"
    assert claims[CLAIM + "message_type"] == "LtiDeepLinkingRequest"
    assert claims[CLAIM + "version"] == "1.3.0"
    assert claims[CLAIM + "deployment_id"] == "sandbox-1"
    assert claims[CLAIM + "target_link_uri"] == f"{env.tool.base_url}/lti/launch"
    assert claims[CLAIM + "roles"] == [INSTRUCTOR]
    assert CLAIM + "resource_link" not in claims
    assert claims[CLAIM + "context"]["id"] == "sandbox-course-1"
    settings = claims[DL_SETTINGS]
    assert settings["deep_link_return_url"] == f"{env.sandbox_url}/deeplink/return"
    assert settings["accept_types"] == ["ltiResourceLink"]
    assert settings["accept_presentation_document_targets"] == ["iframe", "window"]
    assert settings["accept_multiple"] is True
    assert settings["auto_create"] is True
    assert isinstance(settings["data"], str) and settings["data"]
    assert claims[NRPS_CLAIM]["service_versions"] == ["2.0"]


def test_deep_linking_round_trip_adds_activities_with_custom_and_line_item(env: Env) -> None:
    request_claims = deep_link_request(env)
    second = case_item(
        env, title="Uten karakter", custom={"case": "skolen-blaamerker"}, lineItem=None, text=None
    )
    token = deep_link_response(
        env, request_claims, [case_item(env), second], None, **{DL + "msg": "To aktiviteter"}
    )
    resp = post_deep_link(env, request_claims, token)
    assert resp.status_code == 200, resp.text
    assert "Aktiviteter lagt til" in resp.text
    assert "Bekymring i barnehagen" in resp.text and "Uten karakter" in resp.text
    assert "To aktiviteter" in resp.text

    course = env.browser.get(env.url("/?persona=kari")).text
    configured = [course.index(a.title) for a in ACTIVITIES]
    assert max(configured) < course.index("Bekymring i barnehagen") < course.index("Uten karakter")
    prefix = urlsplit(env.sandbox_url).path
    assert f'href="{prefix}/activity/dl/1?persona=kari"' in course

    claims = follow_launch(env, "/activity/dl/1?persona=kari")
    assert claims[CLAIM + "message_type"] == "LtiResourceLinkRequest"
    assert claims[CLAIM + "resource_link"] == {
        "id": "sandbox-dl-1",
        "title": "Bekymring i barnehagen",
    }
    assert claims[CLAIM + "custom"] == {"case": "bhg-henting", "profile": "oslo"}
    assert claims[CLAIM + "target_link_uri"] == f"{env.tool.base_url}/lti/launch"
    assert claims[CLAIM + "roles"] == [LEARNER]
    lineitem_url = claims[AGS_CLAIM]["lineitem"]
    item = requests.get(
        lineitem_url,
        headers={"Authorization": f"Bearer {env.token(SCOPE_LINEITEM)}"},
        timeout=10,
    ).json()
    assert item == {
        "id": lineitem_url,
        "label": "Bekymring i barnehagen",
        "scoreMaximum": 10,
        "resourceId": "bhg-henting",
        "resourceLinkId": "sandbox-dl-1",
        "tag": "stegvis",
    }
    # every persona can launch it, and the resource link id is stable
    again = follow_launch(env, "/activity/dl/1?persona=lise")
    assert again[CLAIM + "resource_link"]["id"] == "sandbox-dl-1"
    assert again[AGS_CLAIM]["lineitem"] == lineitem_url
    # a score on the deep-linked line item reaches the gradebook, on its scale
    token_score = env.token(SCOPE_SCORE)
    scored = post_score(scores_url(lineitem_url), token_score, score_body(claims["sub"], 5, 10))
    assert scored.status_code == 200, scored.text
    rows = env.gradebook()
    assert [(r["activity_title"], r["score_display"]) for r in rows] == [
        ("Bekymring i barnehagen", "5 / 10")
    ]
    # the item without a line item: no "lineitem" in the AGS claim, and the second id
    plain = follow_launch(env, "/activity/dl/2?persona=ola")
    assert plain[CLAIM + "resource_link"]["id"] == "sandbox-dl-2"
    assert plain[CLAIM + "custom"] == {"case": "skolen-blaamerker"}
    assert "lineitem" not in plain[AGS_CLAIM]


def _no_deep_linked_activities(env: Env) -> None:
    course = env.browser.get(env.url("/?persona=lise")).text
    assert "/activity/dl/" not in course
    assert [i.get("resourceLinkId") for i in lineitems(env)] == []


@pytest.mark.parametrize(
    "case",
    [
        "wrong-aud",
        "bad-signature",
        "data-not-echoed",
        "data-missing",
        "foreign-url",
        "wrong-deployment",
        "wrong-message-type",
        "no-nonce",
        "expired",
        "unknown-kid",
        "not-offered-type",
        "custom-not-strings",
        "bad-line-item",
    ],
)
def test_deep_linking_response_is_rejected_and_nothing_stored(standalone: Env, case: str) -> None:
    env = standalone
    request_claims = deep_link_request(env)
    item = case_item(env)
    overrides: dict[str, Any] = {}
    key = None
    if case == "wrong-aud":
        overrides["aud"] = "https://someone-else.example"
    elif case == "bad-signature":
        key = (env.tool.keys[0][0], rsa.generate_private_key(public_exponent=65537, key_size=2048))
    elif case == "data-not-echoed":
        overrides[DL + "data"] = request_claims[DL_SETTINGS]["data"] + "x"
    elif case == "data-missing":
        overrides[DL + "data"] = None
    elif case == "foreign-url":
        item["url"] = "https://evil.example/lti/launch"
    elif case == "wrong-deployment":
        overrides[CLAIM + "deployment_id"] = "another"
    elif case == "wrong-message-type":
        overrides[CLAIM + "message_type"] = "LtiResourceLinkRequest"
    elif case == "no-nonce":
        overrides["nonce"] = None
    elif case == "expired":
        overrides["exp"] = int(time.time()) - 1
    elif case == "unknown-kid":
        key = ("nobody", rsa.generate_private_key(public_exponent=65537, key_size=2048))
    elif case == "not-offered-type":
        item["type"] = "html"
    elif case == "custom-not-strings":
        item["custom"] = {"case": 3}
    elif case == "bad-line-item":
        item["lineItem"] = {"scoreMaximum": 0}
    token = deep_link_response(env, request_claims, [item], key, **overrides)
    resp = post_deep_link(env, request_claims, token)
    assert resp.status_code == 400, resp.text
    assert "Svaret fra verktøyet ble avvist" in resp.text
    assert 'role="alert"' in resp.text
    _no_deep_linked_activities(env)
    # the request is still open: a correct answer is accepted afterwards
    good = post_deep_link(
        env, request_claims, deep_link_response(env, request_claims, [case_item(env)])
    )
    assert good.status_code == 200, good.text


def test_deep_linking_rejection_names_the_problem(standalone: Env) -> None:
    request_claims = deep_link_request(standalone)
    wrong = deep_link_response(standalone, request_claims, [], aud="https://x.example")
    assert (
        "aud must be the platform issuer" in post_deep_link(standalone, request_claims, wrong).text
    )
    item = case_item(standalone, url="https://evil.example/x")
    foreign = deep_link_response(standalone, request_claims, [item])
    assert "is not on the tool" in post_deep_link(standalone, request_claims, foreign).text
    missing = standalone.browser.post(standalone.url("/deeplink/return"), data={})
    assert missing.status_code == 400
    assert "JWT" in missing.text


def test_deep_linking_response_is_accepted_once(standalone: Env) -> None:
    request_claims = deep_link_request(standalone)
    token = deep_link_response(standalone, request_claims, [case_item(standalone)])
    assert post_deep_link(standalone, request_claims, token).status_code == 200
    replay = post_deep_link(standalone, request_claims, token)
    assert replay.status_code == 400
    # another response to the same request (new nonce) is refused too: data is used up
    other = deep_link_response(standalone, request_claims, [case_item(standalone)])
    assert post_deep_link(standalone, request_claims, other).status_code == 400
    course = standalone.browser.get(standalone.url("/")).text
    assert course.count("/activity/dl/1?") >= 1 and "/activity/dl/2?" not in course


def test_deep_linking_shows_the_tools_error_message(standalone: Env) -> None:
    request_claims = deep_link_request(standalone)
    token = deep_link_response(
        standalone, request_claims, [], None, **{DL + "errormsg": "Ingen case valgt"}
    )
    resp = post_deep_link(standalone, request_claims, token)
    assert resp.status_code == 200
    assert "Ingen case valgt" in resp.text
    assert "Verktøyet sendte ingen aktiviteter." in resp.text


def test_deep_linking_without_data_moodle_style(make_env: Any) -> None:
    env: Env = make_env(deep_linking_data=False)
    request_claims = deep_link_request(env)
    assert "data" not in request_claims[DL_SETTINGS]
    token = deep_link_response(env, request_claims, [case_item(env, url=None)])
    assert post_deep_link(env, request_claims, token).status_code == 200
    claims = follow_launch(env, "/activity/dl/1?persona=kari")
    # without a url, the launch goes to the registration's launch URL
    assert claims[CLAIM + "target_link_uri"] == f"{env.tool.base_url}/lti/launch"


def test_custom_parameter_substitution(standalone: Env) -> None:
    request_claims = deep_link_request(standalone)
    item = case_item(standalone, custom={"who": "$Person.name.given", "odd": "$No.such"})
    post_deep_link(
        standalone, request_claims, deep_link_response(standalone, request_claims, [item])
    )
    claims = follow_launch(standalone, "/activity/dl/1?persona=ola")
    assert claims[CLAIM + "custom"] == {"who": "Ola", "odd": "$No.such"}


# --- names and role provisioning ----------------------------------------------------------------


def test_launch_carries_the_nrps_claim(env: Env) -> None:
    claims = env.launch()
    assert claims[NRPS_CLAIM] == {
        "context_memberships_url": f"{env.sandbox_url}/nrps/sandbox-course-1/memberships",
        "service_versions": ["2.0"],
    }


def _get(url: str, token: str | None, **params: str) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.get(url, headers=headers, params=params or None, timeout=10)


def test_nrps_pages_through_120_extra_members(make_env: Any) -> None:
    env: Env = make_env("mounted", extra_members=120)
    url = env.launch()[NRPS_CLAIM]["context_memberships_url"]
    token = env.token(NRPS_SCOPE)
    pages: list[dict[str, Any]] = []
    next_url: str | None = f"{url}?limit=50"
    while next_url:
        resp = _get(next_url, token)
        assert resp.status_code == 200, resp.text
        assert resp.headers["Content-Type"].startswith(MEMBERSHIPS_TYPE)
        pages.append(resp.json())
        link = resp.headers.get("Link")
        next_url = None
        if link:
            target, rel = link.split(";", 1)
            assert rel.strip() == 'rel="next"'
            next_url = target.strip()[1:-1]
            assert urlsplit(next_url).path == urlsplit(url).path
            assert parse_qs(urlsplit(next_url).query)["limit"] == ["50"]
    assert [len(p["members"]) for p in pages] == [50, 50, 23]
    members = [m for p in pages for m in p["members"]]
    assert len({m["user_id"] for m in members}) == 123
    assert pages[0]["id"] == url
    assert pages[0]["context"] == {
        "id": "sandbox-course-1",
        "label": "BFB-101",
        "title": "Bekymring for barn – obligatorisk opplæring",
    }
    kari = members[0]
    assert kari == {
        "status": "Active",
        "name": "Kari Nordmann",
        "given_name": "Kari",
        "family_name": "Nordmann",
        "email": "kari.nordmann@sandkasse.kommune.no",
        "user_id": "5f0c2a1e-7d4b-4c1a-9a3e-1b2c3d4e5f01",
        "roles": [LEARNER],
    }
    assert members[3]["name"] == "Ansatt 001"
    assert members[-1]["name"] == "Ansatt 120"
    # subs are stable across apps (restarts)
    again = _get(f"{url}?limit=50", token).json()["members"]
    assert again == pages[0]["members"]
    # the cursor is case-sensitive: a lower-cased next URL (pylti1p3's Link bug) fails
    link = _get(f"{url}?limit=50", token).headers["Link"]
    assert link != link.lower()
    assert _get(link.split(";")[0].strip()[1:-1].lower(), token).status_code in (400, 404)


def test_nrps_role_filter_and_rlid(make_env: Any) -> None:
    env: Env = make_env(extra_members=5)
    url = f"{env.sandbox_url}/nrps/sandbox-course-1/memberships"
    token = env.token(NRPS_SCOPE)
    instructors = _get(url, token, role=INSTRUCTOR).json()["members"]
    assert [m["name"] for m in instructors] == ["Lise Leder"]
    assert [m["name"] for m in _get(f"{url}?role=Instructor", token).json()["members"]] == [
        "Lise Leder"
    ]
    learners = _get(f"{url}?role=Learner&limit=3", token)
    assert len(learners.json()["members"]) == 3
    next_url = learners.headers["Link"].split(";")[0].strip()[1:-1]
    assert parse_qs(urlsplit(next_url).query)["role"] == ["Learner"]
    second = _get(next_url, token)
    assert [m["roles"] for m in second.json()["members"]] == [[LEARNER]] * 3
    last = _get(second.headers["Link"].split(";")[0].strip()[1:-1], token)
    assert [m["name"] for m in last.json()["members"]] == ["Ansatt 005"]  # 2 + 5 learners
    assert "Link" not in last.headers
    rlid = _get(f"{url}?rlid=sandbox-rl-{ACTIVITIES[0].case_id}", token)
    assert len(rlid.json()["members"]) == 8
    assert _get(f"{url}?rlid=unknown", token).status_code == 400


def test_nrps_requires_the_scope(standalone: Env) -> None:
    url = f"{standalone.sandbox_url}/nrps/sandbox-course-1/memberships"
    assert _get(url, None).status_code == 401
    assert _get(url, "not-a-token").status_code == 401
    forbidden = _get(url, standalone.token(SCOPE_SCORE))
    assert forbidden.status_code == 403
    assert "insufficient_scope" in forbidden.headers["WWW-Authenticate"]
    token = standalone.token(NRPS_SCOPE)
    assert _get(f"{standalone.sandbox_url}/nrps/other-course/memberships", token).status_code == 404
    assert _get(f"{url}?limit=0", token).status_code == 400
    assert _get(f"{url}?page=garbage", token).status_code == 400


# --- dynamic registration ---------------------------------------------------------------------


def registration_payload(env: Env, **overrides: Any) -> dict[str, Any]:
    return payload_for(env.tool.base_url, **overrides)


def payload_for(tool: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "application_type": "web",
        "response_types": ["id_token"],
        "grant_types": ["implicit", "client_credentials"],
        "initiate_login_uri": f"{tool}/lti/login",
        "redirect_uris": [f"{tool}/lti/launch"],
        "client_name": "Stegvis (dynamisk)",
        "jwks_uri": f"{tool}/dyn/jwks.json",
        "token_endpoint_auth_method": "private_key_jwt",
        "scope": f"{SCOPE_SCORE} {NRPS_SCOPE}",
        TOOL_CONFIG: {
            "domain": urlsplit(tool).netloc,
            "target_link_uri": f"{tool}/lti/launch",
            "claims": ["iss", "sub", "name", "given_name", "family_name", "email"],
            "messages": [
                {"type": "LtiResourceLinkRequest"},
                {"type": "LtiDeepLinkingRequest", "target_link_uri": f"{tool}/lti/launch"},
            ],
        },
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def start_registration(env: Env) -> tuple[str, str]:
    """The admin page: returns (openid_configuration URL, registration_token)."""
    page = env.browser.post(
        env.url("/dynreg"), data={"registration_url": f"{env.tool.base_url}/lti/register?x=1"}
    )
    assert page.status_code == 200, page.text
    (iframe,) = parse_html(page.text).iframes
    src = urlsplit(iframe["src"] or "")
    assert f"{src.scheme}://{src.netloc}{src.path}" == f"{env.tool.base_url}/lti/register"
    query = parse_qs(src.query)
    assert query["x"] == ["1"]
    return query["openid_configuration"][0], query["registration_token"][0]


def register(env: Env, token: str | None, body: Any) -> requests.Response:
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return requests.post(
        env.url("/dynreg/register"), data=json.dumps(body), headers=headers, timeout=10
    )


def test_openid_configuration_is_moodle_like(env: Env) -> None:
    config_url, _ = start_registration(env)
    assert config_url == f"{env.sandbox_url}/.well-known/openid-configuration"
    config = requests.get(config_url, timeout=10).json()
    base = env.sandbox_url
    assert config["issuer"] == base
    assert config["authorization_endpoint"] == f"{base}/auth"
    assert config["token_endpoint"] == f"{base}/token"
    assert config["jwks_uri"] == f"{base}/jwks.json"
    assert config["registration_endpoint"] == f"{base}/dynreg/register"
    assert config["token_endpoint_auth_methods_supported"] == ["private_key_jwt"]
    assert config["token_endpoint_auth_signing_alg_values_supported"] == ["RS256"]
    assert config["id_token_signing_alg_values_supported"] == ["RS256"]
    assert config["response_types_supported"] == ["id_token"]
    assert "public" in config["subject_types_supported"]
    assert {"sub", "iss", "name", "email"} <= set(config["claims_supported"])
    assert config["scopes_supported"][0] == "openid"
    assert {SCOPE_SCORE, SCOPE_LINEITEM, NRPS_SCOPE} <= set(config["scopes_supported"])
    platform = config[PLATFORM_CONFIG]
    assert platform["product_family_code"] == "moodle"
    assert platform["version"]
    assert platform["messages_supported"] == ["LtiResourceLinkRequest", "LtiDeepLinkingRequest"]
    assert "Person.name.given" in platform["variables"]


def test_openid_configuration_messages_as_objects(make_env: Any) -> None:
    env: Env = make_env(messages_as_objects=True)
    config = requests.get(env.url("/.well-known/openid-configuration"), timeout=10).json()
    assert config[PLATFORM_CONFIG]["messages_supported"] == [
        {"type": "LtiResourceLinkRequest"},
        {"type": "LtiDeepLinkingRequest"},
    ]


def test_registration_token_is_a_moodle_style_jwt(standalone: Env) -> None:
    _, token = start_registration(standalone)
    claims = verify_platform_jwt(standalone, token)
    assert claims["scope"] == "reg"
    assert claims["exp"] - claims["iat"] == 3600


def verify_platform_jwt(env: Env, token: str) -> dict[str, Any]:
    jwks = requests.get(env.url("/jwks.json"), timeout=10).json()
    (jwk,) = [k for k in jwks["keys"] if k["kid"] == jwt.get_unverified_header(token)["kid"]]
    key: Any = RSAAlgorithm.from_jwk(json.dumps(jwk))
    claims: dict[str, Any] = jwt.decode(token, key, algorithms=["RS256"])
    return claims


def test_dynamic_registration_then_launch_and_token_with_the_new_client(env: Env) -> None:
    _, token = start_registration(env)
    body = registration_payload(env)
    resp = register(env, token, body)
    assert resp.status_code == 200, resp.text
    answer = resp.json()
    client_id = answer["client_id"]
    deployment_id = answer[TOOL_CONFIG]["deployment_id"]
    assert client_id and client_id != "stegvis-sandbox"
    assert deployment_id and deployment_id != "sandbox-1"
    assert answer["jwks_uri"] == body["jwks_uri"]
    assert answer[TOOL_CONFIG]["target_link_uri"] == body[TOOL_CONFIG]["target_link_uri"]
    # one-time token
    assert register(env, token, body).status_code == 401
    listed = requests.get(env.url("/dynreg/registrations.json"), timeout=10).json()
    assert [r["client_id"] for r in listed["registrations"]] == ["stegvis-sandbox", client_id]
    assert client_id in env.browser.get(env.url("/dynreg?registered=1")).text

    # the course page's select chooses it; the launch reaches the fake tool with it
    course = env.browser.get(env.url(f"/?registration={client_id}")).text
    assert 'id="registration"' in course and f'value="{client_id}" selected' in course
    claims = follow_launch(env, f"/activity/{ACTIVITIES[0].case_id}?persona=kari", client_id)
    login = env.tool.logins[-1]
    assert login["client_id"] == client_id
    assert login["lti_deployment_id"] == deployment_id
    assert env.tool.launches[-1]["id_token"]
    assert claims["aud"] == client_id
    assert claims[CLAIM + "deployment_id"] == deployment_id
    # services as far as the registration asked: score (no lineitem), NRPS
    assert claims[AGS_CLAIM]["scope"] == [SCOPE_SCORE]
    assert NRPS_CLAIM in claims

    # the token endpoint checks this client's assertion with its own jwks_uri
    assert isinstance(env.tool, AdvantageTool)
    dyn_key = env.tool.add_dyn_key()
    assertion = env.assertion(_key=dyn_key, iss=client_id, sub=client_id)
    granted = env.request_token(assertion, scope=f"{SCOPE_SCORE} {SCOPE_LINEITEM} {NRPS_SCOPE}")
    assert granted.status_code == 200, granted.text
    assert granted.json()["scope"].split() == [SCOPE_SCORE, NRPS_SCOPE]
    # the static registration's key does not work for the new client
    wrong = env.assertion(iss=client_id, sub=client_id)
    assert env.request_token(wrong).status_code == 401

    # deep linking with the new registration: its client_id is the response's iss
    request_claims = deep_link_request(env, client_id)
    assert request_claims["aud"] == client_id
    response_token = deep_link_response(env, request_claims, [case_item(env)], dyn_key)
    assert post_deep_link(env, request_claims, response_token).status_code == 200
    # back to the static registration: the deep-linked activity keeps its own
    env.browser.get(env.url("/?registration=stegvis-sandbox"))
    again = follow_launch(env, "/activity/dl/1?persona=ola", client_id)
    assert again[CLAIM + "deployment_id"] == deployment_id


def test_canvas_style_registration_answers_without_deployment_id(make_env: Any) -> None:
    env: Env = make_env(canvas_style_registration=True)
    _, token = start_registration(env)
    resp = register(env, token, registration_payload(env))
    assert resp.status_code == 200, resp.text
    assert "client_id" in resp.json()
    assert "deployment_id" not in resp.json()[TOOL_CONFIG]
    assert "deployment_id" not in resp.json()
    # the tool learns the deployment id at the first launch
    client_id = resp.json()["client_id"]
    env.browser.get(env.url(f"/?registration={client_id}"))
    claims = follow_launch(env, f"/activity/{ACTIVITIES[0].case_id}", client_id)
    assert claims[CLAIM + "deployment_id"].startswith("sandbox-dyn-dep-")


def _tool_config(env: Env, **changes: Any) -> dict[str, Any]:
    config = dict(registration_payload(env)[TOOL_CONFIG])
    config.update(changes)
    return {k: v for k, v in config.items() if v is not None}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"application_type": "native"}, "application_type"),
        ({"grant_types": ["implicit"]}, "grant_types"),
        ({"response_types": ["code"]}, "response_types"),
        ({"token_endpoint_auth_method": "client_secret_basic"}, "token_endpoint_auth_method"),
        ({"initiate_login_uri": None}, "initiate_login_uri"),
        ({"initiate_login_uri": "http://elsewhere.example/lti/login"}, "initiate_login_uri"),
        ({"redirect_uris": []}, "redirect_uris"),
        ({"redirect_uris": ["not a url"]}, "redirect_uris[1]"),
        ({"jwks_uri": "ftp://x/jwks"}, "jwks_uri"),
        ({"scope": "openid https://example.com/scope/admin"}, "scope"),
        ({TOOL_CONFIG: None}, TOOL_CONFIG),
        ({"_domain": "other.example"}, f"{TOOL_CONFIG}.domain"),
        ({"_target_link_uri": None}, f"{TOOL_CONFIG}.target_link_uri"),
        ({"_claims": "email"}, f"{TOOL_CONFIG}.claims"),
        ({"_messages": [{"type": "LtiResourceLinkRequest"}]}, f"{TOOL_CONFIG}.messages"),
        (
            {"_messages": [{"type": "LtiSubmissionReviewRequest"}]},
            f"{TOOL_CONFIG}.messages[1].type",
        ),
    ],
)
def test_bad_registration_is_a_400_naming_the_field(
    standalone: Env, change: dict[str, Any], field: str
) -> None:
    env = standalone
    _, token = start_registration(env)
    config_changes = {k[1:]: v for k, v in change.items() if k.startswith("_")}
    top = {k: v for k, v in change.items() if not k.startswith("_")}
    body = registration_payload(env, **top)
    if config_changes:
        body[TOOL_CONFIG] = _tool_config(env, **config_changes)
    resp = register(env, token, body)
    assert resp.status_code == 400, resp.text
    error = resp.json()
    assert error["error"] == "invalid_client_metadata"
    assert error["field"] == field
    assert error["error_description"].startswith(field)
    # a rejected request does not use up the token
    assert register(env, token, registration_payload(env)).status_code == 200


def test_registration_needs_a_valid_unused_token(standalone: Env) -> None:
    env = standalone
    body = registration_payload(env)
    assert register(env, None, body).status_code == 401
    assert register(env, "garbage", body).status_code == 401
    forged_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    kid = requests.get(env.url("/jwks.json"), timeout=10).json()["keys"][0]["kid"]
    now = int(time.time())
    forged = jwt.encode(
        {"iss": env.sandbox_url, "scope": "reg", "iat": now, "exp": now + 60, "jti": "x"},
        forged_key,
        algorithm="RS256",
        headers={"kid": kid},
    )
    assert register(env, forged, body).status_code == 401
    _, token = start_registration(env)
    env.clock.advance(3601)
    expired = register(env, token, body)
    assert expired.status_code == 401
    assert "expired" in expired.json()["error_description"]
    assert expired.headers["WWW-Authenticate"].startswith("Bearer")


def test_dynreg_page(standalone: Env) -> None:
    page = standalone.browser.get(standalone.url("/dynreg"))
    assert page.status_code == 200
    assert "Registrer et verktøy" in page.text
    assert f'value="{standalone.tool.base_url}/lti/register"' in page.text
    bad = standalone.browser.post(standalone.url("/dynreg"), data={"registration_url": "nope"})
    assert bad.status_code == 400
    started = standalone.browser.post(
        standalone.url("/dynreg"), data={"registration_url": f"{standalone.tool.base_url}/r"}
    )
    assert "sandbox/dynreg.js" in started.text
    assert f'data-tool-origin="{standalone.tool.base_url}"' in started.text
    js = requests.get(standalone.url("/static/sandbox/dynreg.js"), timeout=10)
    assert js.status_code == 200
    assert "org.imsglobal.lti.close" in js.text


# --- platform key rotation ----------------------------------------------------------------------


def test_rotate_key_publishes_both_and_signs_with_the_new(env: Env) -> None:
    url = env.url("/test/rotate-key")
    assert requests.post(url, timeout=10).status_code == 404
    env.sandbox_app.testing = True
    old = requests.get(env.url("/jwks.json"), timeout=10).json()["keys"][0]["kid"]
    rotated = requests.post(url, timeout=10).json()
    assert rotated["kid"] != old
    kids = [k["kid"] for k in requests.get(env.url("/jwks.json"), timeout=10).json()["keys"]]
    assert kids == [rotated["kid"], old]
    to_auth = env.start_launch()
    posted = single_form(env.browser.get(to_auth.headers["Location"]).text)
    assert jwt.get_unverified_header(posted["fields"]["id_token"])["kid"] == rotated["kid"]
    # a new app (a restart, another worker) on the same data_dir sees the same ring
    other = create_sandbox_app(env.settings).test_client()
    assert [k["kid"] for k in other.get("/jwks.json").get_json()["keys"]] == kids
    # drop_old: only the newest is published, and an old-kid token is no longer ours
    newest = requests.post(f"{url}?drop_old=1", timeout=10).json()
    jwks = requests.get(env.url("/jwks.json"), timeout=10).json()["keys"]
    assert [k["kid"] for k in jwks] == [newest["kid"]]
    assert [k["kid"] for k in other.get("/jwks.json").get_json()["keys"]] == [newest["kid"]]


# --- platform storage ---------------------------------------------------------------------------


def test_platform_storage_is_off_by_default(standalone: Env) -> None:
    standalone.start_launch()
    assert "lti_storage_target" not in standalone.tool.logins[-1]
    assert standalone.browser.get(standalone.url("/platform-storage")).status_code == 404
    page = standalone.browser.get(standalone.url(f"/activity/{ACTIVITIES[0].case_id}")).text
    assert "post_message_forwarding" not in page


def test_platform_storage_frame_and_target(make_env: Any) -> None:
    env: Env = make_env("mounted", platform_storage=True)
    page = env.browser.get(env.url(f"/activity/{ACTIVITIES[0].case_id}?persona=kari"))
    tool_frame, storage_frame = parse_html(page.text).iframes
    assert tool_frame["class"] == "tool"
    assert storage_frame["name"] == "post_message_forwarding"
    assert "hidden" in storage_frame
    frame_page = env.browser.get(urljoin(page.url, storage_frame["src"]))
    assert frame_page.status_code == 200
    assert 'data-lti-storage-role="frame"' in frame_page.text
    assert 'data-lti-storage-role="parent"' in page.text
    prefix = urlsplit(env.sandbox_url).path
    script = requests.get(env.url("/static/sandbox/platform_storage.js"), timeout=10)
    assert script.status_code == 200
    assert f'src="{prefix}/static/sandbox/platform_storage.js"' in page.text
    # login initiation and the launch form both name the frame, as Canvas does
    to_auth = env.start_launch()
    assert env.tool.logins[-1]["lti_storage_target"] == "post_message_forwarding"
    form = single_form(env.browser.get(to_auth.headers["Location"]).text)
    assert form["fields"]["lti_storage_target"] == "post_message_forwarding"
    deeplink = env.browser.get(env.url("/deeplink?persona=lise")).text
    assert 'name="post_message_forwarding"' in deeplink


NODE_HARNESS = """
const ps = require(process.argv[1]);
const store = ps.memoryStore();
const a = "https://tool.example", b = "https://other.example";
const r = (data, origin, role) => ps.respond(data, origin || a, role || "frame",
                                             "post_message_forwarding", store);
const out = {
  caps: r({subject: "lti.capabilities", message_id: "1"}, a, "parent"),
  put: r({subject: "lti.put_data", message_id: "2", key: "lti_state_s", value: "s"}),
  get: r({subject: "lti.get_data", message_id: "3", key: "lti_state_s"}),
  otherOrigin: r({subject: "lti.get_data", message_id: "4", key: "lti_state_s"}, b),
  noKey: r({subject: "lti.put_data", message_id: "5", value: "x"}),
  noValue: r({subject: "lti.put_data", message_id: "6", key: "k"}),
  noId: r({subject: "lti.get_data", key: "k"}),
  unknown: r({subject: "lti.close_window", message_id: "7"}),
  parentPut: r({subject: "lti.put_data", message_id: "8", key: "k", value: "v"}, a, "parent"),
  tooLong: r({subject: "lti.put_data", message_id: "9", key: "k", value: "x".repeat(5000)}),
  ignoredString: r("lti.capabilities"),
  ignoredNull: r(null),
  ignoredOther: r({subject: "requestFullWindowLaunch"}),
  ignoredResponse: r({subject: "lti.get_data.response", message_id: "1"}),
  ignoredOpaque: r({subject: "lti.capabilities", message_id: "1"}, "null"),
};
process.stdout.write(JSON.stringify(out));
"""


def test_platform_storage_message_handler_unit() -> None:
    script = Path(__file__).parents[2] / "lti_app/sandbox/static/sandbox/platform_storage.js"
    done = subprocess.run(
        ["node", "-e", NODE_HARNESS, str(script)],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    out = json.loads(done.stdout)
    assert out["caps"] == {
        "subject": "lti.capabilities.response",
        "message_id": "1",
        "supported_messages": [
            {"subject": "lti.capabilities"},
            {"subject": "lti.put_data", "frame": "post_message_forwarding"},
            {"subject": "lti.get_data", "frame": "post_message_forwarding"},
        ],
    }
    assert out["put"] == {
        "subject": "lti.put_data.response",
        "message_id": "2",
        "key": "lti_state_s",
        "value": "s",
    }
    assert out["get"] == {
        "subject": "lti.get_data.response",
        "message_id": "3",
        "key": "lti_state_s",
        "value": "s",
    }
    assert out["otherOrigin"]["value"] is None  # per-origin storage
    for name in ("noKey", "noValue", "noId"):
        assert out[name]["error"]["code"] == "bad_request", name
        assert out[name]["error"]["message"]
    assert out["unknown"]["error"]["code"] == "unsupported_subject"
    assert out["unknown"]["subject"] == "lti.close_window.response"
    assert out["parentPut"]["error"]["code"] == "unsupported_subject"
    assert out["tooLong"]["error"]["code"] == "storage_exhaustion"
    for name in (
        "ignoredString",
        "ignoredNull",
        "ignoredOther",
        "ignoredResponse",
        "ignoredOpaque",
    ):
        assert out[name] is None, name


def test_dynamic_registration_page_in_chromium(make_env: Any, page: Page) -> None:
    """The admin starts a registration; the tool registers and posts lti.close; the page
    closes the iframe and lists the new registration."""
    env: Env = make_env()
    assert isinstance(env.tool, AdvantageTool)
    # the new pages have no accessibility violations axe can find
    axe = Axe()
    for path in ("/?persona=lise", "/dynreg", "/deeplink?persona=lise"):
        page.goto(env.url(path))
        violations = axe.run(page).response["violations"]
        assert violations == [], (path, [v["id"] for v in violations])
    page.goto(env.url("/dynreg"))
    page.get_by_role("button", name="Start registrering").click()
    page.wait_for_url("**/dynreg?registered=1", timeout=15000)
    expect(page.get_by_role("status")).to_have_text("Registreringen er fullført.")
    (answer,) = env.tool.registration_answers
    row = page.get_by_role("row").filter(has_text=answer["client_id"])
    expect(row).to_contain_text(answer[TOOL_CONFIG]["deployment_id"])


def test_platform_storage_in_chromium_across_origins(make_env: Any, page: Page) -> None:
    """The tool (another origin: another port) talks to the sandbox's frames for real."""
    env: Env = make_env(platform_storage=True)
    assert urlsplit(env.tool.base_url).netloc != urlsplit(env.sandbox_url).netloc
    page.goto(env.url(f"/activity/{ACTIVITIES[0].case_id}?persona=kari"))
    out = page.frame_locator("iframe.tool").locator("#out")
    deadline = time.time() + 15
    text = out.text_content() or ""
    while text == "waiting" and time.time() < deadline:
        page.wait_for_timeout(100)
        text = out.text_content() or ""
    assert not text.startswith("ERROR"), text
    result = json.loads(text)
    assert isinstance(env.tool, AdvantageTool)
    platform_origin = env.tool.platform_origin
    caps = result["caps"]
    assert caps["origin"] == platform_origin
    assert caps["data"]["subject"] == "lti.capabilities.response"
    assert {"subject": "lti.put_data", "frame": "post_message_forwarding"} in caps["data"][
        "supported_messages"
    ]
    for name in ("put", "get", "missing", "bad", "unknown"):
        assert result[name]["origin"] == platform_origin, name
    assert result["put"]["data"]["subject"] == "lti.put_data.response"
    assert (result["put"]["data"]["key"], result["put"]["data"]["value"]) == (
        "lti_state_abc",
        "abc",
    )
    assert result["get"]["data"] == {
        "subject": "lti.get_data.response",
        "message_id": result["get"]["data"]["message_id"],
        "key": "lti_state_abc",
        "value": "abc",
    }
    assert result["missing"]["data"]["value"] is None
    assert result["bad"]["data"]["error"]["code"] == "bad_request"
    assert result["unknown"]["data"]["error"]["code"] == "unsupported_subject"
    assert result["parentPut"]["data"]["error"]["code"] == "unsupported_subject"
