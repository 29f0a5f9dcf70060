"""Overdue and the Gmail options, over real HTTP: a customer email older than the response
time (4 working hours) is overdue (filter, counts, the dispatchers told once); assigning marks
it read in the shared mailbox (option on); the first reply from the mailbox answers it, so it
is no longer overdue; closing archives it in Gmail (option on)."""

from __future__ import annotations

import datetime as dt

from tests.support.stack import Stack, csrf, seen
from tests.web.sending.kit import messages
from tests.web.team_mailboxes.kit import SALES_BOX, build_team_world, configure
from tests.web.thread_support import BEN, CARLA, mail


def _labels(stack: Stack, thread_id: str) -> set[str]:
    return {
        label
        for m in messages(stack, SALES_BOX)
        if m.thread_id == thread_id
        for label in m.label_ids
    }


def test_overdue_then_answered_read_and_archived(stack: Stack) -> None:
    world = build_team_world(stack)
    options = {"mark_read_on_assign": "on", "archive_on_close": "on"}
    assert configure(world, [BEN], **options).status_code == 200
    old = dt.datetime.now(dt.UTC) - dt.timedelta(days=10)
    raw, _ = mail("Pat <pat@acme.example>", SALES_BOX, "Still waiting", "Any news?", date=old)
    made = stack.emulator.insert(SALES_BOX, raw, internal_date_ms=int(old.timestamp() * 1000))
    thread_id = str(made["threadId"])
    fresh = world.customer_mail("Just now", "Hello")

    late = world.threads(BEN, "?show=overdue").json()
    assert [t["thread_id"] for t in late["threads"]] == [thread_id]
    assert late["threads"][0]["overdue"] is True and late["counts"]["overdue"] == 1
    assert world.threads(BEN, "?status=overdue").json()["threads"][0]["thread_id"] == thread_id
    assert fresh not in [t["thread_id"] for t in late["threads"]]
    world.threads(BEN)  # a second read announces nothing new
    told = seen(world.ben.get("/team-mailboxes/notifications"))
    assert told.count("A thread is overdue") == 1

    assert "UNREAD" in _labels(stack, thread_id)
    path = f"/api/team-mailboxes/{world.box_id}/threads/{thread_id}"
    assert (
        world.api(BEN, "POST", path + "/assign", {"user_id": world.ids[CARLA]}).status_code == 200
    )
    assert "UNREAD" not in _labels(stack, thread_id)  # marked read in the shared mailbox

    reply = f"/team-mailboxes/{world.box_id}/threads/{thread_id}/reply"
    sent = world.carla.post(
        reply, data={"csrf_token": csrf(world.carla, "/team-mailboxes"), "text": "Sorry!"}
    )
    assert sent.status_code == 200
    after = world.threads(BEN).json()
    [row] = [t for t in after["threads"] if t["thread_id"] == thread_id]
    assert row["overdue"] is False and after["counts"]["overdue"] == 0

    assert world.api(CARLA, "POST", path + "/status", {"status": "closed"}).status_code == 200
    assert "INBOX" not in _labels(stack, thread_id)  # archived on close
    listed = world.threads(BEN).json()["threads"]
    assert thread_id not in [t["thread_id"] for t in listed]  # gone from the live inbox
