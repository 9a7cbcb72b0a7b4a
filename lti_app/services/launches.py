"""Record what a validated launch tells us: the person, the course and the activity."""

from __future__ import annotations

import functools
from typing import Any, TypeVar

from sqlalchemy import bindparam, func
from sqlalchemy.orm import Session

from lti_app.db import Base, insert_for
from lti_app.lti.context import LaunchContext
from lti_app.models import Context, ResourceLink, User, utcnow

# Custom parameters an activity may carry (set by Deep Linking or typed by an admin).
CUSTOM_CASE = "case"
CUSTOM_PROFILE = "profile"

M = TypeVar("M", bound=Base)


def _upsert(
    db: Session, model: type[M], keys: dict[str, Any], values: dict[str, Any],
    keep_if_missing: tuple[str, ...] = (),
) -> M:
    """Insert or update the row with ``keys`` in one statement (INSERT … ON CONFLICT …
    RETURNING, in SQLite and PostgreSQL alike), so two first launches of the same person
    cannot collide and a launch costs one round trip per row. Columns in ``keep_if_missing``
    keep their stored value when the launch brings none."""
    statement = _upsert_statement(
        db.get_bind().dialect.name, model, tuple(keys), tuple(values), keep_if_missing)
    row: M = db.scalars(
        statement, {**keys, **values}, execution_options={"populate_existing": True}
    ).one()
    return row


@functools.cache
def _upsert_statement(
    dialect: str, model: type[Base], keys: tuple[str, ...], values: tuple[str, ...],
    keep_if_missing: tuple[str, ...],
) -> Any:
    # Built once per shape with bound parameters: constructing an ON CONFLICT statement
    # (its `excluded` columns) cost more CPU than running it, three times per launch.
    statement = insert_for(dialect)(model).values({name: bindparam(name) for name in keys + values})
    table = model.__table__
    changes = {
        name: func.coalesce(statement.excluded[name], table.c[name])
        if name in keep_if_missing else statement.excluded[name]
        for name in values
    }
    return statement.on_conflict_do_update(
        index_elements=list(keys), set_=changes).returning(model)


def record_launch(db: Session, ctx: LaunchContext) -> tuple[User, ResourceLink | None]:
    """Upsert the user, context and resource link of a launch (scoped to its tenant)."""
    user = _upsert(
        db, User, {"platform_id": ctx.platform_id, "sub": ctx.sub},
        {"name": ctx.name, "email": ctx.email, "locale": ctx.locale,
         "last_launch_at": utcnow()},
    )
    context = None
    if ctx.context_id:
        context = _upsert(
            db, Context, {"deployment_id": ctx.deployment_pk, "context_id": ctx.context_id},
            {"title": ctx.context_title, "label": ctx.context_label,
             "memberships_url": ctx.memberships_url,
             # A leader is about to look at who has done what: read the roster again.
             "roster_requested_at": utcnow() if ctx.is_instructor and ctx.memberships_url
             else None},
            keep_if_missing=("memberships_url", "roster_requested_at"),
        )
    if not ctx.resource_link_id:
        return user, None
    link = _upsert(
        db, ResourceLink,
        {"deployment_id": ctx.deployment_pk, "resource_link_id": ctx.resource_link_id},
        {"context_pk": context.id if context else None, "title": ctx.resource_link_title,
         "case_id": ctx.custom.get(CUSTOM_CASE), "profile": ctx.custom.get(CUSTOM_PROFILE),
         "lineitem_url": ctx.ags.lineitem_url, "lineitems_url": ctx.ags.lineitems_url,
         "ags_scopes": list(ctx.ags.scopes)},
        keep_if_missing=("case_id", "profile", "lineitem_url"),
    )
    return user, link
