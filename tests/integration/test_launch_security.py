"""Each attack and fault of research note B.6 against /lti/launch, with tokens minted in
the test: the expected status, a Norwegian page, and nothing written."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from datetime import timedelta

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from sqlalchemy import select

from lti_app.db import session_scope
from lti_app.lti import launch as launch_module
from lti_app.models import LaunchData, utcnow
from lti_app.services.platforms import add_platform
from lti_app.services.worker import one_round
from tests.conftest import RunningTool
from tests.integration.conftest import written
from tests.support.platform import (
    INSTITUTION_INSTRUCTOR,
    INSTRUCTOR,
    LEARNER,
    LaunchingBrowser,
    MiniPlatform,
    new_key,
    pem,
)


def assert_refused(tool: RunningTool, response: requests.Response, status: int,
                   before: tuple[int, int, int]) -> None:
    assert response.status_code == status, response.text[:300]
    assert 'lang="nb"' in response.text and "Traceback" not in response.text
    assert written(tool) == before


def test_a_good_launch_is_accepted(tool: RunningTool, lti_browser: LaunchingBrowser) -> None:
    response = lti_browser.launch()
    assert response.status_code == 303 and "/play/" in response.headers["Location"]
    assert written(tool) == (1, 1, 1, 1)  # the used nonce is the one launch datum


def test_replayed_id_token_is_refused(tool: RunningTool, platform: MiniPlatform,
                                      lti_browser: LaunchingBrowser) -> None:
    state, nonce = lti_browser.login()
    token = platform.sign(platform.claims(tool.url, nonce))
    assert lti_browser.post_launch(token, state).status_code == 303
    before = written(tool)
    assert_refused(tool, lti_browser.post_launch(token, state), 401, before)


def test_login_stores_nothing(tool: RunningTool, lti_browser: LaunchingBrowser) -> None:
    # A login the learner abandons must not leave rows behind (the nonce is derived from
    # the state, launch.nonce_for).
    before = written(tool)
    state, nonce = lti_browser.login()
    assert state and nonce
    assert written(tool) == before


def test_nonce_not_issued_for_this_state_is_refused(
    tool: RunningTool, platform: MiniPlatform, lti_browser: LaunchingBrowser
) -> None:
    # Validly signed, right state cookie, but a nonce our login did not send with it:
    # another login's nonce, and one the attacker made up.
    state, _ = lti_browser.login()
    _, other_nonce = LaunchingBrowser(tool.url, platform).login()
    before = written(tool)
    for nonce in (other_nonce, "made-up-nonce"):
        token = platform.sign(platform.claims(tool.url, nonce))
        assert_refused(tool, lti_browser.post_launch(token, state), 401, before)


@pytest.mark.parametrize("attack", ["alg-none", "hs256-with-public-key", "wrong-key",
                                    "unknown-kid", "no-kid"])
def test_forged_signatures_are_refused(tool: RunningTool, platform: MiniPlatform,
                                       lti_browser: LaunchingBrowser, attack: str) -> None:
    state, nonce = lti_browser.login()
    claims = platform.claims(tool.url, nonce)
    before = written(tool)
    if attack == "alg-none":
        token = platform.sign(claims, alg="none")
    elif attack == "hs256-with-public-key":
        # Algorithm confusion: HMAC keyed with the platform's public key (ASVS 9.1.2).
        public = platform.keys[platform.kid].public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        token = _hs256(claims, public, platform.kid)
    elif attack == "wrong-key":
        token = platform.sign(claims, key=new_key())
    elif attack == "unknown-kid":
        token = platform.sign(claims, kid="nobody", key=new_key())
    else:
        token = jwt.encode(claims, pem(platform.keys[platform.kid]), algorithm="RS256")
    assert_refused(tool, lti_browser.post_launch(token, state), 401, before)


def _hs256(claims: dict[str, object], secret: bytes, kid: str) -> str:
    """Sign by hand: PyJWT itself refuses a PEM key as an HMAC secret."""

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    signing_input = (b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": kid}).encode())
                     + "." + b64(json.dumps(claims).encode()))
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + b64(signature)


@pytest.mark.parametrize(("overrides", "status"), [
    ({"exp": int(time.time()) - 120}, 401),             # expired beyond the leeway
    ({"exp": ...}, 401),                                 # no exp at all
    ({"iat": int(time.time()) - 600}, 401),             # issued 10 minutes ago
    ({"aud": "someone-else"}, 401),
    ({"aud": ["test-client", "other"], "azp": "test-client"}, 401),  # untrusted extra aud
    ({"aud": ["test-client", "other"]}, 401),            # several audiences, no azp
    ({"azp": "other"}, 401),
    ({"claim_deployment_id": "not-deployed-here"}, 403),
    ({"claim_target_link_uri": "https://evil.example/lti/launch"}, 401),
    ({"claim_version": "1.1"}, 401),
    ({"claim_resource_link": ...}, 401),
])
def test_bad_claims_are_refused(tool: RunningTool, lti_browser: LaunchingBrowser,
                                overrides: dict[str, object], status: int) -> None:
    before = written(tool)
    assert_refused(tool, lti_browser.launch(**overrides), status, before)


def test_tampered_state_is_refused(tool: RunningTool, platform: MiniPlatform,
                                   lti_browser: LaunchingBrowser) -> None:
    state, nonce = lti_browser.login()
    token = platform.sign(platform.claims(tool.url, nonce))
    before = written(tool)
    assert_refused(tool, lti_browser.post_launch(token, state + "x"), 401, before)
    stranger = LaunchingBrowser(tool.url, platform)  # another browser, without the cookie
    assert_refused(tool, stranger.post_launch(token, state), 401, before)


def test_login_with_unknown_issuer_or_foreign_target_is_refused(
    tool: RunningTool, lti_browser: LaunchingBrowser
) -> None:
    unknown = lti_browser.http.post(f"{tool.url}/lti/login", data={
        "iss": "https://unknown.example", "login_hint": "x",
        "target_link_uri": f"{tool.url}/lti/launch"}, allow_redirects=False, timeout=10)
    assert unknown.status_code == 400 and "ikke registrert" in unknown.text
    foreign = lti_browser.http.post(f"{tool.url}/lti/login", data={
        "iss": lti_browser.platform.issuer, "login_hint": "x", "client_id": "test-client",
        "target_link_uri": "https://evil.example/"}, allow_redirects=False, timeout=10)
    assert foreign.status_code == 401


def test_institution_role_does_not_make_a_learner_an_instructor(
    tool: RunningTool, lti_browser: LaunchingBrowser
) -> None:
    response = lti_browser.launch(claim_roles=[INSTITUTION_INSTRUCTOR, LEARNER])
    assert "/play/" in response.headers["Location"]
    leader = LaunchingBrowser(tool.url, lti_browser.platform)
    response = leader.launch(claim_roles=[INSTRUCTOR], sub="leader-1")
    assert "/overview" in response.headers["Location"]
    # The learner cannot open the leader's overview, even knowing its URL.
    overview = lti_browser.http.get(tool.url + response.headers["Location"], timeout=10)
    assert overview.status_code == 403


def test_same_sub_and_context_at_two_platforms_are_two_tenants(
    tool: RunningTool, platform: MiniPlatform, lti_browser: LaunchingBrowser
) -> None:
    other = MiniPlatform(client_id="other-client").start()
    try:
        with session_scope(tool.engine) as db:
            add_platform(db, name="Annen plattform", deployment_ids=[other.deployment_id],
                         **other.registration())
        first = lti_browser.launch()
        attempt_a = first.headers["Location"]
        other_browser = LaunchingBrowser(tool.url, other)
        second = other_browser.launch()  # same sub, context id and resource link id
        assert second.headers["Location"] != attempt_a
        assert written(tool) == (2, 2, 2, 2)
        stolen = other_browser.http.get(tool.url + attempt_a, timeout=10)
        assert stolen.status_code == 404
    finally:
        other.stop()


def test_platform_key_rotation_is_picked_up_at_once(
    tool: RunningTool, platform: MiniPlatform, lti_browser: LaunchingBrowser
) -> None:
    assert lti_browser.launch().status_code == 303  # key set now cached
    platform.rotate(drop_old=True)
    assert lti_browser.launch(sub="user-2").status_code == 303  # unknown kid -> one refetch


def test_platform_jwks_timeout_gives_503(
    tool: RunningTool, platform: MiniPlatform, lti_browser: LaunchingBrowser,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(launch_module, "JWKS_TIMEOUT", (0.5, 0.5))
    platform.jwks_delay = 2.0
    before = written(tool)
    response = lti_browser.launch()
    assert_refused(tool, response, 503, before)
    assert "svarer ikke" in response.text


def test_platform_registered_without_deployment_learns_only_the_first_one(
    tool: RunningTool
) -> None:
    canvas = MiniPlatform(client_id="canvas-client").start()
    try:
        with session_scope(tool.engine) as db:
            add_platform(db, name="Canvas", deployment_ids=[], awaiting_first_deployment=True,
                         **canvas.registration())
        canvas_browser = LaunchingBrowser(tool.url, canvas)
        first = canvas_browser.launch(claim_deployment_id="7:abc")
        assert first.status_code == 303
        before = written(tool)
        second = canvas_browser.launch(claim_deployment_id="8:other", sub="user-2")
        assert_refused(tool, second, 403, before)
    finally:
        canvas.stop()


def test_issuer_only_lookups_answer_only_for_an_unambiguous_issuer(
    tool: RunningTool, platform: MiniPlatform
) -> None:
    from lti_app.lti.registrations import DatabaseToolConf

    with session_scope(tool.engine) as db:
        conf = DatabaseToolConf(db)
        assert conf.find_registration_by_issuer(platform.issuer).get_client_id() == "test-client"
        assert conf.find_deployment(platform.issuer, platform.deployment_id) is not None
        assert conf.find_deployment(platform.issuer, "elsewhere") is None
        add_platform(db, name="Samme utsteder", issuer=platform.issuer, client_id="second",
                     auth_login_url=f"{platform.issuer}/auth",
                     auth_token_url=f"{platform.issuer}/token",
                     key_set_url=f"{platform.issuer}/jwks.json", deployment_ids=["d2"])
        ambiguous = DatabaseToolConf(db)
        assert ambiguous.find_registration_by_issuer(platform.issuer) is None
        assert ambiguous.find_deployment(platform.issuer, platform.deployment_id) is None


def test_worker_purges_expired_launch_data_but_keeps_live_nonces(
    tool: RunningTool, lti_browser: LaunchingBrowser
) -> None:
    assert lti_browser.launch().status_code == 303  # one used nonce, live
    with session_scope(tool.engine) as db:
        db.add(LaunchData(key="lti1p3-used-nonce-old", value=True,
                          expires_at=utcnow() - timedelta(seconds=1)))
    one_round(tool.engine)
    with session_scope(tool.engine) as db:
        keys = list(db.scalars(select(LaunchData.key)))
    assert len(keys) == 1 and keys[0].startswith("lti1p3-used-nonce-")
    assert keys[0] != "lti1p3-used-nonce-old"
