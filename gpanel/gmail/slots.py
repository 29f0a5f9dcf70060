"""A mailbox's concurrency with Google: how many calls are in flight, and how many parts the
next batch carries.

Google limits how many calls of one user run at once, and the parts of a batch count: it runs
every part of a batch at once, each against the user's limit, and refuses the parts beyond it
with 429 "Too many concurrent requests for user" (docs/gmail-facts.md, "Per-user limits and
concurrency").

- `Slots`: the in-flight limit, a first-come, first-served counting semaphore with weights. A
  plain request holds one slot and a batch as many as its parts. `asyncio.Semaphore` cannot
  take several units atomically, hence this small variant. Waiters are served in arrival order,
  so a batch waiting for five slots is not overtaken forever by single calls.
- `BatchWindow`: the batch size. The limit is unpublished and shared with every other client of
  the mailbox, so gpanel cannot know it; like TCP's congestion window, the size starts at the
  configured ceiling, shrinks when parts are refused (to three quarters of what got through, or
  by half when nothing did) and grows again by an eighth after each batch that went through
  whole at full size.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class Slots:
    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("Slots capacity must be at least 1.")
        self.capacity = capacity
        self.free = capacity
        self._waiters: deque[tuple[int, asyncio.Future[None]]] = deque()

    @property
    def in_use(self) -> int:
        return self.capacity - self.free

    @asynccontextmanager
    async def hold(self, weight: int = 1) -> AsyncIterator[None]:
        """Hold `weight` slots (at most the capacity) for the duration of the block."""
        weight = max(1, min(weight, self.capacity))
        if self._waiters or self.free < weight:
            future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            entry = (weight, future)
            self._waiters.append(entry)
            try:
                await future
            except BaseException:
                if future.done() and not future.cancelled():
                    # Granted just as we were cancelled: hand the slots on.
                    self._release(weight)
                else:
                    if entry in self._waiters:
                        self._waiters.remove(entry)
                    self._wake()
                raise
        else:
            self.free -= weight
        try:
            yield
        finally:
            self._release(weight)

    def _release(self, weight: int) -> None:
        self.free += weight
        self._wake()

    def _wake(self) -> None:
        # Grant waiters in order while the head fits; slots move to them before they run.
        while self._waiters and self._waiters[0][0] <= self.free:
            weight, future = self._waiters.popleft()
            if future.done():
                continue
            self.free -= weight
            future.set_result(None)


class BatchWindow:
    def __init__(self, ceiling: int) -> None:
        if ceiling < 1:
            raise ValueError("BatchWindow ceiling must be at least 1.")
        self.ceiling = ceiling
        self.size = ceiling

    def observe(self, sent: int, refused: int) -> None:
        """Learn from one round of batches: `refused` of `sent` parts were refused for
        concurrency."""
        if refused > 0:
            passed = max(0, sent - refused)
            # What got through measures the room left; nothing through (another client holds
            # the mailbox, or injected refusals) says only "less": halve.
            smaller = (passed * 3) // 4 if passed else self.size // 2
            self.size = max(1, min(self.size, smaller))
        elif sent >= self.size:
            self.size = min(self.ceiling, self.size + max(1, self.size // 8))
