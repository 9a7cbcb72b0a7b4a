"""The sandbox platform's RSA signing key.

Kept in ``data_dir`` as a PEM file with mode 0600, created on first use. The parsed key
is cached for the life of the process: parsing PEM (as lti1p3platform does on every
signature, twice) costs about 60 ms per id_token.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwcrypto.jwk import JWK

KEY_FILE_NAME = "sandbox_platform_key.pem"


class SigningKey:
    def __init__(self, private_key: rsa.RSAPrivateKey) -> None:
        self.private_key = private_key
        public_pem = private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        jwk = JWK.from_pem(public_pem)
        # RFC 7638 thumbprint: stable across restarts for the same key file.
        self.kid: str = jwk.thumbprint()
        public_jwk: dict[str, Any] = json.loads(jwk.export_public())
        public_jwk.update({"kid": self.kid, "alg": "RS256", "use": "sig"})
        self.public_jwk = public_jwk

    def jwks(self) -> dict[str, list[dict[str, Any]]]:
        return {"keys": [dict(self.public_jwk)]}

    def sign(self, payload: dict[str, Any]) -> str:
        return jwt.encode(payload, self.private_key, algorithm="RS256", headers={"kid": self.kid})


def _load_or_create(data_dir: Path) -> rsa.RSAPrivateKey:
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = data_dir / KEY_FILE_NAME
    if not path.exists():
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        # Several gunicorn workers may start at once: write a private temp file, then
        # link it into place; whoever loses the race reads the winner's key.
        tmp = data_dir / f".{KEY_FILE_NAME}.{os.getpid()}.{threading.get_ident()}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(pem)
            with contextlib.suppress(FileExistsError):
                os.link(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
    loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(loaded, rsa.RSAPrivateKey):
        raise RuntimeError(f"{path} does not hold an RSA private key")
    return loaded


class KeyHolder:
    """Loads the key lazily, once per process."""

    def __init__(self, data_dir: Path) -> None:
        self._data_dir = data_dir
        self._lock = threading.Lock()
        self._key: SigningKey | None = None

    def get(self) -> SigningKey:
        if self._key is None:
            with self._lock:
                if self._key is None:
                    self._key = SigningKey(_load_or_create(self._data_dir))
        return self._key
