"""Course rosters through NRPS: asked for on instructor launch or on demand, read by the
worker (outbound HTTP never runs in a person's request), kept as a snapshot per course."""

from __future__ import annotations

import logging

from sqlalchemy import Engine, delete, or_, select
from sqlalchemy.orm import Session

from lti_app.db import session_scope
from lti_app.lti import keys
from lti_app.lti.nrps import NrpsClient
from lti_app.lti.service_client import ServiceAuth, ServiceError
from lti_app.models import Context, Deployment, Platform, RosterMember, utcnow

log = logging.getLogger(__name__)


def request_refresh(context: Context) -> None:
    """Ask the worker to read this course's roster again."""
    if context.memberships_url:
        context.roster_requested_at = utcnow()


def service_auth(db: Session, platform: Platform) -> ServiceAuth:
    """Credentials for the services of ``platform``, signed with the tool's active key."""
    key = keys.active_key(db)
    if key is None:
        raise ServiceError("the tool has no signing key (run: stegvis keys ensure)",
                           retryable=True)
    return ServiceAuth(
        registration_key=str(platform.id),
        client_id=platform.client_id,
        token_url=platform.auth_token_url,
        audience=platform.auth_audience,
        kid=key.kid,
        private_key_pem=key.private_key_pem,
    )


def refresh(db: Session, context: Context) -> int:
    """Replace the roster snapshot of ``context``; return the number of members."""
    assert context.memberships_url
    deployment = db.get_one(Deployment, context.deployment_id)
    client = NrpsClient(service_auth(db, deployment.platform))
    members = client.members(context.memberships_url)
    db.execute(delete(RosterMember).where(RosterMember.context_pk == context.id))
    seen: set[str] = set()
    for member in members:
        if member.sub in seen:
            continue  # a platform may list someone twice across pages
        seen.add(member.sub)
        db.add(RosterMember(context_pk=context.id, sub=member.sub, name=member.name,
                            email=member.email, roles=sorted(member.roles),
                            status=member.status))
    context.roster_fetched_at, context.roster_error = utcnow(), None
    db.flush()
    return len(seen)


def refresh_due(engine: Engine) -> int:
    """Read every roster that was asked for since it was last read."""
    with session_scope(engine) as db:
        due = list(db.scalars(
            select(Context.id).where(
                Context.memberships_url.is_not(None),
                Context.roster_requested_at.is_not(None),
                or_(Context.roster_fetched_at.is_(None),
                    Context.roster_fetched_at < Context.roster_requested_at),
            )
        ))
    for context_pk in due:
        with session_scope(engine) as db:
            context = db.get_one(Context, context_pk)
            try:
                count = refresh(db, context)
                log.info("roster of context %s: %s members", context_pk, count)
            except ServiceError as exc:
                # Kept for the leader to see; a new request (launch or button) tries again.
                context.roster_fetched_at, context.roster_error = utcnow(), str(exc)[:2000]
                log.warning("roster of context %s failed: %s", context_pk, exc)
    return len(due)
