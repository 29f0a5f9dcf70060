"""`create_emulator(config)`: the fake Google assembled from its three halves.

The Gmail routes and the control API live here in gpanel.emulator; the OAuth/OIDC server
(`gpanel.emulator.oauth.oauth_routes`) and the wire-conditions layer (`gpanel.emulator.wire`:
quota, concurrency, latency, faults, request log, batch and upload endpoints) are built by their
own modules and plugged in when present, so each half can land on its own. The wire middleware
wraps the whole app, and the batch endpoint dispatches its parts back through that same wrapped
app, so every part is charged, delayed and logged like a direct call. Nothing is built at import.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import ModuleType

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute

from gpanel.emulator.config import EmulatorConfig
from gpanel.emulator.control import control_routes
from gpanel.emulator.errors import install_handlers
from gpanel.emulator.gmail_api import gmail_routes
from gpanel.emulator.gmail_api_watch import PushNotifier
from gpanel.emulator.state import EmulatorState


def _optional(module: str) -> ModuleType | None:
    """A sibling module that another workstream may not have committed yet."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name == module:
            return None
        raise


def create_emulator(config: EmulatorConfig | None = None) -> Starlette:
    config = config or EmulatorConfig()
    state = EmulatorState(config)
    notifier = PushNotifier(state)
    state.add_listener(notifier.on_change)

    routes: list[BaseRoute] = [*gmail_routes(), *control_routes()]
    oauth = _optional("gpanel.emulator.oauth")
    if oauth is not None:
        routes.extend(oauth.oauth_routes(state.accounts, state.config))

    middleware: list[Middleware] = []
    wire = _optional("gpanel.emulator.wire")
    if wire is not None:
        state.wire = wire.Wire(config)
        middleware.append(Middleware(wire.wire_middleware, state.wire, state.accounts))

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await notifier.aclose()

    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
    app.state.emulator = state
    install_handlers(app)
    if wire is not None:
        # Starlette builds its middleware stack on the first request, so routes added now are
        # served, and `app` itself is the fully wrapped dispatcher the batch endpoint needs.
        app.router.routes.extend(wire.wire_routes(state.wire, app))

    if config.seed == "demo":
        demo = importlib.import_module("gpanel.emulator.demo_mail")
        demo.seed_demo(state, today=dt.date.today())
    return app
