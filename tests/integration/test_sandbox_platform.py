"""The sandbox LMS (lti_app.sandbox) as a tool sees it: real HTTP on 127.0.0.1.

The real tool is not used here: a tiny fake tool in this file serves a JWKS, answers the
OIDC login initiation with a redirect to the sandbox's auth endpoint and records what is
posted to its launch URL. Each test runs against the sandbox standalone on its own port
and, where the URL layout matters, mounted under /sandbox beside the fake tool.
"""

from __future__ import annotations

import json
import stat
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask, redirect, request
from jwt.algorithms import RSAAlgorithm
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.serving import make_server

from lti_app.sandbox import Activity, SandboxSettings, create_sandbox_app, platform_registration

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
SCOPE_SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
SCOPE_LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
SCOPE_RESULT = "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly"
NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
SCORE_TYPE = "application/vnd.ims.lis.v1.score+json"

ACTIVITIES = (
    Activity(case_id="skolen-blaamerker", title="Blåmerker på armen"),
    Activity(case_id="bhg-henting", title="Ruset ved henting"),
)


# --- helpers --------------------------------------------------------------------------------------


class Clock:
    """Real time plus an offset the test can move forward."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []
        self.iframes: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"action": a.get("action"), "method": a.get("method"), "fields": {}})
        elif tag == "input" and self.forms and a.get("name"):
            self.forms[-1]["fields"][a["name"]] = a.get("value") or ""
        elif tag == "iframe":
            self.iframes.append(a)


def parse_html(text: str) -> _FormParser:
    parser = _FormParser()
    parser.feed(text)
    return parser


def single_form(text: str) -> dict[str, Any]:
    forms = parse_html(text).forms
    assert len(forms) == 1, text
    return forms[0]


class _Server:
    def __init__(self, app: Any) -> None:
        self.app: Any = app
        self._server = make_server("127.0.0.1", 0, self, threaded=True)
        self.port = self._server.server_port
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        return self.app(environ, start_response)

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


@dataclass
class FakeTool:
    """Plays Stegvis: JWKS, OIDC login initiation, launch receiver."""

    base_url: str = ""
    auth_url: str = ""
    keys: list[tuple[str, rsa.RSAPrivateKey]] = field(default_factory=list)
    jwks_fetches: int = 0
    logins: list[dict[str, Any]] = field(default_factory=list)
    launches: list[dict[str, str]] = field(default_factory=list)
    # tweak the authentication request the fake tool sends back to the platform
    auth_overrides: dict[str, str | None] = field(default_factory=dict)
    # what the launch URL answers (a page with a script, for browser tests)
    launch_body: str = "launched"

    def add_key(self) -> tuple[str, rsa.RSAPrivateKey]:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        entry = (f"tool-{uuid.uuid4().hex[:8]}", key)
        self.keys.append(entry)
        return entry

    def wsgi(self) -> Flask:
        app = Flask("fake_tool")

        @app.get("/.well-known/jwks.json")
        def jwks() -> Any:
            self.jwks_fetches += 1
            out = []
            for kid, key in self.keys:
                jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
                jwk.update({"kid": kid, "alg": "RS256", "use": "sig"})
                out.append(jwk)
            return {"keys": out}

        @app.route("/lti/login", methods=["GET", "POST"])
        def login() -> Any:
            params = request.form if request.method == "POST" else request.args
            self.logins.append({"method": request.method, **params.to_dict()})
            auth: dict[str, str | None] = {
                "scope": "openid",
                "response_type": "id_token",
                "response_mode": "form_post",
                "prompt": "none",
                "client_id": params.get("client_id"),
                "redirect_uri": params.get("target_link_uri"),
                "login_hint": params.get("login_hint"),
                "lti_message_hint": params.get("lti_message_hint"),
                "nonce": uuid.uuid4().hex,
                "state": uuid.uuid4().hex,
            }
            auth.update(self.auth_overrides)
            query = urlencode({k: v for k, v in auth.items() if v is not None})
            return redirect(f"{self.auth_url}?{query}", 302)

        @app.post("/lti/launch")
        def launch() -> str:
            self.launches.append(request.form.to_dict())
            return self.launch_body

        return app


@dataclass
class Env:
    sandbox_url: str
    tool: FakeTool
    settings: SandboxSettings
    sandbox_app: Flask
    clock: Clock
    browser: requests.Session

    @property
    def token_url(self) -> str:
        return f"{self.sandbox_url}/token"

    def url(self, path: str) -> str:
        return f"{self.sandbox_url}{path}"

    def start_launch(
        self,
        case_id: str = ACTIVITIES[0].case_id,
        persona: str = "kari",
        browser: requests.Session | None = None,
    ) -> requests.Response:
        """Open the activity page, follow its iframe to the tool's login, return the
        tool's redirect to the auth endpoint (not yet followed)."""
        b = browser or self.browser
        page = b.get(self.url(f"/activity/{case_id}?persona={persona}"))
        assert page.status_code == 200
        iframe = parse_html(page.text).iframes[0]
        start = b.get(urljoin(page.url, iframe["src"]))
        assert start.status_code == 200
        form = single_form(start.text)
        assert form["method"] == "post"
        resp = b.post(form["action"], data=form["fields"], allow_redirects=False)
        assert resp.status_code == 302
        return resp

    def launch(
        self,
        case_id: str = ACTIVITIES[0].case_id,
        persona: str = "kari",
        browser: requests.Session | None = None,
    ) -> dict[str, Any]:
        """A full launch; returns the verified id_token claims."""
        b = browser or self.browser
        to_auth = self.start_launch(case_id, persona, b)
        posted = b.get(to_auth.headers["Location"])
        form = single_form(posted.text)
        assert form["action"] == f"{self.tool.base_url}/lti/launch"
        fields = form["fields"]
        assert "id_token" in fields, posted.text
        b.post(form["action"], data=fields)
        return verify_id_token(self, fields["id_token"])

    def assertion(self, **overrides: Any) -> str:
        kid, key = overrides.pop("_key", None) or self.tool.keys[0]
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.settings.client_id,
            "sub": self.settings.client_id,
            "aud": self.token_url,
            "iat": now,
            "exp": now + 300,
            "jti": uuid.uuid4().hex,
        }
        claims.update(overrides)
        claims = {k: v for k, v in claims.items() if v is not None}
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})

    def request_token(
        self, assertion: str | None = None, scope: str = SCOPE_SCORE
    ) -> requests.Response:
        return requests.post(
            self.token_url,
            data={
                "grant_type": "client_credentials",
                "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                "client_assertion": assertion or self.assertion(),
                "scope": scope,
            },
            timeout=10,
        )

    def token(self, scope: str = SCOPE_SCORE) -> str:
        resp = self.request_token(scope=scope)
        assert resp.status_code == 200, resp.text
        return str(resp.json()["access_token"])

    def gradebook(self) -> list[dict[str, Any]]:
        return list(requests.get(self.url("/gradebook.json"), timeout=10).json()["rows"])


def verify_id_token(env: Env, id_token: str) -> dict[str, Any]:
    jwks = requests.get(env.url("/jwks.json"), timeout=10).json()
    header = jwt.get_unverified_header(id_token)
    assert header["alg"] == "RS256"
    (jwk,) = [k for k in jwks["keys"] if k["kid"] == header["kid"]]
    key = RSAAlgorithm.from_jwk(json.dumps(jwk))
    claims: dict[str, Any] = jwt.decode(
        id_token,
        key,  # type: ignore[arg-type]
        algorithms=["RS256"],
        audience=env.settings.client_id,
        issuer=env.settings.base_url,
        options={"require": ["exp", "iat", "nonce", "sub", "aud", "iss"]},
    )
    return claims


def score_body(
    user_id: str, given: float = 85, maximum: float = 100, **extra: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "userId": user_id,
        "scoreGiven": given,
        "scoreMaximum": maximum,
        "activityProgress": "Completed",
        "gradingProgress": "FullyGraded",
        "timestamp": "2025-03-01T10:00:00.123+01:00",
    }
    body.update(extra)
    return body


def scores_url(lineitem_url: str) -> str:
    """What the tool must do: path + /scores, keeping the query string."""
    parts = urlsplit(lineitem_url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}/scores?{parts.query}"


def post_score(
    url: str, token: str | None, body: dict[str, Any], content_type: str = SCORE_TYPE
) -> requests.Response:
    headers = {"Content-Type": content_type}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return requests.post(url, data=json.dumps(body), headers=headers, timeout=10)


# --- fixtures -------------------------------------------------------------------------------------


def _start(
    layout: str,
    tmp_path: Path,
    clock: Clock,
    tool: FakeTool | None = None,
    **settings_overrides: Any,
) -> tuple[Env, list[_Server]]:
    """Sandbox + fake tool on 127.0.0.1; settings_overrides go to SandboxSettings."""
    tool = tool or FakeTool()
    tool.add_key()
    if layout == "standalone":
        tool_server = _Server(tool.wsgi())
        sandbox_server = _Server(None)
        servers = [tool_server, sandbox_server]
        tool.base_url = f"http://127.0.0.1:{tool_server.port}"
        sandbox_url = f"http://127.0.0.1:{sandbox_server.port}"
    else:
        server = _Server(None)
        servers = [server]
        tool.base_url = f"http://127.0.0.1:{server.port}"
        sandbox_url = f"{tool.base_url}/sandbox"
    settings = SandboxSettings(
        base_url=sandbox_url,
        tool_base_url=tool.base_url,
        data_dir=tmp_path / "sandbox-data",
        activities=lambda: ACTIVITIES,
        secret_key="test-only-secret",
        **settings_overrides,
    )
    tool.auth_url = platform_registration(settings)["auth_login_url"]
    app = create_sandbox_app(settings, clock=clock)
    if layout == "standalone":
        sandbox_server.app = app
    else:
        servers[0].app = DispatcherMiddleware(tool.wsgi(), {"/sandbox": app})
    env = Env(sandbox_url, tool, settings, app, clock, requests.Session())
    return env, servers


@pytest.fixture(params=["standalone", "mounted"])
def env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Env]:
    e, servers = _start(request.param, tmp_path, Clock())
    try:
        yield e
    finally:
        e.browser.close()
        for s in servers:
            s.stop()


@pytest.fixture
def standalone(tmp_path: Path) -> Iterator[Env]:
    e, servers = _start("standalone", tmp_path, Clock())
    try:
        yield e
    finally:
        e.browser.close()
        for s in servers:
            s.stop()


# --- pages and keys -------------------------------------------------------------------------------


def test_course_page_lists_activities_and_personas(env: Env) -> None:
    resp = env.browser.get(env.url("/"))
    assert resp.status_code == 200
    assert '<html lang="nb">' in resp.text
    assert "Bekymring for barn – obligatorisk opplæring" in resp.text
    for activity in ACTIVITIES:
        assert activity.title in resp.text
    for name in ("Kari Nordmann", "Ola Hansen", "Lise Leder"):
        assert name in resp.text
    assert '<label for="persona">' in resp.text
    # the session cookie has its own name, so it cannot collide with the tool's
    assert "stegvis_sandbox_session" in env.browser.cookies.get_dict()


def test_activity_page_embeds_the_launch_in_a_titled_iframe(env: Env) -> None:
    resp = env.browser.get(env.url(f"/activity/{ACTIVITIES[0].case_id}?persona=ola"))
    (iframe,) = parse_html(resp.text).iframes
    assert iframe["title"] == f"Stegvis: {ACTIVITIES[0].title}"
    prefix = urlsplit(env.sandbox_url).path
    assert iframe["src"] is not None
    assert iframe["src"].startswith(f"{prefix}/launch/{ACTIVITIES[0].case_id}")
    assert "Åpne i nytt vindu" in resp.text
    assert env.browser.get(env.url("/activity/no-such-case")).status_code == 404


def test_jwks_publishes_one_rs256_signing_key(env: Env) -> None:
    (key,) = requests.get(env.url("/jwks.json"), timeout=10).json()["keys"]
    assert key["kty"] == "RSA"
    assert key["alg"] == "RS256"
    assert key["use"] == "sig"
    assert key["kid"]
    assert "d" not in key


def test_private_key_is_created_once_0600_and_reused(env: Env) -> None:
    kid = requests.get(env.url("/jwks.json"), timeout=10).json()["keys"][0]["kid"]
    data_dir = env.settings.data_dir
    pem_files = list(data_dir.glob("*.pem"))
    assert len(pem_files) == 1
    assert stat.S_IMODE(pem_files[0].stat().st_mode) == 0o600
    again = create_sandbox_app(env.settings).test_client().get("/jwks.json").get_json()
    assert again["keys"][0]["kid"] == kid
    env.launch()  # touches the database
    for path in data_dir.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    names = {p.name for p in data_dir.iterdir()}
    assert names <= {
        pem_files[0].name,
        "sandbox.sqlite3",
        "sandbox.sqlite3-wal",
        "sandbox.sqlite3-shm",
    }


def test_platform_registration_values(env: Env) -> None:
    reg = platform_registration(env.settings)
    assert reg == {
        "issuer": env.sandbox_url,
        "client_id": "stegvis-sandbox",
        "deployment_id": "sandbox-1",
        "auth_login_url": f"{env.sandbox_url}/auth",
        "auth_token_url": f"{env.sandbox_url}/token",
        "key_set_url": f"{env.sandbox_url}/jwks.json",
    }


# --- launch ---------------------------------------------------------------------------------------


def test_login_initiation_is_a_moodle_style_form_post(env: Env) -> None:
    env.start_launch(persona="kari")
    (login,) = env.tool.logins
    assert login["method"] == "POST"
    assert login["iss"] == env.sandbox_url
    assert login["login_hint"] == "101"
    assert login["target_link_uri"] == f"{env.tool.base_url}/lti/launch"
    assert login["client_id"] == "stegvis-sandbox"
    assert login["lti_deployment_id"] == "sandbox-1"
    assert isinstance(json.loads(login["lti_message_hint"]), dict)


def test_full_launch_signs_an_id_token_with_every_claim(env: Env) -> None:
    claims = env.launch(persona="kari")
    (launch,) = env.tool.launches
    (login,) = env.tool.logins
    assert launch["state"]
    assert claims["iss"] == env.sandbox_url
    assert claims["aud"] == "stegvis-sandbox"
    assert claims["azp"] == "stegvis-sandbox"
    assert claims["exp"] - claims["iat"] == 60
    assert claims["nonce"]
    assert claims["sub"] != login["login_hint"]
    uuid.UUID(claims["sub"])
    assert claims["name"] == "Kari Nordmann"
    assert claims["given_name"] == "Kari"
    assert claims["family_name"] == "Nordmann"
    assert claims["email"].endswith("@sandkasse.kommune.no")
    assert claims[CLAIM + "message_type"] == "LtiResourceLinkRequest"
    assert claims[CLAIM + "version"] == "1.3.0"
    assert claims[CLAIM + "deployment_id"] == "sandbox-1"
    assert claims[CLAIM + "target_link_uri"] == f"{env.tool.base_url}/lti/launch"
    assert claims[CLAIM + "resource_link"]["title"] == ACTIVITIES[0].title
    assert claims[CLAIM + "resource_link"]["id"]
    assert claims[CLAIM + "roles"] == [LEARNER]
    context = claims[CLAIM + "context"]
    assert context["id"] == "sandbox-course-1"
    assert context["title"] == "Bekymring for barn – obligatorisk opplæring"
    assert context["label"]
    assert context["type"] == ["http://purl.imsglobal.org/vocab/lis/v2/course#CourseSection"]
    presentation = claims[CLAIM + "launch_presentation"]
    assert presentation["document_target"] == "iframe"
    assert presentation["locale"] == "nb-NO"
    assert presentation["return_url"] == f"{env.sandbox_url}/return"
    assert claims[CLAIM + "custom"] == {"case": ACTIVITIES[0].case_id}
    assert claims[CLAIM + "tool_platform"]["guid"]
    assert claims[CLAIM + "lis"]["course_section_sourcedid"] == "sandbox-course-1"
    ags = claims[AGS_CLAIM]
    assert set(ags["scope"]) == {SCOPE_LINEITEM, SCOPE_RESULT, SCOPE_SCORE}
    assert ags["lineitems"] == f"{env.sandbox_url}/ags/sandbox-course-1/lineitems?type_id=1"
    assert urlsplit(ags["lineitem"]).query == "type_id=1"
    assert urlsplit(ags["lineitem"]).path.endswith("/lineitem")


def test_instructor_launch_and_new_window_target(env: Env) -> None:
    claims = env.launch(persona="lise")
    assert claims[CLAIM + "roles"] == [INSTRUCTOR]
    assert claims["name"] == "Lise Leder"
    page = env.browser.get(env.url(f"/activity/{ACTIVITIES[1].case_id}?persona=ola"))
    (window_link,) = [line for line in page.text.splitlines() if "Åpne i nytt vindu" in line]
    href = window_link.split('href="')[1].split('"')[0].replace("&amp;", "&")
    start = env.browser.get(urljoin(page.url, href))
    form = single_form(start.text)
    to_auth = env.browser.post(form["action"], data=form["fields"], allow_redirects=False)
    posted = single_form(env.browser.get(to_auth.headers["Location"]).text)
    claims = verify_id_token(env, posted["fields"]["id_token"])
    assert claims[CLAIM + "launch_presentation"]["document_target"] == "window"
    assert claims[CLAIM + "custom"] == {"case": ACTIVITIES[1].case_id}
    assert claims["name"] == "Ola Hansen"


def test_each_activity_gets_its_own_lineitem_once(env: Env) -> None:
    first = env.launch(case_id=ACTIVITIES[0].case_id)[AGS_CLAIM]["lineitem"]
    again = env.launch(case_id=ACTIVITIES[0].case_id, persona="ola")[AGS_CLAIM]["lineitem"]
    other = env.launch(case_id=ACTIVITIES[1].case_id)[AGS_CLAIM]["lineitem"]
    assert first == again
    assert other != first
    token = env.token(scope=SCOPE_LINEITEM)
    resp = requests.get(
        f"{env.sandbox_url}/ags/sandbox-course-1/lineitems?type_id=1",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert resp.headers["Content-Type"].startswith(
        "application/vnd.ims.lis.v2.lineitemcontainer+json"
    )
    items = resp.json()
    assert [(i["resourceId"], i["label"], i["scoreMaximum"]) for i in items] == [
        (a.case_id, a.title, 100) for a in ACTIVITIES
    ]
    assert items[0]["id"] == first


# --- the auth endpoint's own checks ---------------------------------------------------------------


def _auth_params(env: Env) -> dict[str, list[str]]:
    to_auth = env.start_launch()
    return parse_qs(urlsplit(to_auth.headers["Location"]).query)


def test_auth_rejects_a_redirect_uri_that_is_not_the_tools(env: Env) -> None:
    env.tool.auth_overrides = {"redirect_uri": f"{env.tool.base_url}/evil"}
    to_auth = env.start_launch()
    resp = env.browser.get(to_auth.headers["Location"])
    assert resp.status_code == 400
    assert "id_token" not in resp.text
    assert "/evil" not in [f["action"] for f in parse_html(resp.text).forms]


def test_auth_rejects_an_unknown_client(env: Env) -> None:
    env.tool.auth_overrides = {"client_id": "someone-else"}
    resp = env.browser.get(env.start_launch().headers["Location"])
    assert resp.status_code == 400
    assert "id_token" not in resp.text


def test_auth_answers_a_reused_hint_with_an_error_not_a_token(env: Env) -> None:
    location = env.start_launch().headers["Location"]
    first = single_form(env.browser.get(location).text)
    assert "id_token" in first["fields"]
    again = single_form(env.browser.get(location).text)
    assert again["action"] == f"{env.tool.base_url}/lti/launch"
    assert "id_token" not in again["fields"]
    assert again["fields"]["error"] == "invalid_request"
    assert again["fields"]["state"]


def test_auth_rejects_an_expired_hint(env: Env) -> None:
    location = env.start_launch().headers["Location"]
    env.clock.advance(121)
    form = single_form(env.browser.get(location).text)
    assert "id_token" not in form["fields"]
    assert "expired" in form["fields"]["error_description"]


def test_auth_only_answers_the_browser_that_started_the_launch(env: Env) -> None:
    location = env.start_launch().headers["Location"]
    with requests.Session() as stranger:
        form = single_form(stranger.get(location).text)
    assert form["fields"]["error"] == "login_required"
    assert "id_token" not in form["fields"]


@pytest.mark.parametrize(
    ("override", "error"),
    [
        ({"response_type": "code"}, "unsupported_response_type"),
        ({"scope": "openid profile"}, "invalid_scope"),
        ({"response_mode": "query"}, "invalid_request"),
        ({"prompt": None}, "invalid_request"),
        ({"nonce": None}, "invalid_request"),
        ({"login_hint": "102"}, "invalid_request"),
        ({"lti_message_hint": '{"launchid": "ltilaunch_forged"}'}, "invalid_request"),
    ],
)
def test_auth_rejects_a_malformed_authentication_request(
    standalone: Env, override: dict[str, str | None], error: str
) -> None:
    standalone.tool.auth_overrides = override
    resp = standalone.browser.get(standalone.start_launch().headers["Location"])
    form = single_form(resp.text)
    assert "id_token" not in form["fields"]
    assert form["fields"]["error"] == error


def test_auth_accepts_post(standalone: Env) -> None:
    location = standalone.start_launch().headers["Location"]
    parts = urlsplit(location)
    params = {k: v[0] for k, v in parse_qs(parts.query).items()}
    resp = standalone.browser.post(location.split("?")[0], data=params)
    assert "id_token" in single_form(resp.text)["fields"]


def test_launch_form_escapes_values(standalone: Env) -> None:
    standalone.tool.auth_overrides = {"state": '"><script>alert(1)</script>'}
    resp = standalone.browser.get(standalone.start_launch().headers["Location"])
    assert "<script>alert(1)" not in resp.text
    assert single_form(resp.text)["fields"]["state"] == '"><script>alert(1)</script>'


# --- token endpoint -------------------------------------------------------------------------------


def test_token_endpoint_accepts_a_good_assertion(env: Env) -> None:
    resp = env.request_token(scope=f"{SCOPE_SCORE} {SCOPE_RESULT} {NRPS_SCOPE}")
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["access_token"]
    assert body["scope"].split() == [SCOPE_SCORE, SCOPE_RESULT, NRPS_SCOPE]
    assert resp.headers["Cache-Control"] == "no-store"


def test_token_endpoint_rejects_a_key_not_in_the_tools_jwks(env: Env) -> None:
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    resp = env.request_token(env.assertion(_key=("stranger", stranger)))
    assert resp.status_code == 401
    assert resp.json()["error"] == "invalid_client"
    # the same kid as the tool's key, but the wrong key behind it
    resp = env.request_token(env.assertion(_key=(env.tool.keys[0][0], stranger)))
    assert resp.status_code == 401


def test_token_endpoint_refetches_the_jwks_once_for_a_new_kid(env: Env) -> None:
    assert env.request_token().status_code == 200
    fetches = env.tool.jwks_fetches
    assert env.request_token().status_code == 200
    assert env.tool.jwks_fetches == fetches  # cached
    rotated = env.tool.add_key()
    assert env.request_token(env.assertion(_key=rotated)).status_code == 200
    assert env.tool.jwks_fetches == fetches + 1


@pytest.mark.parametrize(
    "claims",
    [
        {"aud": "http://127.0.0.1:1/token"},
        {"aud": ["http://127.0.0.1:1/token", "other"]},
        {"exp": int(time.time()) - 5},
        {"exp": None},
        {"iss": "someone-else"},
        {"sub": "someone-else"},
        {"jti": None},
        {"iat": int(time.time()) + 3600},
    ],
    ids=["wrong-aud", "wrong-aud-list", "expired", "no-exp", "iss", "sub", "no-jti", "future-iat"],
)
def test_token_endpoint_rejects_a_bad_assertion(standalone: Env, claims: dict[str, Any]) -> None:
    resp = standalone.request_token(standalone.assertion(**claims))
    assert resp.status_code == 401, resp.text
    assert resp.json()["error"] == "invalid_client"


def test_token_endpoint_accepts_aud_list_and_rejects_a_replayed_jti(standalone: Env) -> None:
    assertion = standalone.assertion(aud=[standalone.token_url, "something"])
    assert standalone.request_token(assertion).status_code == 200
    replay = standalone.request_token(assertion)
    assert replay.status_code == 401
    assert "jti" in replay.json()["error_description"]


def test_token_endpoint_rejects_hs256_and_odd_grants(standalone: Env) -> None:
    hs = jwt.encode(
        {"iss": "stegvis-sandbox", "sub": "stegvis-sandbox", "aud": standalone.token_url},
        "x" * 32,
        algorithm="HS256",
        headers={"kid": standalone.tool.keys[0][0]},
    )
    assert standalone.request_token(hs).status_code == 401
    resp = requests.post(
        standalone.token_url,
        data={"grant_type": "password", "scope": SCOPE_SCORE},
        timeout=10,
    )
    assert resp.status_code == 400
    assert resp.json()["error"] == "unsupported_grant_type"
    resp = standalone.request_token(scope="https://purl.imsglobal.org/spec/lti-xyz/scope/none")
    assert resp.status_code == 400
    assert resp.json()["error"] == "invalid_scope"


# --- AGS ------------------------------------------------------------------------------------------


def test_a_score_reaches_the_gradebook(env: Env) -> None:
    claims = env.launch(persona="kari")
    url = scores_url(claims[AGS_CLAIM]["lineitem"])
    resp = post_score(url, env.token(), score_body(claims["sub"], 8.5, 10, comment="Godt jobbet"))
    assert resp.status_code == 200, resp.text
    (row,) = env.gradebook()
    assert row["name"] == "Kari Nordmann"
    assert row["activity_title"] == ACTIVITIES[0].title
    assert row["case_id"] == ACTIVITIES[0].case_id
    assert row["score_display"] == "85 / 100"
    assert row["result_score"] == 85
    assert row["activity_progress"] == "Completed"
    assert row["grading_progress"] == "FullyGraded"
    assert row["timestamp"] == "2025-03-01T10:00:00.123+01:00"
    assert row["deliveries"] == 1
    page = env.browser.get(env.url("/gradebook")).text
    assert "<caption>" in page
    assert '<th scope="col">Navn</th>' in page
    assert '<th scope="row">Kari Nordmann</th>' in page
    assert "85 / 100" in page
    results = requests.get(
        f"{claims[AGS_CLAIM]['lineitem'].split('?')[0]}/results?type_id=1",
        headers={"Authorization": f"Bearer {env.token(SCOPE_RESULT)}"},
        timeout=10,
    )
    assert results.status_code == 200
    assert results.headers["Content-Type"].startswith(
        "application/vnd.ims.lis.v2.resultcontainer+json"
    )
    (result,) = results.json()
    assert (result["userId"], result["resultScore"], result["resultMaximum"]) == (
        claims["sub"],
        85,
        100,
    )


def test_an_older_score_does_not_overwrite_a_newer_one(standalone: Env) -> None:
    claims = standalone.launch()
    url = scores_url(claims[AGS_CLAIM]["lineitem"])
    token = standalone.token()
    newer = score_body(claims["sub"], 90, timestamp="2025-03-01T10:00:00.500Z")
    older = score_body(claims["sub"], 40, timestamp="2025-03-01T10:00:00.400Z")
    assert post_score(url, token, newer).status_code == 200
    assert post_score(url, token, older).status_code == 200
    (row,) = standalone.gradebook()
    assert row["score_display"] == "90 / 100"
    assert row["deliveries"] == 2
    log = requests.get(standalone.url("/gradebook/log.json"), timeout=10).json()["scores"]
    assert [entry["applied"] for entry in log] == [True, False]


def test_a_resent_score_is_not_duplicated(standalone: Env) -> None:
    claims = standalone.launch()
    url = scores_url(claims[AGS_CLAIM]["lineitem"])
    token = standalone.token()
    body = score_body(claims["sub"], 70)
    with ThreadPoolExecutor(4) as pool:
        statuses = list(pool.map(lambda _: post_score(url, token, body).status_code, range(4)))
    assert statuses == [200] * 4
    (row,) = standalone.gradebook()
    assert row["score_display"] == "70 / 100"
    assert row["deliveries"] == 4


def test_score_endpoint_checks(standalone: Env) -> None:
    claims = standalone.launch()
    lineitem = claims[AGS_CLAIM]["lineitem"]
    url = scores_url(lineitem)
    token = standalone.token()
    sub = claims["sub"]
    # the query string is part of the URL: dropping it is a tool bug
    assert post_score(url.split("?")[0], token, score_body(sub)).status_code == 400
    naive = post_score(f"{lineitem}/scores", token, score_body(sub))  # ...?type_id=1/scores
    assert naive.status_code == 400
    assert "/scores" in naive.json()["error"]
    assert post_score(url, None, score_body(sub)).status_code == 401
    assert post_score(url, "not-a-token", score_body(sub)).status_code == 401
    assert post_score(url, standalone.token(SCOPE_RESULT), score_body(sub)).status_code == 403
    assert post_score(url, token, score_body(sub), "application/json").status_code == 415
    assert post_score(url, token, score_body("unknown-user")).status_code == 400
    assert post_score(url, token, score_body(sub, 101, 100)).status_code == 400
    assert post_score(url, token, score_body(sub, -1, 100)).status_code == 400
    assert post_score(url, token, score_body(sub, timestamp=None)).status_code == 400
    assert (
        post_score(url, token, score_body(sub, timestamp="2025-03-01T10:00:00")).status_code == 400
    )
    assert post_score(url, token, score_body(sub, activityProgress="Done")).status_code == 400
    no_max = score_body(sub)
    del no_max["scoreMaximum"]
    assert post_score(url, token, no_max).status_code == 400
    assert standalone.gradebook() == []
    # a progress-only score (no scoreGiven) is fine
    progress = {
        "userId": sub,
        "activityProgress": "Started",
        "gradingProgress": "NotReady",
        "timestamp": "2025-03-01T09:00:00Z",
    }
    assert post_score(url, token, progress).status_code == 200
    (row,) = standalone.gradebook()
    assert row["score_display"] == "–"


def test_tool_can_create_a_lineitem(standalone: Env) -> None:
    token = standalone.token(SCOPE_LINEITEM)
    resp = requests.post(
        f"{standalone.sandbox_url}/ags/sandbox-course-1/lineitems?type_id=1",
        data=json.dumps({"label": "Ekstra", "scoreMaximum": 10, "resourceId": "x", "tag": "t"}),
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/vnd.ims.lis.v2.lineitem+json",
        },
        timeout=10,
    )
    assert resp.status_code == 201, resp.text
    item = resp.json()
    assert item["label"] == "Ekstra"
    assert urlsplit(item["id"]).query == "type_id=1"
    got = requests.get(item["id"], headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert got.json() == item
    score_only = standalone.token(SCOPE_SCORE)
    assert (
        requests.get(
            item["id"], headers={"Authorization": f"Bearer {score_only}"}, timeout=10
        ).status_code
        == 403
    )


# --- fault injection ------------------------------------------------------------------------------


def test_fault_injection_answers_the_next_score_posts(standalone: Env) -> None:
    faults_url = standalone.url("/test/faults")
    assert requests.post(faults_url, json={"scores": [500]}, timeout=10).status_code == 404
    standalone.sandbox_app.testing = True
    assert requests.post(faults_url, json={"scores": [500, 429]}, timeout=10).json() == {
        "scores": [500, 429]
    }
    claims = standalone.launch()
    url = scores_url(claims[AGS_CLAIM]["lineitem"])
    token = standalone.token()
    body = score_body(claims["sub"])
    assert post_score(url, token, body).status_code == 500
    second = post_score(url, token, body)
    assert second.status_code == 429
    assert second.headers["Retry-After"] == "1"
    assert post_score(url, token, body).status_code == 200
    (row,) = standalone.gradebook()
    assert row["deliveries"] == 1
    assert requests.post(faults_url, json={"token": [503]}, timeout=10).status_code == 200
    assert standalone.request_token().status_code == 503
    assert standalone.request_token().status_code == 200
    assert requests.post(faults_url, json={"scores": [200]}, timeout=10).status_code == 400
    assert requests.delete(faults_url, timeout=10).json() == {}


def test_settings_can_allow_fault_injection(tmp_path: Path) -> None:
    settings = SandboxSettings(
        base_url="http://127.0.0.1:9/sandbox",
        tool_base_url="http://127.0.0.1:9",
        data_dir=tmp_path,
        activities=lambda: ACTIVITIES,
        secret_key="x",
        allow_fault_injection=True,
    )
    client = create_sandbox_app(settings).test_client()
    assert client.post("/test/faults", json={"scores": [401]}).get_json() == {"scores": [401]}


def test_settings_reject_a_trailing_slash(tmp_path: Path) -> None:
    make: Callable[[], Any] = lambda: create_sandbox_app(  # noqa: E731
        SandboxSettings(
            base_url="http://127.0.0.1:9/sandbox/",
            tool_base_url="http://127.0.0.1:9",
            data_dir=tmp_path,
            activities=lambda: ACTIVITIES,
            secret_key="x",
        )
    )
    with pytest.raises(ValueError, match="must not end"):
        make()
