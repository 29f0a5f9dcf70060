"""The streamed panel (`?fragment=1&stream=1`, the embed page) over real HTTP: what each part
may show, and who may ask.

- Dev (another team) may not open Carla's record: 403 before any part is sent, on the
  streamed fragment and the embed page alike.
- With Ben's mailbox held by the emulator's `slow` fault, Carla's first part shows her own row
  and says it is still reading Ben's mailbox; the last part shows both rows.
- An unlink in a mailbox still loading holds the parts back: Maria's joint message, unlinked
  from her record in Ben's mailbox, must never show in Carla's copy either (one conversation,
  hidden if unlinked in any mailbox), so no early part is sent and no part names it.
"""

from __future__ import annotations

from gpanel.services.sharing.policy import Audience, Detail
from tests.support.stack import Stack
from tests.web.panel_kit import EMAIL, MARIA, World, build, message

PART_END = "<!--/panel-part-->"


def parts(world: World, rep: str, path: str) -> list[str]:
    body = world.client(rep).get(path)
    assert body.status_code == 200, body.text
    return [p for p in body.text.split(PART_END) if "panel-body" in p]


def test_streamed_parts_forbidden_first_then_rows_as_they_arrive(stack: Stack) -> None:
    world = build(stack, connect=["carla", "ben"])
    world.share("ben", Audience.RECORD_ACCESS, Detail.FULL)
    world.deliver("carla", message(MARIA, [EMAIL["carla"]], "Carla hello")[0])
    world.deliver("ben", message(MARIA, [EMAIL["ben"]], "Ben hello")[0])
    maria = world.records["maria"]
    fragment = f"/records/contact/{maria}/panel?fragment=1&stream=1"
    dev = world.client("dev")
    assert dev.get(fragment).status_code == 403
    assert dev.get(f"/embed/contact/{maria}").status_code == 403

    world.hold("ben", 800)
    got = parts(world, "carla", fragment)
    assert len(got) == 2
    assert "Carla hello" in got[0] and "Ben hello" not in got[0]
    assert "Still reading Ben Okafor" in got[0]
    assert "Carla hello" in got[1] and "Ben hello" in got[1] and "Still reading" not in got[1]


def test_an_unlink_in_a_loading_mailbox_holds_the_parts_back(stack: Stack) -> None:
    world = build(stack, connect=["carla", "ben"])
    world.share("ben", Audience.RECORD_ACCESS, Detail.FULL)
    raw, _ = message(MARIA, [EMAIL["ben"], EMAIL["carla"]], "Joint update", "For both")
    sent = world.deliver("ben", raw)
    world.deliver("carla", raw)
    maria = world.records["maria"]
    ben = world.client("ben")
    body = {"mailbox_id": world.mailbox["ben"], "thread_id": sent["threadId"]}
    assert ben.post(f"/api/records/contact/{maria}/panel/unlink", json=body).status_code == 200
    for path in (f"/records/contact/{maria}/panel?fragment=1&stream=1", f"/embed/contact/{maria}"):
        world.deliver("ben", message(MARIA, [EMAIL["ben"]], f"Moves {path}")[0])  # re-list
        world.hold("ben", 800)
        got = parts(world, "carla", path)
        assert len(got) == 1, path  # only the final view
        assert "Joint update" not in "".join(got), path
