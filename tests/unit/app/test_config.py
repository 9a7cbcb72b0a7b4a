"""Configuration is validated at start: production refuses to run without its secrets."""

from __future__ import annotations

from pathlib import Path

import pytest

from lti_app.config import from_env
from lti_app.errors import ConfigError


def test_production_without_secret_key_or_database_refuses_with_clear_message() -> None:
    with pytest.raises(ConfigError) as caught:
        from_env({"STEGVIS_ENV": "production", "STEGVIS_BASE_URL": "https://stegvis.example"})
    message = str(caught.value)
    assert "SECRET_KEY is not set" in message
    assert "DATABASE_URL is not set" in message


def test_production_rejects_short_secret_sandbox_and_plain_http() -> None:
    with pytest.raises(ConfigError) as caught:
        from_env({
            "STEGVIS_ENV": "production", "SECRET_KEY": "short",
            "DATABASE_URL": "postgresql+psycopg://u@h/db", "STEGVIS_SANDBOX": "1",
            "STEGVIS_BASE_URL": "http://stegvis.example",
        })
    message = str(caught.value)
    assert "shorter than 32" in message
    assert "development only" in message
    assert "https://" in message


def test_production_with_everything_starts() -> None:
    config = from_env({
        "STEGVIS_ENV": "production", "SECRET_KEY": "x" * 40,
        "DATABASE_URL": "postgresql+psycopg://u@h/db",
        "STEGVIS_BASE_URL": "https://stegvis.example/",
    })
    assert config.is_production
    assert config.base_url == "https://stegvis.example"
    assert config.cookies_cross_site


def test_development_defaults_keep_one_secret_per_instance(tmp_path: Path) -> None:
    env = {"STEGVIS_INSTANCE_DIR": str(tmp_path)}
    first, second = from_env(env), from_env(env)
    assert first.secret_key == second.secret_key and len(first.secret_key) >= 32
    assert first.database_url == f"sqlite:///{tmp_path / 'stegvis.sqlite3'}"
    assert (tmp_path / "development-secret-key").stat().st_mode & 0o077 == 0


def test_unknown_environment_is_refused() -> None:
    with pytest.raises(ConfigError, match="STEGVIS_ENV"):
        from_env({"STEGVIS_ENV": "staging"})
