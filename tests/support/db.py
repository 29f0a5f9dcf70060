"""Database fixtures: every test that asks for `db_url` runs on SQLite and on PostgreSQL.

- SQLite: a fresh file in the test's tmp_path.
- PostgreSQL: one throwaway database per test session (per xdist worker), created on the server
  at GPANEL_TEST_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/test) and dropped
  at the end; each test gets its own schema in it (via `search_path`), dropped after the test.
  When the server is unreachable the PostgreSQL cases are skipped with the reason, unless
  GPANEL_TEST_REQUIRE_POSTGRES=1 (CI), where that is a failure (the corpora and Chromium have
  the same kind of switch: `tests.support.needs`).

`db_url` is migrated to head; `engine` is an async engine on it. Conftests import these names.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from gpanel.store.engine import create_engine
from gpanel.store.migrate import upgrade

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"


def postgres_admin_url() -> str:
    return os.environ.get("GPANEL_TEST_POSTGRES_URL") or DEFAULT_PG


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this session; yields its async SQLAlchemy URL."""
    admin = postgres_admin_url()
    try:
        conn = psycopg.connect(_libpq(admin), autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        reason = f"PostgreSQL not reachable at {admin}: {str(exc).strip().splitlines()[0]}"
        if os.environ.get("GPANEL_TEST_REQUIRE_POSTGRES") == "1":
            pytest.fail(reason + " (GPANEL_TEST_REQUIRE_POSTGRES=1)")
        pytest.skip(reason)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"gpanel_t_{worker}_{os.getpid()}_{secrets.token_hex(3)}"
    with conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = make_url(admin).set(drivername="postgresql+psycopg", database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with psycopg.connect(_libpq(admin), autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def fresh_pg_schema(database_url: str) -> tuple[str, str]:
    schema = f"t_{secrets.token_hex(6)}"
    with psycopg.connect(_libpq(database_url), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    url = make_url(database_url).update_query_dict({"options": f"-csearch_path={schema}"})
    return schema, url.render_as_string(hide_password=False)


def drop_pg_schema(database_url: str, schema: str) -> None:
    with psycopg.connect(_libpq(database_url), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database (no tables) on each engine: SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'gpanel.db'}"
        return
    base = request.getfixturevalue("pg_database")
    schema, url = fresh_pg_schema(base)
    try:
        yield url
    finally:
        drop_pg_schema(base, schema)


@pytest.fixture
def db_url(empty_db_url: str) -> str:
    """A database on each engine, migrated to the newest revision."""
    upgrade(empty_db_url)
    return empty_db_url


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    eng = create_engine(db_url)
    try:
        yield eng
    finally:
        await eng.dispose()
