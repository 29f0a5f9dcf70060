"""The record panel's Gmail traffic, read from the emulator's request log: a cold view is one
listing plus one metadata batch per mailbox, a warm view exactly one getProfile per mailbox,
a change in Gmail shows on the next view, and a mailbox that is rate limited or revoked
becomes a notice while the other mailboxes still show.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from gpanel.services.sharing.policy import Audience, Detail
from tests.support.stack import Stack
from tests.web.panel_kit import EMAIL, MARIA, World, build, message, subjects


def gmail_log(world: World) -> list[dict[str, Any]]:
    entries = world.stack.emulator.control.get("/_emulator/log").json()["entries"]
    return [e for e in entries if e["method_id"]]


def clear_log(world: World) -> None:
    world.stack.emulator.control.delete("/_emulator/log").raise_for_status()


def test_cold_then_warm_then_changed(stack: Stack) -> None:
    """Cold: per mailbox one getProfile, one threads.list, one messages.list, one labels.list
    and one messages.get per thread (batch parts: the 2026 plan reads each row's newest
    message with the record, services/panel/plan.py). Warm: exactly one getProfile per
    mailbox and nothing else. After a new message, the next view shows it, fetching only the
    thread that changed."""
    world = build(stack, connect=["ben", "carla"])
    world.share("ben", Audience.RECORD_ACCESS, Detail.FULL)
    for n in range(3):
        world.deliver("ben", message(MARIA, [EMAIL["ben"]], f"Ben {n}")[0])
        world.deliver("carla", message(MARIA, [EMAIL["carla"]], f"Carla {n}")[0])
    client = world.client("carla")
    clear_log(world)
    cold = world.threads(client, "contact", "maria")
    assert len(cold["threads"]) == 6
    log = gmail_log(world)
    per_user = Counter((e["user"], e["method_id"]) for e in log)
    for rep in ("ben", "carla"):
        user = EMAIL[rep]
        assert per_user[(user, "gmail.users.getProfile")] == 1
        assert per_user[(user, "gmail.users.threads.list")] == 1
        assert per_user[(user, "gmail.users.labels.list")] == 1
        assert per_user[(user, "gmail.users.messages.list")] == 1
        assert per_user[(user, "gmail.users.messages.get")] == 3
        assert per_user[(user, "gmail.users.threads.get")] == 0
    assert all(e["batch_part"] for e in log if e["method_id"] == "gmail.users.messages.get")

    clear_log(world)
    warm = world.threads(client, "contact", "maria")
    assert warm == cold
    assert sorted((e["user"], e["method_id"]) for e in gmail_log(world)) == [
        (EMAIL["ben"], "gmail.users.getProfile"),
        (EMAIL["carla"], "gmail.users.getProfile"),
    ]

    clear_log(world)
    world.deliver("ben", message(MARIA, [EMAIL["ben"]], "Fresh news")[0])
    changed = world.threads(client, "contact", "maria")
    assert subjects(changed)[0] == "Fresh news" and len(changed["threads"]) == 7
    ben_calls = Counter(e["method_id"] for e in gmail_log(world) if e["user"] == EMAIL["ben"])
    assert ben_calls["gmail.users.messages.get"] == 1  # only the new thread
    carla_calls = Counter(e["method_id"] for e in gmail_log(world) if e["user"] == EMAIL["carla"])
    assert carla_calls == Counter({"gmail.users.getProfile": 1})


def test_a_busy_or_revoked_mailbox_degrades_to_a_notice(stack: Stack) -> None:
    """Ben's mailbox answers 429 to everything, Alice revoked gpanel at Google: Carla's view
    still lists her own thread, with a notice for each of the other two; the JSON API says the
    same. The page does not fail."""
    world = build(stack, connect=["alice", "ben", "carla"])
    world.share("ben", Audience.RECORD_ACCESS, Detail.FULL)
    world.share("alice", Audience.RECORD_ACCESS, Detail.FULL)
    for rep in ("alice", "ben", "carla"):
        world.deliver(rep, message(MARIA, [EMAIL[rep]], f"Mail of {rep}")[0])
    control = world.stack.emulator.control
    control.post(
        "/_emulator/faults",
        json={"user": EMAIL["ben"], "method": "*", "kind": "429", "count": 1000},
    ).raise_for_status()
    control.post("/_emulator/oauth/revoke-user", json={"email": EMAIL["alice"]}).raise_for_status()
    client = world.client("carla")
    view = world.threads(client, "contact", "maria")
    assert subjects(view) == ["Mail of carla"]
    notices = {n["owner_name"]: (n["kind"], n["message"]) for n in view["notices"]}
    assert notices["Ben Okafor"] == ("busy", "Ben Okafor's mailbox is busy — retry in a moment.")
    assert notices["Alice Moreau"][0] == "reconnect"
    assert "needs reconnecting" in notices["Alice Moreau"][1]
    page = client.get(f"/records/contact/{world.records['maria']}/panel")
    assert page.status_code == 200 and "Mail of carla" in page.text and "is busy" in page.text
    # Alice herself is told her own mailbox needs reconnecting.
    own = world.threads(world.client("alice"), "contact", "maria")
    assert any(n["message"] == "Your mailbox needs reconnecting." for n in own["notices"])
    control.delete("/_emulator/faults").raise_for_status()
    assert "Mail of ben" in subjects(world.threads(client, "contact", "maria"))
