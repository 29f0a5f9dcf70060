"""MailMagnet's "something changed for this mailbox" signal, for the pages that are open.

When a MailMagnet run commits new hits (or pauses a mailbox), the notification bells of the
owner's open pages must update. Inside one process that is `ctx.magnet_hub.publish()`
(`hub.MagnetHub`), which wakes every server-sent-event stream subscribed to the mailbox. Across
processes (a `gpanel worker` stored the hits, a web process holds the streams) it is
PostgreSQL's NOTIFY, sent in the same transaction as the hits (so it is delivered exactly when
they are committed), and a LISTEN task in each web process that republishes into its hub. The
payload is the mailbox id: nothing else travels, and a stream that wakes re-reads its count
from the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import psycopg
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection

from gpanel.services.context import AppContext

log = logging.getLogger("gpanel.magnet")

CHANNEL = "gpanel_magnet"


def is_postgres(ctx: AppContext) -> bool:
    return ctx.engine.dialect.name == "postgresql"


async def notify_in_transaction(conn: AsyncConnection, mailbox_id: int) -> None:
    """Queue a NOTIFY that PostgreSQL delivers when (and only if) this transaction commits."""
    if conn.dialect.name == "postgresql":
        await conn.execute(
            text("SELECT pg_notify(:channel, :payload)"),
            {"channel": CHANNEL, "payload": str(mailbox_id)},
        )


def libpq_url(database_url: str) -> str:
    """A plain libpq URL (what psycopg and procrastinate want) from gpanel's database URL."""
    url = make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


async def listen(ctx: AppContext, ready: asyncio.Event | None = None) -> None:
    """Republish other processes' NOTIFYs into this process's hub until cancelled.

    Reconnects after a lost connection (with a pause), so a database restart does not leave
    open pages deaf for good; polling the bell's count remains the fallback.
    """
    hub = ctx.magnet_hub
    url = libpq_url(ctx.settings.resolved_database_url)
    while True:
        try:
            async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
                await conn.execute(f"LISTEN {CHANNEL}")
                if ready is not None:
                    ready.set()
                async for note in conn.notifies():
                    if note.payload.isdigit():
                        hub.publish(int(note.payload))
        except asyncio.CancelledError:
            raise
        except psycopg.Error as exc:
            log.warning(
                "MailMagnet listener lost its connection (%s); retrying", type(exc).__name__
            )
            await asyncio.sleep(2.0)


@contextlib.asynccontextmanager
async def listening(ctx: AppContext) -> AsyncIterator[None]:
    """Run `listen` for the duration of the block when the database is PostgreSQL."""
    if not is_postgres(ctx):
        yield
        return
    ready = asyncio.Event()
    task = asyncio.create_task(listen(ctx, ready), name="magnet-listen")
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(ready.wait(), timeout=5.0)
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
