"""How the emulated Gmail API behaves on the wire, whatever the mailboxes hold.

`conditions` is the middleware every Gmail call passes (quota, per-user concurrency, latency,
injected faults, the request log); `batch` is the endpoint that carries calls in another
envelope and dispatches them back through that middleware; `control` lets tests set the
conditions. `wire_routes()` gathers the endpoints here, one level above the modules they use.
"""

from __future__ import annotations

from starlette.routing import BaseRoute
from starlette.types import ASGIApp

from gpanel.emulator.wire.batch import batch_routes
from gpanel.emulator.wire.conditions import Wire, wire_middleware
from gpanel.emulator.wire.control import control_routes

__all__ = ["Wire", "wire_middleware", "wire_routes"]


def wire_routes(wire: Wire, dispatch: ASGIApp) -> list[BaseRoute]:
    """The control routes for the wire conditions and the batch endpoints."""
    return [*control_routes(wire), *batch_routes(wire, dispatch)]
