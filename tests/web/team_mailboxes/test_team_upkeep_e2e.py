"""The team mailboxes' background pass (job `team_upkeep`) over real HTTP and the emulator, both
engines: nobody opens the team inbox, and still a leaver's thread returns to unassigned with the
dispatchers told, and a customer email older than the response time is announced overdue, once.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx

from gpanel.jobs.runner import run_global_job
from gpanel.store.tables import team_notifications, team_threads
from tests.support.stack import Stack, seen
from tests.web.sending.kit import with_ctx
from tests.web.team_mailboxes.kit import EMMA, SALES_BOX, build_team_world
from tests.web.thread_support import BEN, CARLA, mail


def _upkeep(stack: Stack) -> object:
    return with_ctx(stack, lambda ctx: run_global_job(ctx, "team_upkeep"))


def _bell(client: httpx.Client) -> int:
    answer = client.get("/notifications/count")
    assert answer.status_code == 200
    return int(answer.json()["team"])


def _thread_row(stack: Stack, thread_id: str) -> Any:
    [row] = [r for r in stack.rows(team_threads) if r.thread_id == thread_id]
    return row


def test_a_leavers_thread_returns_without_anyone_opening_the_inbox(stack: Stack) -> None:
    world = build_team_world(stack)
    thread_id = world.customer_mail("Quote please", "How much for 40 seats?")
    assert world.threads(BEN).status_code == 200  # the thread is known, Ben told of new mail
    path = f"/api/team-mailboxes/{world.box_id}/threads/{thread_id}/assign"
    assert world.api(BEN, "POST", path, {"user_id": world.ids[CARLA]}).status_code == 200
    for dispatcher in (BEN, EMMA):  # both have read their bell (new mail): it counts 0
        world.client(dispatcher).get("/team-mailboxes/notifications")
        assert _bell(world.client(dispatcher)) == 0

    world.move_to_team(CARLA, "Support")  # the admin changes her team; nobody opens the inbox
    row = _thread_row(stack, thread_id)
    assert row.assignee_id == world.ids[CARLA]  # nothing happens until someone looks, or the job
    _upkeep(stack)
    row = _thread_row(stack, thread_id)
    assert row.assignee_id is None and row.status == "unassigned"
    assert _bell(world.ben) == 1 and _bell(world.client(EMMA)) == 1  # both dispatchers told
    assert "came back unassigned" in seen(world.ben.get("/team-mailboxes/notifications"))
    _upkeep(stack)  # a second pass has nothing to return and tells nobody again
    assert _bell(world.ben) == 0 and _bell(world.client(EMMA)) == 1


def test_overdue_is_announced_by_the_job_once(stack: Stack) -> None:
    world = build_team_world(stack)
    old = dt.datetime.now(dt.UTC) - dt.timedelta(days=10)
    raw, _ = mail("Pat <pat@acme.example>", SALES_BOX, "Still waiting", "Any news?", date=old)
    made = stack.emulator.insert(SALES_BOX, raw, internal_date_ms=int(old.timestamp() * 1000))
    thread_id = str(made["threadId"])
    assert stack.rows(team_threads) == []  # nobody has opened the team inbox

    done = _upkeep(stack)
    assert isinstance(done, dict) and done[world.box_id]["read"] == 1
    row = _thread_row(stack, thread_id)
    assert row.status == "unassigned" and row.overdue_notified_at is not None
    kinds = sorted((r.user_id, r.kind) for r in stack.rows(team_notifications))
    expected = sorted(
        [(world.ids[d], "new_mail") for d in (BEN, EMMA)]
        + [(world.ids[d], "overdue") for d in (BEN, EMMA)]
    )
    assert kinds == expected
    _upkeep(stack)
    _upkeep(stack)
    assert sorted((r.user_id, r.kind) for r in stack.rows(team_notifications)) == expected
    told = seen(world.ben.get("/team-mailboxes/notifications"))
    assert told.count("A thread is overdue") == 1
