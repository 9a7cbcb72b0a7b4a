"""Configuration read from the environment and validated once, at start.

Every setting has one name in the environment (``STEGVIS_*`` plus the conventional
``SECRET_KEY`` and ``DATABASE_URL``). Development gets working defaults; production refuses
to start without a secret key and a database URL (house rule 2 in design.md).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from lti_app.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ENVIRONMENTS = ("development", "production", "testing")


@dataclass(frozen=True)
class Config:
    """Everything the app needs to start; built by :func:`from_env` or directly in tests."""

    environment: str = "development"
    secret_key: str = ""
    database_url: str = ""
    base_url: str = "http://127.0.0.1:5000"
    content_dir: Path = PROJECT_ROOT / "content"
    instance_dir: Path = PROJECT_ROOT / "instance"
    sandbox_enabled: bool = False
    default_profile: str = "nasjonal"
    # Seconds an id_token's iat may lie in the past (Security Framework §5.1.3 step 8).
    launch_max_age: int = 300
    clock_leeway: int = 60
    extra: Mapping[str, object] = field(default_factory=dict)

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @property
    def cookies_cross_site(self) -> bool:
        """Whether cookies must survive an LMS iframe on another site (needs HTTPS)."""
        return self.base_url.startswith("https://")

    def validated(self) -> Config:
        """Return a complete config or raise :class:`ConfigError` saying what is missing."""
        problems: list[str] = []
        if self.environment not in ENVIRONMENTS:
            problems.append(
                f"STEGVIS_ENV={self.environment!r} is unknown; use one of {', '.join(ENVIRONMENTS)}"
            )
        config = self
        if self.environment == "production":
            if not self.secret_key:
                problems.append("SECRET_KEY is not set (a long random string; keep it secret)")
            elif len(self.secret_key) < 32:
                problems.append("SECRET_KEY is shorter than 32 characters")
            if not self.database_url:
                problems.append(
                    "DATABASE_URL is not set (e.g. postgresql+psycopg://user:pw@host/stegvis)"
                )
            if self.sandbox_enabled:
                problems.append("STEGVIS_SANDBOX=1 is for development only")
            if not self.base_url.startswith("https://"):
                problems.append("STEGVIS_BASE_URL must be an https:// URL in production")
        else:
            if not self.secret_key:
                # Development only: a key made once per machine and kept out of git, so
                # every worker process signs sessions alike.
                config = replace(config, secret_key=_development_secret(self.instance_dir))
            if not self.database_url:
                db_file = self.instance_dir / "stegvis.sqlite3"
                config = replace(config, database_url=f"sqlite:///{db_file}")
        if problems:
            raise ConfigError(
                "Stegvis kan ikke starte / cannot start:\n  - " + "\n  - ".join(problems)
            )
        return config


def _development_secret(instance_dir: Path) -> str:
    path = instance_dir / "development-secret-key"
    if not path.exists():
        instance_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on", "ja"}


def from_env(environ: Mapping[str, str] | None = None) -> Config:
    """Build a validated :class:`Config` from environment variables."""
    env = os.environ if environ is None else environ
    instance_dir = Path(env.get("STEGVIS_INSTANCE_DIR", PROJECT_ROOT / "instance"))
    config = Config(
        environment=env.get("STEGVIS_ENV", "development").strip().lower(),
        secret_key=env.get("SECRET_KEY", ""),
        database_url=env.get("DATABASE_URL", ""),
        base_url=env.get("STEGVIS_BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
        content_dir=Path(env.get("STEGVIS_CONTENT_DIR", PROJECT_ROOT / "content")),
        instance_dir=instance_dir,
        sandbox_enabled=_flag(env.get("STEGVIS_SANDBOX")),
        default_profile=env.get("STEGVIS_DEFAULT_PROFILE", "nasjonal"),
    )
    return config.validated()
