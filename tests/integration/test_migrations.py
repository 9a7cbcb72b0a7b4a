"""Migrations are code: upgrade -> downgrade -> upgrade works, and models agree with them."""

from __future__ import annotations

from sqlalchemy import create_engine, inspect

from lti_app import migrate
from lti_app.db import Base


def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade_and_models_match_migrations(database_url: str) -> None:
    migrate.upgrade(database_url)
    assert _tables(database_url) == set(Base.metadata.tables)
    migrate.downgrade(database_url, "base")
    assert _tables(database_url) == set()
    migrate.upgrade(database_url)
    assert _tables(database_url) == set(Base.metadata.tables)
    migrate.check(database_url)  # raises if autogenerate would find any difference
