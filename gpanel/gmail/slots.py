"""A mailbox's in-flight limit: a first-come, first-served counting semaphore with weights.

Google limits how many calls of one user run at once, and the parts of a batch count: it
runs a batch's parts several at a time, each against the user's limit. So a plain request
holds one slot and a batch holds as many as Google may run of it at once (its parts, up to
the assumed batch parallelism). `asyncio.Semaphore` cannot take several units atomically,
hence this small variant. Waiters are served in arrival order, so a batch waiting for five
slots is not overtaken forever by single calls.
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
