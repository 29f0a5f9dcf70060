"""Sending one HTTP request to Gmail for one mailbox, with every rule docs/gmail-facts.md sets.

`Dispatcher.send` is the single place a Gmail request leaves gpanel. In order, for each try:
charge the quota budget (at the caller's priority), get the mailbox's access token, wait for
the mailbox's in-flight slots (`max_inflight` in all, batch parts counted: Google runs every
part of a batch at once, each against the mailbox's concurrency limit), send, count. A 401
forces one token refresh and one more try; rate limits, 5xx and transport failures are retried
with backoff (see `retry.py`; a 429 for concurrency after a brief wait only), except that a
request which may have changed something (a send) is only retried when Google certainly did not
act on it. A GET whose URL would exceed 2 KB goes as a
POST with `x-http-method-override: GET` and a form-encoded body, as googleapiclient does.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlencode

import httpx

from gpanel.gmail import discovery
from gpanel.gmail.budget import Priority, QuotaBudget
from gpanel.gmail.costs import CostTable
from gpanel.gmail.errors import (
    BudgetExhausted,
    GmailError,
    TokenExpired,
    TooManyConcurrent,
    Unavailable,
    error_for_status,
    is_retryable,
)
from gpanel.gmail.oauth import TokenProvider
from gpanel.gmail.retry import Attempts
from gpanel.gmail.slots import BatchWindow, Slots
from gpanel.gmail.stats import CallStats

MAX_URI_LENGTH = 2048  # googleapiclient.http.MAX_URI_LENGTH

# Transport failures that prove the request never reached Google, so even a send may retry.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


@dataclass(frozen=True)
class Outgoing:
    """One HTTP request to Gmail, without its Authorization header."""

    calls: tuple[str, ...]  # the Gmail method ids it carries: one, or one per batch part
    http_method: str
    url: str
    query: tuple[tuple[str, str], ...] = ()
    headers: Mapping[str, str] = field(default_factory=dict)
    content: bytes | None = None
    error_method: str = ""  # the method id errors of the whole request are mapped for
    idempotent: bool = True
    batch: bool = False


class Dispatcher:
    def __init__(
        self,
        http: httpx.AsyncClient,
        tokens: TokenProvider,
        budget: QuotaBudget,
        costs: CostTable,
        stats: CallStats,
        *,
        max_inflight: int = 25,
        batch_size: int = 50,
    ) -> None:
        if max_inflight < 1 or batch_size < 1:
            raise ValueError("max_inflight and batch_size must be at least 1.")
        self.http = http
        self.tokens = tokens
        self.budget = budget
        self.costs = costs
        self.stats = stats
        self.max_inflight = max_inflight
        # A batch never carries more parts than may be in flight: Google would refuse them.
        self.batch_ceiling = min(batch_size, max_inflight)
        self._slots: dict[str, Slots] = {}
        self._windows: dict[str, BatchWindow] = {}
        self._wrote: dict[str, float] = {}  # mailbox -> monotonic time its last write ended

    def slots(self, mailbox: str) -> Slots:
        """The mailbox's in-flight limit, shared by every caller in this process."""
        slots = self._slots.get(mailbox)
        if slots is None:
            slots = self._slots[mailbox] = Slots(self.max_inflight)
        return slots

    def window(self, mailbox: str) -> BatchWindow:
        """How many parts the mailbox's next batch carries (adapts to refused parts)."""
        window = self._windows.get(mailbox)
        if window is None:
            window = self._windows[mailbox] = BatchWindow(self.batch_ceiling)
        return window

    def weight(self, out: Outgoing) -> int:
        """Slots a request holds: Google runs all parts of a batch at once, each counting
        against the mailbox's concurrency limit."""
        return len(out.calls) if out.batch else 1

    def units(self, out: Outgoing) -> int:
        return sum(self.costs.cost(m) for m in out.calls)

    def last_write(self, mailbox: str) -> float:
        """When this process's last request that may have changed the mailbox ended
        (`time.monotonic()`; 0.0 for never): what was read of it before then may be stale."""
        return self._wrote.get(mailbox, 0.0)

    async def send(
        self, mailbox: str, priority: Priority, attempts: Attempts, out: Outgoing
    ) -> httpx.Response:
        """Send `out` until it succeeds (2xx) or a `GmailError` is final."""
        if any(_writes(m) for m in out.calls):
            try:
                return await self._send(mailbox, priority, attempts, out)
            finally:  # failed or not: a write may have landed
                self._wrote[mailbox] = time.monotonic()
        return await self._send(mailbox, priority, attempts, out)

    async def _send(
        self, mailbox: str, priority: Priority, attempts: Attempts, out: Outgoing
    ) -> httpx.Response:
        refreshed = False
        while True:
            attempts.begin()
            error: GmailError
            sent_for_sure = True
            try:
                resp = await self._once(mailbox, priority, attempts, out)
            except _NOT_SENT as exc:
                error = Unavailable(
                    f"Gmail unreachable ({type(exc).__name__})", method=out.error_method
                )
                sent_for_sure = False
            except httpx.TransportError as exc:
                error = Unavailable(
                    f"Gmail connection failed ({type(exc).__name__})", method=out.error_method
                )
            else:
                if resp.is_success:
                    return resp
                error = error_for_status(
                    resp.status_code, resp.content, resp.headers, out.error_method
                )
            self.stats.failed(mailbox, error)
            if isinstance(error, TokenExpired):
                if refreshed:
                    raise error
                refreshed = True
                self.stats.refreshed(mailbox)
                await self.tokens.refresh(mailbox)
                continue
            may_retry = out.idempotent or not sent_for_sure or error.status in {403, 429}
            if is_retryable(error) and may_retry:
                retry_after = getattr(error, "retry_after", None)
                brief = isinstance(error, TooManyConcurrent)
                if await attempts.wait_before_retry(retry_after, brief=brief):
                    self.stats.retried(mailbox)
                    continue
            raise error

    async def _once(
        self, mailbox: str, priority: Priority, attempts: Attempts, out: Outgoing
    ) -> httpx.Response:
        units = self.units(out)
        try:
            async with asyncio.timeout(attempts.remaining()):
                await self.budget.acquire(mailbox, units, priority)
        except TimeoutError:
            raise BudgetExhausted(
                "Quota budget wait outlasted the deadline", method=out.error_method
            ) from None
        token = await self.tokens.access_token(mailbox)
        request = self._request(out, token)
        try:
            async with asyncio.timeout(attempts.remaining()):
                weight = self.weight(out)
                async with self.slots(mailbox).hold(weight):
                    self.stats.request_started(
                        mailbox, list(out.calls), units, batch=out.batch, slots=weight
                    )
                    try:
                        return await self.http.send(request)
                    finally:
                        self.stats.request_finished(mailbox, slots=weight)
        except TimeoutError:
            raise Unavailable(
                "Gmail did not answer before the deadline", method=out.error_method
            ) from None

    def _request(self, out: Outgoing, token: str) -> httpx.Request:
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        headers.update(out.headers)
        request = self.http.build_request(
            out.http_method,
            out.url,
            params=list(out.query),
            headers=headers,
            content=out.content,
        )
        if out.http_method == "GET" and len(str(request.url)) > MAX_URI_LENGTH:
            # Too long for a URL: the query travels as a form body instead.
            body = urlencode(out.query).encode()
            headers.update(
                {
                    "x-http-method-override": "GET",
                    "Content-Type": "application/x-www-form-urlencoded",
                }
            )
            request = self.http.build_request("POST", out.url, headers=headers, content=body)
        return request


@functools.cache
def _writes(method_id: str) -> bool:
    """Whether a Gmail method may change the mailbox (anything but GET; a method the discovery
    document does not know counts as a write)."""
    try:
        return discovery.method(method_id).http_method != "GET"
    except GmailError:
        return True
