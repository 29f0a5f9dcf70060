"""Busy mailbox mode: historyId moves in the background, as in a real mailbox.

Source: docs/gmail-facts.md, "History and change tracking" (a real mailbox's historyId moves all
day: reads, drafts, mail that matches no record), from Google's *Synchronize clients with
Gmail* guide, which treats any historyId change as "look again". Pins down: with an interval
set, the mailbox gets unrelated mail, reads and drafts by itself, each recorded in history;
interval 0 stops it; reset restores quiet.
"""

from __future__ import annotations

import time

import httpx

from tests.support.emulator import RunningEmulator


def _history_id(gmail: httpx.Client) -> int:
    return int(gmail.get("/profile").json()["historyId"])


def test_history_moves_by_itself_and_stops(users: RunningEmulator, gmail: httpx.Client) -> None:
    """interval 30 ms: within a second the historyId moves, with mail added and UNREAD removed
    in history; after interval 0 it stays put."""
    start = _history_id(gmail)
    assert users.control.put("/_emulator/busy", json={"interval_ms": 30}).json() == {
        "interval_ms": 30.0
    }
    deadline = time.monotonic() + 3
    while _history_id(gmail) < start + 6 and time.monotonic() < deadline:
        time.sleep(0.05)
    users.control.put("/_emulator/busy", json={"interval_ms": 0}).raise_for_status()
    time.sleep(0.1)  # a step already under way finishes
    history = gmail.get("/history", params={"startHistoryId": start}).json()["history"]
    added = [m for h in history for m in h.get("messagesAdded", [])]
    read = [m for h in history for m in h.get("labelsRemoved", []) if "UNREAD" in m["labelIds"]]
    drafts = [m for m in added if "DRAFT" in m["message"].get("labelIds", [])]
    assert added and read and drafts
    settled = _history_id(gmail)
    time.sleep(0.3)
    assert _history_id(gmail) == settled
    assert users.control.put("/_emulator/busy", json={"interval_ms": -1}).status_code == 400
    users.control.post("/_emulator/reset").raise_for_status()
    assert users.control.get("/_emulator/busy").json() == {"interval_ms": 0.0}
