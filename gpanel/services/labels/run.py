"""One label run for one mailbox: bring its mail in line with the CRM, at background priority.

`run_labels(ctx, mailbox_id)` is what the scheduler calls every `labels_interval_seconds`.
What it costs depends on what changed since the last run:

- nothing: one `history.list` from the stored cursor, and no other Gmail call;
- new mail: the new ids from that history call, one batch of metadata gets for their From
  header, then batchModify for those that need a label;
- mail read, when the mailbox's labelled mail leaves the inbox "once read": the same history
  call also asks for `labelRemoved`, and a message it shows losing UNREAD while it carried a
  category label and INBOX is read again (in the same batch of gets) and leaves the inbox;
- CRM changes (contacts or deals with `updated_at` after the last run): the affected contacts'
  mail is searched (`from:(a OR b) after:<window>`) and moved to its new label;
- a full pass over the window when there is no cursor yet (first run after enabling), when
  Gmail says the cursor is too old, when the org's month changed (deals start or stop closing
  "this month" without any row changing), or when CRM rows were deleted.

A full pass reads the history id first and stores it only after every change is applied, so
mail arriving meanwhile is seen again by the next run (labelling is idempotent). Ids a run takes
out of the inbox are written to `label_archived` before the batchModify that archives them, so a
crash in between can only leave undo one id too generous, never one short. Gmail failures are
recorded on the job (and, for a dead token, on the mailbox) and reported, never raised.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

from gpanel.crm.categories import Category, org_today
from gpanel.gmail import (
    BadRequest,
    GmailError,
    HistoryExpired,
    MailboxClient,
    Priority,
    ReconnectRequired,
)
from gpanel.services.accounts import mailboxes
from gpanel.services.context import AppContext
from gpanel.services.labels import crm as labels_crm
from gpanel.services.labels import state as labels_state
from gpanel.services.labels.gather import HitChecks, by_ids, by_search
from gpanel.services.labels.plan import (
    COLOURS,
    INBOX,
    ORDER,
    UNREAD,
    Facts,
    InboxMode,
    Plan,
    label_names,
    lookalikes,
    plan_changes,
)

log = logging.getLogger("gpanel.labels")
HISTORY_TYPES = ("messageAdded",)
# "Once read" also needs to see mail being read: UNREAD removed.
HISTORY_TYPES_ONCE_READ = ("messageAdded", "labelRemoved")


def read_in_inbox(records: list[dict[str, object]], label_ids: Mapping[Category, str]) -> list[str]:
    """Ids that history shows losing UNREAD while they carried INBOX and a category label
    (the message's labels as the record gives them, after the change)."""
    categories = set(label_ids.values())
    found: list[str] = []
    for record in records:
        removed = record.get("labelsRemoved")
        for item in removed if isinstance(removed, list) else []:
            message = item.get("message") if isinstance(item, dict) else None
            if not isinstance(message, dict) or UNREAD not in (item.get("labelIds") or []):
                continue
            labels = set(message.get("labelIds") or [])
            if INBOX in labels and labels & categories and "id" in message:
                found.append(str(message["id"]))
    return list(dict.fromkeys(found))


@dataclass
class LabelRunReport:
    """What one run did, in counts and ids only."""

    mailbox_id: int
    status: str = "done"  # done | skipped | failed
    kind: str = "none"  # none | incremental | full
    reason: str = ""  # why a full pass, why skipped, or the error in plain words
    new_messages: int = 0
    contacts_rechecked: int = 0
    left: int = 0  # search hits not yet checked: unchanged, the cursor kept for the next run
    modified: int = 0
    archived: int = 0
    modify_calls: int = 0
    moves: dict[str, int] = field(default_factory=dict)


async def ensure_labels(
    mb: MailboxClient, names: Mapping[Category, str], known: Mapping[Category, str]
) -> dict[Category, str]:
    """The three labels' ids: those already known, else found by name, else created (a 409 from
    a concurrent creation resolves to the existing label inside `create_label`)."""
    if all(c in known for c in ORDER):
        return dict(known)
    existing = {str(x.get("name", "")).casefold(): str(x["id"]) for x in await mb.list_labels()}
    ids: dict[Category, str] = {}
    for c in ORDER:
        found = existing.get(names[c].casefold())
        if found is None:
            found = str((await mb.create_label(names[c], color=dict(COLOURS[c])))["id"])
        ids[c] = found
    return ids


async def full_facts(
    ctx: AppContext,
    mb: MailboxClient,
    *,
    since: dt.datetime,
    today: dt.date,
    label_ids: Mapping[Category, str],
    checks: HitChecks | None = None,
) -> dict[str, Facts]:
    """Every message in the window from a categorised contact, and every message carrying a
    category label, with what it should carry (search hits checked as `checks` allows)."""
    async with ctx.engine.connect() as conn:
        cats = await labels_crm.categories(conn, today)
        addresses = await labels_crm.addresses_of(conn, cats)
        known = await labels_crm.all_addresses(conn)
    grouped: dict[Category | None, list[str]] = {c: [] for c in ORDER}
    for contact_id, (category, _deal) in cats.items():
        grouped[category].extend(addresses.get(contact_id, ()))
    return await by_search(
        ctx.engine,
        mb,
        grouped,
        since=since,
        today=today,
        fold=ctx.settings.fold_gmail_addresses,
        label_ids=label_ids,
        lookalike=lookalikes(known),
        whole_labels=True,
        checks=checks,
    )


async def contact_facts(
    ctx: AppContext,
    mb: MailboxClient,
    contact_ids: set[int],
    *,
    since: dt.datetime,
    today: dt.date,
    label_ids: Mapping[Category, str],
    checks: HitChecks | None = None,
) -> dict[str, Facts]:
    """The mail of these contacts only, with what it should carry now."""
    async with ctx.engine.connect() as conn:
        cats = await labels_crm.categories(conn, today, contact_ids)
        addresses = await labels_crm.addresses_of(conn, contact_ids)
        known = await labels_crm.all_addresses(conn)
    grouped: dict[Category | None, list[str]] = {}
    for contact_id, addrs in addresses.items():
        verdict = cats.get(contact_id)
        grouped.setdefault(verdict[0] if verdict else None, []).extend(addrs)
    return await by_search(
        ctx.engine,
        mb,
        grouped,
        since=since,
        today=today,
        fold=ctx.settings.fold_gmail_addresses,
        label_ids=label_ids,
        lookalike=lookalikes(known),
        whole_labels=False,
        checks=checks,
    )


async def apply_plan(
    ctx: AppContext, mb: MailboxClient, mailbox_id: int, plan: Plan, when: dt.datetime
) -> None:
    """Record the ids leaving the inbox, then send the batchModify calls (disjoint id sets),
    then forget the ids put back in the inbox (after: a crash in between leaves them listed,
    and the next run or undo only puts INBOX on them again)."""
    await labels_state.record_archived(ctx.engine, mailbox_id, plan.archive, when)
    await asyncio.gather(
        *(mb.batch_modify(c.ids, add=c.add, remove=c.remove) for c in plan.changes)
    )
    await labels_state.forget_restored(ctx.engine, mailbox_id, plan.restore)


def _moves(plan: Plan) -> dict[str, int]:
    return {
        f"{a.value if a else 'none'}->{b.value if b else 'none'}": n
        for (a, b), n in sorted(plan.moves.items(), key=str)
    }


async def run_labels(
    ctx: AppContext, mailbox_id: int, *, now: dt.datetime | None = None
) -> LabelRunReport:
    """Bring one mailbox in line with the CRM (see the module docstring). `now` is injectable
    so tests can place a run on either side of a month boundary in the org's time zone; it
    decides the org's today only. CRM changes are found by the wall clock (`labels_run_at`
    holds when the run started), the same clock that writes `updated_at`."""
    report = LabelRunReport(mailbox_id)
    started = dt.datetime.now(dt.UTC)
    settings = ctx.settings
    job = await labels_state.get(ctx.engine, mailbox_id)
    box = await mailboxes.get(ctx.engine, mailbox_id)
    if box is None or not job.enabled or not job.magnet_enabled or job.since is None:
        report.status, report.reason = "skipped", "labels are not enabled for this mailbox"
        return report
    if box.status != "connected":
        report.status, report.reason = "skipped", "the mailbox needs reconnecting"
        return report
    mb = ctx.gmail.mailbox(box.key, priority=Priority.BACKGROUND)
    today = org_today(settings.org_timezone, now or started)
    try:
        await _run(ctx, mb, job, report, started, today)
    except GmailError as exc:
        report.status, report.reason = "failed", exc.user_message
        if isinstance(exc, BadRequest) and exc.status == 400:
            # Most likely a category label was deleted in Gmail: find or create it next time.
            await labels_state.forget_label_ids(ctx.engine, job)
        await labels_state.save_error(ctx.engine, mailbox_id, exc.user_message)
        if isinstance(exc, ReconnectRequired):
            await mailboxes.record_error(
                ctx.engine, mailbox_id, exc.user_message, needs_reconnect=True
            )
        log.warning("label run failed for mailbox %s: %s", mailbox_id, type(exc).__name__)
    return report


async def _run(
    ctx: AppContext,
    mb: MailboxClient,
    job: labels_state.LabelJob,
    report: LabelRunReport,
    started: dt.datetime,
    today: dt.date,
) -> None:
    settings = ctx.settings
    assert job.since is not None
    since = job.since
    month = f"{today.year:04d}-{today.month:02d}"
    async with ctx.engine.connect() as conn:
        gaps = await labels_crm.crm_gaps(conn)
    full_reason = ""
    history = None
    checks = HitChecks()
    mode = job.inbox_mode
    just_read: list[str] = []
    types = HISTORY_TYPES_ONCE_READ if mode is InboxMode.ONCE_READ else HISTORY_TYPES
    if job.history_id is None or job.run_at is None:
        full_reason = "first run"
    else:
        try:
            history = await mb.history_all(job.history_id, history_types=types)
        except HistoryExpired:
            full_reason = "Gmail's change history expired"
        if not full_reason and job.org_month != month:
            full_reason = "a new month began"
        if not full_reason and job.crm_gaps is not None and gaps != job.crm_gaps:
            full_reason = "CRM records were deleted"

    if full_reason:
        cursor = str((await mb.profile())["historyId"])
        label_ids = await ensure_labels(mb, label_names(settings.label_names), job.label_ids)
        facts = await full_facts(
            ctx, mb, since=since, today=today, label_ids=label_ids, checks=checks
        )
        report.kind, report.reason = "full", full_reason
    else:
        assert history is not None and job.run_at is not None
        cursor = history.history_id
        async with ctx.engine.connect() as conn:
            changed = await labels_crm.changed_contacts(conn, job.run_at)
        new_ids = history.message_ids_added
        if mode is InboxMode.ONCE_READ:
            just_read = read_in_inbox(history.records, job.label_ids)
        report.new_messages, report.contacts_rechecked = len(new_ids), len(changed)
        facts = {}
        if new_ids or changed or just_read:
            label_ids = await ensure_labels(mb, label_names(settings.label_names), job.label_ids)
            if changed:
                facts.update(
                    await contact_facts(
                        ctx,
                        mb,
                        changed,
                        since=since,
                        today=today,
                        label_ids=label_ids,
                        checks=checks,
                    )
                )
            # Just read: judged on the message as it is now (its From, labels and UNREAD).
            rest = [i for i in dict.fromkeys([*new_ids, *just_read]) if i not in facts]
            if rest:
                facts.update(
                    await by_ids(
                        ctx.engine,
                        mb,
                        rest,
                        since=since,
                        today=today,
                        fold=settings.fold_gmail_addresses,
                        label_ids=label_ids,
                    )
                )
        else:
            label_ids = dict(job.label_ids)
        report.kind = "incremental"
    archived = await labels_state.archived_among(ctx.engine, job.mailbox_id, facts)
    plan = (
        plan_changes(facts, label_ids, archived=archived, mode=mode, just_read=just_read)
        if facts
        else Plan()
    )
    await apply_plan(ctx, mb, job.mailbox_id, plan, started)
    report.modified, report.archived = plan.messages, len(plan.archive)
    report.modify_calls, report.moves = plan.modify_calls, _moves(plan)
    if checks.left:
        # Search hits still to be checked were left unchanged: keep the cursor (and the
        # reason for a full pass) so the next run takes them up; what was done stays done.
        report.left = checks.left
        log.info(
            "label run for mailbox %s: %d messages left for the next run",
            job.mailbox_id,
            checks.left,
        )
        return
    await labels_state.save_run(
        ctx.engine,
        job.mailbox_id,
        history_id=cursor,
        run_at=started,
        label_ids=label_ids,
        gaps=gaps,
        month=month,
    )
    log.info(
        "label run for mailbox %s: %s, %d modified, %d archived",
        job.mailbox_id,
        report.kind,
        report.modified,
        len(plan.archive),
    )
