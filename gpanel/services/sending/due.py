"""What the two due-job passes of sending share: `later.send_due` and `follow_ups.check_due`.

- `aware`: a stored time as UTC (SQLite hands them back naive).
- `withdrawn`: the admin no longer allows this owner's Gmail: gpanel neither reads nor sends it.
- `run_claimed`: the pass over due rows: each row is claimed by a compare-and-set first (a row
  another scheduler took, or one cancelled meanwhile, is skipped), then handled; the outcomes
  are counted.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import TypeVar

from sqlalchemy import select

from gpanel.services.context import AppContext
from gpanel.services.sharing.rules import gmail_withdrawn_for
from gpanel.store.tables import users

Row = TypeVar("Row")


async def withdrawn(ctx: AppContext, user_id: int) -> bool:
    async with ctx.engine.connect() as conn:
        role = await conn.scalar(select(users.c.role).where(users.c.id == user_id))
    return bool(await gmail_withdrawn_for(ctx.engine, [(user_id, str(role or ""))]))


async def run_claimed(
    rows: Iterable[Row],
    claim: Callable[[Row], Awaitable[bool]],
    handle: Callable[[Row], Awaitable[str]],
) -> dict[str, int]:
    counts: dict[str, int] = {}
    for row in rows:
        if not await claim(row):
            continue  # another scheduler took it, or it was cancelled meanwhile
        outcome = await handle(row)
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts
