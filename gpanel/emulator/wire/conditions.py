"""How the emulated Gmail API behaves on the wire, independent of what the mailboxes hold.

`Wire` owns the run-time conditions: injected latency, the quota regime and per-user budget, the
per-user concurrency cap, the queue of injected faults and the request log. `wire_middleware`
applies them to every Gmail API request (`/gmail/v1/...`, `/upload/gmail/v1/...`, and each batch
part, which is dispatched back through the wrapped app); everything else (`/_emulator/...`,
OAuth, the batch envelope itself) passes through untouched. `wire_routes` returns the control
routes for these conditions plus the batch and media-upload endpoints.

The order of checks for an API call is: method override; a query parameter the discovery
document does not declare for the method is refused with 400, as Google's front end does;
identify the user from the bearer token (no valid token: pass through, the core routes answer
401); take the next queued fault; refuse with 429 if the user already has
`max_concurrent_per_user` calls in flight; sleep the injected latency; refuse with 403 if the
call would exceed the user's rolling 60-second budget; charge the quota; then answer the fault or
dispatch to the real route. Refusals (400 unknown parameter, 403 rate limit, 429 and the
refusal-type faults) are not charged; everything the backend accepted is, as Google does.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import MutableMapping
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gpanel.emulator import discovery, errors
from gpanel.emulator.accounts import Accounts, Grant
from gpanel.emulator.config import EmulatorConfig
from gpanel.emulator.errors import GoogleError
from gpanel.emulator.wire.faults import UNCHARGED_KINDS, Fault, FaultQueue, error_for
from gpanel.emulator.wire.log import LogEntry, RequestLog
from gpanel.emulator.wire.quota import QuotaLedger, budget, cost

# Calendar calls (gpanel.emulator.calendar) meet the same conditions as Gmail's.
API_PREFIXES = ("/gmail/v1/", "/upload/gmail/v1/", "/calendar/v3/")

# The scope key that marks a batch part, so the log can say so.
SCOPE_BATCH_PART = "gpanel.emulator.batch_part"

# The scope key a batch sets on each part: "held" when the batch already holds the part's
# concurrency slot, "refused" when the part arrived beyond the user's limit.
SCOPE_SLOT = "gpanel.emulator.batch_slot"

# Google takes a batch apart and runs all its parts at once (docs/gmail-facts.md, "Per-user
# limits and concurrency"): no throttling of parts by default, only the per-user limit.
DEFAULT_BATCH_PARALLELISM = 100


class ConnectionDropped(httpx.RemoteProtocolError):
    """Raised when a `drop` fault closes the connection.

    It is an httpx transport error on purpose: a client running the emulator in-process through
    `httpx.ASGITransport` then sees the same exception class as one talking to it over TCP.
    """


class Wire:
    """Run-time wire conditions of one emulator instance (see the module docstring)."""

    def __init__(self, config: EmulatorConfig, accounts: Accounts | None = None) -> None:
        self.config = config
        # Needed to tell whose slots a batch's parts take; without it parts are admitted one
        # by one as they run (a wire built for a test without accounts).
        self.accounts = accounts
        self.faults = FaultQueue()
        self.log = RequestLog()
        self.ledger = QuotaLedger()
        self._inflight: dict[str, int] = {}
        self.latency_ms = 0.0
        self.jitter_ms = 0.0
        self.regime = "2026"
        self.user_quota_per_minute: int | None = None
        self.max_concurrent_per_user = config.max_concurrent_per_user
        self.batch_parallelism = DEFAULT_BATCH_PARALLELISM
        self.reset()

    def reset(self) -> None:
        """Clear faults, counters and the log; restore latency and quota from the config."""
        self.faults.clear()
        self.log.clear()
        self.ledger.reset()
        self.latency_ms = float(self.config.latency_ms)
        self.jitter_ms = float(self.config.jitter_ms)
        self.regime = self.config.quota_regime
        self.user_quota_per_minute = self.config.user_quota_per_minute
        self.max_concurrent_per_user = self.config.max_concurrent_per_user
        self.batch_parallelism = DEFAULT_BATCH_PARALLELISM
        # In-flight counts are not reset: calls still running will decrement them.

    # --- views used by the control routes -------------------------------------------------------
    @property
    def budget_per_minute(self) -> int:
        return budget(self.regime, self.user_quota_per_minute)

    def cost_of(self, method_id: str, http_method: str = "GET") -> int:
        return cost(self.regime, method_id, http_method)

    def inflight(self, user: str) -> int:
        return self._inflight.get(user.lower(), 0)

    def effective_batch_parallelism(self) -> int:
        return max(1, self.batch_parallelism)

    def part_user(self, outer: Scope, part_headers: list[tuple[bytes, bytes]]) -> str | None:
        """The user a batch part is charged to: its own bearer token, else the envelope's."""
        if self.accounts is None:
            return None
        own = [(k, v) for k, v in part_headers if k.lower() == b"authorization"]
        grant = _grant({"headers": own}, self.accounts) if own else None
        if grant is None and not own:
            grant = _grant(outer, self.accounts)
        return grant.email.lower() if grant else None

    def admit_batch(self, users: list[str | None]) -> list[bool | None]:
        """Take the concurrency slots of a batch's parts, all at once as Google runs them.

        Returns per part: True (slot held until `release`), False (beyond the user's limit:
        the part answers 429), None (no known user: the part is policed as it runs).
        """
        out: list[bool | None] = []
        for user in users:
            if user is None:
                out.append(None)
            elif self.inflight(user) < self.max_concurrent_per_user:
                self._inflight[user] = self.inflight(user) + 1
                out.append(True)
            else:
                out.append(False)
        return out

    def release(self, user: str) -> None:
        self._inflight[user] = self.inflight(user) - 1
        if self._inflight[user] <= 0:
            del self._inflight[user]

    async def sleep_latency(self, extra_ms: float = 0.0) -> None:
        delay = self.latency_ms + extra_ms
        if self.jitter_ms > 0:
            delay += random.uniform(0, self.jitter_ms)
        if delay > 0:
            await asyncio.sleep(delay / 1000)

    # --- the per-request pipeline ---------------------------------------------------------------
    async def serve(
        self, app: ASGIApp, accounts: Accounts, scope: Scope, receive: Receive, send: Send
    ) -> None:
        scope, receive = await _apply_method_override(scope, receive)
        grant = _grant(scope, accounts)
        found = discovery.match_method(scope["method"], scope["path"])
        method_id = found[0].id if found else None
        user = grant.email.lower() if grant else None
        entry = self.log.open(
            method_id=method_id,
            http_method=scope["method"],
            path=scope["path"],
            user=user,
            start_monotonic=time.monotonic(),
            start_wall=time.time(),
            batch_part=bool(scope.get(SCOPE_BATCH_PART)),
        )
        send = _recording(send, entry)
        try:
            unknown = _unknown_parameter(scope, found[0]) if found else None
            if unknown is not None:
                await self.sleep_latency()
                await unknown_parameter(unknown).response()(scope, receive, send)
                return
            if user is None or method_id is None:
                # Not ours to police: the core routes answer 401/404 in Google's shape.
                await self.sleep_latency()
                await app(scope, receive, send)
                return
            await self._serve_user(app, scope, receive, send, entry, user, method_id)
        finally:
            entry.end_monotonic = time.monotonic()
            entry.end_wall = time.time()

    async def _serve_user(
        self,
        app: ASGIApp,
        scope: Scope,
        receive: Receive,
        send: Send,
        entry: LogEntry,
        user: str,
        method_id: str,
    ) -> None:
        fault = self.faults.take(user, method_id)
        slot = scope.get(SCOPE_SLOT)  # set on batch parts: True held, False refused
        over = slot is False or (
            slot is None and self.inflight(user) >= self.max_concurrent_per_user
        )
        if fault is None and over:
            await self.sleep_latency()
            await errors.too_many_concurrent().response()(scope, receive, send)
            return
        held = slot is True
        if not held:
            self._inflight[user] = self.inflight(user) + 1
        try:
            slow_ms = fault.delay_ms if fault and fault.kind != "send_limit" else 0.0
            await self.sleep_latency(slow_ms)
            if fault is not None and fault.kind in UNCHARGED_KINDS:
                await self._answer_fault(fault, entry, scope, receive, send)
                return
            units = self.cost_of(method_id, scope["method"])
            if self.ledger.would_exceed(user, units, self.budget_per_minute):
                await errors.user_rate_limit().response()(scope, receive, send)
                return
            self.ledger.charge(user, units)
            entry.quota_cost = units
            if fault is not None and fault.kind != "slow":
                await self._answer_fault(fault, entry, scope, receive, send)
                return
            if fault is not None:
                entry.fault = fault.kind
            await app(scope, receive, send)
        finally:
            if not held:
                self.release(user)

    async def _answer_fault(
        self, fault: Fault, entry: LogEntry, scope: Scope, receive: Receive, send: Send
    ) -> None:
        entry.fault = fault.kind
        if fault.kind == "drop":
            try:
                await drop_connection(send)
            finally:
                entry.status = None  # nothing reached the client
            return
        error = error_for(fault.kind, fault.delay_ms)
        assert error is not None, fault.kind
        await error.response()(scope, receive, send)


async def drop_connection(send: Send) -> None:
    """Close the connection without sending a status line.

    ASGI has no "abort" message, so this sends a response start that the server must refuse (a
    header value with a newline). uvicorn marks the response as started before validating the
    headers, writes nothing, and closes the transport when the app then returns without having
    completed the response. A server that does not validate (such as httpx's in-process
    transport) gets `ConnectionDropped` raised instead, which it passes on to the client.
    """
    try:
        await send({"type": "http.response.start", "status": 502, "headers": [(b"x-drop", b"\n")]})
    except Exception:
        return
    raise ConnectionDropped("connection dropped by an injected fault")


def unknown_parameter(name: str) -> GoogleError:
    """Google's front end refuses a query parameter the method does not declare."""
    message = (
        f'Invalid JSON payload received. Unknown name "{name}": Cannot bind query parameter. '
        f"Field '{name}' could not be found in request message."
    )
    return GoogleError(400, message, "invalid", status="INVALID_ARGUMENT")


def _unknown_parameter(scope: Scope, method: discovery.Method) -> str | None:
    """The first query parameter neither the method nor the API-wide list declares."""
    known = method.parameters.keys() | discovery.global_parameters().keys()
    query: bytes = scope.get("query_string", b"")
    for name, _ in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
        if name not in known:
            return name
    return None


def _recording(send: Send, entry: LogEntry) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            entry.status = int(message["status"])
        await send(message)

    return wrapped


def _grant(scope: Scope, accounts: Accounts) -> Grant | None:
    """The grant behind the bearer token, or the `access_token` query parameter Google accepts."""
    for name, value in scope.get("headers", []):
        if name.lower() == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return accounts.resolve(token.strip())
    query: bytes = scope.get("query_string", b"")
    for name, value in parse_qsl(query.decode("latin-1")):
        if name == "access_token" and value:
            return accounts.resolve(value)
    return None


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def replay(body: bytes, then: Receive | None = None) -> Receive:
    """A `receive` that yields `body` once, then defers to `then` (the real connection).

    Without `then` (a batch part has no connection of its own) later calls wait until cancelled,
    like a client that keeps its connection open.
    """
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        if then is not None:
            return await then()
        await asyncio.Event().wait()
        return {"type": "http.disconnect"}

    return receive


async def _apply_method_override(scope: Scope, receive: Receive) -> tuple[Scope, Receive]:
    """Honour `X-HTTP-Method-Override` on a POST, as Google's front end does.

    googleapiclient turns a GET whose URL exceeds 2,048 characters into a POST with the override
    header and the query string moved into an `application/x-www-form-urlencoded` body; for a GET
    override that body becomes the query string again.
    """
    if scope["method"] != "POST":
        return scope, receive
    headers: list[tuple[bytes, bytes]] = list(scope.get("headers", []))
    override = next((v for k, v in headers if k.lower() == b"x-http-method-override"), None)
    if override is None:
        return scope, receive
    verb = override.decode("latin-1").strip().upper()
    content_type = next((v for k, v in headers if k.lower() == b"content-type"), b"")
    drop = {b"x-http-method-override"}
    new_scope: MutableMapping[str, Any] = {**scope, "method": verb}
    form = content_type.split(b";")[0].strip() == b"application/x-www-form-urlencoded"
    if verb == "GET" and form:
        body = await _read_body(receive)
        pairs = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        pairs += parse_qsl(body.decode("utf-8"), keep_blank_values=True)
        new_scope["query_string"] = urlencode(pairs).encode("ascii")
        drop |= {b"content-type", b"content-length"}
        receive = replay(b"", then=receive)
    new_scope["headers"] = [(k, v) for k, v in headers if k.lower() not in drop]
    return dict(new_scope), receive


def is_api_path(path: str) -> bool:
    return path.startswith(API_PREFIXES)


def wire_middleware(app: ASGIApp, wire: Wire, accounts: Accounts) -> ASGIApp:
    """Wrap the emulator app so every Gmail API request meets the wire conditions."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_api_path(scope["path"]):
            await app(scope, receive, send)
            return
        await wire.serve(app, accounts, scope, receive, send)

    return middleware
