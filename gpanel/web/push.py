"""`POST /push/gmail`: Gmail's change notifications, delivered by Cloud Pub/Sub push.

Gmail publishes `{"emailAddress", "historyId"}` to the topic named in `users.watch`; Pub/Sub
POSTs it here as `{"message": {"data": base64url(JSON), ...}, "subscription"}`. The body is
only a hint: gpanel then reads the changes from Gmail itself (history.list) in a normal
MailMagnet run, triggered at once and coalesced (at most one run in flight per mailbox, plus
one follow-up), with polling as the safety net for pushes that come late or never.

Who may push. With `GPANEL_PUBSUB_AUDIENCE` set, every request must carry the OIDC token that
Pub/Sub's authenticated push adds (`Authorization: Bearer <JWT>`): google-auth verifies its
signature against `GPANEL_GOOGLE_CERTS_URI` (Google's certificates, the same setting sign-in
uses), its audience and expiry, an issuer of `accounts.google.com` (or the configured issuer),
and a verified `email` claim equal to `GPANEL_PUBSUB_SERVICE_ACCOUNT`, the service account the
push subscription authenticates as: anyone can create a Pub/Sub subscription that pushes to
our URL with our audience, and Google signs its token just the same, so the audience alone
proves nothing about who sent it. With an audience but no service account set, every push is
refused and the answer says which setting to set. Anything else is refused with 401 and
triggers nothing. Without an audience, pushes are accepted only in demo mode: the emulator's
push (like Pub/Sub push without authentication) sends no token, and a forged push there can
at worst cause one extra history read. In production mode without an audience the endpoint
refuses every push and says which setting to set. The CSRF middleware exempts `/push/`
(Pub/Sub cannot send a CSRF token).
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from typing import Any

import anyio
import google.auth.transport.requests
import requests
from google.oauth2 import id_token as google_id_token
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from gpanel.services.ops import job_state
from gpanel.settings import Mode, Settings
from gpanel.web.guard.viewer import ctx_of

log = logging.getLogger("gpanel.push")

MAX_BODY = 64 * 1024


class PushRefused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def verify_push_token(settings: Settings, authorization: str) -> dict[str, Any]:
    """The claims of a valid Pub/Sub push token, or `PushRefused`. Synchronous (google-auth
    fetches the certificates with requests): call it in a worker thread."""
    if not settings.pubsub_audience:
        if settings.mode is Mode.DEMO:
            return {}
        raise PushRefused(
            403,
            "Push is not configured: set GPANEL_PUBSUB_AUDIENCE to the "
            "audience of the Pub/Sub push subscription.",
        )
    expected_sender = settings.pubsub_service_account.strip().lower()
    if not expected_sender:
        raise PushRefused(
            403,
            "Push is not configured: set GPANEL_PUBSUB_SERVICE_ACCOUNT to the service "
            "account of the Pub/Sub push subscription.",
        )
    if authorization[:7].lower() != "bearer " or not authorization[7:].strip():
        raise PushRefused(401, "A Pub/Sub push token is required.")
    session = requests.Session()
    try:
        claims = google_id_token.verify_token(
            authorization[7:].strip(),
            google.auth.transport.requests.Request(session=session),
            audience=settings.pubsub_audience,
            certs_url=settings.google_certs_uri,
            clock_skew_in_seconds=10,
        )
    except Exception as exc:
        log.warning("push token refused: %s", type(exc).__name__)
        raise PushRefused(401, "The push token could not be verified.") from None
    finally:
        session.close()
    issuers = {
        "accounts.google.com",
        "https://accounts.google.com",
        settings.google_issuer,
        settings.google_issuer.removeprefix("https://"),
    }
    if claims.get("iss") not in issuers or claims.get("email_verified") is False:
        raise PushRefused(401, "The push token was not issued by Google for a verified sender.")
    if str(claims.get("email", "")).strip().lower() != expected_sender:
        # The address is the pusher's service account, not mail content; still, say only why.
        log.warning("push token refused: not the configured push service account")
        raise PushRefused(401, "The push token was not issued for gpanel's push subscription.")
    return dict(claims)


def decode_push(body: bytes) -> tuple[str, str]:
    """(emailAddress, historyId) from a Pub/Sub push body, or `PushRefused` (400)."""
    try:
        envelope = json.loads(body)
        data = envelope["message"]["data"]
        padded = data + "=" * (-len(data) % 4)
        inner = json.loads(base64.urlsafe_b64decode(padded))
        address, history = str(inner["emailAddress"]), str(inner["historyId"])
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError):
        raise PushRefused(400, "Not a Gmail push notification.") from None
    if "@" not in address or not history.isdigit():
        raise PushRefused(400, "Not a Gmail push notification.")
    return address, history


async def gmail_push(request: Request) -> Response:
    ctx = ctx_of(request)
    try:
        await anyio.to_thread.run_sync(
            verify_push_token, ctx.settings, request.headers.get("authorization", "")
        )
        body = await request.body()
        if len(body) > MAX_BODY:
            raise PushRefused(413, "Push body too large.")
        address, _ = decode_push(body)
    except PushRefused as exc:
        return JSONResponse({"error": str(exc)}, status_code=exc.status)
    mailbox_id = await job_state.magnet_mailbox_for_address(ctx.engine, address)
    if mailbox_id is not None:
        # The mailbox moved: the next view asks Gmail, whatever the validator window says.
        ctx.panel.forget_history(str(mailbox_id))
        await job_state.trigger(ctx, "magnet", mailbox_id)
        log.info("push for mailbox %s: magnet run triggered", mailbox_id)
    # 204 for unknown mailboxes too: Pub/Sub would otherwise redeliver it for days.
    return Response(status_code=204)


routes: list[BaseRoute] = [
    Route("/push/gmail", gmail_push, methods=["POST"], name="push_gmail"),
]
