"""The per-mailbox Gmail quota budget shared by every process, kept in PostgreSQL.

With background jobs in `gpanel worker` processes, each process's own `InProcessBudget` would
only see its own calls: two workers and a web process could together spend three times what
gpanel allows itself for a mailbox, and a busy job could starve the views people wait on.
`PostgresBudget` keeps the charges of the last minute in `gmail_quota` (units per mailbox per
second), so all processes draw on one budget with the same two priorities as the in-process one
(interactive calls may fill the target; background calls stop at `background_share` of it).

A charge is one short transaction: a transaction-scoped advisory lock on the mailbox (so two
processes cannot both take the last units), the database clock (one clock for every machine),
the sum of the last 60 seconds, and an upsert of this second's bucket; buckets older than the
window are deleted on the way. When the units do not fit, the caller sleeps until enough old
charges leave the window, or gets `BudgetExhausted` when that would exceed the priority's
`max_wait`, exactly like `InProcessBudget`, whose configuration (and `used`/`target`, which
diagnostics read) this class shares.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from gpanel.gmail.budget import WINDOW_SECONDS, InProcessBudget, Priority
from gpanel.gmail.errors import BudgetExhausted

_CHARGE = text("""
WITH now AS (SELECT floor(extract(epoch FROM clock_timestamp()))::bigint AS s)
SELECT (SELECT s FROM now) AS now_s, g.second, g.units
  FROM gmail_quota g
 WHERE g.mailbox = :mailbox AND g.second > (SELECT s FROM now) - :window
 ORDER BY g.second
""")
_ADD = text("""
INSERT INTO gmail_quota (mailbox, second, units) VALUES (:mailbox, :second, :units)
ON CONFLICT (mailbox, second) DO UPDATE SET units = gmail_quota.units + EXCLUDED.units
""")
_FORGET = text("DELETE FROM gmail_quota WHERE mailbox = :mailbox AND second <= :horizon")
_LOCK = text("SELECT pg_advisory_xact_lock(hashtext(:key))")
_NOW = text("SELECT floor(extract(epoch FROM clock_timestamp()))::bigint")


class PostgresBudget(InProcessBudget):
    def __init__(
        self,
        engine: AsyncEngine,
        per_user_per_minute: int,
        *,
        target_share: float = 0.8,
        background_share: float = 0.5,
        max_wait: dict[Priority, float] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        super().__init__(
            per_user_per_minute,
            target_share=target_share,
            background_share=background_share,
            max_wait=max_wait,
            sleep=sleep,
        )
        self.engine = engine
        self._seen: dict[str, int] = {}

    def used(self, mailbox: str) -> int:
        """Units charged to `mailbox` by all processes within the last minute, as of this
        process's latest charge (diagnostics read it without a query)."""
        return self._seen.get(mailbox, 0)

    async def used_now(self, mailbox: str) -> int:
        async with self.engine.connect() as conn:
            rows = (
                await conn.execute(_CHARGE, {"mailbox": mailbox, "window": int(WINDOW_SECONDS)})
            ).all()
        return sum(int(r.units) for r in rows if r.second is not None)

    async def _try(self, mailbox: str, units: int, limit: int) -> float:
        """Charge `units` if they fit (returns 0), else the seconds to wait before retrying."""
        async with self.engine.begin() as conn:
            await conn.execute(_LOCK, {"key": "gpanel-quota:" + mailbox})
            rows = (
                await conn.execute(_CHARGE, {"mailbox": mailbox, "window": int(WINDOW_SECONDS)})
            ).all()
            now = int(rows[0].now_s) if rows else int(await conn.scalar(_NOW) or 0)
            charges = [(int(r.second), int(r.units)) for r in rows]
            used = sum(u for _, u in charges)
            self._seen[mailbox] = used
            if used + units <= limit or not charges:
                # As in-process: a single request larger than the limit passes on an empty window.
                await conn.execute(_ADD, {"mailbox": mailbox, "second": now, "units": units})
                await conn.execute(
                    _FORGET, {"mailbox": mailbox, "horizon": now - int(WINDOW_SECONDS)}
                )
                self._seen[mailbox] = used + units
                return 0.0
        excess = used + units - limit
        freed = 0
        for second, charged in charges:
            freed += charged
            if freed >= excess:
                # Buckets are whole seconds: the bucket leaves the window one second later.
                return max(0.05, float(second + WINDOW_SECONDS + 1 - now))
        return WINDOW_SECONDS

    async def acquire(self, mailbox: str, units: int, priority: Priority) -> None:
        limit = self.limits[priority]
        waited = 0.0
        while True:
            wait = await self._try(mailbox, units, limit)
            if wait <= 0:
                return
            if waited + wait > self.max_wait[priority]:
                raise BudgetExhausted(
                    f"Quota budget full for {priority.value} calls", retry_after=wait
                )
            await self._sleep(wait)
            waited += wait
