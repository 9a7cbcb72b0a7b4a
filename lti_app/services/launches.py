"""Record what a validated launch tells us: the person, the course and the activity."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lti_app.db import Base
from lti_app.lti.context import LaunchContext
from lti_app.models import Context, ResourceLink, User, utcnow
from lti_app.services.rosters import request_refresh

# Custom parameters an activity may carry (set by Deep Linking or typed by an admin).
CUSTOM_CASE = "case"
CUSTOM_PROFILE = "profile"

M = TypeVar("M", bound=Base)


def _get_or_create(db: Session, model: type[M], **keys: object) -> M:
    """Find the row with ``keys`` or insert it; a concurrent insert of the same row wins."""
    query = select(model).filter_by(**keys)
    row = db.scalar(query)
    if row is not None:
        return row
    try:
        with db.begin_nested():
            row = model(**keys)
            db.add(row)
    except IntegrityError:
        row = db.scalar(query)
        assert row is not None
    return row


def record_launch(db: Session, ctx: LaunchContext) -> tuple[User, ResourceLink | None]:
    """Upsert the user, context and resource link of a launch (scoped to its tenant)."""
    user = _get_or_create(db, User, platform_id=ctx.platform_id, sub=ctx.sub)
    user.name, user.email, user.locale = ctx.name, ctx.email, ctx.locale
    user.last_launch_at = utcnow()

    context = None
    if ctx.context_id:
        context = _get_or_create(
            db, Context, deployment_id=ctx.deployment_pk, context_id=ctx.context_id
        )
        context.title, context.label = ctx.context_title, ctx.context_label
        context.memberships_url = ctx.memberships_url or context.memberships_url
        if ctx.is_instructor:
            request_refresh(context)  # a leader is about to look at who has done what

    if not ctx.resource_link_id:
        return user, None
    link = _get_or_create(
        db, ResourceLink, deployment_id=ctx.deployment_pk, resource_link_id=ctx.resource_link_id
    )
    link.context_pk = context.id if context else None
    link.title = ctx.resource_link_title
    link.case_id = ctx.custom.get(CUSTOM_CASE) or link.case_id
    link.profile = ctx.custom.get(CUSTOM_PROFILE) or link.profile
    link.lineitem_url = ctx.ags.lineitem_url or link.lineitem_url
    link.lineitems_url = ctx.ags.lineitems_url
    link.ags_scopes = list(ctx.ags.scopes)
    db.flush()
    return user, link
