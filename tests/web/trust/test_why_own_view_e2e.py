"""Issue 10, hole 7: "why isn't my email here?" answers about the asker's own view only. It
never names another user's personal block rule, and a colleague's thread the asker may not
see (private, or hidden by the owner's own block rule) gets exactly the answer of a thread
id that does not exist. The asker's own block rule is still named.
"""

from __future__ import annotations

from typing import Any

import httpx

from gpanel.services.sharing.policy import Audience, Detail
from tests.support.stack import Stack
from tests.web.panel_kit import EMAIL, MARIA, World, build, message


def _why(world: World, client: httpx.Client, q: str) -> tuple[Any, str]:
    resp = client.post(f"/api/records/contact/{world.records['maria']}/why", json={"q": q})
    assert resp.status_code == 200, resp.text[:300]
    return resp.json(), resp.text


def test_why_never_tells_what_is_not_the_askers(stack: Stack) -> None:
    """Ben blocks @soylent.example for himself and marks a thread private; Carla, who sees the
    rest of his mail, learns neither the rule nor that either thread exists."""
    world = build(stack, connect=["ben", "carla"])
    world.share("ben", Audience.RECORD_ACCESS, Detail.FULL)
    ben_mail = EMAIL["ben"]
    blocked = world.deliver(
        "ben", message(MARIA, [ben_mail], "Soylent thread", cc=["sam@soylent.example"])[0]
    )
    private = world.deliver("ben", message(MARIA, [ben_mail], "Private thread")[0])
    world.deliver("ben", message(MARIA, [ben_mail], "Open thread")[0])
    ben, carla = world.client("ben"), world.client("carla")
    assert ben.post("/api/blocks", json={"pattern": "@soylent.example"}).status_code == 201
    body = {"mailbox_id": world.mailbox["ben"], "thread_id": private["threadId"]}
    marked = ben.post(f"/api/records/contact/{world.records['maria']}/panel/private", json=body)
    assert marked.status_code == 200

    by_address, text = _why(world, carla, MARIA)
    assert "soylent" not in text.lower()
    assert [f["reason"] for f in by_address["findings"]] == ["shown"]  # the open thread only
    nothing, _ = _why(world, carla, "ZzNoSuchThread01")
    for hidden in (blocked, private):
        answer, text = _why(world, carla, hidden["threadId"])
        assert "soylent" not in text.lower()
        assert answer["findings"] == [] and answer["summary"] == nothing["summary"]
        assert answer["searched"] == nothing["searched"]

    # Ben's own view is explained in full, his own rule named.
    own, own_text = _why(world, ben, blocked["threadId"])
    assert [f["reason"] for f in own["findings"]] == ["blocked"] and "@soylent.example" in own_text
    # Carla's own rule is hers to see.
    assert carla.post("/api/blocks", json={"pattern": MARIA}).status_code == 201
    mine, _ = _why(world, carla, MARIA)
    assert mine["summary"].startswith(f"{MARIA} matches the block rule {MARIA}")
