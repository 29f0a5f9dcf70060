"""The change stamp (gpanel/store/stamps.py, revision 0015_view_stamps) on SQLite and
PostgreSQL: every view table carries its trigger, writes move the stamp once committed, the
mailbox sync cursor does not, and compaction leaves the stamp as it was."""

from __future__ import annotations

import datetime as dt
import importlib

from sqlalchemy import insert, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from gpanel.store import stamps
from gpanel.store.tables import blocked_addresses, change_log, mailboxes, users

NOW = dt.datetime(2026, 12, 2, tzinfo=dt.UTC)
migration = importlib.import_module("gpanel.store.migrations.versions.0015_view_stamps")


async def stamp(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return (await stamps.read(conn))[0]


async def new_user(conn: AsyncConnection, email: str) -> int:
    values = dict(email=email, name=email, role="rep", active=True, created_at=NOW, updated_at=NOW)
    return int(await conn.scalar(insert(users).values(**values).returning(users.c.id)) or 0)


def test_the_revision_stamps_what_the_code_says() -> None:
    assert set(migration.TABLES) == stamps.VIEW_TABLES
    assert migration.MAILBOX_COLUMNS == stamps.MAILBOX_COLUMNS


async def test_every_view_table_has_its_trigger(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            names = set(
                (await conn.execute(text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")))
                .scalars()
                .all()
            )
            wanted = {f"stamp_{t}" for t in stamps.VIEW_TABLES}
        else:
            names = set(
                (await conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")))
                .scalars()
                .all()
            )
            wanted = {
                f"stamp_{t}_{op}"
                for t in stamps.VIEW_TABLES
                for op in ("insert", "update", "delete")
            }
    assert wanted <= names, wanted - names


async def test_writes_move_the_stamp_once_committed(engine: AsyncEngine) -> None:
    """Inserted, updated, deleted: each committed write moves the stamp; a write still open in
    another transaction does not, until it commits; a rolled-back one never does."""
    start = await stamp(engine)
    async with engine.begin() as conn:
        user = await new_user(conn, "s@x.example")
    after_insert = await stamp(engine)
    assert after_insert > start
    async with engine.connect() as writer:
        await writer.execute(
            insert(blocked_addresses).values(user_id=user, pattern="a@b.example", created_at=NOW)
        )
        if writer.dialect.name == "postgresql":  # SQLite's writer holds the database itself
            assert await stamp(engine) == after_insert  # not yet committed
        await writer.commit()
    after_block = await stamp(engine)
    assert after_block > after_insert
    async with engine.connect() as writer:
        await writer.execute(update(users).where(users.c.id == user).values(name="T"))
        await writer.rollback()
    assert await stamp(engine) == after_block


async def test_the_sync_cursor_does_not_move_the_stamp(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        user = await new_user(conn, "c@x.example")
        box = await conn.scalar(
            insert(mailboxes)
            .values(user_id=user, email="c@x.example", google_sub="sub-c", refresh_token_enc="x",
                    scopes="", status="connected", connected_at=NOW, updated_at=NOW)
            .returning(mailboxes.c.id)
        )  # fmt: skip
    before = await stamp(engine)
    async with engine.begin() as conn:
        await conn.execute(
            update(mailboxes).where(mailboxes.c.id == box).values(history_id="99", updated_at=NOW)
        )
    assert await stamp(engine) == before
    async with engine.begin() as conn:
        await conn.execute(
            update(mailboxes).where(mailboxes.c.id == box).values(status="needs_reconnect")
        )
    assert await stamp(engine) > before


async def test_compaction_keeps_the_stamp(engine: AsyncEngine) -> None:
    for n in range(5):
        async with engine.begin() as conn:
            await conn.execute(
                insert(blocked_addresses).values(pattern=f"p{n}@x.example", created_at=NOW)
            )
    before = await stamp(engine)
    async with engine.begin() as conn:
        folded = await stamps.compact(conn)
    assert await stamp(engine) == before
    async with engine.connect() as conn:
        left = (await conn.execute(text(f"SELECT count(*) FROM {change_log.name}"))).scalar()
        if conn.dialect.name == "postgresql":
            assert folded >= 5 and left == 0
        else:
            assert folded == 0 and left == 0  # SQLite's triggers count in the base row
