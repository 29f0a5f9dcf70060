"""A label run reads at most 100 search hits to check them (one minute of a background job's
share of the 2026 budget: docs/gmail-facts.md, "Quota"); the rest wait for the next run, which
keeps the cursor until every hit has been checked and changed.

Pins down: 105 new messages from a customer: the first pass checks and labels 100 and leaves 5,
saving no cursor; the next pass is full again and does the 5; the one after is incremental and
changes nothing.
"""

from __future__ import annotations

from gpanel.services.labels import state as labels_state
from gpanel.services.labels.gather import MAX_CHECKS_PER_RUN
from gpanel.services.labels.run import run_labels
from tests.services.labels.test_run import seed
from tests.services.labels.world import enable, label_world
from tests.support.emulator import RunningEmulator


async def test_hits_beyond_the_check_limit_wait_for_the_next_run(
    db_url: str, emulator: RunningEmulator
) -> None:
    """100 + 5, then nothing; the cursor is saved only once all are done."""
    assert MAX_CHECKS_PER_RUN == 100
    async with label_world(db_url, emulator) as world:
        await seed(world)  # one recent message of Cy's, one outside the window
        for n in range(104):
            world.add_message("cy@cust.example", days_ago=1 + n / 1000)
        await enable(world)
        first = await run_labels(world.ctx, world.mailbox_id)
        assert (first.status, first.kind, first.modified, first.left) == ("done", "full", 100, 5)
        assert (await labels_state.get(world.ctx.engine, world.mailbox_id)).history_id is None
        second = await run_labels(world.ctx, world.mailbox_id)
        assert (second.kind, second.modified, second.left) == ("full", 5, 0)
        assert (await labels_state.get(world.ctx.engine, world.mailbox_id)).history_id
        third = await run_labels(world.ctx, world.mailbox_id)
        assert (third.kind, third.modified) == ("incremental", 0)
