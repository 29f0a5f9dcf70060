"""The per-mailbox quota budget: how many Gmail units gpanel lets itself spend per minute.

`QuotaBudget` is the interface the client depends on; `InProcessBudget` is the implementation
for one process (a rolling one-minute window of charges per mailbox). A shared implementation
(PostgreSQL or Redis, so every worker draws on one budget) can replace it behind the same
protocol. Two priorities keep background jobs from starving the views people are waiting on:
interactive calls may fill the whole target (by default 80% of Google's per-user budget),
background calls only stop short of `background_share` of it, so there is always room left
for a view. A call that cannot fit waits for old charges to leave the window, or raises
`BudgetExhausted` at once when that wait would exceed the priority's `max_wait`.
"""

from __future__ import annotations

import asyncio
import enum
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Protocol

from gpanel.gmail.errors import BudgetExhausted

WINDOW_SECONDS = 60.0


class Priority(enum.Enum):
    INTERACTIVE = "interactive"  # a person is waiting for this (a view, an action)
    BACKGROUND = "background"  # jobs: labelling runs, MailMagnet polls, catch-ups


class QuotaBudget(Protocol):
    async def acquire(self, mailbox: str, units: int, priority: Priority) -> None:
        """Return once `units` may be spent on `mailbox` now (and count them as spent),
        or raise `BudgetExhausted` (with `retry_after`) if they cannot be within reason."""
        ...


class InProcessBudget:
    """A rolling-minute budget per mailbox, held in this process's memory."""

    def __init__(
        self,
        per_user_per_minute: int,
        *,
        target_share: float = 0.8,
        background_share: float = 0.5,
        max_wait: dict[Priority, float] | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if not (0 < target_share <= 1 and 0 < background_share <= 1):
            raise ValueError("Budget shares must be in (0, 1].")
        self.target = int(per_user_per_minute * target_share)
        self.limits = {
            Priority.INTERACTIVE: self.target,
            Priority.BACKGROUND: int(self.target * background_share),
        }
        # An interactive caller would rather see a "busy" notice than wait long; a job can
        # afford to wait out most of the window.
        self.max_wait = max_wait or {Priority.INTERACTIVE: 10.0, Priority.BACKGROUND: 60.0}
        self._clock = clock
        self._sleep = sleep
        self._charges: dict[str, deque[tuple[float, int]]] = {}

    def used(self, mailbox: str) -> int:
        """Units charged to `mailbox` within the last minute."""
        return sum(units for _, units in self._window(mailbox))

    def _window(self, mailbox: str) -> deque[tuple[float, int]]:
        charges = self._charges.setdefault(mailbox, deque())
        horizon = self._clock() - WINDOW_SECONDS
        while charges and charges[0][0] <= horizon:
            charges.popleft()
        if not charges:
            # Forget idle mailboxes so memory follows activity, not the number of mailboxes.
            del self._charges[mailbox]
            return deque()
        return charges

    def _wait_needed(self, mailbox: str, units: int, limit: int) -> float:
        """Seconds until `units` more fit under `limit` (0: they fit now)."""
        charges = self._window(mailbox)
        used = sum(u for _, u in charges)
        if used + units <= limit or not charges:
            # A single request larger than the limit goes through on an empty window;
            # otherwise it could never run at all.
            return 0.0
        excess = used + units - limit
        freed = 0
        for at, charged in charges:
            freed += charged
            if freed >= excess:
                return max(0.0, at + WINDOW_SECONDS - self._clock())
        return WINDOW_SECONDS

    async def acquire(self, mailbox: str, units: int, priority: Priority) -> None:
        limit = self.limits[priority]
        waited = 0.0
        while True:
            wait = self._wait_needed(mailbox, units, limit)
            if wait <= 0:
                self._charges.setdefault(mailbox, deque()).append((self._clock(), units))
                return
            if waited + wait > self.max_wait[priority]:
                raise BudgetExhausted(
                    f"Quota budget full for {priority.value} calls",
                    retry_after=wait,
                )
            # Re-check after the wait: other callers may have spent what was freed.
            await self._sleep(wait)
            waited += wait
