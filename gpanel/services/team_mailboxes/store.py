"""The team tables, read and written: team mailboxes with their teams and dispatchers, thread
states, the compare-and-set on `team_threads.version`, events and bell entries. Ids, statuses
and times only."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Row, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from gpanel.services.team_mailboxes.model import TeamMailbox, ThreadState
from gpanel.store.tables import (
    mailboxes,
    team_mailbox_dispatchers,
    team_mailbox_teams,
    team_mailboxes,
    team_notifications,
    team_thread_events,
    team_threads,
    users,
)
from gpanel.store.times import aware


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _box_query() -> Any:
    return select(
        team_mailboxes,
        mailboxes.c.user_id.label("account_user_id"),
        mailboxes.c.email,
        mailboxes.c.status.label("mailbox_status"),
    ).join(mailboxes, mailboxes.c.id == team_mailboxes.c.mailbox_id)


async def _boxes(conn: AsyncConnection, rows: list[Row[Any]]) -> list[TeamMailbox]:
    ids = [r.id for r in rows]
    teams_of: dict[int, set[int]] = {i: set() for i in ids}
    disp_of: dict[int, set[int]] = {i: set() for i in ids}
    if ids:
        for t in await conn.execute(
            select(team_mailbox_teams).where(team_mailbox_teams.c.team_mailbox_id.in_(ids))
        ):
            teams_of[t.team_mailbox_id].add(t.team_id)
        for d in await conn.execute(
            select(team_mailbox_dispatchers).where(
                team_mailbox_dispatchers.c.team_mailbox_id.in_(ids)
            )
        ):
            disp_of[d.team_mailbox_id].add(d.user_id)
    return [
        TeamMailbox(
            id=r.id,
            mailbox_id=r.mailbox_id,
            account_user_id=r.account_user_id,
            email=r.email,
            name=r.name,
            send_as=r.send_as,
            members_may_take=bool(r.members_may_take),
            mark_read_on_assign=bool(r.mark_read_on_assign),
            archive_on_close=bool(r.archive_on_close),
            lead_capture=bool(r.lead_capture),
            banner_statuses=tuple(str(s) for s in (r.banner_statuses or [])),
            response_minutes=int(r.response_minutes),
            work_days=str(r.work_days),
            work_start_hour=int(r.work_start_hour),
            work_end_hour=int(r.work_end_hour),
            status=r.mailbox_status,
            team_ids=frozenset(teams_of[r.id]),
            dispatcher_ids=frozenset(disp_of[r.id]),
        )
        for r in rows
    ]


async def get_box(engine: AsyncEngine, box_id: int) -> TeamMailbox | None:
    async with engine.connect() as conn:
        rows = (await conn.execute(_box_query().where(team_mailboxes.c.id == box_id))).all()
        found = await _boxes(conn, list(rows))
    return found[0] if found else None


async def all_boxes(engine: AsyncEngine) -> list[TeamMailbox]:
    async with engine.connect() as conn:
        rows = (await conn.execute(_box_query().order_by(team_mailboxes.c.name))).all()
        return await _boxes(conn, list(rows))


async def box_for_mailbox(engine: AsyncEngine, mailbox_id: int) -> TeamMailbox | None:
    async with engine.connect() as conn:
        rows = (
            await conn.execute(_box_query().where(team_mailboxes.c.mailbox_id == mailbox_id))
        ).all()
        found = await _boxes(conn, list(rows))
    return found[0] if found else None


async def member_ids(engine: AsyncEngine, box: TeamMailbox) -> set[int]:
    """The active people (never team accounts) of the mailbox's teams, and its dispatchers."""
    query = select(users.c.id).where(
        users.c.active.is_(True),
        users.c.team_account.is_(False),
        users.c.team_id.in_(sorted(box.team_ids)) | users.c.id.in_(sorted(box.dispatcher_ids)),
    )
    async with engine.connect() as conn:
        return {int(r.id) for r in await conn.execute(query)}


async def people(engine: AsyncEngine, ids: Iterable[int]) -> dict[int, str]:
    """Names of people by id (for the assignee column and the pickers)."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    async with engine.connect() as conn:
        rows = await conn.execute(select(users.c.id, users.c.name).where(users.c.id.in_(wanted)))
        return {int(r.id): str(r.name) for r in rows}


def _state(row: Row[Any]) -> ThreadState:
    return ThreadState(
        id=row.id,
        team_mailbox_id=row.team_mailbox_id,
        thread_id=row.thread_id,
        status=row.status,
        assignee_id=row.assignee_id,
        version=int(row.version),
        first_seen_at=aware(row.first_seen_at) or row.first_seen_at,
        assigned_at=aware(row.assigned_at),
        first_response_at=aware(row.first_response_at),
        closed_at=aware(row.closed_at),
        opened_at=aware(row.opened_at),
        overdue_notified_at=aware(row.overdue_notified_at),
    )


async def states(engine: AsyncEngine, box_id: int) -> dict[str, ThreadState]:
    """Every thread state of a team mailbox, by Gmail thread id."""
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(team_threads).where(team_threads.c.team_mailbox_id == box_id)
        )
        return {r.thread_id: _state(r) for r in rows}


async def get_state(engine: AsyncEngine, box_id: int, thread_id: str) -> ThreadState | None:
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                select(team_threads).where(
                    team_threads.c.team_mailbox_id == box_id,
                    team_threads.c.thread_id == thread_id,
                )
            )
        ).first()
    return _state(row) if row is not None else None


async def ensure_states(
    engine: AsyncEngine, box_id: int, seen: dict[str, dt.datetime]
) -> list[ThreadState]:
    """Insert a state (unassigned, first seen now) for each thread id not known yet; returns
    the new ones. Two viewers inserting the same thread at once: the unique key keeps one."""
    known = await states(engine, box_id)
    fresh: list[ThreadState] = []
    now = now_utc()
    for thread_id, first_seen in seen.items():
        if thread_id in known:
            continue
        try:
            async with engine.begin() as conn:
                new_id = (
                    await conn.execute(
                        insert(team_threads)
                        .values(
                            team_mailbox_id=box_id,
                            thread_id=thread_id,
                            status="unassigned",
                            version=0,
                            first_seen_at=min(first_seen, now),
                            updated_at=now,
                        )
                        .returning(team_threads.c.id)
                    )
                ).scalar_one()
                await conn.execute(
                    insert(team_thread_events).values(
                        team_mailbox_id=box_id,
                        team_thread_id=new_id,
                        kind="seen",
                        status="unassigned",
                        at=now,
                    )
                )
                row = (
                    await conn.execute(select(team_threads).where(team_threads.c.id == new_id))
                ).one()
            fresh.append(_state(row))
        except IntegrityError:
            continue  # another request inserted it first
    return fresh


async def compare_and_set(
    conn: AsyncConnection, state: ThreadState, values: dict[str, Any]
) -> bool:
    """Write `values` only if the thread is still at `state.version`; bumps the version."""
    result = await conn.execute(
        update(team_threads)
        .where(team_threads.c.id == state.id, team_threads.c.version == state.version)
        .values(version=state.version + 1, updated_at=now_utc(), **values)
    )
    return result.rowcount == 1


async def add_event(
    conn: AsyncConnection,
    state: ThreadState,
    kind: str,
    *,
    actor_id: int | None,
    assignee_id: int | None = None,
    status: str | None = None,
    at: dt.datetime | None = None,
) -> None:
    await conn.execute(
        insert(team_thread_events).values(
            team_mailbox_id=state.team_mailbox_id,
            team_thread_id=state.id,
            actor_id=actor_id,
            kind=kind,
            assignee_id=assignee_id,
            status=status,
            at=at or now_utc(),
        )
    )


async def notify(
    conn: AsyncConnection,
    state: ThreadState,
    kind: str,
    user_ids: Iterable[int],
    actor_id: int | None,
) -> None:
    rows = [
        {
            "user_id": uid,
            "team_mailbox_id": state.team_mailbox_id,
            "team_thread_id": state.id,
            "kind": kind,
            "actor_id": actor_id,
            "at": now_utc(),
        }
        for uid in sorted(set(user_ids))
        if uid != actor_id
    ]
    if rows:
        await conn.execute(insert(team_notifications), rows)


async def unread_count(engine: AsyncEngine, user_id: int) -> int:
    async with engine.connect() as conn:
        n = await conn.scalar(
            select(func.count())
            .select_from(team_notifications)
            .where(team_notifications.c.user_id == user_id, team_notifications.c.read_at.is_(None))
        )
    return int(n or 0)
