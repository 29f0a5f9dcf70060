"""The figures of a team mailbox, from gpanel's own records: first response is arrival to the
first reply from the mailbox, credited to who replied; resolution is arrival to the last close
of a thread that is closed now (a reopened one does not count), credited to the assignee; each
as count, median and p90 (nearest rank), per member, per week and in total, over the last
weeks only. A reply written in Gmail itself (a SENT message in a known thread) is recorded by
the background pass at Gmail's time and counts, once, for the assignee."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import update

from gpanel.crm import people
from gpanel.services.accounts.sessions import CurrentUser
from gpanel.services.team_mailboxes import extras, stats, store
from gpanel.services.team_mailboxes.access import Access
from gpanel.services.team_mailboxes.model import ThreadState
from gpanel.store.tables import team_threads
from tests.services.team_mailboxes.extras_world import TeamWorld, team_world
from tests.support.emulator import RunningEmulator

HOUR = 3600.0
# A Wednesday noon: every event below stays inside its week in any zone within +-10 h.
NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)


async def thread(
    world: TeamWorld, box_id: int, thread_id: str, arrived: dt.datetime
) -> ThreadState:
    made = await store.ensure_states(world.ctx.engine, box_id, {thread_id: arrived})
    state = made[0]
    async with world.ctx.engine.begin() as conn:  # ensure_states caps "first seen" at now
        await conn.execute(
            update(team_threads).where(team_threads.c.id == state.id).values(first_seen_at=arrived)
        )
    return state


async def event(
    world: TeamWorld, state: ThreadState, kind: str, at: dt.datetime, **kw: Any
) -> None:
    async with world.ctx.engine.begin() as conn:
        await store.add_event(conn, state, kind, at=at, **kw)


async def set_status(world: TeamWorld, state: ThreadState, status: str) -> None:
    async with world.ctx.engine.begin() as conn:
        await conn.execute(
            update(team_threads).where(team_threads.c.id == state.id).values(status=status)
        )


async def test_figures_per_member_and_week(db_url: str, emulator: RunningEmulator) -> None:
    async with team_world(db_url, emulator) as world:
        engine = world.ctx.engine
        async with engine.begin() as conn:
            ann = await people.create_user(conn, email="ann@brightwave.example", name="Ann")
            bob = await people.create_user(conn, email="bob@brightwave.example", name="Bob")
        box = await store.get_box(engine, world.team_mailbox_id)
        assert box is not None
        monday = NOW - dt.timedelta(days=2, hours=2)
        one = await thread(world, box.id, "t1", monday)
        await event(world, one, "replied", monday + dt.timedelta(hours=1), actor_id=ann.id)
        await event(
            world,
            one,
            "status",
            monday + dt.timedelta(hours=5),
            actor_id=bob.id,
            assignee_id=ann.id,
            status="closed",
        )
        await set_status(world, one, "closed")
        two = await thread(world, box.id, "t2", monday)
        await event(world, two, "replied", monday + dt.timedelta(hours=2), actor_id=bob.id)
        await event(world, two, "replied", monday + dt.timedelta(hours=3), actor_id=ann.id)
        await event(
            world,
            two,
            "status",
            monday + dt.timedelta(hours=4),
            actor_id=bob.id,
            assignee_id=bob.id,
            status="closed",
        )
        await event(
            world,
            two,
            "status",
            monday + dt.timedelta(hours=5),
            actor_id=bob.id,
            assignee_id=bob.id,
            status="in_progress",
        )
        await set_status(world, two, "in_progress")  # reopened: not resolved
        earlier = NOW - dt.timedelta(weeks=3)
        three = await thread(world, box.id, "t3", earlier)
        await event(world, three, "replied", earlier + dt.timedelta(hours=4), actor_id=ann.id)
        ancient = NOW - dt.timedelta(weeks=20)
        four = await thread(world, box.id, "t4", ancient)
        await event(world, four, "replied", ancient + dt.timedelta(hours=9), actor_id=bob.id)

        viewer = CurrentUser(ann.id, ann.email, ann.name, ann.role, ann.team_id)
        figures = await stats.team_figures(
            world.ctx, Access(box, viewer, frozenset({ann.id})), weeks=12, now=NOW
        )
        body = figures.as_json()
        assert body["total"]["first_response"] == {
            "count": 3,
            "median_seconds": 2 * HOUR,
            "p90_seconds": 4 * HOUR,
        }
        assert body["total"]["resolution"] == {
            "count": 1,
            "median_seconds": 5 * HOUR,
            "p90_seconds": 5 * HOUR,
        }
        members = {m["label"]: m for m in body["members"]}
        assert set(members) == {"Ann", "Bob"}
        assert members["Ann"]["first_response"] == {
            "count": 2,
            "median_seconds": 2.5 * HOUR,
            "p90_seconds": 4 * HOUR,
        }
        assert members["Ann"]["resolution"]["count"] == 1
        assert members["Bob"]["first_response"]["count"] == 1
        assert members["Bob"]["resolution"]["count"] == 0
        assert len(body["by_week"]) == 12
        zone = ZoneInfo(world.ctx.settings.org_timezone)
        weeks = {w["key"]: w for w in body["by_week"]}
        this_week = stats.week_of(NOW, zone).isoformat()
        three_ago = stats.week_of(earlier, zone).isoformat()
        assert weeks[this_week]["first_response"]["count"] == 2
        assert weeks[three_ago]["first_response"]["count"] == 1
        assert sum(w["first_response"]["count"] for w in body["by_week"]) == 3

        # One week only: the older reply drops out.
        short = await stats.team_figures(
            world.ctx, Access(box, viewer, frozenset({ann.id})), weeks=1, now=NOW
        )
        assert short.total.response.count == 2 and len(short.by_week) == 1


def test_percentiles_are_nearest_rank() -> None:
    assert stats.percentile([], 90) is None
    assert stats.percentile([5.0], 90) == 5.0
    assert stats.percentile([float(n) for n in range(1, 11)], 90) == 9.0
    assert stats.percentile([float(n) for n in range(1, 12)], 90) == 10.0
    assert stats.summarise([3.0, 1.0, 2.0, 10.0]) == stats.Summary(4, 2.5, 10.0)
    assert stats.summarise([]) == stats.Summary(0, None, None)


async def test_a_reply_sent_from_gmail_counts_once(db_url: str, emulator: RunningEmulator) -> None:
    async with team_world(db_url, emulator) as world:
        engine = world.ctx.engine
        async with engine.begin() as conn:
            ann = await people.create_user(conn, email="ann2@brightwave.example", name="Ann")
        box = await store.get_box(engine, world.team_mailbox_id)
        assert box is not None
        await extras.run_team_extras(world.ctx, world.mailbox_id)  # the cursor: from now on
        question = (
            f"From: Cy <cy@cust.example>\r\nTo: {world.email}\r\nSubject: Question\r\n"
            "Message-ID: <ask@test.example>\r\n\r\nHow much?\r\n"
        ).encode()
        thread_id = world.gmail_box().insert_raw(question, ["INBOX", "UNREAD"]).thread_id
        arrived = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
        state = await thread(world, box.id, thread_id, arrived)
        async with engine.begin() as conn:
            await conn.execute(
                update(team_threads).where(team_threads.c.id == state.id).values(assignee_id=ann.id)
            )
        raw = (
            f"From: Support <{world.email}>\r\nTo: cy@cust.example\r\nSubject: Re: Question\r\n"
            "In-Reply-To: <ask@test.example>\r\nReferences: <ask@test.example>\r\n"
            "Message-ID: <gmail-reply@test.example>\r\n\r\nAnswered in Gmail\r\n"
        ).encode()
        reply = world.gmail_box().insert_raw(raw, ["SENT"])
        assert reply.thread_id == thread_id
        first = await extras.run_team_extras(world.ctx, world.mailbox_id)
        assert first.status == "done" and first.replies == 1, first
        world.gmail_box().insert_raw(raw.replace(b"gmail-reply", b"gmail-reply2"), ["SENT"])
        again = await extras.run_team_extras(world.ctx, world.mailbox_id)
        assert again.replies == 0  # the thread has its first response already
        viewer = CurrentUser(ann.id, ann.email, ann.name, ann.role, ann.team_id)
        figures = await stats.team_figures(world.ctx, Access(box, viewer, frozenset({ann.id})))
        assert figures.total.response.count == 1
        [member] = figures.members
        assert member.label == "Ann" and member.response.count == 1
        assert 0 < (member.response.median_seconds or 0) <= 2 * HOUR
