"""A minimal LTI platform for security tests: its own key, a JWKS served over HTTP, and
id_tokens minted in the test with any claim changed (house rule 11). Unlike the sandbox
LMS it signs whatever a test asks for, so the tool's own checks are what is tested."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from werkzeug.wrappers import Request, Response

from tests.support.postgres import free_port
from tests.support.server import LiveServer

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
INSTITUTION_INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Instructor"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


@dataclass
class MiniPlatform:
    """Serves /jwks.json; the test mints id_tokens and drives the browser side itself."""

    issuer: str = ""
    client_id: str = "test-client"
    deployment_id: str = "test-deployment"
    keys: dict[str, rsa.RSAPrivateKey] = field(default_factory=dict)
    jwks_delay: float = 0.0
    server: LiveServer | None = None

    def start(self) -> MiniPlatform:
        port = free_port()
        self.issuer = f"http://127.0.0.1:{port}"
        self.kid = "k1"
        self.keys[self.kid] = new_key()
        self.server = LiveServer(self._app, port).start()
        return self

    def stop(self) -> None:
        if self.server:
            self.server.stop()

    def _app(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        if request.path == "/jwks.json":
            if self.jwks_delay:
                time.sleep(self.jwks_delay)
            body = {"keys": [
                {**json.loads(RSAAlgorithm.to_jwk(k.public_key())), "kid": kid, "alg": "RS256",
                 "use": "sig"} for kid, k in self.keys.items()
            ]}
            return Response(json.dumps(body), mimetype="application/json")(environ, start_response)
        return Response("not found", status=404)(environ, start_response)

    def registration(self) -> dict[str, str]:
        return {
            "issuer": self.issuer, "client_id": self.client_id,
            "auth_login_url": f"{self.issuer}/auth", "auth_token_url": f"{self.issuer}/token",
            "key_set_url": f"{self.issuer}/jwks.json",
        }

    def rotate(self, drop_old: bool = True) -> str:
        new_kid = f"k{len(self.keys) + 1}"
        if drop_old:
            self.keys.clear()
        self.keys[new_kid] = new_key()
        self.kid = new_kid
        return new_kid

    def claims(self, tool_url: str, nonce: str, **overrides: Any) -> dict[str, Any]:
        now = int(time.time())
        body: dict[str, Any] = {
            "iss": self.issuer, "aud": self.client_id, "sub": "user-1", "iat": now,
            "exp": now + 60, "nonce": nonce, "name": "Test Testesen",
            CLAIM + "message_type": "LtiResourceLinkRequest", CLAIM + "version": "1.3.0",
            CLAIM + "deployment_id": self.deployment_id,
            CLAIM + "target_link_uri": f"{tool_url}/lti/launch",
            CLAIM + "resource_link": {"id": "rl-1", "title": "Aktivitet"},
            CLAIM + "context": {"id": "course-1", "title": "Kurs"},
            CLAIM + "roles": [LEARNER],
            CLAIM + "custom": {"case": "beruset-forelder"},
        }
        for key, value in overrides.items():
            # claim_roles=... names the LTI claim ".../claim/roles"; ... removes a claim.
            name = CLAIM + key.removeprefix("claim_") if key.startswith("claim_") else key
            if value is ...:
                body.pop(name, None)
            else:
                body[name] = value
        return body

    def sign(self, claims: dict[str, Any], *, kid: str | None = None,
             key: rsa.RSAPrivateKey | None = None, alg: str = "RS256") -> str:
        headers = {"kid": kid or self.kid}
        if alg == "none":
            return jwt.encode(claims, None, algorithm="none", headers=headers)
        return jwt.encode(claims, pem(key or self.keys[self.kid]), algorithm=alg,
                          headers=headers)


class LaunchingBrowser:
    """The browser half of a launch: login initiation at the tool, then the form post."""

    def __init__(self, tool_url: str, platform: MiniPlatform) -> None:
        self.tool_url = tool_url
        self.platform = platform
        self.http = requests.Session()

    def login(self, **params: str) -> tuple[str, str]:
        """Start the OIDC login; return (state, nonce) from the tool's redirect."""
        data = {
            "iss": self.platform.issuer, "login_hint": "user-1",
            "target_link_uri": f"{self.tool_url}/lti/launch",
            "client_id": self.platform.client_id,
            "lti_deployment_id": self.platform.deployment_id,
        }
        data.update(params)
        response = self.http.post(f"{self.tool_url}/lti/login", data=data,
                                  allow_redirects=False, timeout=10)
        assert response.status_code == 302, response.text[:500]
        query = parse_qs(urlsplit(response.headers["Location"]).query)
        return query["state"][0], query["nonce"][0]

    def post_launch(self, id_token: str, state: str) -> requests.Response:
        return self.http.post(f"{self.tool_url}/lti/launch",
                              data={"id_token": id_token, "state": state},
                              allow_redirects=False, timeout=30)

    def launch(self, **overrides: Any) -> requests.Response:
        state, nonce = self.login()
        token = self.platform.sign(self.platform.claims(self.tool_url, nonce, **overrides))
        return self.post_launch(token, state)
