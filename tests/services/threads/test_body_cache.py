"""The body renderer: bodies are sanitised in worker processes, once per message version
(concurrent views share one job, a new history id makes a new one), bodies over the size budget
never reach a worker, and while heavy bodies are being sanitised the event loop keeps running
(the loop's longest pause stays far below the time the work takes)."""

from __future__ import annotations

import asyncio
import time

from gpanel.services.threads.body_cache import BodyRenderer
from tests.mail.hostile_bodies import hostile_body


async def test_once_per_message_version() -> None:
    """Two concurrent views of a body run one job; the next view is served from memory; a
    changed history id sanitises again; the template equals what a direct sanitise gives."""
    bodies = BodyRenderer(10**8, 300, workers=1)
    try:
        source = '<p style="color:red">hi</p><img src="http://img.test/a.png">'
        first, second = await asyncio.gather(
            bodies.template((1, "m1", "100"), source), bodies.template((1, "m1", "100"), source)
        )
        assert first == second and bodies.jobs == 1
        assert first.html.startswith('<p style="color:red">hi</p><img src="https://')
        assert first.images == ("http://img.test/a.png",)
        await bodies.template((1, "m1", "100"), source)
        assert bodies.jobs == 1
        await bodies.template((1, "m1", "101"), source)
        assert bodies.jobs == 2
        bodies.forget_mailbox(1)
        await bodies.template((1, "m1", "101"), source)
        assert bodies.jobs == 3
    finally:
        bodies.close()


async def test_over_size_budget_never_reaches_a_worker() -> None:
    """A body longer than the size budget is marked over budget without a job."""
    bodies = BodyRenderer(10**8, 300, workers=1, max_chars=1000)
    try:
        template = await bodies.template((1, "big", "1"), "<p>" + "x" * 5000 + "</p>")
        assert template.over_budget and template.html == "" and bodies.jobs == 0
    finally:
        bodies.close()


async def test_event_loop_runs_while_heavy_bodies_are_sanitised() -> None:
    """Four 1.2 MB bodies of heavy inline CSS take seconds of CPU; meanwhile a ticker on the
    event loop never waits more than a fraction of that (on the loop itself, the old code,
    the ticker would stall for the whole of each body)."""
    bodies = BodyRenderer(10**8, 300, workers=1, max_seconds=60)
    gaps: list[float] = []
    done = asyncio.Event()

    async def ticker() -> None:
        last = time.monotonic()
        while not done.is_set():
            await asyncio.sleep(0.01)
            now = time.monotonic()
            gaps.append(now - last)
            last = now

    try:
        await bodies.template((9, "warm", "1"), "<p>start the worker</p>")
        tick = asyncio.create_task(ticker())
        started = time.monotonic()
        made = await asyncio.gather(
            *(bodies.template((9, f"m{i}", "1"), hostile_body(i)) for i in range(4))
        )
        took = time.monotonic() - started
        done.set()
        await tick
        assert all(not t.over_budget and t.html for t in made)
        assert took > 1.0, "the bodies were meant to be heavy"
        # On the loop, one body alone would pause it for about took / 4; off it, the pauses
        # are scheduling noise (the bound is relative: this machine is shared).
        assert max(gaps) < took / 8, (max(gaps), took)
    finally:
        bodies.close()
