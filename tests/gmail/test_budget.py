"""The per-mailbox quota budget: rolling minute, two priorities, waiting and refusing."""

from __future__ import annotations

import asyncio

import pytest

from gpanel.gmail.budget import InProcessBudget, Priority
from gpanel.gmail.errors import BudgetExhausted
from tests.gmail.fakes import FakeTime


def _budget(t: FakeTime, **kw) -> InProcessBudget:
    return InProcessBudget(1000, clock=t.clock, sleep=t.sleep, **kw)


async def test_interactive_may_use_the_target_background_only_its_share():
    """Target is 80% of the per-user budget; background stops at half of that."""
    t = FakeTime()
    budget = _budget(t, max_wait={Priority.INTERACTIVE: 0.0, Priority.BACKGROUND: 0.0})
    assert budget.limits == {Priority.INTERACTIVE: 800, Priority.BACKGROUND: 400}
    await budget.acquire("mb", 400, Priority.BACKGROUND)
    with pytest.raises(BudgetExhausted) as info:
        await budget.acquire("mb", 1, Priority.BACKGROUND)
    assert info.value.retry_after == pytest.approx(60.0)
    # The view still gets through: jobs never starve it.
    await budget.acquire("mb", 400, Priority.INTERACTIVE)
    with pytest.raises(BudgetExhausted):
        await budget.acquire("mb", 1, Priority.INTERACTIVE)
    # Other mailboxes have their own budget.
    await budget.acquire("other", 400, Priority.BACKGROUND)


async def test_background_waits_for_the_window_to_roll():
    """A background call that does not fit waits until old charges leave the minute."""
    t = FakeTime()
    budget = _budget(t)
    await budget.acquire("mb", 300, Priority.BACKGROUND)
    t.now += 20
    await budget.acquire("mb", 100, Priority.BACKGROUND)
    await budget.acquire("mb", 250, Priority.BACKGROUND)  # must wait for the first 300 to go
    assert t.delays == [pytest.approx(40.0)]
    assert budget.used("mb") == 350


async def test_waits_longer_than_max_wait_are_refused_at_once():
    """An interactive call refuses rather than wait past its max_wait (10 s by default)."""
    t = FakeTime()
    budget = _budget(t)
    await budget.acquire("mb", 800, Priority.INTERACTIVE)
    with pytest.raises(BudgetExhausted):
        await budget.acquire("mb", 10, Priority.INTERACTIVE)
    assert t.delays == []


async def test_a_call_larger_than_the_limit_runs_on_an_empty_window():
    """One oversized charge is let through when nothing else is in the window."""
    t = FakeTime()
    budget = _budget(t)
    await budget.acquire("mb", 2000, Priority.BACKGROUND)
    assert budget.used("mb") == 2000


async def test_idle_mailboxes_are_forgotten():
    """Memory follows activity: a mailbox idle for a minute holds no state."""
    t = FakeTime()
    budget = _budget(t)
    await budget.acquire("mb", 5, Priority.INTERACTIVE)
    t.now += 61
    assert budget.used("mb") == 0
    assert "mb" not in budget._charges


async def test_interactive_proceeds_while_background_waits():
    """With the background share spent, a job waits while a view call goes straight through."""
    t = FakeTime()
    gate = asyncio.Event()

    async def held_sleep(seconds: float) -> None:
        t.delays.append(seconds)
        await gate.wait()
        t.now += seconds

    budget = InProcessBudget(1000, clock=t.clock, sleep=held_sleep)
    await budget.acquire("mb", 400, Priority.BACKGROUND)
    job = asyncio.create_task(budget.acquire("mb", 50, Priority.BACKGROUND))
    await asyncio.sleep(0)
    assert not job.done()
    await budget.acquire("mb", 50, Priority.INTERACTIVE)
    assert not job.done()
    gate.set()
    await job
    assert t.delays == [pytest.approx(60.0)]
