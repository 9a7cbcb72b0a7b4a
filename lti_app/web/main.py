"""Start page and the operator's health check."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template
from flask.typing import ResponseReturnValue
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

bp = Blueprint("main", __name__)


@bp.get("/")
def index() -> str:
    config = current_app.config["STEGVIS"]
    catalogue = current_app.extensions["stegvis.catalogue"]
    return render_template(
        "index.html", config=config, cases=sorted(catalogue.cases.values(), key=lambda c: c.title)
    )


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    """200 when the database answers, 503 when it does not (no session: nothing to commit)."""
    engine = current_app.extensions["stegvis.engine"]
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        current_app.logger.error("healthz: database unreachable: %s", exc)
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok")
