"""Injected faults: a queue per (user, method) consumed in order, like Mailman's fake SMTP server.

A test says "the next two `gmail.users.messages.get` calls of alice fail with 503" and the emulator
answers exactly that, then goes back to normal. A fault queued for method "*" hits any method of
that user once the method-specific queue for the called method is empty. Each kind maps to the
error Google sends in that situation; `slow` delays and then answers normally, and `drop` closes
the connection without any response.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from gpanel.emulator import errors
from gpanel.emulator.errors import GoogleError

KINDS = ("429", "403rate", "401", "500", "503", "stale_history", "slow", "drop", "send_limit")

ANY_METHOD = "*"
HISTORY_LIST = "gmail.users.history.list"

# How far in the future a `send_limit` fault's "Retry after" lies unless delay_ms says otherwise;
# peers report Google's sending lockouts usually end about 15 minutes later.
SEND_LIMIT_DEFAULT_MS = 15 * 60 * 1000


@dataclass
class Fault:
    kind: str
    count: int = 1
    delay_ms: float = 0.0

    def as_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "count": self.count, "delay_ms": self.delay_ms}


class FaultError(ValueError):
    """A fault request the control API refuses (unknown kind, bad count)."""


def send_limit_error(delay_ms: float) -> GoogleError:
    """Gmail's sending-limit refusal: 429 with the time after which sending works again."""
    until = datetime.now(UTC) + timedelta(milliseconds=delay_ms or SEND_LIMIT_DEFAULT_MS)
    stamp = until.strftime("%Y-%m-%dT%H:%M:%S.") + f"{until.microsecond // 1000:03d}Z"
    # Google puts two spaces after the first sentence; clients parse the time after "after ".
    return GoogleError(
        429,
        f"User-rate limit exceeded.  Retry after {stamp}",
        "rateLimitExceeded",
        domain="usageLimits",
        status="RESOURCE_EXHAUSTED",
    )


def error_for(kind: str, delay_ms: float = 0.0) -> GoogleError | None:
    """The Google error a fault kind answers with; None for `slow` and `drop`."""
    if kind == "429":
        return errors.too_many_concurrent()
    if kind == "403rate":
        return errors.user_rate_limit()
    if kind == "401":
        return errors.invalid_credentials()
    if kind == "500":
        return errors.backend_error()
    if kind == "503":
        return errors.unavailable()
    if kind == "stale_history":
        return errors.not_found()
    if kind == "send_limit":
        return send_limit_error(delay_ms)
    return None


# Refusals happen before Google's backend accepts the call, so they are not charged to quota.
UNCHARGED_KINDS = frozenset({"429", "403rate", "401", "send_limit"})


class FaultQueue:
    """Pending faults keyed by (user, method id or "*"), each consumed `count` times in order."""

    def __init__(self) -> None:
        self._queues: dict[tuple[str, str], deque[Fault]] = {}

    def add(self, user: str, method: str, kind: str, count: int = 1, delay_ms: float = 0) -> Fault:
        if kind not in KINDS:
            raise FaultError(f"unknown fault kind {kind!r}; expected one of {', '.join(KINDS)}")
        if count < 1:
            raise FaultError("count must be at least 1")
        if delay_ms < 0:
            raise FaultError("delay_ms must not be negative")
        if kind == "stale_history":
            if method not in (ANY_METHOD, HISTORY_LIST):
                raise FaultError(f"stale_history only applies to {HISTORY_LIST}")
            # A stale history id can only be noticed by history.list, so wait for that call.
            method = HISTORY_LIST
        fault = Fault(kind=kind, count=count, delay_ms=float(delay_ms))
        self._queues.setdefault((user.lower(), method), deque()).append(fault)
        return fault

    def take(self, user: str, method_id: str) -> Fault | None:
        """Consume one occurrence of the next fault for this call, if any is queued."""
        for key in ((user.lower(), method_id), (user.lower(), ANY_METHOD)):
            queue = self._queues.get(key)
            if not queue:
                continue
            head = queue[0]
            head.count -= 1
            if head.count <= 0:
                queue.popleft()
            return Fault(kind=head.kind, count=1, delay_ms=head.delay_ms)
        return None

    def pending(self) -> list[dict[str, object]]:
        return [
            {"user": user, "method": method, **fault.as_dict()}
            for (user, method), queue in self._queues.items()
            for fault in queue
        ]

    def clear(self) -> None:
        self._queues.clear()
