"""Follow-up reminders and the bell's sending notices, over real HTTP against the emulator.

"Remind me if no reply in N days" keeps a row of ids and a due date only. When due, the
`follow_ups` job reads the thread live: with no message from anyone else after the one sent
(Ben's own second message does not count), the owner's bell counts it until the notifications
page shows it; when Carla replied in the thread (sent through gpanel from her own mailbox, so
the emulator threads it as Gmail does), the reminder is `replied` and nothing rings. A send
later keeps its reminder until it goes. A scheduled message whose draft was deleted in Gmail
rings the bell too (the live stream says so). Bad `remind_days` are 422; a reminder is
cancelled only by its owner.
"""

from __future__ import annotations

import datetime as dt
import json
import time

import httpx
import pytest
from sqlalchemy import update

from gpanel.jobs.runner import run_global_job
from gpanel.store.tables import follow_ups, mailboxes
from tests.support.stack import Stack, csrf
from tests.web.sending.kit import messages, post, with_ctx
from tests.web.thread_support import BEN, CARLA, PAT, World, build_world, db

SEND = "/api/mail/send"


@pytest.fixture
def world(stack: Stack) -> World:
    return build_world(stack)


def _make_due(world: World) -> None:
    """Time passes: every waiting reminder's day has come."""

    async def go(engine: object) -> None:
        past = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
        async with engine.begin() as conn:  # type: ignore[attr-defined]
            await conn.execute(
                update(follow_ups).where(follow_ups.c.state == "waiting").values(due_at=past)
            )

    db(world.stack, go)


def _bell(client: httpx.Client) -> dict[str, object]:
    answer = client.get("/notifications/count")
    assert answer.status_code == 200
    return dict(answer.json())


def _states(world: World) -> list[str]:
    return [r.state for r in world.stack.rows(follow_ups)]


def _run(world: World) -> object:
    return with_ctx(world.stack, lambda ctx: run_global_job(ctx, "follow_ups"))


def test_no_reply_rings_the_bell_until_seen(world: World) -> None:
    sent = post(world, SEND, {"to": [PAT], "subject": "Quote", "text": "x", "remind_days": 3})
    assert sent.status_code == 201, sent.text
    (row,) = world.stack.rows(follow_ups)
    assert (row.thread_id, row.sent_message_id) == (
        sent.json()["thread_id"],
        sent.json()["message_id"],
    )
    due = row.due_at if row.due_at.tzinfo else row.due_at.replace(tzinfo=dt.UTC)
    assert dt.timedelta(days=2, hours=23) < due - dt.datetime.now(dt.UTC) <= dt.timedelta(days=3)
    listed = world.ben.get("/api/mail/follow-ups").json()
    assert [x["state"] for x in listed] == ["waiting"] and "subject" not in listed[0]
    _run(world)
    assert _states(world) == ["waiting"]  # not due yet
    # Ben writes again in the thread himself: that is no reply.
    again = {
        "text": "Any news?",
        "reply_to": {
            "mailbox_id": world.mailbox_id,
            "thread_id": sent.json()["thread_id"],
            "message_id": sent.json()["message_id"],
            "mode": "reply",
        },
    }
    assert post(world, SEND, again).status_code == 201
    assert _bell(world.ben)["unread"] == 0
    _make_due(world)
    _run(world)
    assert _states(world) == ["notified"]
    bell = _bell(world.ben)
    assert bell["unread"] == 1 and bell["sending"] == 1
    assert _bell(world.carla).get("sending", 0) == 0  # only the owner's bell
    page = world.ben.get("/notifications")
    assert "No reply yet to 1 message" in page.text and sent.json()["thread_id"] in page.text
    assert _bell(world.ben)["unread"] == 0 and _states(world) == ["seen"]
    _run(world)
    assert _states(world) == ["seen"]  # told once


def test_a_reply_cancels_the_reminder(world: World) -> None:
    world.stack.connect(world.carla, CARLA)
    sent = post(world, SEND, {"to": [CARLA], "subject": "Meet?", "text": "x", "remind_days": 2})
    assert sent.status_code == 201, sent.text
    (received,) = messages(world.stack, CARLA, "INBOX")
    answer = world.carla.post(
        SEND,
        json={
            "text": "Yes, Tuesday.",
            "reply_to": {
                "mailbox_id": _mailbox_id(world, CARLA),
                "thread_id": received.thread_id,
                "message_id": received.id,
                "mode": "reply",
            },
        },
        headers={"X-CSRF-Token": csrf(world.carla)},
    )
    assert answer.status_code == 201, answer.text
    ben_thread = [m for m in messages(world.stack, BEN) if m.thread_id == sent.json()["thread_id"]]
    assert len(ben_thread) == 2  # Carla's reply joined Ben's thread
    _make_due(world)
    _run(world)
    assert _states(world) == ["replied"]
    assert _bell(world.ben)["unread"] == 0
    assert "No reply yet" not in world.ben.get("/notifications").text


def _mailbox_id(world: World, email: str) -> int:
    return int(next(r.id for r in world.stack.rows(mailboxes) if r.email == email))


def test_send_later_keeps_its_reminder_until_it_goes(world: World) -> None:
    soon = (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)).isoformat()
    body = {"to": [PAT], "subject": "Later", "text": "x", "send_at": soon, "remind_days": 5}
    assert post(world, SEND, body).status_code == 201
    assert world.stack.rows(follow_ups) == []
    time.sleep(1.2)
    with_ctx(world.stack, lambda ctx: run_global_job(ctx, "send_due"))
    (out,) = messages(world.stack, BEN, "SENT")
    (row,) = world.stack.rows(follow_ups)
    assert (row.thread_id, row.sent_message_id, row.state) == (out.thread_id, out.id, "waiting")


def test_bad_days_and_cancelling(world: World) -> None:
    for days in (0, 91, "3", True, 1.5):
        answer = post(world, SEND, {"to": [PAT], "subject": "x", "text": "x", "remind_days": days})
        assert answer.status_code == 422, (days, answer.text)
    assert messages(world.stack, BEN, "SENT") == []
    assert (
        post(world, SEND, {"to": [PAT], "subject": "x", "text": "x", "remind_days": 1}).status_code
        == 201
    )
    (row,) = world.stack.rows(follow_ups)
    path = f"/api/mail/follow-ups/{row.id}"
    world.stack.connect(world.carla, CARLA)
    assert world.carla.delete(path, headers={"X-CSRF-Token": csrf(world.carla)}).status_code == 404
    assert world.ben.delete(path, headers={"X-CSRF-Token": csrf(world.ben)}).status_code == 204
    assert world.ben.delete(path, headers={"X-CSRF-Token": csrf(world.ben)}).status_code == 404
    _make_due(world)
    _run(world)
    assert _states(world) == ["cancelled"]


def test_a_vanished_scheduled_draft_rings_the_bell(world: World) -> None:
    soon = (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)).isoformat()
    held = post(world, SEND, {"to": [PAT], "subject": "Gone", "text": "x", "send_at": soon})
    draft_id = held.json()["draft_id"]
    gmail = httpx.Client(
        base_url=f"{world.stack.emulator.url}/gmail/v1/users/me",
        headers={"Authorization": f"Bearer {world.stack.emulator.token(BEN)}"},
    )
    assert gmail.delete(f"/drafts/{draft_id}").status_code == 204
    assert _bell(world.ben)["unread"] == 0
    time.sleep(1.2)
    with_ctx(world.stack, lambda ctx: run_global_job(ctx, "send_due"))
    assert _bell(world.ben)["unread"] == 1
    # The bell's live stream (what every page's bell listens to) carries it.
    with world.ben.stream("GET", "/notifications/stream") as events:
        for line in events.iter_lines():
            if line.startswith("data: "):
                assert json.loads(line[6:])["unread"] == 1
                break
    assert "1 scheduled message did not go" in world.ben.get("/notifications").text
    assert _bell(world.ben)["unread"] == 0  # seen
