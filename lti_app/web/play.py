"""The player: show the current node, take a choice, show the debrief; the leader's overview."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse

from lti_app.db import get_session
from lti_app.errors import ForbiddenError, NotFoundError
from lti_app.models import Context, GradeOutbox, ResourceLink, User
from lti_app.services import attempts, reports, rosters
from lti_app.services.catalogue import Catalogue
from lti_app.web import auth
from scenarios import AlreadyFinished, StaleStep, UnknownChoice, current_node

bp = Blueprint("play", __name__)


def _catalogue() -> Catalogue:
    catalogue: Catalogue = current_app.extensions["stegvis.catalogue"]
    return catalogue


def _no_store(response: BaseResponse) -> BaseResponse:
    # "Back" must refetch the current step, not show a stale form from the cache.
    response.headers["Cache-Control"] = "no-store"
    return response


def _resume_page() -> BaseResponse:
    """No session cookie came with this GET: let the page's script post the play token.
    401 until it does, so a browser without the token shows what to do."""
    response = current_app.make_response((render_template("play/resume.html"), 401))
    return _no_store(response)


@bp.route("/play/<attempt_id>", methods=["GET", "POST"])
def show(attempt_id: str) -> BaseResponse:
    if request.method == "GET" and not auth.has_session():
        return _resume_page()
    db = get_session()
    attempt = attempts.get_attempt(db, attempt_id, auth.current_user_id())
    current = attempts.view(_catalogue(), db, attempt)
    profile = _catalogue().profile(attempt.profile)
    last = attempt.decisions[-1] if attempt.decisions else None
    last_choice = None
    if last is not None:
        node = current.case.nodes[last.node_id]
        last_choice = next((c for c in node.choices if c.id == last.choice_id), None)
    if attempt.finished:
        grade = db.scalar(
            select(GradeOutbox).where(
                GradeOutbox.attempt_id == attempt.id, GradeOutbox.activity_progress == "Completed"
            )
        )
        html = render_template(
            "play/debrief.html", attempt=attempt, case=current.case, profile=profile,
            result=attempt.result or {}, grade=grade, last_choice=last_choice,
        )
    else:
        html = render_template(
            "play/node.html", attempt=attempt, case=current.case, profile=profile,
            node=current_node(current.case, current.state), state=current.state,
            last_choice=last_choice,
        )
    return _no_store(current_app.make_response(html))


@bp.post("/play/<attempt_id>/choose")
def choose(attempt_id: str) -> BaseResponse:
    db = get_session()
    attempt = attempts.get_attempt(db, attempt_id, auth.current_user_id())
    choice_id = request.form.get("choice", "")
    try:
        expected_step = int(request.form.get("step", ""))
    except ValueError:
        expected_step = -1
    try:
        attempts.apply_choice(_catalogue(), db, attempt, choice_id, expected_step)
    except StaleStep:
        db.rollback()
        flash("Siden du valgte fra, var ikke lenger den nyeste. Her er der du er nå.", "info")
    except AlreadyFinished:
        flash("Caset er allerede fullført.", "info")
    except UnknownChoice:
        flash("Valget finnes ikke på dette steget. Velg ett av alternativene under.", "error")
    return redirect(url_for("play.show", attempt_id=attempt_id), 303)


@bp.post("/play/<attempt_id>/restart")
def restart(attempt_id: str) -> BaseResponse:
    db = get_session()
    attempt = attempts.get_attempt(db, attempt_id, auth.current_user_id())
    case = attempts.view(_catalogue(), db, attempt).case
    if not attempt.finished or not case.retry:
        raise ForbiddenError(f"restart of {attempt_id} not allowed")
    new = attempts.start_attempt(_catalogue(), db, attempt.user, attempt.resource_link)
    return redirect(url_for("play.show", attempt_id=new.id), 303)


@bp.route("/activity/<int:link_pk>/overview", methods=["GET", "POST"])
def overview(link_pk: int) -> BaseResponse:
    """What a leader sees after launching: who has started and finished this activity."""
    if request.method == "GET" and not auth.has_session():
        return _resume_page()
    user_id = auth.require_staff(link_pk)
    db = get_session()
    link = db.get(ResourceLink, link_pk)
    if link is None:
        raise NotFoundError(f"activity {link_pk}")
    own = attempts.latest_attempt(db, db.get_one(User, user_id), link)
    case = _catalogue().cases.get(link.case_id or "")
    context = db.get(Context, link.context_pk) if link.context_pk else None
    html = render_template(
        "play/overview.html", link=link, case=case, people=reports.activity_status(db, link),
        own=own, context=context,
        case_errors=_catalogue().errors_for(link.case_id or "") if case is None else [],
    )
    return _no_store(current_app.make_response(html))


@bp.post("/activity/<int:link_pk>/roster")
def refresh_roster(link_pk: int) -> BaseResponse:
    """Ask for the course roster to be read again (the worker does it within seconds)."""
    auth.require_staff(link_pk)
    db = get_session()
    link = db.get_one(ResourceLink, link_pk)
    context = db.get(Context, link.context_pk) if link.context_pk else None
    if context is None or not context.memberships_url:
        flash("Læringsplattformen deler ikke deltakerlisten med Stegvis for dette kurset.",
              "error")
    else:
        rosters.request_refresh(context)
        flash("Deltakerlisten oppdateres. Last inn siden på nytt om litt.", "info")
    return redirect(url_for("play.overview", link_pk=link_pk), 303)


@bp.post("/activity/<int:link_pk>/try")
def try_case(link_pk: int) -> BaseResponse:
    """A leader plays the case themself (same rules as a learner)."""
    user_id = auth.require_staff(link_pk)
    db = get_session()
    link = db.get_one(ResourceLink, link_pk)
    attempt = attempts.open_attempt(_catalogue(), db, db.get_one(User, user_id), link)
    return redirect(url_for("play.show", attempt_id=attempt.id), 303)
