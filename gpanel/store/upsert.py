"""INSERT ... ON CONFLICT for both engines, so bulk writers can upsert in one statement.

SQLite (3.24+) and PostgreSQL share the `ON CONFLICT (...) DO UPDATE/NOTHING` syntax, and
SQLAlchemy exposes it through each dialect's own `insert()`; this picks the right one for a
connection so callers stay engine-neutral.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection


def dialect_insert(conn: AsyncConnection, table: Table) -> Any:
    """The dialect's `insert(table)`, which has `on_conflict_do_update/nothing`."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    if conn.dialect.name == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"gpanel supports SQLite and PostgreSQL, not {conn.dialect.name}")


def upsert(
    conn: AsyncConnection,
    table: Table,
    keys: Sequence[str],
    update: Sequence[str],
) -> Any:
    """`INSERT ... ON CONFLICT (keys) DO UPDATE SET col = excluded.col` for `update` columns
    (or DO NOTHING when `update` is empty). Execute it with a list of row dicts."""
    stmt = dialect_insert(conn, table)
    if not update:
        return stmt.on_conflict_do_nothing(index_elements=list(keys))
    return stmt.on_conflict_do_update(
        index_elements=list(keys), set_={c: stmt.excluded[c] for c in update}
    )
