"""Crashes injected at the database boundary, for tests of what a dead run leaves behind.

`crash_while_storing_hits(engine, crash)` calls `crash()` inside MailMagnet's storage
transaction at the moment its hits are inserted and the cursor is not yet moved (nothing is
committed): just before the `UPDATE mailbox_jobs SET magnet_history_id` that follows at least
one `INSERT INTO magnet_hits` on the same connection. It listens to SQLAlchemy's
`before_cursor_execute` on the engine, so gpanel's own code carries no hook for it. `crash` may
raise (an in-process test) or kill the process (a worker subprocess).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine


@contextmanager
def crash_while_storing_hits(engine: AsyncEngine, crash: Callable[[], None]) -> Iterator[None]:
    # Connections (by id) whose open transaction has inserted hits. Not `conn.info`: reading it
    # on a connection that the crash just invalidated raises.
    inserted: set[int] = set()

    def before(conn: Connection, cursor: Any, statement: str, *args: Any) -> None:
        sql = " ".join(statement.split()).upper()
        if sql.startswith("INSERT INTO MAGNET_HITS"):
            inserted.add(id(conn))
        elif sql.startswith("UPDATE MAILBOX_JOBS SET MAGNET_HISTORY_ID") and id(conn) in inserted:
            inserted.discard(id(conn))
            crash()

    def forget(conn: Connection) -> None:
        inserted.discard(id(conn))

    sync = engine.sync_engine
    event.listen(sync, "before_cursor_execute", before)
    event.listen(sync, "rollback", forget)
    event.listen(sync, "commit", forget)
    try:
        yield
    finally:
        event.remove(sync, "before_cursor_execute", before)
        event.remove(sync, "rollback", forget)
        event.remove(sync, "commit", forget)
