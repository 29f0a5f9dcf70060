"""What a web process runs beside its handlers for the background jobs, for its lifespan.

- `GPANEL_QUEUE=embedded` (default): the in-process scheduler runs the jobs itself.
- `GPANEL_QUEUE=procrastinate`: the jobs run in `gpanel worker` processes; this process only
  defers runs that a push or a switch asks for (into the same queue, with the same locks).
- On PostgreSQL, either way: a LISTEN task carries new-hit signals from whichever process
  stored them to this process's open notification streams.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from gpanel.jobs.embedded import EmbeddedScheduler
from gpanel.services.context import AppContext
from gpanel.services.magnet.events import listening
from gpanel.settings import Queue


@contextlib.asynccontextmanager
async def background_jobs(ctx: AppContext) -> AsyncIterator[None]:
    async with listening(ctx):
        if ctx.settings.queue is Queue.PROCRASTINATE:
            from gpanel.jobs.queue import deferring

            async with deferring(ctx):
                yield
            return
        scheduler = EmbeddedScheduler(ctx)
        await scheduler.start()
        try:
            yield
        finally:
            await scheduler.stop()
