"""Bulk SQL shared by the CSV writers: one UTC timestamp per chunk, COALESCE updates so an
empty cell never erases a stored value, and inserts that return ids in row order."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, func, insert, update
from sqlalchemy.ext.asyncio import AsyncConnection


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def coalesce_update(table: Any, columns: Sequence[str]) -> Any:
    # Typed bind parameters, so values such as Decimal are converted as for an insert.
    values: dict[str, Any] = {
        c: func.coalesce(bindparam(f"b_{c}", type_=table.c[c].type), table.c[c]) for c in columns
    }
    values["updated_at"] = bindparam("b_updated_at", type_=table.c.updated_at.type)
    return update(table).where(table.c.id == bindparam("b_id")).values(values)


async def insert_returning(
    conn: AsyncConnection, table: Any, rows: list[dict[str, Any]]
) -> list[int]:
    if not rows:
        return []
    result = await conn.execute(
        insert(table).returning(table.c.id, sort_by_parameter_order=True), rows
    )
    return [r[0] for r in result]
