"""The team mailbox's background pass: label rules by recipient, leads from incoming mail, and
replies sent from Gmail itself for the figures.

`run_team_extras(ctx, mailbox_id)` is the `team_extras` job of `jobs.registry`, run like the
category-label job: by either scheduler, every `labels_interval_seconds` for each connected
team mailbox (`due_mailboxes`, which `job_state.due` asks), at BACKGROUND priority, so its
Gmail calls are charged to the mailbox's quota budget and stop at half of what views may use,
leaving the rest to the people looking at the team inbox. Once a rule is added the web handler
triggers a run at once. With nothing new it costs one history.list (2 units).

```
no cursor            getProfile -> the cursor (mail from now on; old mail only for rules)
cursor               history.list(cursor, messageAdded) - nothing new: 1 call, done
history expired      getProfile, every rule searched again; leads: in:inbox after:<last run>
new ids ─> one metadata batch (From, To, Cc, labelIds) ─┬─ rules: exact To/Cc re-check ─>
rules not backfilled: {to:a cc:a} after:<90 days> ─────┘   batchModify add, per label
                                                       ├─ leads: From ─> capture
                                                       └─ SENT in a known thread with no
                                                          reply yet: a `replied` event at
                                                          Gmail's internalDate (figures)
save the cursor and the run time (after every change: a crash repeats the pass, which adds
nothing twice and captures each address once)
```

A reply written in Gmail itself (not through gpanel) is seen as a SENT message added to a
thread the team inbox knows; the first one becomes that thread's `replied` event (no actor: it
is credited to the assignee of the moment), so first-response figures count it. Only the
thread id and the message's time are used.

Gmail failures end the run as `failed` with the reason in plain words on `team_extras_runs`
(a dead token also marks the mailbox "needs reconnect"), the cursor unmoved; a 400 (a rule's
label deleted in Gmail) forgets the rules' label ids so the next run finds or creates them.
Logs carry ids and counts only.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

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
from gpanel.services.team_mailboxes import leads, recipient_rules, store
from gpanel.services.team_mailboxes.recipient_rules import Rule
from gpanel.settings import Settings
from gpanel.store.tables import (
    mailboxes as mailbox_rows,
)
from gpanel.store.tables import (
    team_extras_runs,
    team_mailboxes,
    team_thread_events,
    users,
)
from gpanel.store.times import aware as _aware

log = logging.getLogger("gpanel.team_mailboxes")

JOB = "team_extras"
HEADERS = ("From", "To", "Cc")
BACKFILL_DAYS = 90  # a new rule labels the mail of the last 90 days ...
BACKFILL_LIMIT = 500  # ... at most its 500 newest messages
CATCH_UP_LIMIT = 500  # after an expired cursor, inbox mail looked at for leads
CATCH_UP_SLACK = dt.timedelta(minutes=10)


@dataclass
class ExtrasReport:
    """What one pass did, in counts only."""

    mailbox_id: int
    status: str = "done"  # done | skipped | failed
    reason: str = ""
    new_messages: int = 0
    labelled: int = 0
    backfilled_rules: int = 0
    leads: list[int] = field(default_factory=list)
    replies: int = 0  # replies sent from Gmail itself recorded for the figures


@dataclass(frozen=True)
class TeamBox:
    id: int
    mailbox_id: int
    lead_capture: bool


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def team_box(engine: AsyncEngine, mailbox_id: int) -> TeamBox | None:
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                select(team_mailboxes.c.id, team_mailboxes.c.lead_capture).where(
                    team_mailboxes.c.mailbox_id == mailbox_id
                )
            )
        ).first()
    return TeamBox(int(row.id), mailbox_id, bool(row.lead_capture)) if row else None


@dataclass(frozen=True)
class RunState:
    history_id: str | None
    run_at: dt.datetime | None
    last_error: str | None


async def get_state(engine: AsyncEngine, team_mailbox_id: int) -> RunState:
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                select(team_extras_runs).where(
                    team_extras_runs.c.team_mailbox_id == team_mailbox_id
                )
            )
        ).first()
    if row is None:
        return RunState(None, None, None)
    return RunState(row.history_id, _aware(row.run_at), row.last_error)


async def _save(engine: AsyncEngine, team_mailbox_id: int, **values: Any) -> None:
    async with engine.begin() as conn:
        done = await conn.execute(
            update(team_extras_runs)
            .where(team_extras_runs.c.team_mailbox_id == team_mailbox_id)
            .values(**values)
        )
        if not done.rowcount:
            await conn.execute(
                insert(team_extras_runs).values(team_mailbox_id=team_mailbox_id, **values)
            )


async def reset(engine: AsyncEngine, team_mailbox_id: int) -> None:
    """Forget the cursor (lead capture switched on starts from "now" again)."""
    async with engine.begin() as conn:
        await conn.execute(
            delete(team_extras_runs).where(team_extras_runs.c.team_mailbox_id == team_mailbox_id)
        )


async def due_mailboxes(
    engine: AsyncEngine, settings: Settings, now: dt.datetime | None = None
) -> list[int]:
    """Connected team mailboxes (owner active) whose last pass is a labels interval old; one
    whose last pass failed waits a MailMagnet poll interval."""
    now = now or now_utc()
    every = dt.timedelta(seconds=settings.labels_interval_seconds)
    poll = dt.timedelta(seconds=settings.magnet_poll_seconds)
    query = (
        select(
            team_mailboxes.c.mailbox_id, team_extras_runs.c.run_at, team_extras_runs.c.last_error_at
        )
        .join(mailbox_rows, mailbox_rows.c.id == team_mailboxes.c.mailbox_id)
        .join(users, users.c.id == mailbox_rows.c.user_id)
        .outerjoin(team_extras_runs, team_extras_runs.c.team_mailbox_id == team_mailboxes.c.id)
        .where(mailbox_rows.c.status == "connected", users.c.active.is_(True))
        .order_by(team_mailboxes.c.mailbox_id)
    )
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    out = []
    for r in rows:
        run_at, failed_at = _aware(r.run_at), _aware(r.last_error_at)
        if failed_at is not None and failed_at > now - poll:
            continue
        if run_at is None or run_at <= now - every:
            out.append(int(r.mailbox_id))
    return out


async def run_team_extras(ctx: AppContext, mailbox_id: int) -> ExtrasReport:
    """One pass for one team mailbox (see the module docstring); never raises for Gmail."""
    report = ExtrasReport(mailbox_id)
    box = await mailboxes.get(ctx.engine, mailbox_id)
    team = await team_box(ctx.engine, mailbox_id)
    if box is None or team is None:
        report.status, report.reason = "skipped", "not a team mailbox"
        return report
    async with ctx.engine.connect() as conn:
        rules = await recipient_rules.list_rules(conn, team.id)
    if box.status != "connected":
        report.status, report.reason = "skipped", "the mailbox needs reconnecting"
        return report
    mb = ctx.gmail.mailbox(box.key, priority=Priority.BACKGROUND)
    started = now_utc()
    try:
        await _run(ctx, mb, team, rules, report, started)
    except GmailError as exc:
        report.status, report.reason = "failed", exc.user_message
        if isinstance(exc, BadRequest) and exc.status == 400:
            await recipient_rules.set_label_ids(ctx.engine, {r.id: None for r in rules})
        await _save(ctx.engine, team.id, last_error=exc.user_message[:500], last_error_at=started)
        if isinstance(exc, ReconnectRequired):
            await mailboxes.record_error(
                ctx.engine, mailbox_id, exc.user_message, needs_reconnect=True
            )
        log.warning("team pass failed for mailbox %s: %s", mailbox_id, type(exc).__name__)
    return report


async def _metadata(mb: MailboxClient, ids: list[str]) -> dict[str, dict[str, Any]]:
    """Metadata (From, To, Cc, labelIds) of `ids`; messages gone since are left out."""
    if not ids:
        return {}
    got = await mb.batch_get_messages(ids, format="metadata", metadata_headers=HEADERS)
    found: dict[str, dict[str, Any]] = {}
    for message_id, value in got.items():
        if isinstance(value, GmailError):
            if isinstance(value, HistoryExpired) or value.status != 404:
                raise value
            continue
        found[message_id] = value
    return found


async def _new_ids(
    mb: MailboxClient, ctx: AppContext, team: TeamBox, state: RunState, rules: list[Rule]
) -> tuple[list[str], str, list[Rule]]:
    """The ids added since the cursor, the new cursor, and the rules to search afresh."""
    if state.history_id is None:
        return [], str((await mb.profile())["historyId"]), rules
    try:
        history = await mb.history_all(state.history_id, history_types=("messageAdded",))
    except HistoryExpired:
        cursor = str((await mb.profile())["historyId"])
        since = (state.run_at or now_utc()) - CATCH_UP_SLACK
        found = await mb.list_all_message_ids(
            f"in:inbox after:{int(since.timestamp())}", limit=CATCH_UP_LIMIT
        )
        await recipient_rules.set_backfilled(ctx.engine, [r.id for r in rules], False)
        return [str(m["id"]) for m in found], cursor, rules
    return history.message_ids_added, history.history_id, [r for r in rules if not r.backfilled]


async def _run(
    ctx: AppContext,
    mb: MailboxClient,
    team: TeamBox,
    rules: list[Rule],
    report: ExtrasReport,
    started: dt.datetime,
) -> None:
    state = await get_state(ctx.engine, team.id)
    if rules:
        ids = await recipient_rules.ensure_label_ids(mb, rules)
        await recipient_rules.set_label_ids(
            ctx.engine, {r.id: ids[r.id] for r in rules if not r.label_id and r.id in ids}
        )
        rules = [
            Rule(r.id, r.team_mailbox_id, r.address, r.label_name, ids.get(r.id), r.backfilled)
            for r in rules
        ]
    new_ids, cursor, to_search = await _new_ids(mb, ctx, team, state, rules)
    report.new_messages = len(new_ids)
    messages = await _metadata(mb, new_ids)
    backfill: dict[str, dict[str, Any]] = {}
    after = started - dt.timedelta(days=BACKFILL_DAYS)
    for rule in to_search:
        hits = await mb.list_all_message_ids(
            recipient_rules.rule_query(rule.address, after), limit=BACKFILL_LIMIT
        )
        wanted = [str(h["id"]) for h in hits if str(h["id"]) not in messages]
        backfill.update(await _metadata(mb, [i for i in wanted if i not in backfill]))
    if rules:
        additions = recipient_rules.plan_additions({**backfill, **messages}, rules)
        report.labelled = await recipient_rules.apply_additions(mb, additions)
        await recipient_rules.set_backfilled(ctx.engine, [r.id for r in to_search], True)
        report.backfilled_rules = len(to_search)
    if team.lead_capture and messages:
        org = await leads.load_org(ctx.engine, ctx.settings.own_domains)
        found = leads.candidates(messages.values(), org)
        captured = await leads.capture(
            ctx.engine, team.id, found, org, fold=ctx.settings.fold_gmail_addresses
        )
        report.leads = captured.created
    report.replies = await record_replies(ctx.engine, team.id, messages)
    await _save(ctx.engine, team.id, history_id=cursor, run_at=started, last_error=None)
    log.info(
        "team pass for mailbox %s: %d new, %d labelled, %d leads, %d replies",
        team.mailbox_id,
        report.new_messages,
        report.labelled,
        len(report.leads),
        report.replies,
    )


def _sent_at(message: dict[str, Any]) -> dt.datetime | None:
    raw = message.get("internalDate")
    if isinstance(raw, str | int) and str(raw).isdigit():
        return dt.datetime.fromtimestamp(int(raw) / 1000, dt.UTC)
    return None


async def record_replies(
    engine: AsyncEngine, team_mailbox_id: int, messages: dict[str, dict[str, Any]]
) -> int:
    """A `replied` event for each known thread whose first reply (a SENT message after the
    thread's arrival) this pass saw, unless the thread has one already; returns how many."""
    first: dict[str, dt.datetime] = {}
    for message in messages.values():
        at = _sent_at(message)
        thread_id = str(message.get("threadId", ""))
        if "SENT" in (message.get("labelIds") or []) and at is not None and thread_id:
            first[thread_id] = min(at, first.get(thread_id, at))
    if not first:
        return 0
    known = await store.states(engine, team_mailbox_id)
    wanted = {t: known[t] for t in first if t in known and first[t] >= known[t].first_seen_at}
    if not wanted:
        return 0
    done = 0
    async with engine.begin() as conn:
        answered = set(
            await conn.scalars(
                select(team_thread_events.c.team_thread_id).where(
                    team_thread_events.c.team_mailbox_id == team_mailbox_id,
                    team_thread_events.c.kind == "replied",
                    team_thread_events.c.team_thread_id.in_([s.id for s in wanted.values()]),
                )
            )
        )
        for thread_id, state in wanted.items():
            if state.id in answered:
                continue
            await store.add_event(
                conn,
                state,
                "replied",
                actor_id=None,
                assignee_id=state.assignee_id,
                status=state.status,
                at=first[thread_id],
            )
            done += 1
    return done
