"""`create_app(settings)`: gpanel's web application, assembled in one place.

Nothing is built at import time. The lifespan opens the `AppContext` (database engine, HTTP
client) and hands it to handlers as `request.state.ctx`; routes come from the `gpanel.web`
modules, each of which owns one area of the product.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TypedDict

import httpx
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from gpanel.jobs.lifespan import background_jobs
from gpanel.services.context import AppContext, open_context
from gpanel.services.threads.image_proxy import ImageProxy
from gpanel.settings import Settings
from gpanel.web import routes as web_routes
from gpanel.web.errors import install_error_handlers
from gpanel.web.guard.security import (
    CSRFMiddleware,
    Limit,
    RateLimitMiddleware,
    SecurityHeadersMiddleware,
)
from gpanel.web.guard.session import SessionCodec
from gpanel.web.guard.viewer import ViewerMiddleware
from gpanel.web.templating import STATIC_DIR

log = logging.getLogger("gpanel")


class State(TypedDict):
    ctx: AppContext


def create_app(
    settings: Settings,
    transport: httpx.AsyncBaseTransport | None = None,
    *,
    image_proxy: ImageProxy | None = None,
) -> Starlette:
    """`transport` and `image_proxy` are the test seams `open_context` takes."""

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[State]:
        opened = open_context(settings, transport=transport, image_proxy=image_proxy)
        async with opened as ctx, background_jobs(ctx):
            log.info("gpanel started in %s mode at %s", settings.mode.value, settings.base_url)
            yield {"ctx": ctx}

    codec = SessionCodec(settings.secret_key.get_secret_value())
    # Outermost first: headers go on every response, including refusals by the layers below.
    middleware = [
        Middleware(
            SecurityHeadersMiddleware,
            frame_ancestors=settings.frame_ancestors,
            https=settings.base_url.startswith("https://"),
        ),
        Middleware(RateLimitMiddleware, limits=[Limit("/auth/", 30), Limit("/api/", 600)]),
        Middleware(CSRFMiddleware, codec=codec, exempt=["/push/"]),
        Middleware(ViewerMiddleware, codec=codec),
    ]
    static = Mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app = Starlette(
        debug=False,
        routes=[*web_routes.all_routes(), static],
        middleware=middleware,
        lifespan=lifespan,
    )
    app.state.session_codec = codec
    app.state.settings = settings
    install_error_handlers(app)
    return app
