"""The Deep Linking 2.0 response: the items an instructor picked, signed by the tool."""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import jwt

from lti_app.lti.context import DeepLinkSettings

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
RESOURCE_LINK = "ltiResourceLink"


@dataclass(frozen=True)
class ResourceLinkItem:
    """One activity to create in the course (Deep Linking 2.0 §3.2, LtiResourceLink)."""

    title: str
    text: str
    url: str
    custom: dict[str, str]
    resource_id: str
    score_maximum: int = 100

    def content_item(self) -> dict[str, Any]:
        return {
            "type": RESOURCE_LINK,
            "title": self.title,
            "text": self.text,
            "url": self.url,
            "custom": self.custom,
            # AGS 2.0 §3.2.8: the platform creates the gradebook column with the link.
            "lineItem": {
                "scoreMaximum": self.score_maximum,
                "label": self.title,
                "resourceId": self.resource_id,
                "tag": "stegvis",
            },
        }


@dataclass(frozen=True)
class Signer:
    kid: str
    private_key_pem: str


def build_response(
    settings: DeepLinkSettings, *, client_id: str, issuer: str, deployment_id: str,
    items: Sequence[ResourceLinkItem], signer: Signer, message: str | None = None,
) -> str:
    """The signed LtiDeepLinkingResponse JWT to form-post to the platform's return URL."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": client_id,
        "aud": issuer,
        "iat": now,
        "exp": now + 300,
        "nonce": uuid.uuid4().hex,
        CLAIM + "message_type": "LtiDeepLinkingResponse",
        CLAIM + "version": "1.3.0",
        CLAIM + "deployment_id": deployment_id,
        DL + "content_items": [item.content_item() for item in items],
    }
    if settings.data is not None:
        claims[DL + "data"] = settings.data  # must come back unchanged (§4.5.3)
    if message:
        claims[DL + "msg"] = message
    return jwt.encode(claims, signer.private_key_pem, algorithm="RS256",
                      headers={"kid": signer.kid})
