"""Google sign-in and Gmail consent through google-auth-oauthlib's `Flow`.

Four flows share this module: **sign-in** (`openid email profile`), **connect Gmail**
(`gmail.modify`, offline access, consent prompted so Google returns a refresh token, with
`include_granted_scopes` for incremental authorisation), and adding **calendar** read access
(`calendar.readonly`) or **calendar_write** (`calendar.events`, for creating meetings) to a
connected mailbox's grant the same incremental way. Between the redirect to Google and the
callback, the OAuth `state` and the PKCE code verifier travel in a short-lived cookie signed
with itsdangerous; the callback refuses a state that does not match it (forged or replayed
callbacks), and Google refuses a wrong verifier.

`Flow.fetch_token` and id_token verification are synchronous (requests), so they run in a
worker thread: the event loop never waits on Google.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import anyio
import google.auth.transport.requests
import requests
from google.oauth2 import id_token as google_id_token
from google_auth_oauthlib.flow import Flow
from itsdangerous import BadSignature, URLSafeTimedSerializer

from gpanel.services.accounts.redirects import safe_next
from gpanel.settings import Settings

SIGN_IN_SCOPES = (
    "openid",
    "https://www.googleapis.com/auth/userinfo.email",
    "https://www.googleapis.com/auth/userinfo.profile",
)
GMAIL_MODIFY = "https://www.googleapis.com/auth/gmail.modify"
CONNECT_SCOPES = ("openid", "https://www.googleapis.com/auth/userinfo.email", GMAIL_MODIFY)
# Calendar is added to a connected mailbox's grant incrementally (include_granted_scopes), never
# asked with Gmail: reading asks `calendar.readonly`; `calendar.events` only when someone first
# creates a meeting from a record.
CALENDAR_READONLY = "https://www.googleapis.com/auth/calendar.readonly"
CALENDAR_EVENTS_READONLY = "https://www.googleapis.com/auth/calendar.events.readonly"
CALENDAR_EVENTS = "https://www.googleapis.com/auth/calendar.events"
_IDENTITY = ("openid", "https://www.googleapis.com/auth/userinfo.email")
PURPOSE_SCOPES: dict[str, tuple[str, ...]] = {
    "signin": SIGN_IN_SCOPES,
    "connect": CONNECT_SCOPES,
    "calendar": (*_IDENTITY, CALENDAR_READONLY),
    "calendar_write": (*_IDENTITY, CALENDAR_EVENTS),
    # An admin connecting a team mailbox (services.team_mailboxes): the same grant as "connect".
    "team": CONNECT_SCOPES,
}
# Where Google sends each flow back to.
CALLBACK_PATHS = {
    "signin": "/auth/callback",
    "connect": "/mailbox/callback",
    "calendar": "/mailbox/calendar/callback",
    "calendar_write": "/mailbox/calendar/callback",
    "team": "/team-mailboxes/callback",
}
FLOW_COOKIE = "gpanel_oauth"
FLOW_MAX_AGE = 600  # ten minutes to get through Google's consent screen

# What each Gmail scope lets gpanel do, for explaining partial consent in plain words.
SCOPE_FEATURES = {
    GMAIL_MODIFY: "read your mail on records, reply and send, mark read or unread, archive and "
    "label, MailMagnet notifications and category labels",
}


class OAuthFlowError(Exception):
    """The sign-in or connect flow cannot complete; the message says what to do."""


@dataclass(frozen=True)
class FlowStart:
    url: str
    cookie: str  # value for FLOW_COOKIE


@dataclass(frozen=True)
class FlowResult:
    email: str
    name: str
    subject: str
    granted_scopes: frozenset[str]
    access_token: str
    refresh_token: str | None
    expires_at: float | None
    next_path: str


def relax_oauthlib(settings: Settings) -> None:
    """oauthlib refuses plain-http token endpoints and warns when Google grants fewer scopes
    than asked. gpanel handles partial consent itself, and plain http is allowed only when the
    Google endpoints are the local emulator on a loopback address."""
    os.environ["OAUTHLIB_RELAX_TOKEN_SCOPE"] = "1"
    host = urlsplit(settings.google_token_uri).hostname or ""
    if settings.google_token_uri.startswith("http://") and host in (
        "127.0.0.1",
        "localhost",
        "::1",
    ):
        os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"


class GoogleOAuth:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._signer = URLSafeTimedSerializer(
            settings.secret_key.get_secret_value(), salt="gpanel.oauth-flow"
        )

    def _client_config(self) -> dict[str, Any]:
        s = self.settings
        return {
            "web": {
                "client_id": s.google_client_id,
                "client_secret": s.google_client_secret.get_secret_value(),
                "auth_uri": s.google_auth_uri,
                "token_uri": s.google_token_uri,
            }
        }

    def _flow(
        self,
        purpose: str,
        scopes: tuple[str, ...],
        state: str | None = None,
        verifier: str | None = None,
    ) -> Flow:
        path = CALLBACK_PATHS[purpose]
        flow = Flow.from_client_config(
            self._client_config(),
            scopes=list(scopes),
            state=state,
            redirect_uri=self.settings.base_url.rstrip("/") + path,
            code_verifier=verifier,
            autogenerate_code_verifier=verifier is None,
        )
        return flow

    def start(
        self, purpose: str, *, login_hint: str | None = None, next_path: str = "/"
    ) -> FlowStart:
        """The URL to send the browser to, and the signed cookie to set alongside."""
        if purpose not in PURPOSE_SCOPES:
            raise ValueError(purpose)
        scopes = PURPOSE_SCOPES[purpose]
        flow = self._flow(purpose, scopes)
        extra: dict[str, str] = {}
        if purpose != "signin":
            extra = {
                "access_type": "offline",
                "prompt": "consent",
                "include_granted_scopes": "true",
            }
        else:
            extra = {"prompt": "select_account"}
        if login_hint:
            extra["login_hint"] = login_hint
        url, state = flow.authorization_url(**extra)
        cookie = self._signer.dumps(
            {"p": purpose, "s": state, "v": flow.code_verifier, "n": safe_next(next_path)}
        )
        return FlowStart(url=url, cookie=cookie)

    async def finish(self, purpose: str, cookie: str | None, query: dict[str, str]) -> FlowResult:
        """Complete the flow from the callback's query string."""
        if "error" in query:
            if query["error"] == "access_denied":
                raise OAuthFlowError("You declined the request at Google, so nothing changed.")
            raise OAuthFlowError(f"Google refused the request ({query['error'][:64]}).")
        try:
            saved = self._signer.loads(cookie or "", max_age=FLOW_MAX_AGE)
        except BadSignature:
            raise OAuthFlowError(
                "This sign-in link expired or was not started here. Start again."
            ) from None
        if saved.get("p") != purpose or not query.get("state") or query["state"] != saved["s"]:
            raise OAuthFlowError("The reply from Google did not match this sign-in. Start again.")
        code = query.get("code")
        if not code:
            raise OAuthFlowError("Google's reply had no authorisation code. Start again.")
        scopes = PURPOSE_SCOPES[purpose]
        flow = self._flow(purpose, scopes, state=saved["s"], verifier=saved["v"])
        token = await anyio.to_thread.run_sync(self._exchange, flow, code)
        claims = await anyio.to_thread.run_sync(self._verify_id_token, token.get("id_token"))
        granted = token.get("scope") or " ".join(scopes)
        granted_set = frozenset(granted.split() if isinstance(granted, str) else granted)
        return FlowResult(
            email=str(claims["email"]),
            name=str(claims.get("name") or claims["email"]),
            subject=str(claims["sub"]),
            granted_scopes=granted_set,
            access_token=str(token["access_token"]),
            refresh_token=token.get("refresh_token"),
            expires_at=token.get("expires_at"),
            next_path=safe_next(saved.get("n", "/")),
        )

    def _exchange(self, flow: Flow, code: str) -> dict[str, Any]:
        try:
            return dict(flow.fetch_token(code=code))
        except Exception as exc:
            # oauthlib's errors carry Google's error code (invalid_grant for a replayed code,
            # a wrong PKCE verifier, or an expired one); none of them carries user data.
            reason = getattr(exc, "error", None) or type(exc).__name__
            raise OAuthFlowError(
                f"Google did not accept the sign-in ({reason}). Start again."
            ) from None

    def _verify_id_token(self, raw: str | None) -> dict[str, Any]:
        if not raw:
            raise OAuthFlowError("Google did not return an identity token. Start again.")
        session = requests.Session()
        try:
            claims = google_id_token.verify_token(
                raw,
                google.auth.transport.requests.Request(session=session),
                audience=self.settings.google_client_id,
                certs_url=self.settings.google_certs_uri,
                clock_skew_in_seconds=10,
            )
        except Exception:
            raise OAuthFlowError(
                "Google's identity token could not be verified. Start again."
            ) from None
        finally:
            session.close()
        issuers = {
            self.settings.google_issuer,
            self.settings.google_issuer.removeprefix("https://"),
        }
        if claims.get("iss") not in issuers:
            raise OAuthFlowError("The identity token was issued by someone other than Google.")
        if not claims.get("email") or claims.get("email_verified") is False:
            raise OAuthFlowError("Your Google account has no verified email address.")
        return dict(claims)


def missing_features(granted: frozenset[str]) -> list[str]:
    """Plain-words list of what gpanel cannot do with the scopes granted."""
    return [
        words
        for scope, words in SCOPE_FEATURES.items()
        if scope not in granted and "https://mail.google.com/" not in granted
    ]
