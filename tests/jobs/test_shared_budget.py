"""The PostgreSQL quota budget: two processes' budgets (two engines) draw on one window per
mailbox; background calls stop at their share while interactive ones still fit; a charge that
cannot fit within the wait limit raises BudgetExhausted."""

from __future__ import annotations

import pytest

from gpanel.gmail import BudgetExhausted, Priority
from gpanel.services.ops.shared_budget import PostgresBudget
from gpanel.store.engine import create_engine


async def test_two_budgets_share_one_window(pg_url: str) -> None:
    """Units charged through one engine count against the other's limit."""
    one, two = create_engine(pg_url), create_engine(pg_url)
    no_wait = {Priority.INTERACTIVE: 0.0, Priority.BACKGROUND: 0.0}
    try:
        a = PostgresBudget(one, 1000, target_share=1.0, background_share=0.5, max_wait=no_wait)
        b = PostgresBudget(two, 1000, target_share=1.0, background_share=0.5, max_wait=no_wait)
        await a.acquire("7", 300, Priority.BACKGROUND)
        await b.acquire("7", 200, Priority.BACKGROUND)
        assert await a.used_now("7") == 500 and b.used("7") == 500
        with pytest.raises(BudgetExhausted):
            await a.acquire("7", 1, Priority.BACKGROUND)  # background share (500) is full
        await b.acquire("7", 400, Priority.INTERACTIVE)  # views still have room
        with pytest.raises(BudgetExhausted) as full:
            await a.acquire("7", 200, Priority.INTERACTIVE)
        assert full.value.retry_after is not None and 0 < full.value.retry_after <= 62
        await a.acquire("8", 900, Priority.INTERACTIVE)  # another mailbox is independent
    finally:
        await one.dispose()
        await two.dispose()
