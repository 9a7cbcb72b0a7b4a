"""The tool's own signing keys: create, choose the active one, publish the JWKS."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwcrypto.jwk import JWK
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from lti_app.models import ToolKey, utcnow


def _new_private_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")


def _public_jwk(private_pem: str, kid: str) -> dict[str, Any]:
    jwk = JWK.from_pem(private_pem.encode("ascii"))
    public: dict[str, Any] = json.loads(jwk.export_public())
    public.update({"kid": kid, "alg": "RS256", "use": "sig"})
    return public


def create_key(session: Session) -> ToolKey:
    """Add a new signing key; it becomes the active one."""
    pem = _new_private_pem()
    kid = JWK.from_pem(pem.encode("ascii")).thumbprint()
    key = ToolKey(kid=kid, private_key_pem=pem, created_at=utcnow())
    session.add(key)
    session.flush()
    return key


def ensure_key(session: Session) -> tuple[ToolKey, bool]:
    """Return the active key, creating one if none exists; the flag says if it was created."""
    key = active_key(session)
    if key is not None:
        return key, False
    return create_key(session), True


def _live_keys(session: Session) -> list[ToolKey]:
    now = utcnow()
    return list(
        session.scalars(
            select(ToolKey)
            .where(or_(ToolKey.retire_at.is_(None), ToolKey.retire_at > now))
            .order_by(ToolKey.created_at.desc())
        )
    )


def active_key(session: Session) -> ToolKey | None:
    """The newest key that is not being retired signs everything."""
    for key in _live_keys(session):
        if key.retire_at is None:
            return key
    return None


def jwks(session: Session) -> dict[str, list[dict[str, Any]]]:
    """Every key that platforms may still see a signature from."""
    return {"keys": [_public_jwk(k.private_key_pem, k.kid) for k in _live_keys(session)]}


def rotate(session: Session, keep_old: timedelta) -> ToolKey:
    """Start signing with a new key. Older keys stay in the JWKS for ``keep_old`` (platforms
    cache key sets, and signed requests may be in flight), then drop out of it."""
    now = utcnow()
    for key in _live_keys(session):
        if key.retire_at is None:
            key.retire_at = now + keep_old
    return create_key(session)


def list_keys(session: Session) -> list[ToolKey]:
    return list(session.scalars(select(ToolKey).order_by(ToolKey.created_at.desc())))
