"""The panel's plan by cost (services/panel/plan.py), end to end against the strict emulator in
the 2026 regime (docs/gmail-facts.md, "Quota": threads.get 40 units, messages.get 20,
messages.list 5, threads.list 10, getProfile and labels.list 1).

Pins down: a cold view of a 20-row record costs at most 480 units (each row read by its newest
message with the record, never the whole thread); a warm view with nothing changed costs one
unit; after one new message, only that row is read again. And the partial read stays correct
where a message outside the record's own decides: a thread whose later reply went to a blocked
address, and a thread whose older message carries the owner's private label, are read whole
(the guard searches find them) and stay hidden exactly as before.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from sqlalchemy import insert

from gpanel.services.sharing.policy import Audience, Detail
from gpanel.store.tables import private_labels
from tests.support.stack import Stack
from tests.web.panel_kit import EMAIL, MARIA, World, build, db, message

TARGET_UNITS = 480  # issue 11: a cold 20-row record in the 2026 regime


def gmail_log(world: World) -> list[dict[str, Any]]:
    entries = world.stack.emulator.control.get("/_emulator/log").json()["entries"]
    return [e for e in entries if e["method_id"]]


def clear_log(world: World) -> None:
    world.stack.emulator.control.delete("/_emulator/log").raise_for_status()


def units(log: list[dict[str, Any]]) -> int:
    return sum(int(e["quota_cost"]) for e in log)


def test_cold_20_rows_within_480_units_warm_one_unit_changed_one_row(stack: Stack) -> None:
    world = build(stack, connect=["carla"])
    first: list[str] = []
    for n in range(20):
        raw, mid = message(MARIA, [EMAIL["carla"]], f"Order {n}")
        world.deliver("carla", raw)
        first.append(mid)
    client = world.client("carla")
    clear_log(world)
    cold = world.threads(client, "contact", "maria")
    assert len(cold["threads"]) == 20 and cold["notices"] == []
    log = gmail_log(world)
    calls = Counter(e["method_id"] for e in log)
    assert calls["gmail.users.threads.get"] == 0 and calls["gmail.users.messages.get"] == 20
    assert units(log) <= TARGET_UNITS, calls
    assert all(not row["whole"] and row["count"] == 1 for row in cold["threads"])

    clear_log(world)
    assert world.threads(client, "contact", "maria") == cold
    assert units(gmail_log(world)) == 1  # one getProfile

    clear_log(world)
    world.deliver("carla", message(EMAIL["carla"], [MARIA], "Re: Order 3", reply_to=first[3])[0])
    changed = world.threads(client, "contact", "maria")
    calls = Counter(e["method_id"] for e in gmail_log(world))
    assert calls["gmail.users.messages.get"] == 1 and calls["gmail.users.threads.get"] == 0
    top = changed["threads"][0]
    assert top["subject"] == "Order 3" and top["count"] == 2 and not top["whole"]


def test_a_reply_to_a_blocked_address_outside_the_records_mail_still_hides(stack: Stack) -> None:
    """Maria writes to Carla; Carla forwards in the same thread to a lawyer Maria never sees,
    and blocks the lawyer's domain. The newest message with Maria shows nothing blocked, but
    the guard search finds the thread: it is read whole and hidden, as the whole-thread plan
    hid it; a thread without the lawyer still shows, read by its newest message."""
    world = build(stack, connect=["carla"])
    carla = EMAIL["carla"]
    raw, mid = message(MARIA, [carla], "Contract terms")
    world.deliver("carla", raw)
    world.deliver(
        "carla", message(carla, ["counsel@lawfirm.example"], "Fwd: Contract terms", reply_to=mid)[0]
    )
    world.deliver("carla", message(MARIA, [carla], "Lunch")[0])
    client = world.client("carla")
    resp = client.post("/api/blocks", json={"pattern": "@lawfirm.example"})
    assert resp.status_code == 201, resp.text
    clear_log(world)
    view = world.threads(client, "contact", "maria")
    assert [t["subject"] for t in view["threads"]] == ["Lunch"]
    calls = Counter(e["method_id"] for e in gmail_log(world))
    assert calls["gmail.users.threads.get"] == 1 and calls["gmail.users.messages.get"] == 1


def test_a_private_label_on_an_older_message_still_hides_from_colleagues(stack: Stack) -> None:
    """Ben keeps the label "Family" private; only the thread's first message carries it (the
    reply arrived after he labelled it). Carla, to whom Ben shares everything, must not see the
    thread though its newest message is unlabelled; Ben sees it."""
    world = build(stack, connect=["ben"])
    world.share("ben", Audience.RECORD_ACCESS, Detail.FULL)
    ben = EMAIL["ben"]
    raw, mid = message(MARIA, [ben], "Family dinner")
    sent = world.deliver("ben", raw)
    emulator: Any = world.stack.emulator
    box = emulator.state.mailbox(ben)
    with emulator.state.lock:
        label = str(box.labels.create({"name": "Family"}).id)
        box.modify(sent["id"], [label], [])
    world.deliver("ben", message(ben, [MARIA], "Re: Family dinner", reply_to=mid)[0])
    world.deliver("ben", message(MARIA, [ben], "Quote")[0])

    async def keep_private(engine: Any) -> None:
        async with engine.begin() as conn:
            await conn.execute(
                insert(private_labels).values(
                    mailbox_id=world.mailbox["ben"],
                    label_id=label,
                    label_name="Family",
                    created_at=dt.datetime.now(dt.UTC),
                )
            )

    db(world.stack, keep_private)
    seen = world.threads(world.client("carla"), "contact", "maria")
    assert [t["subject"] for t in seen["threads"]] == ["Quote"]
    own = world.threads(world.client("ben"), "contact", "maria")
    rows = {t["subject"]: t for t in own["threads"]}
    assert set(rows) == {"Quote", "Family dinner"}
    assert rows["Family dinner"]["whole"]  # the guard found the label: read whole
    assert rows["Family dinner"]["count"] == 2
