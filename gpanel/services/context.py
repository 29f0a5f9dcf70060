"""What services need at run time, built once by the app's lifespan (or the CLI, or a worker).

`AppContext` holds every object the process shares: the settings, the database engine, the
outbound HTTP client, the token vault and broker, the Gmail client and its quota budget, the
mail content cache with the panel reader and the kept panel views on it, the image proxy, the
sanitising pool and its cache of bodies, the calendar events cache, MailMagnet's event hub,
the registration point of the running scheduler (`JobTriggers`) and the observer of job runs.
All of them are built in `open_context()`, in that one place, and closed there when the app
stops; nothing here is global and nothing is made on first use. Tests hand in their own image
proxy or observer through `open_context`'s arguments.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from gpanel.gmail.budget import InProcessBudget
from gpanel.gmail.client import GmailClient
from gpanel.services.accounts.google_oauth import GoogleOAuth, relax_oauthlib
from gpanel.services.accounts.tokens import TokenBroker
from gpanel.services.accounts.vault import TokenVault
from gpanel.services.calendar.cache import CalendarCache
from gpanel.services.magnet.hub import MagnetHub
from gpanel.services.ops.scheduling import JobTriggers, RunObserver
from gpanel.services.ops.shared_budget import PostgresBudget
from gpanel.services.panel.content_cache import ContentCache
from gpanel.services.panel.fetch import PanelFetcher
from gpanel.services.panel.view_cache import ViewCache
from gpanel.services.threads.body_cache import BodyRenderer
from gpanel.services.threads.image_proxy import ImageProxy, UrlSigner
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
    content_cache: ContentCache
    panel: PanelFetcher
    views: ViewCache
    image_proxy: ImageProxy
    image_signer: UrlSigner
    bodies: BodyRenderer
    magnet_hub: MagnetHub
    jobs: JobTriggers
    observer: RunObserver | None
    # Calendar events per mailbox, memory only (services/calendar/cache.py).
    calendar: CalendarCache = field(default_factory=CalendarCache)


@asynccontextmanager
async def open_context(
    settings: Settings,
    transport: httpx.AsyncBaseTransport | None = None,
    *,
    image_proxy: ImageProxy | None = None,
    observer: RunObserver | None = None,
) -> AsyncIterator[AppContext]:
    """Build everything the process shares; close the image proxy, the HTTP client and the
    engine on exit.

    `transport` is the seam tests use to point gpanel at an in-process emulator or respx;
    `image_proxy` replaces the proxy (tests build one on a loopback resolver and transport);
    `observer` is told about every job run.
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
    cache = ContentCache(settings.cache_max_bytes, settings.cache_ttl_seconds)
    # The proxy has an HTTP client of its own (no cookies, no proxies from the environment),
    # never the shared one that carries Google's tokens.
    proxy = image_proxy if image_proxy is not None else ImageProxy()
    ctx = AppContext(
        settings=settings,
        engine=engine,
        http=http,
        vault=vault,
        oauth=GoogleOAuth(settings),
        tokens=tokens,
        budget=budget,
        gmail=gmail,
        content_cache=cache,
        panel=PanelFetcher(cache, window=settings.panel_validator_window_ms / 1000),
        views=ViewCache(cache, engine),
        image_proxy=proxy,
        image_signer=UrlSigner(settings.secret_key.get_secret_value()),
        # Sanitised bodies: worker processes and a memory cache under the content cache's
        # bounds (a quarter of its bytes, its TTL).
        bodies=BodyRenderer(settings.cache_max_bytes // 4, settings.cache_ttl_seconds),
        magnet_hub=MagnetHub(),
        jobs=JobTriggers(),
        observer=observer,
        calendar=CalendarCache(),
    )
    try:
        yield ctx
    finally:
        ctx.bodies.close()
        await proxy.aclose()
        await http.aclose()
        await engine.dispose()
