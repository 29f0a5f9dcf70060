"""The HTTP side of Google's OAuth token endpoint, and the token interface the client needs.

The Gmail client asks a `TokenProvider` (implemented by the accounts service: encrypted
storage, caching, single-flight refresh) for a mailbox's access token, and for a forced
refresh after a 401. This module gives that service the wire parts: `refresh_access_token`
(refresh-token grant; `invalid_grant` becomes `ReconnectRequired`), `revoke_token`, and
`SingleFlight`, which lets concurrent callers for one key share one in-flight refresh so a
burst of 401s costs Google one token request, not fifty.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

import httpx

from gpanel.gmail.errors import (
    AuthError,
    BadResponse,
    GmailError,
    ReconnectRequired,
    Unavailable,
)

T = TypeVar("T")


class TokenProvider(Protocol):
    async def access_token(self, mailbox: str) -> str:
        """A currently valid access token for `mailbox` (refreshing first if it has expired)."""
        ...

    async def refresh(self, mailbox: str) -> str:
        """Refresh now, whatever the cached expiry says (Google just answered 401)."""
        ...


@dataclass(frozen=True)
class TokenResponse:
    access_token: str
    expires_at: float  # seconds since the epoch
    scope: frozenset[str]
    # Google sometimes rotates the refresh token; when it does, the new one must be stored.
    refresh_token: str | None = None

    def __repr__(self) -> str:  # never print a token
        return f"TokenResponse(expires_at={self.expires_at!r}, scope={sorted(self.scope)!r})"


async def refresh_access_token(
    http: httpx.AsyncClient,
    token_uri: str,
    client_id: str,
    client_secret: str,
    refresh_token: str,
    *,
    now: Callable[[], float] = time.time,
) -> TokenResponse:
    """Exchange a refresh token for a new access token at Google's token endpoint."""
    try:
        resp = await http.post(
            token_uri,
            data={
                "grant_type": "refresh_token",
                "client_id": client_id,
                "client_secret": client_secret,
                "refresh_token": refresh_token,
            },
            headers={"Accept": "application/json"},
        )
    except httpx.HTTPError as exc:
        raise Unavailable(f"Token endpoint unreachable ({type(exc).__name__})") from exc
    try:
        body = resp.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        if resp.status_code >= 500:
            raise Unavailable("Token endpoint failed", status=resp.status_code)
        raise BadResponse("Token endpoint answered no JSON", status=resp.status_code)
    if resp.status_code != 200:
        error = str(body.get("error", ""))
        if error == "invalid_grant":
            raise ReconnectRequired("Refresh token refused", status=resp.status_code, reason=error)
        if resp.status_code >= 500 or error == "temporarily_unavailable":
            raise Unavailable("Token endpoint failed", status=resp.status_code, reason=error)
        if error in {"invalid_client", "unauthorized_client"}:
            raise AuthError(
                "OAuth client refused",
                status=resp.status_code,
                reason=error,
                user_message="gpanel's Google sign-in is misconfigured. Tell your administrator.",
            )
        raise AuthError("Token refresh refused", status=resp.status_code, reason=error)
    token = body.get("access_token")
    if not isinstance(token, str) or not token:
        raise BadResponse("Token endpoint answered no access_token", status=resp.status_code)
    try:
        expires_in = float(body.get("expires_in", 3600))
    except (TypeError, ValueError):
        expires_in = 3600.0
    new_refresh = body.get("refresh_token")
    return TokenResponse(
        access_token=token,
        expires_at=now() + expires_in,
        scope=frozenset(str(body.get("scope", "")).split()),
        refresh_token=new_refresh if isinstance(new_refresh, str) else None,
    )


async def revoke_token(http: httpx.AsyncClient, revoke_uri: str, token: str) -> None:
    """Revoke an access or refresh token. An already invalid token counts as revoked."""
    try:
        resp = await http.post(
            revoke_uri,
            data={"token": token},
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    except httpx.HTTPError as exc:
        raise Unavailable(f"Revoke endpoint unreachable ({type(exc).__name__})") from exc
    if resp.status_code == 200:
        return
    if resp.status_code == 400:
        # Google answers 400 invalid_token for a token that is already dead: the goal is met.
        return
    if resp.status_code >= 500:
        raise Unavailable("Revoke endpoint failed", status=resp.status_code)
    raise GmailError("Revoke refused", status=resp.status_code)


class SingleFlight(Generic[T]):
    """Run at most one call per key at a time; concurrent callers share its result.

    The first caller for a key starts `fn()`; callers arriving while it runs await the same
    task and get the same value (or the same exception). Once it finishes, the next call
    starts afresh, so a later refresh is never served a stale result.
    """

    def __init__(self) -> None:
        self._running: dict[str, asyncio.Future[T]] = {}

    async def run(self, key: str, fn: Callable[[], Awaitable[T]]) -> T:
        running = self._running.get(key)
        if running is None:

            async def call() -> T:
                try:
                    return await fn()
                finally:
                    self._running.pop(key, None)

            running = self._running[key] = asyncio.ensure_future(call())
        # shield: one caller being cancelled must not cancel the refresh the others await.
        return await asyncio.shield(running)

    def in_flight(self, key: str) -> bool:
        return key in self._running
