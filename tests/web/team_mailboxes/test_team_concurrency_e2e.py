"""Two dispatchers assign the same thread at the same moment, over real HTTP, on SQLite and
PostgreSQL: both send the version they saw; exactly one assignment stands, the other gets 409
naming who holds the thread, and only the winner's event and notification are written."""

from __future__ import annotations

import threading
from typing import Any

import httpx

from gpanel.store.tables import team_notifications, team_thread_events, team_threads
from tests.support.stack import Stack, csrf
from tests.web.team_mailboxes.kit import EMMA, build_team_world
from tests.web.thread_support import BEN, CARLA

ROUNDS = 4


def _race(calls: list[tuple[httpx.Client, str, dict[str, Any], str]]) -> list[httpx.Response]:
    barrier = threading.Barrier(len(calls))
    out: list[httpx.Response | None] = [None] * len(calls)

    def go(i: int, client: httpx.Client, path: str, body: dict[str, Any], token: str) -> None:
        barrier.wait()
        out[i] = client.post(path, json=body, headers={"X-CSRF-Token": token})

    workers = [threading.Thread(target=go, args=(i, *c)) for i, c in enumerate(calls)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=60)
    assert all(r is not None for r in out)
    return [r for r in out if r is not None]


def test_two_dispatchers_assign_at_once_one_wins(stack: Stack) -> None:
    world = build_team_world(stack)
    carla, emma = world.ids[CARLA], world.ids[EMMA]
    ben_token = csrf(world.ben, "/team-mailboxes")
    emma_token = csrf(world.emma, "/team-mailboxes")
    for n in range(ROUNDS):
        thread_id = world.customer_mail(f"Order question {n}", "Where is my order?")
        rows = world.threads(BEN).json()["threads"]
        [row] = [t for t in rows if t["thread_id"] == thread_id]
        path = f"/api/team-mailboxes/{world.box_id}/threads/{thread_id}/assign"
        v = row["version"]
        first, second = _race(
            [
                (world.ben, path, {"user_id": carla, "version": v}, ben_token),
                (world.emma, path, {"user_id": emma, "version": v}, emma_token),
            ]
        )
        codes = sorted([first.status_code, second.status_code])
        assert codes == [200, 409], (first.text, second.text)
        won, lost = (first, second) if first.status_code == 200 else (second, first)
        holder = won.json()["assignee_id"]
        assert lost.json()["assignee_id"] == holder
        assert (
            lost.json()["assignee_name"] == {carla: "Carla Reyes", emma: "Emma Lindqvist"}[holder]
        )
        assert "holds it now" in lost.json()["errors"][0]["message"]
        # Nothing lost, nothing doubled: the stored state is the winner's, one event, one note.
        [state] = [r for r in stack.rows(team_threads) if r.thread_id == thread_id]
        assert state.assignee_id == holder and state.version == v + 1
        events = [
            e
            for e in stack.rows(team_thread_events)
            if e.team_thread_id == state.id and e.kind == "assigned"
        ]
        assert [e.assignee_id for e in events] == [holder]
        notes = [
            x
            for x in stack.rows(team_notifications)
            if x.team_thread_id == state.id and x.kind == "assigned"
        ]
        assert [x.user_id for x in notes] == ([holder] if holder == carla else [])
