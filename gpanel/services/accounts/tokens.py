"""Access tokens for connected mailboxes: the `TokenProvider` the Gmail client asks.

Access tokens live only in this process's memory. A token is refreshed a few minutes before it
expires, so views rarely meet a 401; when Google does answer 401 the client asks for a forced
refresh. Concurrent requests for one mailbox share one refresh (`SingleFlight`): fifty viewers
opening records at the moment a token expires cost Google one token request.

When Google refuses the refresh token (`invalid_grant`: revoked, expired, password changed),
the mailbox is marked "needs reconnect" with words its owner can act on, and only that
mailbox's part of any page fails.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from gpanel.gmail.errors import ReconnectRequired
from gpanel.gmail.oauth import SingleFlight, refresh_access_token
from gpanel.services.accounts.mailboxes import RECONNECT_MESSAGE, record_error
from gpanel.services.accounts.vault import TokenVault, VaultError
from gpanel.settings import Settings
from gpanel.store.tables import mailboxes

REFRESH_MARGIN_SECONDS = 300.0


class TokenBroker:
    def __init__(
        self,
        engine: AsyncEngine,
        http: httpx.AsyncClient,
        settings: Settings,
        vault: TokenVault,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.engine = engine
        self.http = http
        self.settings = settings
        self.vault = vault
        self.clock = clock
        self._cache: dict[str, tuple[str, float]] = {}
        self._flight: SingleFlight[str] = SingleFlight()
        self.refreshes = 0  # how many token requests went to Google (diagnostics, tests)
        # The scopes Google reported at the last refresh, per mailbox (diagnostics).
        self.granted: dict[str, frozenset[str]] = {}

    async def access_token(self, mailbox: str) -> str:
        cached = self._cache.get(mailbox)
        if cached and cached[1] - REFRESH_MARGIN_SECONDS > self.clock():
            return cached[0]
        return await self._flight.run(mailbox, lambda: self._refresh(mailbox))

    async def refresh(self, mailbox: str) -> str:
        self._cache.pop(mailbox, None)
        return await self._flight.run(mailbox, lambda: self._refresh(mailbox))

    def forget(self, mailbox: str) -> None:
        self._cache.pop(mailbox, None)

    async def _refresh(self, mailbox: str) -> str:
        mailbox_id = int(mailbox)
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(mailboxes.c.refresh_token_enc, mailboxes.c.status).where(
                        mailboxes.c.id == mailbox_id
                    )
                )
            ).first()
        if row is None:
            raise ReconnectRequired(
                "Mailbox is not connected",
                user_message=("This mailbox is not connected to gpanel."),
            )
        if row.status == "needs_reconnect":
            raise ReconnectRequired("Mailbox needs reconnect", user_message=RECONNECT_MESSAGE)
        try:
            refresh_token = self.vault.decrypt(row.refresh_token_enc)
        except VaultError as exc:
            await record_error(self.engine, mailbox_id, str(exc), needs_reconnect=True)
            raise ReconnectRequired("Stored token unreadable", user_message=str(exc)) from None
        self.refreshes += 1
        try:
            response = await refresh_access_token(
                self.http,
                self.settings.google_token_uri,
                self.settings.google_client_id,
                self.settings.google_client_secret.get_secret_value(),
                refresh_token,
                now=self.clock,
            )
        except ReconnectRequired:
            self._cache.pop(mailbox, None)
            await record_error(self.engine, mailbox_id, RECONNECT_MESSAGE, needs_reconnect=True)
            raise ReconnectRequired(
                "Refresh token refused", reason="invalid_grant", user_message=RECONNECT_MESSAGE
            ) from None
        if response.refresh_token and response.refresh_token != refresh_token:
            # Google rotated the refresh token: the old one stops working soon.
            async with self.engine.begin() as conn:
                await conn.execute(
                    update(mailboxes)
                    .where(mailboxes.c.id == mailbox_id)
                    .values(refresh_token_enc=self.vault.encrypt(response.refresh_token))
                )
        self._cache[mailbox] = (response.access_token, response.expires_at)
        if response.scope:
            self.granted[mailbox] = response.scope
        return response.access_token
