"""Overdue restarts with each unanswered customer message, over real HTTP (both engines): a
reply sent straight from Gmail as the shared address answers the thread; a later customer
message older than the response time makes it overdue again and its assignee is told; a reply
from the team inbox answers it; a new customer message waits its own response time."""

from __future__ import annotations

import base64
import datetime as dt

from gpanel.store.tables import team_notifications
from tests.support.stack import Stack, csrf
from tests.web.team_mailboxes.kit import PAT, SALES_BOX, TeamWorld, build_team_world
from tests.web.thread_support import BEN, CARLA, mail


def _days_ago(days: int) -> dt.datetime:
    return dt.datetime.now(dt.UTC) - dt.timedelta(days=days)


def _add(world: TeamWorld, thread_id: str, sender: str, when: dt.datetime, sent: bool) -> None:
    """A message in the thread of sales@ at `when`: the team's (SENT) or the customer's."""
    raw, _ = mail(sender, PAT if sent else SALES_BOX, "Re: Still waiting", "...", date=when)
    body = {
        "raw": base64.urlsafe_b64encode(raw).decode("ascii"),
        "labelIds": ["SENT"] if sent else ["INBOX", "UNREAD"],
        "internalDate": int(when.timestamp() * 1000),
        "threadId": thread_id,
    }
    answer = world.stack.emulator.control.post(f"/_emulator/users/{SALES_BOX}/messages", json=body)
    answer.raise_for_status()
    assert answer.json()["threadId"] == thread_id


def _row(world: TeamWorld, thread_id: str) -> dict[str, object]:
    listed = world.threads(BEN).json()
    [row] = [t for t in listed["threads"] if t["thread_id"] == thread_id]
    assert row["overdue"] is (listed["counts"]["overdue"] == 1)
    return dict(row)


def _overdue_told(stack: Stack, user_id: int) -> int:
    return sum(
        1 for n in stack.rows(team_notifications) if n.kind == "overdue" and n.user_id == user_id
    )


def test_a_later_customer_message_restarts_the_clock(stack: Stack) -> None:
    world = build_team_world(stack)
    first = _days_ago(10)
    raw, _ = mail(f"Pat <{PAT}>", SALES_BOX, "Still waiting", "Any news?", date=first)
    made = stack.emulator.insert(SALES_BOX, raw, internal_date_ms=int(first.timestamp() * 1000))
    thread_id = str(made["threadId"])
    assert _row(world, thread_id)["overdue"] is True
    path = f"/api/team-mailboxes/{world.box_id}/threads/{thread_id}"
    assigned = world.api(BEN, "POST", path + "/assign", {"user_id": world.ids[CARLA]})
    assert assigned.status_code == 200

    # Carla answers from Gmail itself, as sales@: gpanel never saw a reply, the thread did.
    _add(world, thread_id, f"Brightwave Sales <{SALES_BOX}>", _days_ago(9), sent=True)
    assert _row(world, thread_id)["overdue"] is False
    assert _overdue_told(stack, world.ids[CARLA]) == 0

    # Pat writes again; unanswered for more than 4 working hours: overdue again, Carla is told.
    _add(world, thread_id, f"Pat <{PAT}>", _days_ago(8), sent=False)
    assert _row(world, thread_id)["overdue"] is True
    assert _overdue_told(stack, world.ids[CARLA]) == 1
    assert world.threads(BEN, "?show=overdue").json()["threads"][0]["thread_id"] == thread_id
    world.threads(BEN)  # the same wait is told once
    assert _overdue_told(stack, world.ids[CARLA]) == 1

    # Carla replies from the team inbox: answered.
    reply = f"/team-mailboxes/{world.box_id}/threads/{thread_id}/reply"
    sent = world.carla.post(
        reply, data={"csrf_token": csrf(world.carla, "/team-mailboxes"), "text": "On its way."}
    )
    assert sent.status_code == 200
    assert _row(world, thread_id)["overdue"] is False

    # Pat writes once more, just now: the clock runs again but is not over.
    _add(world, thread_id, f"Pat <{PAT}>", dt.datetime.now(dt.UTC), sent=False)
    assert _row(world, thread_id)["overdue"] is False
    assert _overdue_told(stack, world.ids[CARLA]) == 1
