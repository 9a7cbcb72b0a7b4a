"""Alembic environment: migrations run against the URL given by ``lti_app.migrate``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from lti_app import models  # noqa: F401  (registers every table on Base.metadata)
from lti_app.db import Base, make_engine

config = context.config
target_metadata = Base.metadata


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        # SQLite cannot ALTER most things: batch mode copies the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        transaction_per_migration=True,
    )


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            # Never wait forever behind a lock held by a running app (warehouse env.py).
            connection.exec_driver_sql("SET lock_timeout = '10s'")
            connection.commit()  # end the implicit transaction so each migration commits
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("Offline (SQL script) migrations are not supported; run stegvis db upgrade.")
run_migrations_online()
