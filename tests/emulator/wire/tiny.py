"""A deliberately tiny Starlette app in the real `wire_middleware`, for the wire's own tests.

A few Gmail-shaped routes echo what they received, so the wire's behaviour (quota, concurrency,
latency, faults, the log, method override, batches) is pinned down independently of the mailbox
code; the end-to-end tests against the full emulator are test_batch_emulator.py,
test_emulator.py and tests/emulator/test_contract_*.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from gpanel.emulator import errors
from gpanel.emulator.accounts import Accounts
from gpanel.emulator.config import EmulatorConfig
from gpanel.emulator.wire import wire_routes
from gpanel.emulator.wire.conditions import Wire, wire_middleware

ALICE = "alice@example.com"
BOB = "bob@example.com"
MODIFY = "https://www.googleapis.com/auth/gmail.modify"
RATE_LIMIT_BODY = {
    "error": {
        "code": 403,
        "message": "User Rate Limit Exceeded",
        "errors": [
            {
                "domain": "usageLimits",
                "reason": "userRateLimitExceeded",
                "message": "User Rate Limit Exceeded",
            }
        ],
    }
}
CONCURRENT_BODY = {
    "error": {
        "code": 429,
        "message": "Too many concurrent requests for user",
        "errors": [
            {
                "domain": "global",
                "reason": "rateLimitExceeded",
                "message": "Too many concurrent requests for user",
            }
        ],
        "status": "RESOURCE_EXHAUSTED",
    }
}


async def _echo_message(request: Request) -> Response:
    if request.path_params["id"] == "missing":
        raise errors.not_found()
    return JSONResponse({"id": request.path_params["id"], "threadId": "t1"})


async def _echo_list(request: Request) -> Response:
    return JSONResponse({"query": sorted(request.query_params.multi_items())})


async def _patch_label(request: Request) -> Response:
    return JSONResponse({"method": request.method, "body": (await request.json())})


async def _history(request: Request) -> Response:
    return JSONResponse({"historyId": "1234"})


@dataclass
class Tiny:
    app: ASGIApp
    wire: Wire
    accounts: Accounts
    token_alice: str
    token_bob: str


def build_tiny(config: EmulatorConfig | None = None) -> Tiny:
    accounts = Accounts()
    accounts.add(ALICE)
    accounts.add(BOB)
    wire = Wire(config or EmulatorConfig(), accounts)

    async def dispatch(scope: Scope, receive: Receive, send: Send) -> None:
        await wrapped(scope, receive, send)

    routes = [
        Route("/gmail/v1/users/{userId}/messages/{id}", _echo_message),
        Route("/gmail/v1/users/{userId}/messages", _echo_list),
        Route("/gmail/v1/users/{userId}/threads/{id}", _echo_message),
        Route("/gmail/v1/users/{userId}/history", _history),
        Route("/gmail/v1/users/{userId}/labels/{id}", _patch_label, methods=["PATCH"]),
        *wire_routes(wire, dispatch),
    ]
    inner = Starlette(routes=routes)
    errors.install_handlers(inner)
    wrapped = wire_middleware(inner, wire, accounts)
    return Tiny(
        wrapped,
        wire,
        accounts,
        accounts.issue_access_token(ALICE, [MODIFY]),
        accounts.issue_access_token(BOB, [MODIFY]),
    )


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def add_fault(client: httpx.AsyncClient, **body: Any) -> None:
    r = await client.post("/_emulator/faults", json=body)
    assert r.status_code == 201, r.text
