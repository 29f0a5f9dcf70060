"""The record panel on a busy mailbox: the historyId moves all day without relevant mail.

docs/gmail-facts.md, "History and change tracking": a real mailbox's historyId moves with
reads, drafts and unrelated mail, so a moved id means "look again", never "something relevant
happened". Pins down, with the emulator's busy mode on: a warm view lists the same threads as
the cold one, and fetches again only the record's threads whose own historyId moved (a
background read may touch one), never the others.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from tests.support.stack import Stack
from tests.web.panel_kit import EMAIL, MARIA, World, build, message


def gmail_log(world: World) -> list[dict[str, Any]]:
    entries = world.stack.emulator.control.get("/_emulator/log").json()["entries"]
    return [e for e in entries if e["method_id"]]


def thread_history(world: World, thread_ids: list[str]) -> dict[str, int]:
    box = world.stack.emulator.state.mailbox(EMAIL["carla"])
    with world.stack.emulator.state.lock:
        return {t: box.thread_history_id(t) for t in thread_ids}


def test_warm_view_on_a_busy_mailbox_refetches_only_moved_threads(stack: Stack) -> None:
    """Five threads of Maria; busy mode runs for a while between a cold and a warm view."""
    world = build(stack, connect=["carla"])
    for n in range(5):
        world.deliver("carla", message(MARIA, [EMAIL["carla"]], f"Maria {n}")[0])
    client = world.client("carla")
    cold = world.threads(client, "contact", "maria")
    ids = sorted(t["thread_id"] for t in cold["threads"])
    before = thread_history(world, ids)
    control = stack.emulator.control
    start = int(control.get("/_emulator/users").json()["users"][0]["historyId"])
    control.put("/_emulator/busy", json={"interval_ms": 20}).raise_for_status()
    time.sleep(0.5)
    control.put("/_emulator/busy", json={"interval_ms": 0}).raise_for_status()
    time.sleep(0.1)
    users = control.get("/_emulator/users").json()["users"]
    assert max(int(u["historyId"]) for u in users) > start + 5  # the mailbox did move
    moved = {t for t, h in thread_history(world, ids).items() if h != before[t]}
    control.delete("/_emulator/log").raise_for_status()
    warm = world.threads(client, "contact", "maria")
    assert sorted(t["thread_id"] for t in warm["threads"]) == ids and warm["notices"] == []
    calls = Counter(e["method_id"] for e in gmail_log(world) if e["user"] == EMAIL["carla"])
    assert calls["gmail.users.messages.get"] == len(moved)  # rows read by their newest message
    assert calls["gmail.users.threads.list"] == 1
