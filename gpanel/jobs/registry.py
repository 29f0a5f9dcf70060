"""The background jobs by name: what the embedded scheduler and the task queue both run.

Every per-mailbox job is `async def job(ctx, mailbox_id) -> object`, idempotent and safe to
retry after a crash at any point; the schedulers decide when (see `services.job_state.due`) and
make sure one mailbox never has two runs of the same job at once. Global jobs take only `ctx`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from gpanel.services.context import AppContext
from gpanel.services.labels import run as labels_run
from gpanel.services.magnet import run as magnet
from gpanel.services.sending import follow_ups
from gpanel.services.sending import later as send_later
from gpanel.services.team_mailboxes import extras as team_extras
from gpanel.services.team_mailboxes import upkeep as team_upkeep
from gpanel.services.threads import opened_by

MailboxJob = Callable[[AppContext, int], Awaitable[object]]
GlobalJob = Callable[[AppContext], Awaitable[object]]

MAILBOX_JOB_NAMES = ("magnet", "labels", "renew_watch", "team_extras")
GLOBAL_JOB_NAMES = ("purge", "send_due", "follow_ups", "team_upkeep")


async def _labels(ctx: AppContext, mailbox_id: int) -> object:
    return await labels_run.run_labels(ctx, mailbox_id)


async def _magnet(ctx: AppContext, mailbox_id: int) -> object:
    return await magnet.run_magnet(ctx, mailbox_id)


async def _renew_watch(ctx: AppContext, mailbox_id: int) -> object:
    return await magnet.renew_watch(ctx, mailbox_id)


async def _team_extras(ctx: AppContext, mailbox_id: int) -> object:
    # A team mailbox's label rules by recipient and leads from its mail.
    return await team_extras.run_team_extras(ctx, mailbox_id)


async def _purge(ctx: AppContext) -> object:
    # "Who looked at my mail" keeps its rows exactly as long as MailMagnet keeps its hits.
    return {
        "hits": await magnet.purge_hits(ctx),
        "opens": await opened_by.purge_opens(ctx),
        "sends": await send_later.purge(ctx),  # old idempotency keys, finished sends
    }


MAILBOX_JOBS: dict[str, MailboxJob] = {
    "magnet": _magnet,
    "labels": _labels,
    "renew_watch": _renew_watch,
    "team_extras": _team_extras,
}


async def _send_due(ctx: AppContext) -> object:
    # Send later and undo send: drafts whose time has come (services/sending/later.py).
    return await send_later.send_due(ctx)


async def _follow_ups(ctx: AppContext) -> object:
    # Follow-up reminders whose day came: Gmail read live, the bell only if nobody replied.
    return await follow_ups.check_due(ctx)


async def _team_upkeep(ctx: AppContext) -> object:
    # Team mailboxes without anyone looking: leavers' threads returned, new and overdue told.
    return await team_upkeep.run_upkeep(ctx)


GLOBAL_JOBS: dict[str, GlobalJob] = {
    "purge": _purge,
    "send_due": _send_due,
    "follow_ups": _follow_ups,
    "team_upkeep": _team_upkeep,
}


def mailbox_job(name: str) -> MailboxJob:
    try:
        return MAILBOX_JOBS[name]
    except KeyError:
        raise ValueError(f"unknown mailbox job {name!r}") from None


def global_job(name: str) -> GlobalJob:
    try:
        return GLOBAL_JOBS[name]
    except KeyError:
        raise ValueError(f"unknown global job {name!r}") from None
