"""Database engine, the declarative base, and the one-session-per-request unit of work.

A request gets one session (``get_session``). After the view returns a successful response
the session is committed once; on any error it is rolled back; it is always closed. Services
never commit (house rule 3, after indico's ``RH.process``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask, Response, current_app, g
from sqlalchemy import Engine, MetaData, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

# One naming convention, so constraint names are stable across SQLite and PostgreSQL and
# migrations can name what they drop.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        # WAL lets the worker and the web processes read while one writes.
        cursor.execute("PRAGMA journal_mode=WAL")
        # Safe with WAL (the database cannot be corrupted; at worst the last commits before
        # a power cut are lost) and it saves an fsync on every commit (sqlite.org/wal.html).
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()


def make_engine(database_url: str) -> Engine:
    """Create an engine with bounded waits, so a dead database fails fast (503, not a hang)."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            from pathlib import Path

            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 10})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_timeout=10,
        connect_args={"connect_timeout": 5},
    )


def insert_for(dialect: str) -> Any:
    """The INSERT construct with ``on_conflict_do_…`` for a database: SQLite and
    PostgreSQL each have their own, with the same API (the two this app supports)."""
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def init_app(app: Flask, engine: Engine) -> None:
    """Attach the engine and the per-request unit of work to ``app``."""
    app.extensions["stegvis.engine"] = engine
    app.extensions["stegvis.sessionmaker"] = sessionmaker(engine, expire_on_commit=False)

    @app.after_request
    def commit_unit_of_work(response: Response) -> Response:
        session: Session | None = g.pop("db_session_pending", None)
        if session is not None and response.status_code < 400:
            session.commit()
        return response

    @app.teardown_appcontext
    def close_session(_exc: BaseException | None) -> None:
        session: Session | None = g.pop("db_session", None)
        if session is not None:
            session.close()  # rolls back whatever was not committed


def get_session() -> Session:
    """Return this request's session, creating it on first use."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["stegvis.sessionmaker"]()
        g.db_session_pending = g.db_session
    session: Session = g.db_session
    return session


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One unit of work outside a request (CLI, worker): commit on success, else roll back."""
    factory = sessionmaker(engine, expire_on_commit=False)
    with factory() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
