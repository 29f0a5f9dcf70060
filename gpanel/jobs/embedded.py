"""The embedded scheduler: background jobs as asyncio tasks inside the web process.

The default (`GPANEL_QUEUE=embedded`, `gpanel serve` and `gpanel demo`). Every `tick` seconds
it asks `job_state.due()` which mailboxes need which job and starts a task for each pair
(job, mailbox) that is not already running, at most `concurrency` at once. `trigger()` (the
Pub/Sub push endpoint, the settings switch) starts a run at once; if one is in flight it is
coalesced into exactly one follow-up run, so a burst of pushes costs at most two runs. The
retention purge runs hourly, the team mailboxes' upkeep every minute. Disconnecting a mailbox
cancels its runs.

One process only: with several web processes, use the task queue (`GPANEL_QUEUE=procrastinate`
and `gpanel worker`), which guarantees one run per mailbox across processes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from gpanel.jobs.runner import run_global_job, run_mailbox_job
from gpanel.services.context import AppContext
from gpanel.services.ops import job_state

log = logging.getLogger("gpanel.jobs")

PURGE_EVERY_SECONDS = 3600.0
TEAM_UPKEEP_EVERY_SECONDS = 60.0
Key = tuple[str, int]


def tick_seconds(poll_seconds: int) -> float:
    """Check who is due several times per poll interval (so a mailbox is at most a fraction of
    an interval late), but never more than once a second nor less than every 5 s."""
    return max(0.5, min(5.0, poll_seconds / 5))


class EmbeddedScheduler:
    def __init__(
        self, ctx: AppContext, *, tick: float | None = None, concurrency: int = 20
    ) -> None:
        self.ctx = ctx
        self.tick = tick if tick is not None else tick_seconds(ctx.settings.magnet_poll_seconds)
        self._slots = asyncio.Semaphore(concurrency)
        self._running: dict[Key, asyncio.Task[None]] = {}
        self._again: set[Key] = set()
        self._loop_task: asyncio.Task[None] | None = None
        self._last_purge = 0.0
        self._last_team_upkeep = -TEAM_UPKEEP_EVERY_SECONDS

    # --- lifecycle ---------------------------------------------------------------------------
    async def start(self) -> None:
        self.ctx.jobs.register(self.trigger, on_disconnect=self.forget)
        self._loop_task = asyncio.create_task(self._loop(), name="jobs-tick")

    async def stop(self) -> None:
        self.ctx.jobs.unregister(self.trigger, on_disconnect=self.forget)
        tasks = [t for t in [self._loop_task, *self._running.values()] if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    # --- scheduling ---------------------------------------------------------------------------
    async def _loop(self) -> None:
        while True:
            try:
                await self.tick_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("scheduler tick failed")
            await asyncio.sleep(self.tick)

    async def tick_once(self) -> int:
        """Start every due run that is not in flight; returns how many were started."""
        # What runs now, before asking who is due: a run finishing during the query is then
        # skipped this tick instead of being started a second time in one interval.
        busy = set(self._running)
        due = await job_state.due(self.ctx.engine, self.ctx.settings, lead=2 * self.tick)
        started = 0
        for job, mailbox_id in due.pairs():
            if (job, mailbox_id) not in busy and (job, mailbox_id) not in self._running:
                self._start((job, mailbox_id))
                started += 1
        # Every tick: a message sent later or waiting out its undo delay goes within a tick.
        await run_global_job(self.ctx, "send_due")
        await run_global_job(self.ctx, "follow_ups")  # reminders due: checked in Gmail live
        if time.monotonic() - self._last_purge >= PURGE_EVERY_SECONDS:
            self._last_purge = time.monotonic()
            await run_global_job(self.ctx, "purge")
        if time.monotonic() - self._last_team_upkeep >= TEAM_UPKEEP_EVERY_SECONDS:
            self._last_team_upkeep = time.monotonic()
            await run_global_job(self.ctx, "team_upkeep")  # services/team_mailboxes/upkeep.py
        return started

    async def trigger(self, job: str, mailbox_id: int) -> None:
        key = (job, mailbox_id)
        if key in self._running:
            self._again.add(key)
        else:
            self._start(key)

    def running(self) -> set[Key]:
        return set(self._running)

    async def idle(self) -> None:
        """Wait until no run is in flight (tests and the benchmark)."""
        while self._running:
            await asyncio.gather(*self._running.values(), return_exceptions=True)

    async def forget(self, mailbox_id: int) -> None:
        for key, task in list(self._running.items()):
            if key[1] == mailbox_id:
                task.cancel()
        self._again = {k for k in self._again if k[1] != mailbox_id}

    def _start(self, key: Key) -> None:
        task = asyncio.create_task(self._run(key), name=f"job-{key[0]}-{key[1]}")
        self._running[key] = task

    async def _run(self, key: Key) -> None:
        job, mailbox_id = key
        try:
            while True:
                async with self._slots:
                    try:
                        await run_mailbox_job(self.ctx, job, mailbox_id)
                    except Exception:
                        log.exception("%s for mailbox %s failed", job, mailbox_id)
                if key not in self._again:
                    break
                self._again.discard(key)
        finally:
            if self._running.get(key) is asyncio.current_task():
                del self._running[key]
