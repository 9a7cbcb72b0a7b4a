"""Deep Linking 2.0, tool side: an instructor picks cases; the LMS gets signed items."""

from __future__ import annotations

import jwt
import requests

from tests.conftest import RunningTool
from tests.integration.conftest import written
from tests.support.browser import parse
from tests.support.platform import INSTRUCTOR, LEARNER, LaunchingBrowser, MiniPlatform

DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
RETURN_URL = "https://lms.example/deeplink/return?course=1"


def deep_link_launch(lti_browser: LaunchingBrowser, roles: list[str], multiple: bool = True,
                     data: str | None = "opaque-123") -> requests.Response:
    settings = {
        "deep_link_return_url": RETURN_URL, "accept_types": ["ltiResourceLink"],
        "accept_presentation_document_targets": ["iframe", "window"],
        "accept_multiple": multiple, "auto_create": True,
    }
    if data is not None:
        settings["data"] = data
    return lti_browser.launch(
        claim_message_type="LtiDeepLinkingRequest", claim_resource_link=...,
        claim_roles=roles, **{DL + "deep_linking_settings": settings},
    )


def test_instructor_adds_cases_and_the_lms_gets_signed_resource_links(
    tool: RunningTool, platform: MiniPlatform, lti_browser: LaunchingBrowser
) -> None:
    picker = deep_link_launch(lti_browser, [INSTRUCTOR])
    assert picker.status_code == 200 and "Legg til caser i kurset" in picker.text
    catalogue = tool.app.extensions["stegvis.catalogue"]
    for case in catalogue.cases.values():
        assert case.title in picker.text
    form = parse(picker.text).forms[0]
    chosen = sorted(catalogue.cases)[:2]
    # No cookie is needed: the signed request in the form is what authorises the answer.
    answer = requests.post(tool.url + "/lti/deep-link", data={
        "request": form.fields["request"], "case": chosen, "profile": "vestby",
    }, timeout=10)
    assert answer.status_code == 200
    assert "form-action 'self' https://lms.example" in answer.headers["Content-Security-Policy"]
    autopost = parse(answer.text).forms[0]
    assert autopost.action == RETURN_URL.replace("&", "&amp;") or autopost.action == RETURN_URL
    token = autopost.fields["JWT"]

    jwks = jwt.PyJWKClient(f"{tool.url}/.well-known/jwks.json")
    claims = jwt.decode(token, jwks.get_signing_key_from_jwt(token).key, algorithms=["RS256"],
                        audience=platform.issuer, issuer=platform.client_id)
    assert claims["https://purl.imsglobal.org/spec/lti/claim/message_type"] == (
        "LtiDeepLinkingResponse")
    assert claims["https://purl.imsglobal.org/spec/lti/claim/deployment_id"] == (
        platform.deployment_id)
    assert claims[DL + "data"] == "opaque-123"
    items = claims[DL + "content_items"]
    assert [i["custom"] for i in items] == [{"case": c, "profile": "vestby"} for c in chosen]
    assert all(i["type"] == "ltiResourceLink" and i["url"] == f"{tool.url}/lti/launch"
               and i["lineItem"]["scoreMaximum"] == 100 for i in items)
    assert [i["lineItem"]["resourceId"] for i in items] == chosen


def test_single_choice_platform_gets_radio_buttons_and_no_data_claim(
    tool: RunningTool, lti_browser: LaunchingBrowser
) -> None:
    picker = deep_link_launch(lti_browser, [INSTRUCTOR], multiple=False, data=None)
    assert 'type="radio"' in picker.text and 'type="checkbox"' not in picker.text
    form = parse(picker.text).forms[0]
    case_id = next(iter(tool.app.extensions["stegvis.catalogue"].cases))
    answer = lti_browser.http.post(tool.url + "/lti/deep-link", data={
        "request": form.fields["request"], "case": case_id}, timeout=10)
    claims = jwt.decode(parse(answer.text).forms[0].fields["JWT"],
                        options={"verify_signature": False})
    assert DL + "data" not in claims
    assert claims[DL + "content_items"][0]["custom"] == {"case": case_id}


def test_learner_cannot_deep_link_and_nothing_chosen_is_explained(
    tool: RunningTool, lti_browser: LaunchingBrowser
) -> None:
    before = written(tool)
    refused = deep_link_launch(lti_browser, [LEARNER])
    assert refused.status_code == 403 and written(tool) == before
    forged = lti_browser.http.post(tool.url + "/lti/deep-link",
                                   data={"request": "forged", "case": "x"}, timeout=10)
    assert forged.status_code == 400 and "Valget er utløpt" in forged.text

    leader = LaunchingBrowser(tool.url, lti_browser.platform)
    form = parse(deep_link_launch(leader, [INSTRUCTOR]).text).forms[0]
    empty = leader.http.post(tool.url + "/lti/deep-link",
                             data={"request": form.fields["request"]}, timeout=10)
    assert empty.status_code == 400 and "Velg minst ett case" in empty.text
