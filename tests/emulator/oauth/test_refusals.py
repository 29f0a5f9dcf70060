"""What the emulator's OAuth server refuses, with Google's error shapes.

Wrong PKCE verifier, replayed code (which also revokes what the code produced), mismatched
redirect URI, forged or replayed consent forms, bad client authentication, expired codes,
7-day refresh tokens of "Testing" apps, malformed authorization requests, unknown tokens.
"""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import urlencode

import google.auth.transport.requests
import httpx
import pytest
from google.auth.exceptions import RefreshError
from google.oauth2.credentials import Credentials

from tests.emulator.oauth.test_server import (
    ALICE,
    CLIENT_ID,
    REDIRECT,
    SECRET,
    authorize,
    connect,
    consent_form,
    gmail_profile,
    make_flow,
    oauth,
    redirect_params,
    token_post,
)
from tests.support.emulator import RunningEmulator

__all__ = ["oauth"]  # the fixture, re-exported for pytest

VERIFIER = "v" * 43


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def auth_url(emu: RunningEmulator, **overrides: str) -> str:
    params = {
        "client_id": CLIENT_ID, "redirect_uri": REDIRECT, "response_type": "code",
        "scope": "openid email", "state": "s1", "code_challenge": s256(VERIFIER),
        "code_challenge_method": "S256", "login_hint": ALICE,
    }  # fmt: skip
    params.update(overrides)
    return emu.url + "/o/oauth2/v2/auth?" + urlencode({k: v for k, v in params.items() if v})


def get_code(emu: RunningEmulator, **overrides: str) -> str:
    return redirect_params(emu.control.get(auth_url(emu, **overrides)))["code"]


def exchange(emu: RunningEmulator, code: str, **overrides: str | None) -> httpx.Response:
    data: dict[str, str | None] = {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": CLIENT_ID,
        "client_secret": SECRET,
        "redirect_uri": REDIRECT,
        "code_verifier": VERIFIER,
    }
    data.update(overrides)
    return token_post(emu, **{k: v for k, v in data.items() if v is not None})


def error_of(response: httpx.Response) -> tuple[int, str, str]:
    body = response.json()
    return response.status_code, body["error"], body["error_description"]


def test_wrong_pkce_verifier_is_refused(oauth: RunningEmulator) -> None:
    """A verifier that does not hash to the challenge gets invalid_grant; a missing one too."""
    code = get_code(oauth)
    assert error_of(exchange(oauth, code, code_verifier="w" * 43)) == (
        400, "invalid_grant", "Invalid code verifier.",
    )  # fmt: skip
    assert error_of(exchange(oauth, code, code_verifier=None))[1] == "invalid_grant"
    assert exchange(oauth, code).status_code == 200  # the right verifier still works


def test_plain_pkce_and_flow_with_wrong_verifier(oauth: RunningEmulator) -> None:
    """The plain method compares verbatim; oauthlib's Flow with a foreign verifier fails."""
    code = get_code(oauth, code_challenge=VERIFIER, code_challenge_method="plain")
    assert exchange(oauth, code).status_code == 200
    flow = make_flow(oauth)
    params = authorize(flow, login_hint=ALICE)
    flow.code_verifier = "x" * 50
    with pytest.raises(Exception, match="invalid_grant"):
        flow.fetch_token(code=params["code"])


def test_replayed_code_is_refused_and_revokes_its_tokens(oauth: RunningEmulator) -> None:
    """Using a code twice answers invalid_grant and revokes the tokens the first use gave."""
    code = get_code(oauth, scope="openid email https://www.googleapis.com/auth/gmail.modify",
                    access_type="offline")  # fmt: skip
    first = exchange(oauth, code).json()
    assert gmail_profile(oauth, first["access_token"]).status_code == 200
    assert error_of(exchange(oauth, code)) == (400, "invalid_grant", "Bad Request")
    assert gmail_profile(oauth, first["access_token"]).status_code == 401
    refreshed = token_post(oauth, grant_type="refresh_token", refresh_token=first["refresh_token"],
                           client_id=CLIENT_ID, client_secret=SECRET)  # fmt: skip
    assert error_of(refreshed)[1] == "invalid_grant"


def test_mismatched_redirect_uri_is_refused(oauth: RunningEmulator) -> None:
    """The token request must carry the redirect_uri the code was issued for."""
    code = get_code(oauth)
    response = exchange(oauth, code, redirect_uri="http://127.0.0.1:9/elsewhere")
    assert error_of(response) == (400, "redirect_uri_mismatch", "Bad Request")


def test_forged_consent_posts_are_refused(oauth: RunningEmulator) -> None:
    """A tampered form token, a valid token without its cookie, and a second post of the same
    form are all refused with an error page and no redirect."""
    oauth.config.auto_consent = False
    with httpx.Client() as browser:
        form = consent_form(browser.get(auth_url(oauth)).text)
        form_token = next(i["value"] for i in form.inputs if i.get("name") == "form_token")
        assert form_token
        target = oauth.url + form.action
        approve = {"account": ALICE, "decision": "approve"}
        tampered = browser.post(target, data={**approve, "form_token": form_token[:-2] + "xx"})
        assert tampered.status_code == 400 and "location" not in tampered.headers
        missing = browser.post(target, data=approve)
        assert missing.status_code == 400
        no_cookie = httpx.post(target, data={**approve, "form_token": form_token})
        assert no_cookie.status_code == 400 and "location" not in no_cookie.headers
        ok = browser.post(target, data={**approve, "form_token": form_token})
        assert "code" in redirect_params(ok)
        again = browser.post(target, data={**approve, "form_token": form_token})
        assert again.status_code == 400 and "already used" in again.text


def test_client_authentication(oauth: RunningEmulator) -> None:
    """Secrets are pinned per client: a wrong one is invalid_client (401), a missing one
    invalid_request; HTTP Basic works; a code issued to another client is invalid_grant."""
    assert exchange(oauth, get_code(oauth)).status_code == 200  # pins SECRET
    code = get_code(oauth)
    assert error_of(exchange(oauth, code, client_secret="wrong")) == (
        401, "invalid_client", "Unauthorized",
    )  # fmt: skip
    assert error_of(exchange(oauth, code, client_secret=None))[1:] == (
        "invalid_request", "client_secret is missing.",
    )  # fmt: skip
    other = exchange(oauth, code, client_id="other-client", client_secret="other")
    assert error_of(other)[:2] == (400, "invalid_grant")
    basic = base64.b64encode(f"{CLIENT_ID}:{SECRET}".encode()).decode()
    response = oauth.control.post(
        "/token", headers={"Authorization": f"Basic {basic}"},
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
              "code_verifier": VERIFIER},
    )  # fmt: skip
    assert response.status_code == 200, response.text
    assert error_of(token_post(oauth, grant_type="password"))[1] == "unsupported_grant_type"


def test_expired_code_is_refused(oauth: RunningEmulator) -> None:
    """Codes live ten minutes on the emulator's clock."""
    code = get_code(oauth)
    oauth.control.post("/_emulator/oauth/clock", json={"advance_seconds": 601}).raise_for_status()
    assert error_of(exchange(oauth, code)) == (400, "invalid_grant", "Bad Request")


def test_testing_app_refresh_tokens_expire_after_seven_days(oauth: RunningEmulator) -> None:
    """With testing_app on, refresh tokens work for 7 days, then answer invalid_grant."""
    oauth.config.testing_app = True
    token = connect(oauth)
    assert token["refresh_token_expires_in"] == 7 * 24 * 3600
    creds = Credentials(
        token=None, refresh_token=token["refresh_token"], token_uri=oauth.url + "/token",
        client_id=CLIENT_ID, client_secret=SECRET,
    )  # fmt: skip
    request = google.auth.transport.requests.Request()
    oauth.control.post("/_emulator/oauth/clock", json={"advance_seconds": 6 * 86400})
    creds.refresh(request)
    oauth.control.post("/_emulator/oauth/clock", json={"advance_seconds": 86400 + 1})
    with pytest.raises(RefreshError, match="Token has been expired or revoked"):
        creds.refresh(request)


def test_control_expire_refresh(oauth: RunningEmulator) -> None:
    """The expire-refresh control route makes refresh tokens answer invalid_grant."""
    token = connect(oauth)
    oauth.control.post("/_emulator/oauth/expire-refresh", json={"email": ALICE})
    response = token_post(oauth, grant_type="refresh_token", refresh_token=token["refresh_token"],
                          client_id=CLIENT_ID, client_secret=SECRET)  # fmt: skip
    assert error_of(response)[1] == "invalid_grant"


def test_bad_authorization_requests(oauth: RunningEmulator) -> None:
    """No client id or an unusable redirect URI: an error page, never a redirect. Other faults
    go back to the redirect URI as error=..."""
    for bad in ({"client_id": ""}, {"redirect_uri": "javascript:alert(1)"},
                {"redirect_uri": "ftp://127.0.0.1/cb"}, {"redirect_uri": ""}):  # fmt: skip
        response = oauth.control.get(auth_url(oauth, **bad))
        assert response.status_code == 400 and "location" not in response.headers
    cases = {
        "unsupported_response_type": {"response_type": "token"},
        "invalid_scope": {"scope": "openid https://example.com/auth/everything"},
        "invalid_request": {"code_challenge_method": "S512"},
    }
    for error, override in cases.items():
        params = redirect_params(oauth.control.get(auth_url(oauth, **override)))
        assert params["error"] == error and params["state"] == "s1"
    unknown = redirect_params(oauth.control.get(auth_url(oauth, login_hint="nobody@x.example")))
    assert unknown["error"] == "access_denied"


def test_prompt_none_needs_an_existing_grant(oauth: RunningEmulator) -> None:
    """prompt=none answers consent_required without a grant, and a code once granted."""
    assert redirect_params(oauth.control.get(auth_url(oauth, prompt="none")))["error"] == (
        "consent_required"
    )
    get_code(oauth)
    assert "code" in redirect_params(oauth.control.get(auth_url(oauth, prompt="none")))


def test_revoke_and_userinfo_refusals(oauth: RunningEmulator) -> None:
    """Unknown tokens: revoke 400 invalid_token; userinfo 401. Revoking an access token also
    revokes the refresh token it came from."""
    assert error_of(oauth.control.post("/revoke", data={"token": "nope"}))[:2] == (
        400, "invalid_token",
    )  # fmt: skip
    assert oauth.control.get("/v1/userinfo").status_code == 401
    token = connect(oauth)
    assert oauth.control.post("/revoke", data={"token": token["access_token"]}).status_code == 200
    response = token_post(oauth, grant_type="refresh_token", refresh_token=token["refresh_token"],
                          client_id=CLIENT_ID, client_secret=SECRET)  # fmt: skip
    assert error_of(response)[1] == "invalid_grant"
    assert oauth.control.post("/revoke", data={"token": token["access_token"]}).status_code == 400
