"""The floor for bench/launch.py: bare Flask doing one RS256 verify and one database insert.

``POST /launch`` with a form field ``id_token``: PyJWT verifies it with a public key parsed
once at start (signature, ``exp``, ``aud``), one row goes into SQLite through SQLAlchemy
Core (WAL, the same pragmas as Stegvis), and the answer is a 200. No login step, no state,
no nonce bookkeeping, no page: the least any launch endpoint must do.

``POST /request`` answers 200 and does nothing else: the cost of one HTTP request through
gunicorn and Flask. An LTI launch needs at least one more request than the floor (the
OIDC login), so floor + request is the least an LTI launch can cost.

Served by gunicorn: ``gunicorn 'bench.floor_app:create_app()'`` with ``BENCH_PUBLIC_KEY``
(PEM), ``BENCH_CLIENT_ID`` and ``BENCH_DATABASE_URL``.
"""

from __future__ import annotations

import os
import sqlite3
from typing import Any

import jwt
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from flask import Flask, abort, request
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, event, insert

metadata = MetaData()
launches = Table(
    "launches", metadata,
    Column("id", Integer, primary_key=True),
    Column("sub", String(255), nullable=False),
    Column("nonce", String(255), nullable=False),
)


def _pragmas(dbapi_connection: Any, _record: Any) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()


def create_app() -> Flask:
    env = os.environ
    public_key = load_pem_public_key(env["BENCH_PUBLIC_KEY"].encode())
    client_id = env["BENCH_CLIENT_ID"]
    engine = create_engine(env["BENCH_DATABASE_URL"], connect_args={"timeout": 10})
    event.listen(engine, "connect", _pragmas)
    metadata.create_all(engine)
    app = Flask(__name__)

    @app.post("/launch")
    def launch() -> tuple[str, int]:
        try:
            body = jwt.decode(request.form.get("id_token", ""), public_key,  # type: ignore[arg-type]
                              algorithms=["RS256"], audience=client_id)
        except jwt.InvalidTokenError:
            abort(401)
        with engine.begin() as connection:
            connection.execute(insert(launches).values(sub=body["sub"], nonce=body["nonce"]))
        return "ok", 200

    @app.post("/request")
    def bare_request() -> tuple[str, int]:
        return "ok", 200

    return app
