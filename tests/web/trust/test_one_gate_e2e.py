"""Issue 10, hole 4: opening a thread by id is judged by the panel's own rules. A thread the
panel hides (spam, trash, a participant on the owner's or the org's block list, group mail over
the recipient limit) answers the same plain 404 on the thread page, the JSON API and the
attachment route, for a colleague who knows its id, while a thread the panel shows opens.
"""

from __future__ import annotations

from gpanel.services.sharing.policy import Audience, Detail
from tests.support.stack import Stack
from tests.web.panel_kit import EMAIL, MARIA, build, message, subjects
from tests.web.trust.trust_kit import add_hit, thread_json, thread_page


def test_a_known_thread_id_opens_only_what_the_panel_shows(stack: Stack) -> None:
    """Ben shares everything with everyone who can open Maria. Carla sees only his plain
    thread in the panel; every other thread of his, opened by id, is a 404 on every route."""
    world = build(stack, connect=["ben"])
    world.share("ben", Audience.RECORD_ACCESS, Detail.FULL)
    ben = EMAIL["ben"]
    shown = world.deliver("ben", message(MARIA, [ben], "Plain thread")[0])
    hidden = {
        "spam": world.deliver("ben", message(MARIA, [ben], "Spam thread")[0], ["SPAM"]),
        "trash": world.deliver("ben", message(MARIA, [ben], "Trash thread")[0], ["TRASH"]),
        "owner block": world.deliver(
            "ben", message(MARIA, [ben], "Vendor thread", cc=["bob@vendor.example"])[0]
        ),
        "org block": world.deliver(
            "ben", message(MARIA, [ben], "Rival thread", cc=["eve@rival.example"])[0]
        ),
        "group": world.deliver(
            "ben",
            message(
                MARIA,
                [ben],
                "Group thread",
                cc=[f"p{n}@crowd.example" for n in range(101)],
                attachment=("list.pdf", b"%PDF-1.4 crowd"),
            )[0],
        ),
    }
    ben_client, carla = world.client("ben"), world.client("carla")
    assert ben_client.post("/api/blocks", json={"pattern": "@vendor.example"}).status_code == 201
    org = world.client("alice").post(
        "/api/blocks", json={"pattern": "@rival.example", "org_wide": True}
    )
    assert org.status_code == 201
    assert subjects(world.threads(carla, "contact", "maria")) == ["Plain thread"]

    assert thread_json(world, carla, "ben", shown["threadId"]).status_code == 200
    assert thread_page(world, carla, "ben", shown["threadId"]).status_code == 200
    for why, sent in hidden.items():
        tid = sent["threadId"]
        answer = thread_json(world, carla, "ben", tid)
        assert answer.status_code == 404, f"{why}: the JSON API opened it"
        assert thread_page(world, carla, "ben", tid).status_code == 404, f"{why}: the page did"
        part = carla.get(
            f"/records/contact/{world.records['maria']}/threads/{world.mailbox['ben']}/{tid}"
            f"/attachments/{sent['id']}/p2"
        )
        assert part.status_code == 404, f"{why}: the attachment route answered"
        assert "Spam thread" not in answer.text and "Group thread" not in answer.text


def test_notifications_go_through_the_same_gate(stack: Stack) -> None:
    """Ben's MailMagnet list shows a hit only while the panel's rules would show its message:
    not once it sits in Spam or Trash, not when a participant is on his or the org's block
    list, not for group mail; the plain hit shows with its subject."""
    world = build(stack, connect=["ben"])
    ben = EMAIL["ben"]
    sent = {
        "plain": world.deliver("ben", message(MARIA, [ben], "Plain hit")[0]),
        "spam": world.deliver("ben", message(MARIA, [ben], "Spam hit")[0], ["SPAM"]),
        "trash": world.deliver("ben", message(MARIA, [ben], "Trash hit")[0], ["TRASH"]),
        "blocked": world.deliver(
            "ben", message(MARIA, [ben], "Vendor hit", cc=["bob@vendor.example"])[0]
        ),
        "group": world.deliver(
            "ben",
            message(MARIA, [ben], "Group hit", cc=[f"p{n}@crowd.example" for n in range(101)])[0],
        ),
    }
    for made in sent.values():
        add_hit(world, "ben", made["id"], made["threadId"], MARIA)
    client = world.client("ben")
    assert client.post("/api/blocks", json={"pattern": "@vendor.example"}).status_code == 201
    page = client.get("/notifications")
    assert page.status_code == 200
    assert f'data-message-id="{sent["plain"]["id"]}"' in page.text and "Plain hit" in page.text
    for name in ("spam", "trash", "blocked", "group"):
        assert f'data-message-id="{sent[name]["id"]}"' not in page.text, name
    assert "Spam hit" not in page.text and "Vendor hit" not in page.text
