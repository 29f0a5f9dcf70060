"""The emulator's OAuth/OpenID Connect server, driven by Google's own client libraries.

google-auth-oauthlib's `Flow` runs the authorization-code flow with PKCE S256 against the
emulator over real HTTP; google-auth verifies the id_token against the emulator's certs,
refreshes with `Credentials.refresh`, and the access token is used on the Gmail API. The helpers
here are shared with `test_oauth_refusals.py`.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import google.auth.transport.requests
import httpx
import pytest
from cryptography import x509
from google.auth.exceptions import RefreshError
from google.oauth2 import id_token as google_id_token
from google.oauth2.credentials import Credentials
from google_auth_oauthlib.flow import Flow

from tests.support.emulator import RunningEmulator

MODIFY = "https://www.googleapis.com/auth/gmail.modify"
EMAIL = "https://www.googleapis.com/auth/userinfo.email"
PROFILE = "https://www.googleapis.com/auth/userinfo.profile"
CLIENT_ID = "gpanel-test.apps.googleusercontent.com"
SECRET = "test-client-secret"
REDIRECT = "http://127.0.0.1:9/oauth/callback"
ALICE = "alice@brightwave.example"
BEN = "ben@brightwave.example"


@pytest.fixture
def oauth(emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningEmulator]:
    """The shared emulator with two accounts, a clean OAuth store, and oauthlib relaxed for
    plain-http loopback and Google's scope rewriting (only inside the test)."""
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    monkeypatch.setenv("OAUTHLIB_RELAX_TOKEN_SCOPE", "1")
    config = emulator.config
    saved = (config.auto_consent, config.testing_app)
    emulator.control.post("/_emulator/oauth/reset").raise_for_status()
    emulator.add_user(ALICE, "Alice Moreau")
    emulator.add_user(BEN, "Ben Okafor")
    try:
        yield emulator
    finally:
        config.auto_consent, config.testing_app = saved
        emulator.control.post("/_emulator/oauth/reset").raise_for_status()
        emulator.state.accounts.clock_offset = 0.0


def make_flow(
    emu: RunningEmulator,
    scopes: list[str] | None = None,
    client_id: str = CLIENT_ID,
    secret: str = SECRET,
    redirect_uri: str = REDIRECT,
) -> Flow:
    return Flow.from_client_config(
        {
            "web": {
                "client_id": client_id,
                "client_secret": secret,
                "auth_uri": emu.url + "/o/oauth2/v2/auth",
                "token_uri": emu.url + "/token",
            }
        },
        scopes=scopes or ["openid", "email", "profile", MODIFY],
        redirect_uri=redirect_uri,
        autogenerate_code_verifier=True,
    )


def redirect_params(response: httpx.Response, redirect_uri: str = REDIRECT) -> dict[str, str]:
    assert response.status_code == 302, response.text[:300]
    location = httpx.URL(response.headers["location"])
    assert str(location).startswith(redirect_uri)
    return dict(location.params)


def authorize(flow: Flow, **kwargs: str) -> dict[str, str]:
    """Open the authorization URL (auto-consent on) and return the redirect's parameters."""
    url, _ = flow.authorization_url(**kwargs)
    return redirect_params(httpx.get(url, follow_redirects=False))


def connect(
    emu: RunningEmulator, login_hint: str = ALICE, scopes: list[str] | None = None
) -> dict[str, Any]:
    """An offline, consented grant through Flow with auto-consent: the token response."""
    flow = make_flow(emu, scopes=scopes)
    params = authorize(
        flow, access_type="offline", prompt="consent", include_granted_scopes="true",
        login_hint=login_hint,
    )  # fmt: skip
    return dict(flow.fetch_token(code=params["code"]))


def token_post(emu: RunningEmulator, **data: str) -> httpx.Response:
    return httpx.post(emu.url + "/token", data=data)


class FormParser(HTMLParser):
    """Collects the consent form's action and inputs (name, value, type, checked)."""

    def __init__(self) -> None:
        super().__init__()
        self.action = ""
        self.inputs: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "form":
            self.action = dict(attrs).get("action") or ""
        if tag == "input":
            self.inputs.append(dict(attrs))


def consent_form(page: str) -> FormParser:
    parser = FormParser()
    parser.feed(page)
    return parser


def gmail_profile(emu: RunningEmulator, access_token: str) -> httpx.Response:
    return httpx.get(
        emu.url + "/gmail/v1/users/me/profile",
        headers={"Authorization": f"Bearer {access_token}"},
    )


def test_discovery_document_points_at_the_emulator(oauth: RunningEmulator) -> None:
    """The OpenID discovery document names the emulator as issuer and every endpoint answers."""
    doc = httpx.get(oauth.url + "/.well-known/openid-configuration").json()
    assert doc["issuer"] == oauth.url
    assert doc["authorization_endpoint"] == oauth.url + "/o/oauth2/v2/auth"
    assert doc["token_endpoint"] == oauth.url + "/token"
    assert doc["code_challenge_methods_supported"] == ["plain", "S256"]
    assert httpx.get(doc["jwks_uri"]).json()["keys"][0]["alg"] == "RS256"
    assert httpx.get(doc["userinfo_endpoint"]).status_code == 401
    assert httpx.post(doc["revocation_endpoint"], params={"token": "nope"}).status_code == 400


def test_full_flow_with_google_libraries(oauth: RunningEmulator) -> None:
    """Flow + PKCE S256 yields tokens; the id_token verifies with google-auth against
    /oauth2/v1/certs; userinfo and Gmail accept the access token; Credentials.refresh works;
    after revoking the refresh token, refreshing fails with invalid_grant."""
    token = connect(oauth)
    assert set(token["scope"]) == {"openid", EMAIL, PROFILE, MODIFY}
    assert token["refresh_token"] and token["token_type"] == "Bearer"

    request = google.auth.transport.requests.Request()
    claims = google_id_token.verify_token(
        token["id_token"], request, audience=CLIENT_ID, certs_url=oauth.url + "/oauth2/v1/certs"
    )
    assert claims["iss"] == oauth.url
    assert claims["email"] == ALICE and claims["email_verified"] is True
    assert claims["name"] == "Alice Moreau"
    assert claims["sub"] == oauth.state.accounts.get(ALICE).sub  # type: ignore[union-attr]

    info = httpx.get(
        oauth.url + "/v1/userinfo", headers={"Authorization": f"Bearer {token['access_token']}"}
    ).json()
    assert info["email"] == ALICE and info["given_name"] == "Alice"
    profile = gmail_profile(oauth, token["access_token"])
    assert profile.status_code == 200 and profile.json()["emailAddress"] == ALICE

    creds = Credentials(
        token=None, refresh_token=token["refresh_token"], token_uri=oauth.url + "/token",
        client_id=CLIENT_ID, client_secret=SECRET,
    )  # fmt: skip
    creds.refresh(request)
    assert creds.token and creds.token != token["access_token"]
    assert gmail_profile(oauth, creds.token).status_code == 200

    revoked = httpx.post(oauth.url + "/revoke", params={"token": token["refresh_token"]})
    assert revoked.status_code == 200
    with pytest.raises(RefreshError, match="invalid_grant"):
        creds.refresh(request)
    # Access tokens minted from a revoked refresh token die with it, as at Google.
    assert gmail_profile(oauth, creds.token).status_code == 401
    assert gmail_profile(oauth, token["access_token"]).status_code == 401


def test_jwks_and_pem_certs_carry_the_same_key(oauth: RunningEmulator) -> None:
    """/oauth2/v3/certs (JWKS) and /oauth2/v1/certs (PEM) publish one key under one kid."""
    pem = httpx.get(oauth.url + "/oauth2/v1/certs").json()
    jwk = httpx.get(oauth.url + "/oauth2/v3/certs").json()["keys"][0]
    assert list(pem) == [jwk["kid"]]
    numbers = x509.load_pem_x509_certificate(pem[jwk["kid"]].encode()).public_key()
    n = int.from_bytes(base64.urlsafe_b64decode(jwk["n"] + "=="), "big")
    assert numbers.public_numbers().n == n  # type: ignore[union-attr]


def test_consent_page_partial_consent(oauth: RunningEmulator) -> None:
    """On the consent page the user can untick gmail.modify: the token's scope then lacks it
    and Gmail answers 403, while sign-in still works."""
    oauth.config.auto_consent = False
    flow = make_flow(oauth)
    url, state = flow.authorization_url(access_type="offline", prompt="consent", login_hint=BEN)
    with httpx.Client() as browser:
        page = browser.get(url)
        assert page.status_code == 200
        assert "Read, compose and send emails" in page.text  # scopes in plain words
        form = consent_form(page.text)
        checked = [i["value"] for i in form.inputs if i.get("name") == "account" and "checked" in i]
        assert checked == [BEN]  # login_hint preselects
        assert [i["value"] for i in form.inputs if i.get("name") == "scope"] == [MODIFY]
        form_token = next(i["value"] for i in form.inputs if i.get("name") == "form_token")
        answer = browser.post(
            oauth.url + form.action,
            data={"form_token": form_token, "account": BEN, "decision": "approve"},
        )
    params = redirect_params(answer)
    assert params["state"] == state
    token = flow.fetch_token(code=params["code"])
    assert MODIFY not in token["scope"] and EMAIL in token["scope"]
    assert gmail_profile(oauth, token["access_token"]).status_code == 403


def test_consent_page_deny(oauth: RunningEmulator) -> None:
    """Cancel on the consent page redirects with error=access_denied and the state."""
    oauth.config.auto_consent = False
    url, state = make_flow(oauth).authorization_url()
    with httpx.Client() as browser:
        form = consent_form(browser.get(url).text)
        form_token = next(i["value"] for i in form.inputs if i.get("name") == "form_token")
        answer = browser.post(
            oauth.url + form.action, data={"form_token": form_token, "decision": "deny"}
        )
    assert redirect_params(answer) == {"error": "access_denied", "state": state}


def test_incremental_authorization(oauth: RunningEmulator) -> None:
    """include_granted_scopes=true adds scopes granted earlier to the new token; without it
    only the requested scopes come back."""
    sign_in = make_flow(oauth, scopes=["openid", "email"])
    # Flow asks for offline access unless told otherwise.
    params = authorize(sign_in, access_type="online", login_hint=ALICE)
    assert "refresh_token" not in sign_in.fetch_token(code=params["code"])
    gmail = make_flow(oauth, scopes=[MODIFY])
    params = authorize(gmail, include_granted_scopes="true", login_hint=ALICE)
    assert set(gmail.fetch_token(code=params["code"])["scope"]) == {"openid", EMAIL, MODIFY}
    alone = make_flow(oauth, scopes=[MODIFY])
    token = alone.fetch_token(code=authorize(alone, login_hint=ALICE)["code"])
    assert token["scope"] == [MODIFY]


def test_refresh_token_needs_offline_and_consent_or_first_grant(oauth: RunningEmulator) -> None:
    """Offline access yields a refresh token on the first grant and whenever consent is
    prompted; a later offline request without prompt=consent gets none, as at Google."""
    assert "refresh_token" in connect(oauth)
    flow = make_flow(oauth)
    token = flow.fetch_token(code=authorize(flow, access_type="offline", login_hint=ALICE)["code"])
    assert "refresh_token" not in token
    assert "refresh_token" in connect(oauth)
    fresh = make_flow(oauth)
    params = authorize(fresh, access_type="offline", login_hint=BEN)  # Ben's first grant
    assert "refresh_token" in fresh.fetch_token(code=params["code"])


def test_refresh_can_narrow_scopes_but_not_widen(oauth: RunningEmulator) -> None:
    """A refresh may ask for fewer scopes than granted, never for more."""
    token = connect(oauth, scopes=["openid", "email", MODIFY])
    base = {"grant_type": "refresh_token", "refresh_token": token["refresh_token"],
            "client_id": CLIENT_ID, "client_secret": SECRET}  # fmt: skip
    narrow = token_post(oauth, **base, scope=MODIFY)
    assert narrow.status_code == 200 and narrow.json()["scope"] == MODIFY
    assert "id_token" not in narrow.json()
    wide = token_post(oauth, **base, scope="https://mail.google.com/")
    assert wide.status_code == 400 and wide.json()["error"] == "invalid_scope"


def test_tokeninfo_and_userinfo_v3(oauth: RunningEmulator) -> None:
    """tokeninfo reports scope, expiry and email; /oauth2/v3/userinfo serves the same claims."""
    token = connect(oauth)
    info = httpx.get(oauth.url + "/tokeninfo", params={"access_token": token["access_token"]})
    body = info.json()
    assert body["email"] == ALICE and body["aud"] == CLIENT_ID and body["access_type"] == "offline"
    assert MODIFY in body["scope"].split() and 3500 < int(body["expires_in"]) <= 3600
    bad = httpx.get(oauth.url + "/tokeninfo", params={"access_token": "ya29.nope"})
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_token"
    v3 = httpx.get(oauth.url + "/oauth2/v3/userinfo",
                   headers={"Authorization": f"Bearer {token['access_token']}"})  # fmt: skip
    assert v3.json()["email"] == ALICE


def test_control_revoke_user_and_listing(oauth: RunningEmulator) -> None:
    """Removing the app's access for a user (control route) kills refresh and access tokens;
    the grant listing shows ids and scopes but never a token."""
    token = connect(oauth)
    listing = oauth.control.get("/_emulator/oauth/grants").text
    assert token["refresh_token"] not in listing and token["access_token"] not in listing
    assert MODIFY in listing
    oauth.control.post("/_emulator/oauth/revoke-user", json={"email": ALICE}).raise_for_status()
    refreshed = token_post(oauth, grant_type="refresh_token", refresh_token=token["refresh_token"],
                           client_id=CLIENT_ID, client_secret=SECRET)  # fmt: skip
    assert refreshed.json() == {
        "error": "invalid_grant",
        "error_description": "Token has been expired or revoked.",
    }
    assert gmail_profile(oauth, token["access_token"]).status_code == 401


def test_planned_auto_consent(oauth: RunningEmulator) -> None:
    """A queued consent plan makes the next auto-consent deny or grant only some scopes."""
    oauth.control.post("/_emulator/oauth/next-consent", json={"scopes": []}).raise_for_status()
    flow = make_flow(oauth)
    params = authorize(flow, login_hint=ALICE)
    assert MODIFY not in params["scope"]
    oauth.control.post("/_emulator/oauth/next-consent", json={"deny": True}).raise_for_status()
    assert authorize(make_flow(oauth), login_hint=ALICE)["error"] == "access_denied"
    assert "code" in authorize(make_flow(oauth), login_hint=ALICE)  # the queue is used up


def test_emulator_reset_forgets_oauth_state(oauth: RunningEmulator) -> None:
    """The control API's global reset also drops refresh tokens and pinned client secrets, so
    tests sharing one emulator cannot leak grants into each other."""
    token = connect(oauth)
    oauth.reset()
    oauth.add_user(ALICE, "Alice Moreau")
    refreshed = token_post(oauth, grant_type="refresh_token", refresh_token=token["refresh_token"],
                           client_id=CLIENT_ID, client_secret=SECRET)  # fmt: skip
    assert refreshed.json()["error"] == "invalid_grant"
    assert "refresh_token" in connect(oauth)  # a fresh first grant
    assert oauth.control.get("/_emulator/oauth/grants").json()["client_grants"] != []
    other_secret = make_flow(oauth, secret="another-secret")
    oauth.reset()
    oauth.add_user(ALICE, "Alice Moreau")
    code = authorize(other_secret, login_hint=ALICE)["code"]
    assert "access_token" in other_secret.fetch_token(code=code)  # the secret was unpinned


def test_queued_answer_applies_with_the_consent_page_on(oauth: RunningEmulator) -> None:
    """With the consent page on, a queued answer still answers the next request at once (demo
    set-up connects mailboxes this way), for the account it names; then the page is back."""
    oauth.config.auto_consent = False
    oauth.control.post("/_emulator/oauth/next-consent", json={"email": BEN}).raise_for_status()
    flow = make_flow(oauth)
    params = authorize(flow)
    token = flow.fetch_token(code=params["code"])
    assert MODIFY in token["scope"]
    info = oauth.control.get(
        "/v1/userinfo", headers={"Authorization": "Bearer " + token["access_token"]}
    )
    assert info.json()["email"] == BEN
    url, _ = make_flow(oauth).authorization_url()
    assert oauth.control.get(url).status_code == 200  # the page again
