"""Deal stages: configurable, ordered, each open or closed (won or lost).

The first migration seeds the default pipeline with `Closed Won` and `Closed Lost`. A stage is
renamed in place (deals follow through ON UPDATE CASCADE) and cannot be deleted while deals use
it. Stage names compare case-insensitively on input, so "closed won" finds `Closed Won`.
"""

from __future__ import annotations

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from gpanel.crm.errors import Conflict, InvalidRecord, RecordNotFound
from gpanel.crm.models import Stage
from gpanel.store.tables import deals, stages


async def list_stages(conn: AsyncConnection) -> list[Stage]:
    rows = await conn.execute(select(stages).order_by(stages.c.position, stages.c.name))
    return [Stage(r.name, r.position, r.is_closed, r.is_won) for r in rows]


async def resolve_stage(conn: AsyncConnection, name: str, field: str = "stage") -> str:
    """The stored spelling of stage `name` (case-insensitive), or InvalidRecord naming the
    stages that exist."""
    wanted = name.strip().lower()
    known = await list_stages(conn)
    for stage in known:
        if stage.name.lower() == wanted:
            return stage.name
    raise InvalidRecord(
        {field: f"unknown stage {name.strip()!r}; known: " + ", ".join(s.name for s in known)}
    )


async def save_stage(
    conn: AsyncConnection,
    name: str,
    *,
    position: int,
    is_closed: bool = False,
    is_won: bool = False,
    rename_to: str | None = None,
) -> Stage:
    """Create stage `name`, or update it (and rename it, deals following) if it exists."""
    if is_won and not is_closed:
        raise InvalidRecord({"is_won": "a won stage must be closed"})
    name = name.strip()
    new_name = (rename_to or name).strip()
    if not new_name:
        raise InvalidRecord({"name": "must not be empty"})
    exists = await conn.scalar(select(stages.c.name).where(stages.c.name == name))
    values = {"position": position, "is_closed": is_closed, "is_won": is_won}
    if exists is None:
        await conn.execute(insert(stages).values(name=new_name, **values))
    else:
        if new_name != name and await conn.scalar(
            select(stages.c.name).where(stages.c.name == new_name)
        ):
            raise Conflict({"name": f"a stage called {new_name!r} already exists"})
        await conn.execute(
            update(stages).where(stages.c.name == name).values(name=new_name, **values)
        )
    return Stage(new_name, position, is_closed, is_won)


async def delete_stage(conn: AsyncConnection, name: str) -> None:
    in_use = await conn.scalar(select(func.count()).select_from(deals).where(deals.c.stage == name))
    if in_use:
        raise Conflict({"name": f"{in_use} deal(s) are in stage {name!r}; move them first"})
    done = await conn.execute(delete(stages).where(stages.c.name == name))
    if done.rowcount == 0:
        raise RecordNotFound("stage", name)
