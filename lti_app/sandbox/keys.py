"""The sandbox platform's RSA signing keys.

The first key is kept in ``data_dir`` as a PEM file with mode 0600, created on first use.
``POST /test/rotate-key`` adds keys in ``data_dir/sandbox_platform_keys/`` (one PEM file
per key, named by creation time, so the newest sorts last); the newest key signs, and the
JWKS publishes every key from the oldest still published on (a ``published-from.<name>``
marker file retires the older ones). Files, not process memory: every worker and every
restart sees the same key ring.

Parsed keys are cached for the life of the process: parsing PEM (as lti1p3platform does on
every signature, twice) costs about 60 ms per id_token. Each use lists the (small) key
directory, so a rotation made by another worker is seen at once.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwcrypto.jwk import JWK

KEY_FILE_NAME = "sandbox_platform_key.pem"
ROTATED_DIR_NAME = "sandbox_platform_keys"
RETIRE_MARKER_PREFIX = "published-from."


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


def _load_or_create(data_dir: Path, file_name: str = KEY_FILE_NAME) -> rsa.RSAPrivateKey:
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = data_dir / file_name
    if not path.exists():
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        # Several gunicorn workers may start at once: write a private temp file, then
        # link it into place; whoever loses the race reads the winner's key.
        tmp = data_dir / f".{file_name}.{os.getpid()}.{threading.get_ident()}"
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
    """The key ring: loaded lazily, parsed once per key and process."""

    def __init__(self, data_dir: Path) -> None:
        self._data_dir = data_dir
        self._rotated_dir = data_dir / ROTATED_DIR_NAME
        self._lock = threading.Lock()
        self._original: SigningKey | None = None
        self._parsed: dict[str, SigningKey] = {}

    def _listing(self) -> list[str]:
        try:
            return sorted(os.listdir(self._rotated_dir))
        except FileNotFoundError:
            return []

    def _ring(self) -> tuple[list[SigningKey], int]:
        """(all keys, oldest first; index of the oldest published key)."""
        if self._original is None:
            with self._lock:
                if self._original is None:
                    self._original = SigningKey(_load_or_create(self._data_dir))
        listing = self._listing()
        names = [n for n in listing if n.startswith("key-") and n.endswith(".pem")]
        keys = [self._original]
        for name in names:
            key = self._parsed.get(name)
            if key is None:
                with self._lock:
                    key = self._parsed.get(name)
                    if key is None:
                        key = SigningKey(_load_or_create(self._rotated_dir, name))
                        self._parsed[name] = key
            keys.append(key)
        retired_before = [
            n[len(RETIRE_MARKER_PREFIX) :] for n in listing if n.startswith(RETIRE_MARKER_PREFIX)
        ]
        first = 0
        if retired_before:
            newest_marker = max(retired_before)
            # keys[0] is the original (sorts before every rotated name)
            first = 1 + sum(1 for n in names if n < newest_marker)
        return keys, min(first, len(keys) - 1)

    def get(self) -> SigningKey:
        """The current signing key (the newest)."""
        return self._ring()[0][-1]

    def published(self) -> list[SigningKey]:
        """Keys in the JWKS, newest first."""
        keys, first = self._ring()
        return list(reversed(keys[first:]))

    def find(self, kid: str) -> SigningKey | None:
        for key in self.published():
            if key.kid == kid:
                return key
        return None

    def jwks(self) -> dict[str, list[dict[str, Any]]]:
        return {"keys": [dict(k.public_jwk) for k in self.published()]}

    def rotate(self, *, drop_old: bool = False) -> SigningKey:
        """Create a new signing key; with drop_old, stop publishing the older ones."""
        self.get()  # the original key first, so that it sorts before the new one
        self._rotated_dir.mkdir(mode=0o700, exist_ok=True)
        name = f"key-{time.time_ns():020d}-{os.getpid()}.pem"
        _load_or_create(self._rotated_dir, name)
        if drop_old:
            marker = self._rotated_dir / f"{RETIRE_MARKER_PREFIX}{name}"
            os.close(os.open(marker, os.O_WRONLY | os.O_CREAT, 0o600))
        key = self._parsed.get(name) or SigningKey(_load_or_create(self._rotated_dir, name))
        self._parsed[name] = key
        return key
