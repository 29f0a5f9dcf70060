"""What services need at run time, built once by the app's lifespan (or the CLI, or a worker).

`AppContext` holds the settings, the database engine and the shared outbound HTTP client.
It is created by `open_context()` and closed when the app stops; nothing here is global.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from gpanel.gmail.budget import InProcessBudget
from gpanel.gmail.client import GmailClient
from gpanel.services.accounts.google_oauth import GoogleOAuth, relax_oauthlib
from gpanel.services.accounts.tokens import TokenBroker
from gpanel.services.accounts.vault import TokenVault
from gpanel.services.ops.shared_budget import PostgresBudget
from gpanel.settings import Queue, Settings
from gpanel.store.engine import create_engine


@dataclass
class AppContext:
    settings: Settings
    engine: AsyncEngine
    http: httpx.AsyncClient
    vault: TokenVault
    oauth: GoogleOAuth
    tokens: TokenBroker
    budget: InProcessBudget
    gmail: GmailClient
    # Long-lived per-process helpers that later capabilities attach (token broker, caches,
    # schedulers), keyed by name so this container does not have to know every one of them.
    extras: dict[str, Any] = field(default_factory=dict)


@asynccontextmanager
async def open_context(
    settings: Settings, transport: httpx.AsyncBaseTransport | None = None
) -> AsyncIterator[AppContext]:
    """Build the engine and HTTP client; dispose of both on exit.

    `transport` is the seam tests use to point gpanel at an in-process emulator or respx.
    """
    engine = create_engine(settings.resolved_database_url)
    http = httpx.AsyncClient(
        transport=transport,
        timeout=httpx.Timeout(30.0, connect=10.0),
        limits=httpx.Limits(max_connections=200, max_keepalive_connections=50),
        headers={"User-Agent": "gpanel/0.1"},
    )
    vault = TokenVault(settings.fernet_keys)
    relax_oauthlib(settings)
    tokens = TokenBroker(engine, http, settings, vault)
    budget = InProcessBudget(
        settings.user_quota_per_minute, target_share=settings.gmail_budget_fraction
    )
    if settings.queue is Queue.PROCRASTINATE:
        # Several processes call Gmail for one mailbox: they must share one budget.
        budget = PostgresBudget(
            engine, settings.user_quota_per_minute, target_share=settings.gmail_budget_fraction
        )
    gmail = GmailClient(
        http,
        tokens,
        base_url=settings.gmail_api_base,
        budget=budget,
        regime=settings.gmail_quota_regime.value,
        max_inflight=settings.gmail_max_inflight_per_mailbox,
        batch_size=settings.gmail_batch_size,
    )
    ctx = AppContext(
        settings=settings,
        engine=engine,
        http=http,
        vault=vault,
        oauth=GoogleOAuth(settings),
        tokens=tokens,
        budget=budget,
        gmail=gmail,
    )
    try:
        yield ctx
    finally:
        # Helpers made on first use (the image proxy's own HTTP client, for one) close here.
        for helper in list(ctx.extras.values()):
            closer = getattr(helper, "aclose", None)
            if callable(closer):
                await closer()
        await http.aclose()
        await engine.dispose()
