"""The background worker: everything that talks to an LMS outside a person's request."""

from __future__ import annotations

import logging
import threading

from sqlalchemy import Engine

from lti_app.db import session_scope
from lti_app.lti.storage import DatabaseLaunchStorage
from lti_app.services import grading, rosters

log = logging.getLogger(__name__)


def one_round(engine: Engine) -> int:
    """Send due grades and read requested rosters once; return how much was tried.
    Also drops expired launch data (used nonces, held launches) so the table stays small."""
    with session_scope(engine) as db:
        purged = DatabaseLaunchStorage(db).purge_expired()
    if purged:
        log.debug("purged %d expired launch data rows", purged)
    return grading.send_due(engine) + rosters.refresh_due(engine)


def run_worker(engine: Engine, interval: float, stop: threading.Event | None = None) -> None:
    """Work in rounds every ``interval`` seconds until ``stop`` is set."""
    stop = stop or threading.Event()
    log.info("worker started (every %.1f s)", interval)
    while not stop.is_set():
        try:
            one_round(engine)
        except Exception:
            log.exception("worker round failed; trying again")
        stop.wait(interval)
