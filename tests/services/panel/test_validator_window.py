"""The validator window (services/panel/fetch.py, `PanelFetcher.history_id`): one getProfile
answer validates a mailbox's kept reads for other views for `GPANEL_PANEL_VALIDATOR_WINDOW_MS`,
never across a write gpanel made to that mailbox, against the emulator over HTTP."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from gpanel.crm.models import RecordType
from gpanel.gmail import Priority
from tests.services.panel.kept_world import MARIA, kept_world
from tests.support.emulator import RunningEmulator


def profiles(emulator: RunningEmulator) -> Counter[str]:
    entries = emulator.control.get("/_emulator/log").json()["entries"]
    calls = Counter(e["user"] for e in entries if e["method_id"] == "gmail.users.getProfile")
    emulator.control.delete("/_emulator/log").raise_for_status()
    return calls


async def test_views_within_the_window_share_one_answer(
    db_url: str, emulator: RunningEmulator
) -> None:
    async with kept_world(db_url, emulator, panel_validator_window_ms="1000") as world:
        view = await world.view(world.ctx, "alice", RecordType.CONTACT, "maria")
        assert len(view.rows) == 15
        profiles(emulator)
        for _ in range(5):
            again = await world.view(world.ctx, "alice", RecordType.CONTACT, "maria")
            assert again.rows == view.rows
        assert profiles(emulator) == Counter()  # within the window: Gmail not asked
        await asyncio.sleep(1.1)
        await world.view(world.ctx, "alice", RecordType.CONTACT, "maria")
        assert sum(profiles(emulator).values()) == 5  # the window over: every mailbox asked


async def test_a_write_by_gpanel_ends_the_window_for_that_mailbox(
    db_url: str, emulator: RunningEmulator
) -> None:
    """Carla marks a thread read through gpanel: the next view asks Gmail for her mailbox (and
    only hers) and shows it read, inside the window."""
    async with kept_world(db_url, emulator, panel_validator_window_ms="5000") as world:
        carla = world.people["carla"]
        view = await world.view(world.ctx, "carla", RecordType.CONTACT, "maria")
        mine = next(r for r in view.rows if r.mine and r.unread)
        profiles(emulator)
        client = world.ctx.gmail.mailbox(str(world.mailbox["carla"]), priority=Priority.INTERACTIVE)
        await client.modify_thread(mine.thread_id, add=[], remove=["UNREAD"])
        after = await world.view(world.ctx, "carla", RecordType.CONTACT, "maria")
        assert next(r for r in after.rows if r.thread_id == mine.thread_id).unread is False
        assert profiles(emulator) == Counter({carla.email: 1})


async def test_a_change_behind_gpanels_back_shows_once_the_window_ends(
    db_url: str, emulator: RunningEmulator
) -> None:
    """Mail that arrives while the window runs is the trade: it shows on the first view after
    the window, never later."""
    async with kept_world(db_url, emulator, panel_validator_window_ms="1000") as world:
        before = await world.view(world.ctx, "alice", RecordType.CONTACT, "maria")
        world.deliver("ben", MARIA, world.people["ben"].email)
        within = await world.view(world.ctx, "alice", RecordType.CONTACT, "maria")
        assert len(within.rows) == len(before.rows)  # at most one window late
        await asyncio.sleep(1.1)
        after: Any = await world.view(world.ctx, "alice", RecordType.CONTACT, "maria")
        assert len(after.rows) == len(before.rows) + 1
