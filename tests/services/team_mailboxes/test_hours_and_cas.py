"""Working hours (when a thread becomes overdue) and the compare-and-set every change of a
team thread goes through, on both engines."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from gpanel.services.team_mailboxes import store
from gpanel.services.team_mailboxes.hours import due_at, is_overdue
from gpanel.store.tables import mailboxes, team_mailboxes, team_threads, users

UTC = dt.UTC


def test_four_working_hours() -> None:
    tue_10 = dt.datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    assert due_at(tue_10, 240, zone="UTC") == dt.datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
    fri_16 = dt.datetime(2026, 12, 4, 16, 0, tzinfo=UTC)  # one hour left on Friday
    assert due_at(fri_16, 240, zone="UTC") == dt.datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
    sat = dt.datetime(2026, 12, 5, 10, 0, tzinfo=UTC)  # the clock waits for Monday 9:00
    assert due_at(sat, 60, zone="UTC") == dt.datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
    night = dt.datetime(2026, 12, 1, 20, 0, tzinfo=UTC)
    assert due_at(night, 30, zone="UTC") == dt.datetime(2026, 12, 2, 9, 30, tzinfo=UTC)


def test_the_org_zone_counts() -> None:
    """9:00 in Paris is 8:00 UTC in winter: Monday 9:00 Paris + 1 h is 9:00 UTC."""
    sat = dt.datetime(2026, 12, 5, 10, 0, tzinfo=UTC)
    assert due_at(sat, 60, zone="Europe/Paris") == dt.datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def test_overdue_only_when_unanswered_and_open() -> None:
    seen = dt.datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    later = dt.datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
    week = dict(zone="UTC", work_days="01234", start_hour=9, end_hour=17)
    assert is_overdue(seen, None, False, later, 240, **week)  # type: ignore[arg-type]
    assert not is_overdue(seen, None, False, seen, 240, **week)  # type: ignore[arg-type]
    assert not is_overdue(seen, later, False, later, 240, **week)  # type: ignore[arg-type]
    assert not is_overdue(seen, None, True, later, 240, **week)  # type: ignore[arg-type]


async def test_compare_and_set_lets_one_writer_win(engine: AsyncEngine) -> None:
    now = dt.datetime.now(UTC)
    async with engine.begin() as conn:
        uid = (
            await conn.execute(
                insert(users)
                .values(
                    email="t@x.example",
                    name="T",
                    role="rep",
                    active=True,
                    team_account=True,
                    created_at=now,
                    updated_at=now,
                )
                .returning(users.c.id)
            )
        ).scalar_one()
        mid = (
            await conn.execute(
                insert(mailboxes)
                .values(
                    user_id=uid,
                    email="t@x.example",
                    google_sub="1",
                    refresh_token_enc="x",
                    scopes="",
                    status="connected",
                    connected_at=now,
                    updated_at=now,
                )
                .returning(mailboxes.c.id)
            )
        ).scalar_one()
        box = (
            await conn.execute(
                insert(team_mailboxes)
                .values(
                    mailbox_id=mid, name="T", banner_statuses=[], created_at=now, updated_at=now
                )
                .returning(team_mailboxes.c.id)
            )
        ).scalar_one()
    [fresh] = await store.ensure_states(engine, box, {"t1": now})
    assert await store.ensure_states(engine, box, {"t1": now}) == []  # known: not again
    async with engine.begin() as conn:
        assert await store.compare_and_set(conn, fresh, {"status": "closed"})
    async with engine.begin() as conn:  # the same stale version: refused, nothing written
        assert not await store.compare_and_set(conn, fresh, {"status": "in_progress"})
    async with engine.connect() as conn:
        row = (await conn.execute(select(team_threads))).one()
    assert row.status == "closed" and row.version == fresh.version + 1
