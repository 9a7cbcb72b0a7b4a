"""Deep Linking: an instructor picks cases from the catalogue; the LMS gets activities."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from lti_app.errors import AppError
from lti_app.lti import keys
from lti_app.lti.context import DeepLinkSettings, LaunchContext
from lti_app.lti.deep_linking import ResourceLinkItem, Signer, build_response
from lti_app.services.catalogue import Catalogue
from lti_app.services.launches import CUSTOM_CASE, CUSTOM_PROFILE


class DeepLinkExpiredError(AppError):
    status = 400
    title = "Valget er utløpt"
    message = "Siden for å legge til caser er for gammel eller ikke gyldig."
    hint = "Gå tilbake til kurset og start «Legg til aktivitet» på nytt."


class NothingChosenError(AppError):
    status = 400
    title = "Ingen caser valgt"
    message = "Velg minst ett case å legge til i kurset."
    hint = "Gå tilbake, kryss av for ett eller flere caser og trykk «Legg til»."


@dataclass(frozen=True)
class PendingDeepLink:
    """What the deep linking launch asked for, kept in the session until the answer."""

    return_url: str
    accept_multiple: bool
    data: str | None
    title: str | None
    issuer: str
    client_id: str
    deployment_id: str

    @classmethod
    def from_launch(cls, ctx: LaunchContext) -> PendingDeepLink:
        assert ctx.deep_linking is not None
        dl = ctx.deep_linking
        return cls(dl.return_url, dl.accept_multiple, dl.data, dl.title, ctx.issuer,
                   ctx.client_id, ctx.deployment_id)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


REQUEST_SECONDS = 3600
_SALT = "stegvis-deep-link"


def sign(pending: PendingDeepLink) -> str:
    """The pending request, signed, for the picker form (no server-side session needed)."""
    return URLSafeTimedSerializer(current_app.secret_key or "", salt=_SALT).dumps(
        pending.to_dict())


def unsign(token: str) -> PendingDeepLink:
    try:
        data = URLSafeTimedSerializer(current_app.secret_key or "", salt=_SALT).loads(
            token, max_age=REQUEST_SECONDS)
        return PendingDeepLink(**data)
    except (BadSignature, TypeError) as exc:
        raise DeepLinkExpiredError("deep link: request token missing, forged or expired") from exc


def items_for(
    catalogue: Catalogue, case_ids: Sequence[str], profile: str | None, base_url: str
) -> list[ResourceLinkItem]:
    """One resource link per chosen case, carrying the case and the profile as custom
    parameters and a line item of 100 points."""
    items = []
    for case_id in case_ids:
        case = catalogue.case(case_id)
        custom = {CUSTOM_CASE: case.id}
        if profile:
            custom[CUSTOM_PROFILE] = catalogue.profile(profile).id
        items.append(ResourceLinkItem(
            title=case.title, text=case.summary, url=f"{base_url}/lti/launch",
            custom=custom, resource_id=case.id,
        ))
    return items


def respond(
    db: Session, pending: PendingDeepLink, items: Sequence[ResourceLinkItem]
) -> str:
    """The signed response JWT for ``items``."""
    if not items:
        raise NothingChosenError("deep link: no case chosen")
    if len(items) > 1 and not pending.accept_multiple:
        items = items[:1]
    key = keys.active_key(db)
    if key is None:
        raise AppError("the tool has no signing key (run: stegvis keys ensure)")
    settings = DeepLinkSettings(return_url=pending.return_url, data=pending.data)
    return build_response(
        settings, client_id=pending.client_id, issuer=pending.issuer,
        deployment_id=pending.deployment_id, items=items,
        signer=Signer(key.kid, key.private_key_pem),
        message=f"{len(items)} case(r) lagt til fra Stegvis.",
    )
