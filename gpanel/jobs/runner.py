"""Running one job for one mailbox, the same way whichever scheduler asked.

`run_mailbox_job` looks the job up in the registry, runs it, and logs the outcome by ids and
types only. The context's observer (`ctx.observer`, a `scheduling.RunObserver` given to
`open_context`) is told about each run: tests use it to record run intervals across worker
processes, and it is the seam for run metrics.
"""

from __future__ import annotations

import logging
import time

from gpanel.jobs.registry import global_job, mailbox_job
from gpanel.services.context import AppContext

log = logging.getLogger("gpanel.jobs")


async def run_mailbox_job(ctx: AppContext, job: str, mailbox_id: int) -> object:
    run = mailbox_job(job)
    observer = ctx.observer
    started = time.perf_counter()
    if observer is not None:
        observer.started(job, mailbox_id)
    ok = False
    try:
        result = await run(ctx, mailbox_id)
        ok = True
        return result
    finally:
        if observer is not None:
            observer.finished(job, mailbox_id, ok)
        log.debug(
            "%s for mailbox %s %s in %.3f s",
            job,
            mailbox_id,
            "done" if ok else "failed",
            time.perf_counter() - started,
        )


async def run_global_job(ctx: AppContext, job: str) -> object:
    return await global_job(job)(ctx)
