"""SQLite under concurrent writers: WAL mode, busy timeouts and foreign keys are on, and
several tasks inserting at once lose nothing; cascades remove rows that cannot outlive a parent."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

from sqlalchemy import func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from gpanel.store.engine import create_engine
from gpanel.store.migrate import upgrade
from gpanel.store.tables import companies, company_domains, teams

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


async def test_concurrent_writers_lose_nothing(tmp_path: Path) -> None:
    """Eight tasks on two engines each insert 40 rows in small transactions; all 320 land."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'c.db'}"
    upgrade(url)
    engines = [create_engine(url), create_engine(url)]

    async def writer(n: int) -> None:
        eng = engines[n % 2]
        for i in range(40):
            async with eng.begin() as conn:
                await conn.execute(insert(teams).values(name=f"t{n}-{i}", created_at=NOW))

    try:
        await asyncio.gather(*(writer(n) for n in range(8)))
        async with engines[0].connect() as conn:
            assert (await conn.execute(select(func.count()).select_from(teams))).scalar() == 320
            assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
            assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar() == 1
    finally:
        for eng in engines:
            await eng.dispose()


async def test_company_delete_cascades_to_domains(engine: AsyncEngine) -> None:
    """A company's domains go with it (ON DELETE CASCADE works on both engines)."""
    async with engine.begin() as conn:
        cid = (
            await conn.execute(
                insert(companies)
                .values(name="Acme", created_at=NOW, updated_at=NOW)
                .returning(companies.c.id)
            )
        ).scalar_one()
        await conn.execute(insert(company_domains).values(domain="acme.example", company_id=cid))
    async with engine.begin() as conn:
        await conn.execute(companies.delete().where(companies.c.id == cid))
    async with engine.connect() as conn:
        count = await conn.execute(select(func.count()).select_from(company_domains))
        assert count.scalar() == 0
