"""The embedded scheduler inside `gpanel serve` (the app's lifespan), on both engines: a
mailbox with MailMagnet on gets its first cursor without anyone asking, new mail from a contact
becomes a hit within a few poll intervals, and a run triggered while one is in flight is
coalesced rather than run twice at once."""

from __future__ import annotations

import asyncio

from gpanel.jobs.embedded import EmbeddedScheduler, tick_seconds
from gpanel.store.tables import magnet_hits, mailbox_jobs
from tests.jobs.support import (
    ALICE,
    CONTACT,
    STRANGER,
    enable_magnet,
    magnet_world,
    mail_from,
    seed_stack_people,
    wait_for,
)
from tests.support.emulator import RunningEmulator
from tests.support.stack import run_stack


def test_serve_polls_and_stores_hits(db_url: str) -> None:
    """With only the web app running, a contact's new mail becomes a hit; a stranger's not."""
    with run_stack(db_url, magnet_poll_seconds="1") as stack:
        seed_stack_people(db_url)
        box = stack.connect_direct(ALICE)
        enable_magnet(db_url, box)
        wait_for(lambda: any(r.magnet_history_id for r in stack.rows(mailbox_jobs)))
        message = stack.emulator.insert(ALICE, mail_from(CONTACT))
        stack.emulator.insert(ALICE, mail_from(STRANGER))
        wait_for(lambda: len(stack.rows(magnet_hits)) == 1)
        assert stack.rows(magnet_hits)[0].message_id == message["id"]


class Intervals:
    def __init__(self) -> None:
        self.open: dict[tuple[str, int], int] = {}
        self.max_parallel = 0
        self.runs = 0

    def started(self, job: str, mailbox_id: int) -> None:
        key = (job, mailbox_id)
        self.open[key] = self.open.get(key, 0) + 1
        self.max_parallel = max(self.max_parallel, self.open[key])
        self.runs += 1

    def finished(self, job: str, mailbox_id: int, ok: bool) -> None:
        self.open[(job, mailbox_id)] -= 1


async def test_triggers_coalesce_and_never_overlap(db_url: str, emulator: RunningEmulator) -> None:
    """Ten triggers during a slow run give one follow-up run, never two runs at once."""
    emulator.add_user(ALICE)
    seen = Intervals()
    async with magnet_world(db_url, emulator.url, observer=seen) as w:
        scheduler = EmbeddedScheduler(w.ctx, tick=3600)
        emulator.control.put("/_emulator/latency", json={"latency_ms": 150})
        try:
            await scheduler.trigger("magnet", w.mailbox_id)
            await asyncio.sleep(0.05)
            for _ in range(10):
                await scheduler.trigger("magnet", w.mailbox_id)
            await scheduler.idle()
        finally:
            await scheduler.stop()
        assert seen.max_parallel == 1
        assert seen.runs == 2


def test_tick_interval_follows_poll_interval() -> None:
    """The scheduler looks several times per poll interval, between 0.5 s and 5 s."""
    assert tick_seconds(60) == 5.0
    assert tick_seconds(5) == 1.0
    assert tick_seconds(1) == 0.5
