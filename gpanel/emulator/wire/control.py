"""Control routes for the wire conditions: latency, quota, faults, the request log, quota usage.

Tests, benchmarks and the demo change the emulator's behaviour at run time through these JSON
endpoints under `/_emulator/`; docs/emulator.md documents each. Bad input answers 400 in
Google's error shape, like everything else the emulator refuses.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from gpanel.emulator import errors
from gpanel.emulator.wire.conditions import Wire
from gpanel.emulator.wire.faults import ANY_METHOD, FaultError
from gpanel.emulator.wire.quota import REGIMES, WINDOW_SECONDS


async def _json_object(request: Request) -> dict[str, Any]:
    try:
        data = json.loads(await request.body() or b"{}")
    except ValueError as exc:
        raise errors.bad_request("Body must be JSON.") from exc
    if not isinstance(data, dict):
        raise errors.bad_request("Body must be a JSON object.")
    return data


def _number(data: dict[str, Any], key: str, current: float) -> float:
    value = data.get(key, current)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise errors.bad_request(f"{key} must be a number >= 0.")
    return float(value)


def _count(data: dict[str, Any], key: str, current: int | None, allow_null: bool) -> int | None:
    if key not in data:
        return current
    value = data[key]
    if value is None and allow_null:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise errors.bad_request(f"{key} must be an integer >= 1.")
    return value


def control_routes(wire: Wire) -> list[BaseRoute]:
    def latency_view() -> dict[str, Any]:
        return {"latency_ms": wire.latency_ms, "jitter_ms": wire.jitter_ms}

    def quota_view() -> dict[str, Any]:
        return {
            "regime": wire.regime,
            "user_quota_per_minute": wire.budget_per_minute,
            "max_concurrent_per_user": wire.max_concurrent_per_user,
            "batch_parallelism": wire.batch_parallelism,
        }

    async def latency(request: Request) -> Response:
        if request.method == "PUT":
            data = await _json_object(request)
            new_latency = _number(data, "latency_ms", wire.latency_ms)
            new_jitter = _number(data, "jitter_ms", wire.jitter_ms)
            wire.latency_ms, wire.jitter_ms = new_latency, new_jitter
        return JSONResponse(latency_view())

    async def quota(request: Request) -> Response:
        if request.method == "PUT":
            data = await _json_object(request)
            regime = data.get("regime", wire.regime)
            if regime not in REGIMES:
                raise errors.bad_request(f"regime must be one of {', '.join(REGIMES)}.")
            per_minute = _count(data, "user_quota_per_minute", wire.user_quota_per_minute, True)
            cap = _count(data, "max_concurrent_per_user", wire.max_concurrent_per_user, False)
            parallel = _count(data, "batch_parallelism", wire.batch_parallelism, False)
            wire.regime = regime
            wire.user_quota_per_minute = per_minute
            assert cap is not None and parallel is not None
            wire.max_concurrent_per_user = cap
            wire.batch_parallelism = parallel
        return JSONResponse(quota_view())

    async def usage(request: Request) -> Response:
        used = wire.ledger.usage()
        user = request.query_params.get("user")
        if user is not None:
            used = {user.lower(): used.get(user.lower(), 0)}
        return JSONResponse(
            {
                "window_seconds": WINDOW_SECONDS,
                "user_quota_per_minute": wire.budget_per_minute,
                "users": used,
            }
        )

    async def faults(request: Request) -> Response:
        if request.method == "DELETE":
            wire.faults.clear()
            return JSONResponse({"pending": []})
        if request.method == "POST":
            data = await _json_object(request)
            user = data.get("user")
            kind = data.get("kind")
            method = data.get("method", ANY_METHOD)
            if not isinstance(user, str) or not user:
                raise errors.bad_request("user (an account address) is required.")
            if not isinstance(kind, str) or not isinstance(method, str):
                raise errors.bad_request("kind and method must be strings.")
            count = _count(data, "count", 1, False)
            assert count is not None
            delay = _number(data, "delay_ms", 0.0)
            try:
                fault = wire.faults.add(user, method, kind, count=count, delay_ms=delay)
            except FaultError as exc:
                raise errors.bad_request(str(exc)) from exc
            return JSONResponse({"user": user.lower(), "method": method, **fault.as_dict()}, 201)
        return JSONResponse({"pending": wire.faults.pending()})

    async def log(request: Request) -> Response:
        if request.method == "DELETE":
            wire.log.clear()
            return JSONResponse({"entries": []})
        entries = wire.log.entries(request.query_params.get("user"))
        return JSONResponse({"entries": [e.as_dict() for e in entries]})

    return [
        Route("/_emulator/latency", latency, methods=["GET", "PUT"]),
        Route("/_emulator/quota", quota, methods=["GET", "PUT"]),
        Route("/_emulator/quota/usage", usage, methods=["GET"]),
        Route("/_emulator/faults", faults, methods=["GET", "POST", "DELETE"]),
        Route("/_emulator/log", log, methods=["GET", "DELETE"]),
    ]
