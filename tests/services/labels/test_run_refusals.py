"""A label run under Google's concurrency refusals never moves its cursor past work it did not
finish: metadata parts refused on every try fail the run with the stored history id unchanged,
and the next run labels the message (docs/gmail-facts.md, "Per-user limits and concurrency").
"""

from __future__ import annotations

from gpanel.services.labels import state as labels_state
from gpanel.services.labels.run import run_labels
from tests.services.labels.test_run import seed
from tests.services.labels.world import enable, label_world
from tests.support.emulator import RunningEmulator


async def test_refused_parts_fail_the_run_and_keep_the_cursor(
    db_url: str, emulator: RunningEmulator
) -> None:
    """New mail from a customer, its metadata part refused on all 8 tries: the run fails, the
    cursor stays; once Gmail admits the part again the next run labels the mail."""
    async with label_world(db_url, emulator) as world:
        await seed(world)
        await enable(world)
        assert (await run_labels(world.ctx, world.mailbox_id)).status == "done"
        before = (await labels_state.get(world.ctx.engine, world.mailbox_id)).history_id
        fresh = world.add_message("cy@cust.example", days_ago=0)
        emulator.control.post(
            "/_emulator/faults",
            json={
                "user": world.email,
                "method": "gmail.users.messages.get",
                "kind": "429",
                "count": 8,
            },
        ).raise_for_status()
        failed = await run_labels(world.ctx, world.mailbox_id)
        assert failed.status == "failed"
        assert (await labels_state.get(world.ctx.engine, world.mailbox_id)).history_id == before
        cust = world.gmail_box().labels.by_name("CRM/Customers").id
        assert cust not in world.labels_of(fresh)
        again = await run_labels(world.ctx, world.mailbox_id)
        assert again.status == "done" and again.kind == "incremental"
        assert cust in world.labels_of(fresh)
        assert (await labels_state.get(world.ctx.engine, world.mailbox_id)).history_id != before
