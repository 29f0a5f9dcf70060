"""Test-only control routes for the OAuth server, under `/_emulator/oauth/`.

They do what a test cannot do through Google's own endpoints: remove an app's access as the
user would in their Google Account, age refresh tokens or move the clock, pin a client secret,
queue the answer of the next auto-consent (deny, or grant only some scopes), and list grants.
Listings carry grant ids and scopes only, never a token.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from gpanel.emulator.errors import bad_request
from gpanel.emulator.oauth.scopes import normalise
from gpanel.emulator.oauth.server import ConsentPlan, OAuthServer

PREFIX = "/_emulator/oauth"


async def _json(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw:
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        raise bad_request("Invalid JSON payload received.") from None
    if not isinstance(body, dict):
        raise bad_request("Expected a JSON object.")
    return body


def _str(body: dict[str, Any], key: str, required: bool = False) -> str | None:
    value = body.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        raise bad_request(f"'{key}' must be a non-empty string.")
    return value


def control_routes(server: OAuthServer) -> list[BaseRoute]:
    store = server.store

    async def revoke_user(request: Request) -> Response:
        body = await _json(request)
        email = _str(body, "email", required=True)
        assert email is not None
        revoked = store.revoke_user(email, _str(body, "client_id"))
        return JSONResponse({"revoked": revoked})

    async def expire_refresh(request: Request) -> Response:
        body = await _json(request)
        return JSONResponse({"expired": store.expire_refresh(_str(body, "email"))})

    async def clock(request: Request) -> Response:
        body = await _json(request)
        for key in ("advance_seconds", "offset_seconds"):
            value = body.get(key)
            if value is not None and not isinstance(value, int | float):
                raise bad_request(f"'{key}' must be a number.")
        if body.get("offset_seconds") is not None:
            server.accounts.clock_offset = float(body["offset_seconds"])
        if body.get("advance_seconds") is not None:
            server.accounts.clock_offset += float(body["advance_seconds"])
        return JSONResponse(
            {"offset_seconds": server.accounts.clock_offset, "now": server.accounts.now()}
        )

    async def grants(_: Request) -> Response:
        return JSONResponse(
            {"refresh_tokens": store.listing(), "client_grants": store.client_listing()}
        )

    async def clients(request: Request) -> Response:
        body = await _json(request)
        client_id = _str(body, "client_id", required=True)
        secret = _str(body, "client_secret", required=True)
        assert client_id is not None and secret is not None
        store.register_client(client_id, secret)
        return JSONResponse({"client_id": client_id})

    async def next_consent(request: Request) -> Response:
        body = await _json(request)
        scopes = body.get("scopes")
        if scopes is not None and not (
            isinstance(scopes, list) and all(isinstance(s, str) for s in scopes)
        ):
            raise bad_request("'scopes' must be a list of strings.")
        plan = ConsentPlan(
            deny=bool(body.get("deny", False)),
            scopes=frozenset(normalise(scopes)) if scopes is not None else None,
            email=_str(body, "email"),
        )
        server.plans.append(plan)
        return JSONResponse({"queued": len(server.plans)})

    async def reset(_: Request) -> Response:
        server.reset()
        return JSONResponse({})

    routes: list[tuple[str, Callable[[Request], Awaitable[Response]], list[str]]] = [
        ("/revoke-user", revoke_user, ["POST"]),
        ("/expire-refresh", expire_refresh, ["POST"]),
        ("/clock", clock, ["POST"]),
        ("/grants", grants, ["GET"]),
        ("/clients", clients, ["POST"]),
        ("/next-consent", next_consent, ["POST"]),
        ("/reset", reset, ["POST"]),
    ]
    return [Route(PREFIX + path, fn, methods=methods) for path, fn, methods in routes]
