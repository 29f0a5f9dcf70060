"""`create_emulator(config)`: the fake Google, assembled in one place.

Three parts make it: the Gmail API routes (`gmail_api`), the OAuth/OpenID Connect server
(`oauth`) and the wire conditions (`wire`: quota, concurrency, latency, faults, request log,
batch endpoints). The wire middleware wraps the whole app, and the batch endpoint
dispatches its parts back through that same wrapped app, so every part is charged, delayed and
logged like a direct call. Nothing is built at import.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute

from gpanel.emulator.calendar.demo import seed_calendars
from gpanel.emulator.calendar.routes import calendar_routes
from gpanel.emulator.calendar.store import CalendarStore
from gpanel.emulator.config import EmulatorConfig
from gpanel.emulator.control import control_routes
from gpanel.emulator.demo_mail.mailboxes import seed_demo
from gpanel.emulator.demo_mail.team import seed_team_demo
from gpanel.emulator.errors import install_handlers
from gpanel.emulator.gmail_api import gmail_routes
from gpanel.emulator.gmail_api.busy import BusyMailboxes
from gpanel.emulator.gmail_api.watch import PushNotifier
from gpanel.emulator.oauth.routes import oauth_routes
from gpanel.emulator.oauth.server import OAuthServer
from gpanel.emulator.state import EmulatorState
from gpanel.emulator.wire import Wire, wire_middleware, wire_routes


def create_emulator(config: EmulatorConfig | None = None) -> Starlette:
    config = config or EmulatorConfig()
    state = EmulatorState(config)
    # One signing key for id_tokens and for the OIDC tokens of authenticated Pub/Sub push,
    # both verifiable against /oauth2/v1/certs.
    oauth = OAuthServer(state.accounts, state.config)
    notifier = PushNotifier(state, sign=lambda claims: oauth.key.sign(claims))
    busy = BusyMailboxes(state)
    state.add_listener(notifier.on_change)

    routes: list[BaseRoute] = [
        *gmail_routes(),
        *calendar_routes(),
        *control_routes(),
        *oauth_routes(state.accounts, state.config, oauth),
    ]
    wire = Wire(config, state.accounts)
    state.on_reset(wire.reset)
    middleware = [Middleware(wire_middleware, wire, state.accounts)]

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        # Changes are also made from other threads (tests, the control API's callers): the
        # notifier schedules their pushes on the loop that serves the app.
        notifier.bind_loop()
        busy.start()
        try:
            yield
        finally:
            await busy.aclose()
            await notifier.aclose()

    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
    app.state.emulator = state
    # The Calendar subset keeps its own events beside the mailboxes, reset with them.
    calendars = CalendarStore()
    state.on_reset(calendars.reset)
    app.state.calendar = calendars
    install_handlers(app)
    # Starlette builds its middleware stack on the first request, so routes added now are
    # served, and `app` itself is the fully wrapped dispatcher the batch endpoint needs.
    app.router.routes.extend(wire_routes(wire, app))

    if config.seed == "demo":
        seed_demo(state, today=dt.date.today())
        seed_team_demo(state, today=dt.date.today())
        seed_calendars(calendars, today=dt.date.today())
    return app
