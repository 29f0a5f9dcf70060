"""When to try a Gmail request again, and how long to wait first.

Google's advice (docs/gmail-facts.md, "Retries and backoff"): wait min(2^n s + random(0..1 s), 64 s)
before retry n (n = 0, 1, ...), about 8 tries in all, and never less than a "Retry after" Google
named. A `deadline` bounds the whole effort so an interactive view can give up early and degrade
instead of hanging for minutes; a wait Google demands beyond `max_retry_after` is not waited for at
all (the error goes back to the caller with its `retry_after`). Waiting is always `await
sleep(...)`; tests inject a fake `sleep`, `clock` and `jitter`.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class RetryPolicy:
    max_tries: int = 8
    base: float = 1.0  # seconds; the first retry waits base * 2**0 + jitter
    cap: float = 64.0  # no computed wait exceeds this
    deadline: float | None = None  # seconds from the first try; None: only max_tries bounds it
    max_retry_after: float = 64.0  # a longer "Retry after" is reported, not waited for
    # A call refused for concurrency ("Too many concurrent requests") did nothing and can go
    # again as soon as fewer calls are in flight: wait brief * 2**n + jitter * brief instead.
    brief: float = 0.05
    sleep: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep, compare=False)
    clock: Callable[[], float] = field(default=time.monotonic, compare=False)
    jitter: Callable[[], float] = field(default=random.random, compare=False)

    def __post_init__(self) -> None:
        if self.max_tries < 1:
            raise ValueError("RetryPolicy.max_tries must be at least 1.")

    def delay(self, retry_index: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number `retry_index` (0 for the first retry)."""
        computed = float(min(self.base * 2**retry_index + self.jitter(), self.cap))
        if retry_after is not None:
            return max(computed, float(retry_after))
        return computed

    def brief_delay(self, retry_index: int) -> float:
        """Seconds to wait before retry `retry_index` of a call refused for concurrency."""
        return float(min(self.brief * 2**retry_index + self.brief * self.jitter(), self.cap))

    def ends_at(self) -> float | None:
        """The clock reading past which no further try starts (None: no deadline)."""
        return None if self.deadline is None else self.clock() + self.deadline


class Attempts:
    """The retry state of one logical request: counts tries, computes and performs waits."""

    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy
        self.tries = 0
        self._ends_at = policy.ends_at()

    def child(self) -> Attempts:
        """Attempts of one piece of this effort (a batch chunk): own tries, same deadline."""
        out = Attempts(self.policy)
        out._ends_at = self._ends_at
        return out

    def begin(self) -> None:
        """Count one more try (call just before sending)."""
        self.tries += 1

    def remaining(self) -> float | None:
        """Seconds left before the deadline (None: no deadline)."""
        if self._ends_at is None:
            return None
        return max(0.0, self._ends_at - self.policy.clock())

    async def wait_before_retry(self, retry_after: float | None, *, brief: bool = False) -> bool:
        """Sleep before the next try and return True, or return False if no try is left.

        Gives up when the tries are spent, when Google asks for a wait longer than
        `max_retry_after`, or when the wait would end past the deadline. `brief`: the refusal
        was for concurrency only, so the short schedule applies.
        """
        if self.tries >= self.policy.max_tries:
            return False
        if retry_after is not None and retry_after > self.policy.max_retry_after:
            return False
        if brief and retry_after is None:
            wait = self.policy.brief_delay(self.tries - 1)
        else:
            wait = self.policy.delay(self.tries - 1, retry_after)
        left = self.remaining()
        if left is not None and wait >= left:
            return False
        await self.policy.sleep(wait)
        return True
