"""`gpanel worker`: a process that runs background jobs from the PostgreSQL task queue.

Any number of workers may run, on any machines that reach the database. Each opens its own
`AppContext` (its quota budget is the shared PostgreSQL one, so all workers and the web
processes draw on one budget per mailbox), installs the queue's schema if needed, and runs
procrastinate's worker with gpanel's tasks: mailbox jobs, the periodic who-is-due tick (which
also retries the jobs of dead workers) and the hourly purge.
"""

from __future__ import annotations

import logging

from gpanel.jobs.queue import QUEUE, build_app, ensure_schema
from gpanel.services.context import AppContext

log = logging.getLogger("gpanel.jobs")


async def work(
    ctx: AppContext,
    *,
    concurrency: int = 10,
    name: str | None = None,
    heartbeat_seconds: float = 10.0,
    stalled_seconds: float = 30.0,
    install_signal_handlers: bool = True,
) -> None:
    """Run jobs until stopped (SIGINT/SIGTERM finish the running jobs first)."""
    queue_app = build_app(ctx.settings, stalled_seconds)
    async with queue_app.app.open_async():
        await ensure_schema(queue_app.app)
        log.info("worker %s started: concurrency %d", name or "", concurrency)
        await queue_app.app.run_worker_async(
            queues=[QUEUE],
            concurrency=concurrency,
            name=name or "gpanel-worker",
            additional_context={"ctx": ctx},
            delete_jobs="successful",
            update_heartbeat_interval=heartbeat_seconds,
            stalled_worker_timeout=stalled_seconds,
            install_signal_handlers=install_signal_handlers,
        )
