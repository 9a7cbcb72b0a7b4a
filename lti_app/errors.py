"""One exception hierarchy for the app, mapped to HTTP in one place.

Each :class:`AppError` carries a status, a Norwegian title and message for the person in
front of the screen, and a reason for the operator's log. ``register_error_handlers``
turns them (and any other exception) into a Norwegian page; no traceback is ever shown.
"""

from __future__ import annotations

import logging
from typing import ClassVar

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class ConfigError(Exception):
    """The configuration is incomplete; the process must not start."""


class AppError(Exception):
    """An error with a message a learner or leader can act on."""

    status: ClassVar[int] = 400
    title: ClassVar[str] = "Noe gikk galt"
    message: ClassVar[str] = "Forespørselen kunne ikke behandles."
    hint: ClassVar[str] = "Gå tilbake til kurset og prøv igjen."

    def __init__(self, reason: str = "", *, message: str | None = None) -> None:
        super().__init__(reason or self.message)
        self.reason = reason
        if message is not None:
            self.message = message  # type: ignore[misc]


class LaunchError(AppError):
    """An LTI launch or login that cannot be trusted (Security Framework §5.1.3)."""

    status = 401
    title = "Oppstarten fra kurset mislyktes"
    message = "Vi kunne ikke bekrefte at du kom fra kurset ditt, eller lenken er utløpt."
    hint = "Last inn kurssiden på nytt og åpne aktiviteten derfra."


class UnknownPlatformError(LaunchError):
    status = 400
    message = "Læringsplattformen er ikke registrert hos Stegvis."
    hint = "Be LMS-administratoren om å registrere Stegvis (se veiledningen for administratorer)."


class NotDeployedError(LaunchError):
    status = 403
    message = "Stegvis er ikke tatt i bruk for denne delen av læringsplattformen."
    hint = "Be LMS-administratoren om å aktivere Stegvis for kurset."


class PlatformUnavailableError(LaunchError):
    status = 503
    title = "Læringsplattformen svarer ikke"
    message = "Vi fikk ikke hentet nøklene som bekrefter oppstarten fra læringsplattformen."
    hint = "Vent et øyeblikk og last inn kurssiden på nytt."


class SessionExpiredError(AppError):
    status = 401
    title = "Økten er utløpt"
    message = "Vi finner ikke økten din. Nettleseren kan ha blokkert informasjonskapsler."
    hint = "Last inn kurssiden på nytt og åpne aktiviteten derfra."


class NotFoundError(AppError):
    status = 404
    title = "Finnes ikke"
    message = "Siden eller forsøket finnes ikke, eller det tilhører ikke deg."
    hint = "Gå tilbake til kurset og åpne aktiviteten derfra."


class ForbiddenError(AppError):
    status = 403
    title = "Ingen tilgang"
    message = "Du har ikke tilgang til denne siden."
    hint = "Spør lederen din eller kursansvarlig om du mener du skal ha tilgang."


class CaseUnavailableError(AppError):
    status = 409
    title = "Caset er ikke tilgjengelig"
    message = "Caset som er knyttet til aktiviteten, kan ikke vises akkurat nå."
    hint = "Si fra til kursansvarlig. Andre caser i kurset fungerer som vanlig."


class DatabaseUnavailableError(AppError):
    status = 503
    title = "Midlertidig utilgjengelig"
    message = "Stegvis får ikke kontakt med databasen sin akkurat nå. Ingenting er tapt."
    hint = "Vent litt og last inn siden på nytt."


_GENERIC: dict[int, tuple[str, str, str]] = {
    400: ("Ugyldig forespørsel", "Forespørselen kunne ikke behandles.", "Last inn siden på nytt."),
    404: (NotFoundError.title, NotFoundError.message, NotFoundError.hint),
    405: ("Ikke tillatt", "Denne handlingen er ikke tillatt her.", "Gå tilbake og prøv igjen."),
    500: (
        "Noe gikk galt hos oss",
        "En uventet feil oppstod. Feilen er logget, og svarene dine er lagret.",
        "Last inn siden på nytt. Hvis feilen kommer igjen, si fra til kursansvarlig.",
    ),
}


def _render(status: int, title: str, message: str, hint: str) -> tuple[str, int]:
    return render_template(
        "errors/error.html", status=status, title=title, message=message, hint=hint
    ), status


def register_error_handlers(app: Flask) -> None:
    """Map every exception to a Norwegian page with the right status."""

    @app.errorhandler(AppError)
    def handle_app_error(error: AppError) -> tuple[str, int]:
        log.warning(
            "%s %s on %s %s: %s",
            error.status,
            type(error).__name__,
            request.method,
            request.path,
            error.reason or error.message,
        )
        return _render(error.status, error.title, error.message, error.hint)

    @app.errorhandler(CSRFError)
    def handle_csrf(error: CSRFError) -> tuple[str, int]:
        log.warning("400 CSRF on %s: %s", request.path, error.description)
        return _render(
            400,
            "Skjemaet er utløpt",
            "Valget ditt ble ikke lagret fordi siden var for gammel eller kom fra et annet sted.",
            "Last inn siden på nytt og velg igjen.",
        )

    @app.errorhandler(OperationalError)
    def handle_db_down(error: OperationalError) -> tuple[str, int]:
        log.error("503 database unavailable on %s: %s", request.path, error.orig)
        e = DatabaseUnavailableError()
        return _render(e.status, e.title, e.message, e.hint)

    @app.errorhandler(HTTPException)
    def handle_http(error: HTTPException) -> tuple[str, int]:
        code = error.code or 500
        title, message, hint = _GENERIC.get(code) or (error.name, error.description or "", "")
        return _render(code, title, message, hint)

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception) -> tuple[str, int]:
        if app.testing and app.config.get("PROPAGATE_UNEXPECTED", True):
            raise error
        log.exception("500 on %s %s", request.method, request.path)
        title, message, hint = _GENERIC[500]
        return _render(500, title, message, hint)
