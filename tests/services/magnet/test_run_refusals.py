"""MailMagnet under Google's concurrency refusals: parts refused past every retry fail the run
without moving its cursor, and the next run announces each hit exactly once; refusals that
clear within the retries cost nothing but a retry (docs/gmail-facts.md, "Per-user limits and
concurrency": Google refuses batch parts beyond the mailbox's limit with 429).
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from gpanel.services.magnet import run as magnet
from gpanel.store.tables import magnet_hits, mailbox_jobs
from tests.jobs.support import ALICE, CONTACT, LEAD, magnet_world, mail_from
from tests.support.emulator import RunningEmulator


@pytest.fixture
def alice(emulator: RunningEmulator) -> RunningEmulator:
    emulator.add_user(ALICE, "Alice Archer")
    return emulator


async def _cursor(world: magnet.AppContext, mailbox_id: int) -> str | None:
    async with world.engine.connect() as conn:
        row = (
            await conn.execute(
                select(mailbox_jobs.c.magnet_history_id).where(
                    mailbox_jobs.c.mailbox_id == mailbox_id
                )
            )
        ).one()
        return row[0]


async def _hit_ids(world: magnet.AppContext) -> list[str]:
    async with world.engine.connect() as conn:
        return sorted(str(r[0]) for r in await conn.execute(select(magnet_hits.c.message_id)))


def refuse(emulator: RunningEmulator, count: int) -> None:
    emulator.control.post(
        "/_emulator/faults",
        json={"user": ALICE, "method": "gmail.users.messages.get", "kind": "429", "count": count},
    ).raise_for_status()


async def test_parts_refused_past_every_retry_leave_the_cursor_where_it_was(
    db_url: str, alice: RunningEmulator
) -> None:
    """Two new messages, both parts refused on all 8 tries: the run fails, the cursor stays,
    no hit is stored; the next run announces both, once."""
    async with magnet_world(db_url, alice.url) as w:
        await magnet.run_magnet(w.ctx, w.mailbox_id)
        before = await _cursor(w.ctx, w.mailbox_id)
        ids = [
            alice.insert(ALICE, mail_from(CONTACT))["id"],
            alice.insert(ALICE, mail_from(LEAD))["id"],
        ]
        refuse(alice, 2 * 8)
        failed = await magnet.run_magnet(w.ctx, w.mailbox_id)
        assert failed.status == "failed"
        assert await _cursor(w.ctx, w.mailbox_id) == before
        assert await _hit_ids(w.ctx) == []
        again = await magnet.run_magnet(w.ctx, w.mailbox_id)
        assert again.status == "checked" and sorted(h.message_id for h in again.new_hits) == sorted(
            ids
        )
        assert await _cursor(w.ctx, w.mailbox_id) != before
        assert await _hit_ids(w.ctx) == sorted(ids)
        assert (await magnet.run_magnet(w.ctx, w.mailbox_id)).new_hits == []


async def test_refusals_within_the_retries_lose_nothing(
    db_url: str, alice: RunningEmulator
) -> None:
    """Parts refused on the first two tries are retried: the same run stores both hits."""
    async with magnet_world(db_url, alice.url) as w:
        await magnet.run_magnet(w.ctx, w.mailbox_id)
        ids = [
            alice.insert(ALICE, mail_from(CONTACT))["id"],
            alice.insert(ALICE, mail_from(LEAD))["id"],
        ]
        refuse(alice, 4)
        result = await magnet.run_magnet(w.ctx, w.mailbox_id)
        assert result.status == "checked" and sorted(
            h.message_id for h in result.new_hits
        ) == sorted(ids)
