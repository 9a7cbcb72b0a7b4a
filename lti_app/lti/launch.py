"""OIDC login and launch validation: the one module that reads an id_token.

pylti1p3 does the protocol mechanics (state cookie, signature, deployment, message
claims). It leaves open what research note B.1 lists, so this module adds, after its
``validate()``: ``exp`` and ``iat`` required with an ``iat`` window (Security Framework
§5.1.3 steps 7-8), strict ``aud``/``azp`` (steps 3-5; pylti1p3 turns ``verify_aud`` off),
the nonce used once (step 9; pylti1p3 only checks it exists), and ``target_link_uri`` on
our own host.

The login writes nothing: the nonce it sends is an HMAC of the state under the app's
secret (``nonce_for``), so the launch can tell that nonce and state belong to one login of
ours, and the launch records the nonce as used with one INSERT that a replay cannot repeat
(the row outlives every id_token that could carry it). A login the learner abandons leaves
no row behind, and a whole launch needs one write transaction.

It also puts a timeout on the platform JWKS fetch and refetches once when an unknown
``kid`` appears (pylti1p3 has neither).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from pylti1p3.contrib.flask.cookie import FlaskCookieService
from pylti1p3.contrib.flask.message_launch import FlaskMessageLaunch
from pylti1p3.contrib.flask.oidc_login import FlaskOIDCLogin
from pylti1p3.contrib.flask.request import FlaskRequest
from pylti1p3.exception import LtiException, OIDCException
from pylti1p3.launch_data_storage.base import LaunchDataStorage
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response as BaseResponse

from lti_app.errors import (
    LaunchError,
    NotDeployedError,
    PlatformUnavailableError,
    UnknownPlatformError,
)
from lti_app.lti.context import (
    AgsEndpoint,
    DeepLinkSettings,
    LaunchContext,
    context_from_dict,
    context_to_dict,
)
from lti_app.lti.registrations import DatabaseToolConf
from lti_app.lti.roles import context_roles, is_instructor
from lti_app.lti.storage import DatabaseLaunchStorage

log = logging.getLogger(__name__)

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
DL_CLAIM = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
JWKS_TIMEOUT = (3.0, 5.0)  # connect, read seconds
JWKS_TTL = 300
REFETCH_COOLDOWN = 60


class _KeySetCache:
    """Platform key sets per URL, kept a few minutes; refetched at once on an unknown kid,
    at most once a minute per URL, so forged kids cannot make us hammer the platform."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sets: dict[str, tuple[float, dict[str, Any]]] = {}
        self._forced: dict[str, float] = {}

    def may_refetch(self, url: str) -> bool:
        with self._lock:
            last = self._forced.get(url)
            if last is not None and time.monotonic() - last < REFETCH_COOLDOWN:
                return False
            self._forced[url] = time.monotonic()
            return True

    def get(self, url: str) -> dict[str, Any] | None:
        with self._lock:
            entry = self._sets.get(url)
        if entry and time.monotonic() - entry[0] < JWKS_TTL:
            return entry[1]
        return None

    def put(self, url: str, key_set: dict[str, Any]) -> None:
        if key_set.get("keys"):  # never cache an empty key set
            with self._lock:
                self._sets[url] = (time.monotonic(), key_set)

    def drop(self, url: str) -> None:
        with self._lock:
            self._sets.pop(url, None)


KEY_SETS = _KeySetCache()


class StegvisCookieService(FlaskCookieService):
    # On loopback all ports are one site; a name of our own cannot collide with a platform's.
    _cookie_prefix = "stegvis-lti"


def fetch_key_set(url: str) -> dict[str, Any]:
    """GET a platform's JWKS with a timeout; a platform that does not answer is a 503."""
    try:
        response = requests.get(url, timeout=JWKS_TIMEOUT, allow_redirects=False,
                                headers={"User-Agent": "Stegvis-LTI/0.1"})
        response.raise_for_status()
        key_set = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise PlatformUnavailableError(f"platform JWKS {url}: {exc}") from exc
    if not isinstance(key_set, dict) or not isinstance(key_set.get("keys"), list):
        raise PlatformUnavailableError(f"platform JWKS {url} is not a key set")
    return key_set


NONCE_CONTEXT = b"stegvis-lti-nonce-v1:"


def nonce_for(secret: bytes, state: str) -> str:
    """The nonce the login sends with ``state`` (HMAC-SHA256 under the app's secret)."""
    digest = hmac.new(secret, NONCE_CONTEXT + state.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


class _NoLoginStorage(LaunchDataStorage[Any]):
    """What the login gives pylti1p3 to store its nonce in: nothing is kept, because the
    nonce is derived from the state (``nonce_for``). Anything else pylti1p3 might want
    kept at login would be lost, so it fails loudly instead."""

    def get_session_cookie_name(self) -> str | None:
        return None

    def can_set_keys_expiration(self) -> bool:
        return True

    def get_value(self, key: str) -> Any:
        return None

    def set_value(self, key: str, value: Any, exp: int | None = None) -> None:
        if not key.startswith("lti1p3-nonce-"):
            raise RuntimeError(f"login: pylti1p3 wants to keep {key!r}; nothing is stored")

    def check_value(self, key: str) -> bool:
        return False


class _OIDCLogin(FlaskOIDCLogin):
    def __init__(self, *args: Any, nonce_secret: bytes, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._nonce_secret = nonce_secret
        self._state_uuid = ""

    def _get_uuid(self) -> str:
        # pylti1p3 asks for one uuid per login and makes the state "state-<uuid>" from it
        # (start_login checks the nonce it then sends against that state).
        self._state_uuid = str(super()._get_uuid())
        return self._state_uuid

    def _generate_nonce(self) -> str:
        return nonce_for(self._nonce_secret, "state-" + self._state_uuid)


class _MessageLaunch(FlaskMessageLaunch):
    def fetch_public_key(self, key_set_url: str) -> Any:
        cached = KEY_SETS.get(key_set_url)
        if cached is not None:
            return cached
        key_set = fetch_key_set(key_set_url)
        KEY_SETS.put(key_set_url, key_set)
        return key_set

    def get_public_key(self) -> Any:
        try:
            return super().get_public_key()
        except LtiException:
            # The platform may have rotated its key: look once more, past the cache
            # (warehouse's OIDC keyset refresh; pylti1p3 never refetches).
            registration: Any = self._registration
            url = str(registration.get_key_set_url())
            if not KEY_SETS.may_refetch(url):
                raise
            KEY_SETS.drop(url)
            registration.set_key_set(None)
            return super().get_public_key()

    state_unverified = False

    def validate_state(self) -> _MessageLaunch:
        # The state cookie set at login must come back with the same value. pylti1p3 first
        # looks for a "state already seen" row that this tool never writes; skip that read.
        request: Any = self._request
        state = request.get_param("state")
        if not state:
            raise LaunchError("launch: no state parameter")
        if self._cookie_service.get_cookie(state) != state:
            # No state cookie came back (blocked third-party cookies). If the platform
            # offers platform storage, the browser proves the state from there instead,
            # after every other check has passed (LTI client-side postMessages, §4).
            if not request.get_param("lti_storage_target"):
                raise LaunchError("launch: state cookie missing or different")
            self.state_unverified = True
        return self

    nonce_secret = b""  # set by validate_launch; an empty key is refused below

    def validate_nonce(self) -> _MessageLaunch:
        # The nonce must be the one our login sent with this state (pylti1p3 would look it
        # up in storage). That it is used only once is recorded after every other check
        # (end of validate_launch): this runs before the signature is verified.
        nonce = self._get_jwt_body().get("nonce")
        if not self.nonce_secret:
            raise RuntimeError("launch: no nonce secret (validate_launch sets it)")
        request: Any = self._request
        state = request.get_param("state")
        if not isinstance(nonce, str) or not nonce or not state or not hmac.compare_digest(
                nonce, nonce_for(self.nonce_secret, str(state))):
            raise LaunchError("launch: nonce was not issued by our login for this state")
        return self

    def save_launch_data(self) -> _MessageLaunch:
        # pylti1p3 would mark (state, id_token) as valid for a day so that the same
        # form post is accepted again; we want the opposite (one launch per login).
        return self


def _storage_and_request(db: Session) -> tuple[DatabaseLaunchStorage, Any]:
    return DatabaseLaunchStorage(db), FlaskRequest()  # type: ignore[no-untyped-call]


def _own_url(url: str, base_url: str) -> bool:
    target, base = urlsplit(url), urlsplit(base_url)
    return (target.scheme, target.netloc) == (base.scheme, base.netloc)


@dataclass
class LoginStep:
    """Where to send the browser after a login initiation, and how.

    With ``storage_target`` (LTI client-side postMessages, "platform storage") the
    browser first stores the state in a frame of the platform, so the launch can be
    checked even when third-party cookies are blocked; the state cookie is set as well.
    """

    auth_url: str
    state: str
    storage_target: str | None
    platform_origin: str
    _cookies: StegvisCookieService

    def set_cookies(self, response: BaseResponse) -> BaseResponse:
        self._cookies.update_response(response)  # type: ignore[no-untyped-call]
        return response


def start_login(db: Session, base_url: str, nonce_secret: bytes) -> LoginStep:
    """Answer a third-party initiated login (LTI 1.3 Core §5.1.1; GET or POST)."""
    lti_request: Any = FlaskRequest()  # type: ignore[no-untyped-call]
    target = lti_request.get_param("target_link_uri")
    if target and not _own_url(target, base_url):
        raise LaunchError(f"login: foreign target_link_uri {target!r}")
    tool_conf = DatabaseToolConf(db)
    cookies = StegvisCookieService(lti_request)  # type: ignore[no-untyped-call]
    login = _OIDCLogin(
        lti_request, tool_conf, cookie_service=cookies, launch_data_storage=_NoLoginStorage(),
        nonce_secret=nonce_secret,
    )
    try:
        auth_url = str(login.get_redirect_object(f"{base_url}/lti/launch").get_redirect_url())
    except OIDCException as exc:
        if tool_conf.unknown_platform:
            raise UnknownPlatformError(f"login: {exc}") from exc
        raise LaunchError(f"login: {exc}") from exc
    assert tool_conf.found is not None
    query = parse_qs(urlsplit(auth_url).query)
    state = query["state"][0]
    if query["nonce"][0] != nonce_for(nonce_secret, state):
        raise RuntimeError("login: pylti1p3 no longer builds the state as _OIDCLogin expects")
    return LoginStep(
        auth_url=auth_url,
        state=state,
        storage_target=lti_request.get_param("lti_storage_target") or None,
        platform_origin=_origin(tool_conf.found.auth_login_url),
        _cookies=cookies,
    )


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _check_time_claims(body: Mapping[str, Any], max_age: int, leeway: int) -> None:
    now = time.time()
    exp, iat = body.get("exp"), body.get("iat")
    if not isinstance(exp, int | float):
        raise LaunchError("launch: id_token has no exp")
    if not isinstance(iat, int | float):
        raise LaunchError("launch: id_token has no iat")
    if exp + leeway < now:
        raise LaunchError("launch: id_token expired")
    if iat > now + leeway or iat < now - max_age - leeway:
        raise LaunchError(f"launch: iat outside the accepted window ({int(now - iat)} s old)")


def _check_audience(body: Mapping[str, Any], client_id: str) -> None:
    aud = body.get("aud")
    audiences = [aud] if isinstance(aud, str) else list(aud or [])
    if client_id not in audiences:
        raise LaunchError("launch: aud does not contain our client id")
    if len(audiences) > 1 and body.get("azp") != client_id:
        raise LaunchError("launch: several audiences and azp is not our client id")
    if any(a != client_id for a in audiences):
        raise LaunchError("launch: untrusted extra audience in aud")
    if "azp" in body and body["azp"] != client_id:
        raise LaunchError("launch: azp is not our client id")


@dataclass(frozen=True)
class ValidatedLaunch:
    context: LaunchContext
    state: str
    # True when the state must still be read back from platform storage by the browser.
    state_unverified: bool
    storage_target: str | None
    platform_origin: str


def validate_launch(
    db: Session, base_url: str, nonce_secret: bytes, *, max_age: int = 300, leeway: int = 60
) -> ValidatedLaunch:
    """Validate the form-posted id_token and return who launched what."""
    storage, lti_request = _storage_and_request(db)
    error = lti_request.get_param("error")
    if error:
        # The platform answered the authentication request with an error (OIDC Core
        # §3.1.2.6), e.g. login_required when the LMS session has ended.
        description = lti_request.get_param("error_description") or ""
        raise LaunchError(f"launch: platform returned {error}: {description}"[:500])
    tool_conf = DatabaseToolConf(db)
    launch = _MessageLaunch(
        lti_request,
        tool_conf,
        cookie_service=StegvisCookieService(lti_request),  # type: ignore[no-untyped-call]
        launch_data_storage=storage,
    )
    launch.nonce_secret = nonce_secret
    try:
        launch.validate()
        body: Mapping[str, Any] = launch.get_launch_data()
    except (LtiException, OIDCException) as exc:
        reason = f"launch: {exc}"
        if "deployment" in str(exc).lower() and not tool_conf.unknown_platform:
            raise NotDeployedError(reason) from exc
        # An unknown (iss, aud) at launch is a 401 like any other untrusted token
        # (Security Framework §5.1.3 steps 2-3); only login answers 400 for it.
        raise LaunchError(reason) from exc
    platform = tool_conf.found
    assert platform is not None  # validate() found the registration
    _check_time_claims(body, max_age, leeway)
    _check_audience(body, platform.client_id)
    target = body.get(CLAIM + "target_link_uri", "")
    if not isinstance(target, str) or not _own_url(target, base_url):
        raise LaunchError(f"launch: foreign target_link_uri {target!r}")
    deployment = tool_conf.deployment
    if deployment is None:
        raise NotDeployedError("launch: deployment vanished during the launch")
    # Used once (Security Framework §5.1.3 step 9), kept until no id_token with this
    # nonce could pass the iat window any more.
    if not storage.claim(f"lti1p3-used-nonce-{body['nonce']}", max_age + 2 * leeway):
        raise LaunchError("launch: nonce already used (replayed id_token)")
    return ValidatedLaunch(
        context=_context_from_claims(body, platform.id, deployment.id, platform.client_id),
        state=str(lti_request.get_param("state")),
        state_unverified=launch.state_unverified,
        storage_target=lti_request.get_param("lti_storage_target") or None,
        platform_origin=_origin(platform.auth_login_url),
    )


TICKET_SECONDS = 120


def hold_for_storage_check(db: Session, launch: ValidatedLaunch) -> str:
    """Keep a launch whose state the browser must still prove; return a one-time ticket."""
    ticket = secrets.token_urlsafe(32)
    DatabaseLaunchStorage(db).set_value(
        f"lti1p3-ticket-{ticket}",
        {"state": launch.state, "context": context_to_dict(launch.context)},
        exp=TICKET_SECONDS,
    )
    return ticket


def release_after_storage_check(db: Session, ticket: str, state: str) -> LaunchContext:
    """The held launch, once, if the browser read the same state from platform storage."""
    storage = DatabaseLaunchStorage(db)
    key = f"lti1p3-ticket-{ticket}"
    held = storage.get_value(key)
    if not ticket or held is None or not storage.consume(key):
        raise LaunchError("launch: storage-check ticket unknown, used or expired")
    if not secrets.compare_digest(str(held["state"]), state):
        raise LaunchError("launch: state from platform storage does not match")
    return context_from_dict(held["context"])


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _context_from_claims(
    body: Mapping[str, Any], platform_id: int, deployment_pk: int, client_id: str
) -> LaunchContext:
    context = body.get(CLAIM + "context") or {}
    link = body.get(CLAIM + "resource_link") or {}
    custom = body.get(CLAIM + "custom") or {}
    ags = body.get(AGS_CLAIM) or {}
    presentation = body.get(CLAIM + "launch_presentation") or {}
    nrps = body.get(NRPS_CLAIM) or {}
    roles = context_roles(r for r in body.get(CLAIM + "roles", []) if isinstance(r, str))
    return LaunchContext(
        platform_id=platform_id,
        deployment_pk=deployment_pk,
        issuer=str(body["iss"]),
        client_id=client_id,
        deployment_id=str(body[CLAIM + "deployment_id"]),
        message_type=str(body[CLAIM + "message_type"]),
        sub=str(body["sub"]),
        name=_str(body.get("name")),
        email=_str(body.get("email")),
        locale=_str(presentation.get("locale")) or _str(body.get("locale")),
        roles=roles,
        is_instructor=is_instructor(roles),
        context_id=_str(context.get("id")),
        context_title=_str(context.get("title")),
        context_label=_str(context.get("label")),
        resource_link_id=_str(link.get("id")),
        resource_link_title=_str(link.get("title")),
        custom={str(k): str(v) for k, v in custom.items()} if isinstance(custom, dict) else {},
        ags=AgsEndpoint(
            scopes=tuple(s for s in ags.get("scope", []) if isinstance(s, str)),
            lineitems_url=_str(ags.get("lineitems")),
            lineitem_url=_str(ags.get("lineitem")),
        ),
        return_url=_str(presentation.get("return_url")),
        deep_linking=_deep_link_settings(body.get(DL_CLAIM)),
        memberships_url=_str(nrps.get("context_memberships_url")),
    )


def _deep_link_settings(claim: Any) -> DeepLinkSettings | None:
    if not isinstance(claim, dict) or not _str(claim.get("deep_link_return_url")):
        return None
    return DeepLinkSettings(
        return_url=str(claim["deep_link_return_url"]),
        accept_types=tuple(t for t in claim.get("accept_types", []) if isinstance(t, str)),
        # Moodle sends booleans, some platforms the strings "true"/"false".
        accept_multiple=str(claim.get("accept_multiple", False)).lower() == "true",
        data=_str(claim.get("data")),
        title=_str(claim.get("title")),
    )
