"""Label runs across a cursor that really expired, under both `labelId` semantics.

Pins down: when the emulator keeps few history records (Google keeps history ids "at least a
week, sometimes only hours" and answers 404 after: Google, "Synchronize clients with Gmail"),
the next run finds the stored cursor gone without any injected fault, does a full pass that
labels the new mail once and leaves the rest as it was, and the run after that is incremental
and changes nothing. Label runs never filter history by label, so both `labelId` modes
(docs/gmail-facts.md, "History and change tracking") give the same result.
"""

from __future__ import annotations

import pytest

from gpanel.services.labels.run import run_labels
from tests.services.labels.test_run import seed
from tests.services.labels.world import enable, label_world
from tests.support.emulator import RunningEmulator


@pytest.mark.parametrize("mode", ["message", "thread"])
async def test_expired_cursor_full_pass_labels_once(
    db_url: str, emulator: RunningEmulator, mode: str
) -> None:
    """Retention 3, then a customer's mail and 5 strangers' mails: the cursor has expired, the
    full pass labels the customer's mail (and it alone); a second run is incremental, 0 moves."""
    emulator.control.put("/_emulator/history", json={"label_filter": mode}).raise_for_status()
    async with label_world(db_url, emulator) as world:
        _, recent, old = await seed(world)
        await enable(world)
        first = await run_labels(world.ctx, world.mailbox_id)
        assert first.status == "done"
        cust = world.gmail_box().labels.by_name("CRM/Customers").id
        assert cust in world.labels_of(recent) and cust not in world.labels_of(old)
        emulator.control.put("/_emulator/history", json={"retention": 3}).raise_for_status()
        fresh = world.add_message("cy@cust.example", days_ago=0)
        strangers = [world.add_message("x@elsewhere.example", days_ago=0) for _ in range(5)]
        report = await run_labels(world.ctx, world.mailbox_id)
        assert (report.status, report.kind) == ("done", "full")
        assert report.reason == "Gmail's change history expired"
        assert report.modified == 1
        assert cust in world.labels_of(fresh)
        assert all(cust not in world.labels_of(s) for s in strangers)
        again = await run_labels(world.ctx, world.mailbox_id)
        assert (again.kind, again.modified) == ("incremental", 0)
