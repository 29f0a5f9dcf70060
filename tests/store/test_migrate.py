"""Migrations: an empty database is brought to head, the result matches store/tables/, reruns are
no-ops, and the default stages (with Closed Won / Closed Lost) exist on both engines."""

from __future__ import annotations

import asyncio

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, select
from sqlalchemy.ext.asyncio import AsyncEngine

from gpanel.store import migrate
from gpanel.store.engine import sync_url
from gpanel.store.tables import DEFAULT_STAGES, metadata, stages


def test_upgrade_from_empty_creates_every_table(empty_db_url: str) -> None:
    """An empty database has no revision; after upgrade it is at head with every table."""
    assert migrate.current(empty_db_url) is None
    migrate.upgrade(empty_db_url)
    assert migrate.current(empty_db_url) == migrate.head()
    eng = create_engine(sync_url(empty_db_url))
    try:
        names = set(inspect(eng).get_table_names())
    finally:
        eng.dispose()
    assert set(metadata.tables) <= names


def test_migrations_match_table_definitions(db_url: str) -> None:
    """Alembic finds no difference between the migrated schema and store/tables/."""
    eng = create_engine(sync_url(db_url))
    try:
        with eng.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(ctx, metadata) == []
    finally:
        eng.dispose()


def test_upgrade_is_idempotent_and_downgrade_reverses(db_url: str) -> None:
    """Upgrading twice changes nothing; downgrading to base empties it and upgrading again works."""
    migrate.upgrade(db_url)
    assert migrate.current(db_url) == migrate.head()
    command.downgrade(migrate.alembic_config(db_url), "base")
    assert migrate.current(db_url) is None
    migrate.upgrade(db_url)
    assert migrate.current(db_url) == migrate.head()


async def test_default_stages_seeded(engine: AsyncEngine) -> None:
    """The first revision inserts the default pipeline, Closed Won won and Closed Lost lost."""
    async with engine.connect() as conn:
        rows = (await conn.execute(select(stages).order_by(stages.c.position))).all()
    assert [(r.name, r.position, r.is_closed, r.is_won) for r in rows] == list(DEFAULT_STAGES)


async def test_upgrade_runs_from_async_code_in_a_thread(empty_db_url: str) -> None:
    """Async callers run the synchronous migration in a thread without blocking the loop."""
    await asyncio.to_thread(migrate.upgrade, empty_db_url)
    assert await asyncio.to_thread(migrate.current, empty_db_url) == migrate.head()
