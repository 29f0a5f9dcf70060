"""The distributed path: the same jobs on procrastinate (a task queue kept in PostgreSQL).

`GPANEL_QUEUE=procrastinate` with `gpanel worker` processes. Three tasks:

- `gpanel.mailbox_job(job, mailbox_id)` runs one registry job. It is deferred with
  `lock = queueing_lock = "<job>:<mailbox_id>"`: procrastinate never runs two jobs with one lock
  at once, whichever worker fetched them (at most one run per mailbox and job), and refuses a
  second waiting job with the same queueing lock (a burst of pushes coalesces into one run).
  Mailboxes spread over the workers because any free worker fetches the next job.
- `gpanel.tick` (periodic, every few seconds; procrastinate defers each periodic tick once
  across all workers, and its lock keeps two ticks from running at once) asks
  `job_state.due()` who is due and defers their runs, skipping any (job, mailbox) that
  already has a job waiting or running.
- `gpanel.retry_stalled` (periodic, same pace, no execution lock) hands the jobs of dead
  workers (no heartbeat for `stalled_seconds`) back to the queue, a stalled tick included. A
  retried job is safe because every job is idempotent (MailMagnet moves its cursor in the hits'
  transaction).
- `gpanel.purge` (hourly) deletes MailMagnet hits past retention.
- `gpanel.team_upkeep` (every minute) is the team mailboxes' background pass (leavers, new
  and overdue threads told; `services.team_mailboxes.upkeep`).

The schema procrastinate needs is applied on first use (`ensure_schema`, under an advisory
lock so concurrent workers do not race). The web process opens the same app only to defer
(`deferring`): a Pub/Sub push triggers a run through the queue like everything else.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

import procrastinate
from procrastinate.exceptions import AlreadyEnqueued, UniqueViolation
from procrastinate.jobs import Status

from gpanel.jobs.embedded import tick_seconds
from gpanel.jobs.runner import run_global_job, run_mailbox_job
from gpanel.services.context import AppContext
from gpanel.services.magnet.events import libpq_url
from gpanel.services.ops import job_state
from gpanel.settings import Settings

log = logging.getLogger("gpanel.jobs")

QUEUE = "gpanel"
MAILBOX_TASK = "gpanel.mailbox_job"
DEFAULT_STALLED_SECONDS = 30.0
# An arbitrary constant naming gpanel's schema-install lock among PostgreSQL advisory locks.
_SCHEMA_LOCK = 0x67_70_61_6E_65_6C


def lock_for(job: str, mailbox_id: int) -> str:
    return f"{job}:{mailbox_id}"


@dataclass
class QueueApp:
    """A procrastinate app with gpanel's tasks registered on it."""

    app: procrastinate.App
    mailbox_task: procrastinate.tasks.Task  # type: ignore[type-arg]
    # A job whose worker sent no heartbeat for this long is handed back to the queue.
    stalled_seconds: float = DEFAULT_STALLED_SECONDS


def build_app(settings: Settings, stalled_seconds: float = DEFAULT_STALLED_SECONDS) -> QueueApp:
    connector = procrastinate.PsycopgConnector(conninfo=libpq_url(settings.resolved_database_url))
    app = procrastinate.App(connector=connector)
    tick_every = max(1, round(tick_seconds(settings.magnet_poll_seconds)))
    every_tick = f"* * * * * */{tick_every}"

    @app.task(name=MAILBOX_TASK, queue=QUEUE, pass_context=True)
    async def mailbox_job(context: procrastinate.JobContext, job: str, mailbox_id: int) -> None:
        await run_mailbox_job(_ctx(context), job, mailbox_id)

    @app.periodic(cron=every_tick)
    # The lock keeps ticks from overlapping: two ticks at once could each defer a run the other
    # just saw finish, running a mailbox twice in one interval.
    @app.task(
        name="gpanel.tick",
        queue=QUEUE,
        pass_context=True,
        queueing_lock="gpanel.tick",
        lock="gpanel.tick",
    )
    async def tick(context: procrastinate.JobContext, timestamp: int) -> None:
        await defer_due(_ctx(context), queue_app)

    # Stalled jobs are put back by a task of their own that takes no execution lock: a worker
    # killed in the middle of a tick leaves that tick "doing" with the tick lock held, and if
    # the retry ran inside the tick, nothing could ever release it. Retrying twice at once is
    # harmless (a job already back in the queue is no longer stalled).
    @app.periodic(cron=every_tick)
    @app.task(
        name="gpanel.retry_stalled",
        queue=QUEUE,
        pass_context=True,
        queueing_lock="gpanel.retry_stalled",
    )
    async def retry(context: procrastinate.JobContext, timestamp: int) -> None:
        await retry_stalled(_ctx(context), queue_app)

    # Send later and undo send, as often as the tick: drafts whose time has come.
    _periodic_global_job(app, "send_due", every_tick)
    # Follow-up reminders, as often as the tick: due ones are checked in Gmail live.
    _periodic_global_job(app, "follow_ups", every_tick)
    # The team mailboxes' upkeep, every minute: leavers, new and overdue threads told.
    _periodic_global_job(app, "team_upkeep", "* * * * *")
    _periodic_global_job(app, "purge", "7 * * * *")

    queue_app = QueueApp(app, mailbox_job, stalled_seconds)
    return queue_app


def _periodic_global_job(app: procrastinate.App, job: str, cron: str) -> None:
    """Register `gpanel.<job>`: the registry's global job on `cron`, one run at a time.

    The lock keeps two runs from overlapping; the queueing lock lets one wait at most."""
    name = f"gpanel.{job}"

    @app.periodic(cron=cron)
    @app.task(name=name, queue=QUEUE, pass_context=True, queueing_lock=name, lock=name)
    async def run(context: procrastinate.JobContext, timestamp: int) -> None:
        await run_global_job(_ctx(context), job)


def _ctx(context: procrastinate.JobContext) -> AppContext:
    ctx = context.additional_context["ctx"]
    assert isinstance(ctx, AppContext)
    return ctx


async def ensure_schema(app: procrastinate.App) -> None:
    """Install procrastinate's tables and functions once (no-op when present)."""
    connector = app.connector
    assert isinstance(connector, procrastinate.PsycopgConnector)
    async with connector.pool.connection() as conn, conn.transaction():
        # The lock is held until this transaction commits, so a second worker starting at
        # the same moment waits, then sees the committed schema.
        await conn.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
        cur = await conn.execute("SELECT to_regclass('procrastinate_jobs') IS NOT NULL")
        row = await cur.fetchone()
        if row is None or not row[0]:
            await conn.execute(app.schema_manager.get_schema())
            log.info("procrastinate schema installed")


async def defer_run(queue_app: QueueApp, job: str, mailbox_id: int) -> bool:
    """Queue one run; False when one is already waiting (coalesced)."""
    key = lock_for(job, mailbox_id)
    try:
        await queue_app.mailbox_task.configure(lock=key, queueing_lock=key).defer_async(
            job=job, mailbox_id=mailbox_id
        )
    except AlreadyEnqueued:
        return False
    return True


async def active_locks(queue_app: QueueApp) -> set[str]:
    """Locks of mailbox jobs waiting or running now."""
    manager = queue_app.app.job_manager
    found: set[str] = set()
    for status in ("todo", "doing"):
        for job in await manager.list_jobs_async(queue=QUEUE, task=MAILBOX_TASK, status=status):
            if job.lock:
                found.add(job.lock)
    return found


async def defer_due(ctx: AppContext, queue_app: QueueApp) -> int:
    """Defer a run for every due (job, mailbox) that has none waiting or running."""
    tick = max(1, round(tick_seconds(ctx.settings.magnet_poll_seconds)))
    # Busy locks first, then who is due: a run that finishes in between is then seen as
    # checked, never as due-and-idle (which would run it twice in one interval).
    busy = await active_locks(queue_app)
    due = await job_state.due(ctx.engine, ctx.settings, lead=2 * tick)
    pairs = due.pairs()
    deferred = 0
    for job, mailbox_id in pairs:
        if lock_for(job, mailbox_id) not in busy and await defer_run(queue_app, job, mailbox_id):
            deferred += 1
    return deferred


async def retry_stalled(ctx: AppContext, queue_app: QueueApp) -> int:
    """Put the jobs of workers that stopped sending heartbeats back in the queue."""
    manager = queue_app.app.job_manager
    stalled = list(
        await manager.get_stalled_jobs(seconds_since_heartbeat=queue_app.stalled_seconds)
    )
    for job in stalled:
        log.warning("retrying job %s (%s) of a stalled worker", job.id, job.task_name)
        try:
            await manager.retry_job(job)
        except UniqueViolation:
            # A run with the same queueing lock is already waiting (a push or a tick deferred
            # it while this one hung). Handing this one back would break the one-waiting rule,
            # and leaving it "doing" would hold its lock for ever, so the waiting run never
            # starts. The waiting run does the same idempotent work: close this one as failed.
            log.warning("job %s already has a run waiting; closing it as failed", job.id)
            assert job.id is not None
            await manager.finish_job_by_id_async(job.id, Status.FAILED, delete_job=False)
    return len(stalled)


@contextlib.asynccontextmanager
async def deferring(ctx: AppContext) -> AsyncIterator[QueueApp]:
    """The queue opened for deferring only (a web process), with this process's trigger."""
    queue_app = build_app(ctx.settings)
    async with queue_app.app.open_async():
        await ensure_schema(queue_app.app)

        async def trigger(job: str, mailbox_id: int) -> None:
            await defer_run(queue_app, job, mailbox_id)

        ctx.jobs.register(trigger)
        try:
            yield queue_app
        finally:
            ctx.jobs.unregister(trigger)
